package dataset

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// decodeNPY reads a whole .npy file from b. When knownSize is false the
// reader does not learn the size of the file in advance, as with a pipe.
func decodeNPY(b []byte, knownSize bool) ([]float64, *npyHeader, error) {
	size := int64(len(b))
	if !knownSize {
		size = -1
	}
	r := bufio.NewReader(bytes.NewReader(b))
	h, err := readNPYHeader(r, size)
	if err != nil {
		return nil, nil, err
	}
	data, err := h.readFloats(r)
	return data, h, err
}

// FuzzReadNPY checks that the .npy reader never panics, that it decides the
// same whether or not it knows the file size, and that what it reads is
// self-consistent and survives WriteNPY's encoding.
func FuzzReadNPY(f *testing.F) {
	f.Add(npyioBytes(f, [2][3]float64{{1, 2, 3}, {4, 5, 6}}))
	f.Add(npyioBytes(f, [2][2]uint8{{1, 2}, {3, 4}}))
	f.Add(npyioBytes(f, []int16{-1, 2}))
	f.Add(npyioBytes(f, [1][2]float32{{1, 2}}))
	f.Add(npyHeaderBytes([]int{2, 1, 1}))
	f.Add(append(npyHeaderBytes([]int{1}), f8le(math.NaN())...))
	f.Add(rawNPY(1, "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 2), }", f8(binary.BigEndian, 1, 2, 3, 4)))
	f.Add(rawNPY(2, "{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", []byte{0, 0x3c}))
	f.Add(rawNPY(3, "{'descr': '|b1', 'fortran_order': False, 'shape': (), }", []byte{1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		data, h, err := decodeNPY(b, true)
		data2, _, err2 := decodeNPY(b, false)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("known size: %v; unknown size: %v", err, err2)
		}
		if err != nil {
			return
		}
		if !sameFloats(data, data2) {
			t.Fatal("known and unknown size read different data")
		}
		n := 1
		for _, d := range h.shape {
			n *= d
		}
		if len(data) != n || h.n != n {
			t.Fatalf("shape %v but %d elements", h.shape, len(data))
		}
		if h.dataLen != n*h.dtype.size || h.dataLen > len(b) {
			t.Fatalf("dataLen %d for %d elements of %d bytes", h.dataLen, n, h.dtype.size)
		}
		// Encode as WriteNPY does and read back.
		enc := npyHeaderBytes(h.shape)
		for _, v := range data {
			enc = binary.LittleEndian.AppendUint64(enc, math.Float64bits(v))
		}
		back, h2, err := decodeNPY(enc, true)
		if err != nil {
			t.Fatalf("reading our own encoding: %v", err)
		}
		if !slices.Equal(h2.shape, h.shape) || !sameFloats(back, data) {
			t.Fatal("round trip changed the array")
		}
		// The labels and features paths must not panic either.
		r := bytes.NewReader(b)
		if h, err := readNPYHeader(r, int64(len(b))); err == nil {
			h.readLabels(r)
			checkFeatureShape(h.shape)
		}
	})
}

// FuzzReadCSV checks that the text readers never panic, and that a table
// they accept is rectangular, finite and survives being written out again.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("a,b,c\n1,2,3\n4,5,6\n"))
	f.Add([]byte("1 2\n3 4\n\n"))
	f.Add([]byte("\ufeff1.5e3,-2\r\n3,\"4\"\r\n"))
	f.Add([]byte("label\n5\n0\n4\n"))
	f.Add([]byte("1\n\n2\n"))
	f.Add([]byte("nan,inf\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		data, rows, cols, err := readTable(bytes.NewReader(b))
		if err == nil {
			if rows <= 0 || cols <= 0 || len(data) != rows*cols {
				t.Fatalf("%d×%d table with %d values", rows, cols, len(data))
			}
			var out strings.Builder
			for i := range rows {
				for j := range cols {
					v := data[i*cols+j]
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("non-finite value %v", v)
					}
					if j > 0 {
						out.WriteByte(',')
					}
					out.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
				}
				out.WriteByte('\n')
			}
			back, r2, c2, err := readTable(strings.NewReader(out.String()))
			if err != nil {
				t.Fatalf("reading %q back: %v", out.String(), err)
			}
			if r2 != rows || c2 != cols || !sameFloats(back, data) {
				t.Fatalf("round trip changed the table")
			}
		}

		labels, err := readLabelText(bytes.NewReader(b))
		if err == nil {
			if len(labels) == 0 {
				t.Fatal("no labels and no error")
			}
			var out strings.Builder
			for _, l := range labels {
				if l < 0 {
					t.Fatalf("negative label %d", l)
				}
				out.WriteString(strconv.Itoa(l))
				out.WriteByte('\n')
			}
			back, err := readLabelText(strings.NewReader(out.String()))
			if err != nil || !sameInts(back, labels) {
				t.Fatalf("round trip of labels: %v", err)
			}
		}
	})
}

// memOpener opens files held in memory, optionally hiding their size.
func memOpener(files map[string][]byte, knownSize bool) opener {
	return func(name string) (io.ReadCloser, int64, error) {
		b, ok := files[name]
		if !ok {
			return nil, 0, errorf(name, "no such file")
		}
		size := int64(len(b))
		if !knownSize {
			size = -1
		}
		return io.NopCloser(bytes.NewReader(b)), size, nil
	}
}

// FuzzReadIDX checks that the IDX reader never panics, that it decides the
// same whether or not it knows the file sizes, and that what it reads is a
// consistent set of images and labels.
func FuzzReadIDX(f *testing.F) {
	images := idxBytes(0, []uint32{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255})
	labels := idxBytes(0, []uint32{2}, []byte{3, 9})
	f.Add(images, labels)
	f.Add(gz(images), gz(labels))
	f.Add(gz(images), labels)
	f.Add(labels, images)
	f.Add(corruptGzip(images), labels)
	f.Fuzz(func(t *testing.T, images, labels []byte) {
		files := map[string][]byte{"images": images, "labels": labels}
		s, err := readIDXPair(memOpener(files, true), "images", "labels")
		s2, err2 := readIDXPair(memOpener(files, false), "images", "labels")
		if (err == nil) != (err2 == nil) {
			t.Fatalf("known size: %v; unknown size: %v", err, err2)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "images: ") && !strings.HasPrefix(err.Error(), "labels: ") {
				t.Fatalf("error %q does not name a file", err)
			}
			return
		}
		n, m := s.X.Dims()
		if n == 0 || m == 0 || len(s.Labels) != n {
			t.Fatalf("%d×%d images with %d labels", n, m, len(s.Labels))
		}
		if !sameFloats(s.X.RawMatrix().Data, s2.X.RawMatrix().Data) || !sameInts(s.Labels, s2.Labels) {
			t.Fatal("known and unknown size read different data")
		}
		for _, v := range s.X.RawMatrix().Data {
			if !(v >= 0 && v <= 1) || v*255 != math.Round(v*255) {
				t.Fatalf("pixel %v is not k/255", v)
			}
		}
		for _, l := range s.Labels {
			if l < 0 || l > 255 {
				t.Fatalf("label %d", l)
			}
		}
	})
}
