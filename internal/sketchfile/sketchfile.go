// Package sketchfile stores one shard of a Nyström sketch (mkl.Sketch): the
// block sums C_ℓᵀC_k, C_ℓᵀY and yᵀy over a range of training rows, with a
// header that says which rows, which shard, and the fingerprint of the
// configuration and inputs, so that parts of different runs cannot be
// combined.
//
// Layout: the magic line "NTKMKL-SKETCH 1\n", an 8-byte little-endian
// header length, the JSON header, then float64 little-endian arrays:
// C_ℓᵀC_k for ℓ ≤ k in row-major order (m×m each, ℓ outer), C_ℓᵀY for each
// ℓ (m×d), and yᵀy (d).
package sketchfile

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/ntkmkl/ntkmkl/internal/atomicfile"
	"github.com/ntkmkl/ntkmkl/mkl"
)

const magic = "NTKMKL-SKETCH 1\n"

// Header describes a part.
type Header struct {
	Fingerprint string `json:"fingerprint"`
	Shard       int    `json:"shard"`  // 0-based
	Shards      int    `json:"shards"` // total number of parts
	RowStart    int    `json:"row_start"`
	RowEnd      int    `json:"row_end"` // exclusive
	TrainPoints int    `json:"train_points"`
	Layers      int    `json:"layers"`
	Centers     int    `json:"centers"`
	Classes     int    `json:"classes"`
}

func (h *Header) floats() int64 {
	L, m, d := int64(h.Layers), int64(h.Centers), int64(h.Classes)
	return L*(L+1)/2*m*m + L*m*d + d
}

// Write stores the sketch under the header at path, whole or not at all.
func Write(path string, h Header, s *mkl.Sketch) error {
	if s.L != h.Layers || s.M != h.Centers || s.D != h.Classes {
		panic("sketchfile: header does not describe the sketch")
	}
	js, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		bw.WriteString(magic)
		binary.Write(bw, binary.LittleEndian, uint64(len(js)))
		bw.Write(js)
		var buf [8]byte
		put := func(v []float64) error {
			for _, x := range v {
				binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
				if _, err := bw.Write(buf[:]); err != nil {
					return err
				}
			}
			return nil
		}
		for l := 0; l < s.L; l++ {
			for k := l; k < s.L; k++ {
				if err := put(s.CC[l][k].RawMatrix().Data); err != nil {
					return err
				}
			}
		}
		for l := 0; l < s.L; l++ {
			if err := put(s.CY[l].RawMatrix().Data); err != nil {
				return err
			}
		}
		if err := put(s.YY); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// ReadHeader reads only the header of a part and checks that the file
// holds exactly the arrays it announces.
func ReadHeader(path string) (Header, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, 0, err
	}
	defer f.Close()
	h, off, err := readHeader(f, path)
	if err != nil {
		return h, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return h, 0, err
	}
	if want := off + 8*h.floats(); fi.Size() != want {
		return h, 0, fmt.Errorf("%s: holds %d bytes, its header announces %d: truncated or corrupt part", path, fi.Size(), want)
	}
	return h, off, nil
}

func readHeader(r io.Reader, path string) (Header, int64, error) {
	var h Header
	m := make([]byte, len(magic))
	if _, err := io.ReadFull(r, m); err != nil || string(m) != magic {
		return h, 0, fmt.Errorf("%s: not an ntkmkl sketch part", path)
	}
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n > 1<<20 {
		return h, 0, fmt.Errorf("%s: corrupt sketch header", path)
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return h, 0, fmt.Errorf("%s: truncated sketch header", path)
	}
	if err := json.Unmarshal(js, &h); err != nil {
		return h, 0, fmt.Errorf("%s: sketch header: %v", path, err)
	}
	if h.Layers < 1 || h.Centers < 1 || h.Classes < 1 || h.Shards < 1 || h.Shard < 0 || h.Shard >= h.Shards ||
		h.RowStart < 0 || h.RowEnd < h.RowStart || h.RowEnd > h.TrainPoints || h.Layers > 1000 || h.Centers > 1<<20 {
		return h, 0, fmt.Errorf("%s: inconsistent sketch header %+v", path, h)
	}
	return h, int64(len(magic)) + 8 + int64(n), nil
}

// AddTo reads the part at path and adds its sums into dst, which must have
// the shape of its header.
func AddTo(dst *mkl.Sketch, path string) error {
	h, off, err := ReadHeader(path)
	if err != nil {
		return err
	}
	if h.Layers != dst.L || h.Centers != dst.M || h.Classes != dst.D {
		return fmt.Errorf("%s: a %d-layer, %d-centre, %d-class part for a %d, %d, %d sketch", path, h.Layers, h.Centers, h.Classes, dst.L, dst.M, dst.D)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	var buf [8]byte
	add := func(v []float64) error {
		for i := range v {
			if _, err := io.ReadFull(br, buf[:]); err != nil {
				return fmt.Errorf("%s: %v", path, err)
			}
			x := math.Float64frombits(binary.LittleEndian.Uint64(buf[:]))
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("%s: holds NaN or Inf", path)
			}
			v[i] += x
		}
		return nil
	}
	for l := 0; l < dst.L; l++ {
		for k := l; k < dst.L; k++ {
			if err := add(dst.CC[l][k].RawMatrix().Data); err != nil {
				return err
			}
		}
	}
	for l := 0; l < dst.L; l++ {
		if err := add(dst.CY[l].RawMatrix().Data); err != nil {
			return err
		}
	}
	if err := add(dst.YY); err != nil {
		return err
	}
	dst.Rows += h.RowEnd - h.RowStart
	return nil
}
