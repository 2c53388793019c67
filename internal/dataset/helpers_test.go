package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
)

// writeFile writes content to a file called name in dir and returns its
// path.
func writeFile(t testing.TB, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// npyioBytes returns v encoded as a .npy file by npyio.
func npyioBytes(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := npy.Write(&b, v); err != nil {
		t.Fatalf("npy.Write(%T): %v", v, err)
	}
	return b.Bytes()
}

// rawNPY builds a .npy file by hand from a format version, a header
// dictionary and the array data, padding the header as NumPy does.
func rawNPY(major byte, dict string, data []byte) []byte {
	pre := 10
	if major >= 2 {
		pre = 12
	}
	hlen := (pre+len(dict)+1+63)/64*64 - pre
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.WriteByte(major)
	b.WriteByte(0)
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(hlen))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(hlen))
	}
	b.WriteString(dict)
	b.Write(bytes.Repeat([]byte{' '}, hlen-len(dict)-1))
	b.WriteByte('\n')
	b.Write(data)
	return b.Bytes()
}

// f8 encodes float64 values in the given byte order.
func f8(order binary.ByteOrder, v ...float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		order.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

// idxBytes builds an IDX file of unsigned bytes with the given dimensions
// and data. A zero magic means the right one for len(dims).
func idxBytes(magic uint32, dims []uint32, data []byte) []byte {
	if magic == 0 {
		magic = 0x0800 | uint32(len(dims))
	}
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

// gz returns b gzipped.
func gz(b []byte) []byte {
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

// sameFloats reports whether a and b hold the same float64 bit patterns.
func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var (
	nan = math.NaN()
	inf = math.Inf(1)
)

// f8le encodes float64 values in little-endian order.
func f8le(v ...float64) []byte { return f8(binary.LittleEndian, v...) }

// corruptGzip returns b gzipped with a wrong CRC-32 in the trailer.
func corruptGzip(b []byte) []byte {
	z := gz(b)
	z[len(z)-8] ^= 0xff
	return z
}
