package dataset

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
	"gonum.org/v1/gonum/mat"
)

// TestWriteReadNPY writes arrays with WriteNPY and reads them back with
// ReadNPY, and independently with npyio.
func TestWriteReadNPY(t *testing.T) {
	for _, test := range []struct {
		name  string
		shape []int
		data  []float64
	}{
		// A scalar has shape () and one element.
		{"scalar", []int{}, []float64{math.Pi}},
		// A 1-D array has shape (n,).
		{"1-D", []int{4}, []float64{1, -2, 3.5, 1e300}},
		// A 2-D array, with values that float32 cannot hold.
		{"2-D", []int{2, 3}, []float64{1, 2, 3, 4, 5, 1.0 / 3}},
		// A 3-D array: npyio cannot read it into a mat.Dense (STYLE.md).
		{"3-D", []int{2, 2, 3}, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		// An empty array is a valid .npy file.
		{"empty", []int{0, 5}, []float64{}},
		// NaN and infinities survive ReadNPY (ReadFeatures refuses them).
		{"non-finite", []int{3}, []float64{math.NaN(), math.Inf(1), math.Inf(-1)}},
	} {
		t.Run(test.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.npy")
			if err := WriteNPY(path, test.shape, test.data); err != nil {
				t.Fatal(err)
			}
			data, shape, err := ReadNPY(path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(shape, test.shape) || !sameFloats(data, test.data) {
				t.Errorf("ReadNPY = %v, %v; want %v, %v", data, shape, test.data, test.shape)
			}

			// npyio must read what WriteNPY wrote.
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r, err := npy.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("npyio cannot read WriteNPY's file: %v", err)
			}
			if got := npy.TypeFrom(r.Header.Descr.Type); got == nil || got.String() != "float64" {
				t.Errorf("npyio sees dtype %s", r.Header.Descr.Type)
			}
			if len(test.shape) > 0 && !slices.Equal(r.Header.Descr.Shape, test.shape) {
				t.Errorf("npyio sees shape %v, want %v", r.Header.Descr.Shape, test.shape)
			}
			if len(test.data) > 0 && len(test.shape) > 0 {
				var got []float64
				if err := r.Read(&got); err != nil {
					t.Fatalf("npyio Read: %v", err)
				}
				if !sameFloats(got, test.data) {
					t.Errorf("npyio reads %v, want %v", got, test.data)
				}
			}
			if len(test.shape) == 2 && len(test.data) > 0 {
				var m mat.Dense
				if err := npy.Read(bytes.NewReader(b), &m); err != nil {
					t.Fatalf("npyio Read into mat.Dense: %v", err)
				}
				want := mat.NewDense(test.shape[0], test.shape[1], test.data)
				if !mat.Equal(&m, want) {
					t.Errorf("npyio reads %v, want %v", mat.Formatted(&m), mat.Formatted(want))
				}
			}
			// The data start at a multiple of 64 bytes, as NumPy writes them.
			if off := len(b) - 8*len(test.data); off%64 != 0 {
				t.Errorf("data start at offset %d", off)
			}
		})
	}
}

// TestReadFeaturesNPYDtypes writes a 2×3 array with npyio in each dtype it
// supports and reads it with ReadFeatures.
func TestReadFeaturesNPYDtypes(t *testing.T) {
	want := mat.NewDense(2, 3, []float64{0, 1, 2, 3, 4, 100})
	for _, test := range []struct {
		dtype string // the descr npyio writes
		v     any
	}{
		// Floats, the usual feature types.
		{"<f8", [2][3]float64{{0, 1, 2}, {3, 4, 100}}},
		{"<f4", [2][3]float32{{0, 1, 2}, {3, 4, 100}}},
		// Unsigned bytes, as in image data.
		{"|u1", [2][3]uint8{{0, 1, 2}, {3, 4, 100}}},
		// The other integer types.
		{"|i1", [2][3]int8{{0, 1, 2}, {3, 4, 100}}},
		{"<i2", [2][3]int16{{0, 1, 2}, {3, 4, 100}}},
		{"<i4", [2][3]int32{{0, 1, 2}, {3, 4, 100}}},
		{"<i8", [2][3]int64{{0, 1, 2}, {3, 4, 100}}},
		{"<u2", [2][3]uint16{{0, 1, 2}, {3, 4, 100}}},
		{"<u4", [2][3]uint32{{0, 1, 2}, {3, 4, 100}}},
		{"<u8", [2][3]uint64{{0, 1, 2}, {3, 4, 100}}},
		// A mat.Dense is written as <f8.
		{"<f8", want},
	} {
		t.Run(test.dtype, func(t *testing.T) {
			b := npyioBytes(t, test.v)
			if !bytes.Contains(b, []byte("'"+test.dtype+"'")) {
				t.Fatalf("npyio wrote %q, want dtype %s", b[:min(len(b), 80)], test.dtype)
			}
			path := writeFile(t, t.TempDir(), "x.npy", b)
			got, err := ReadFeatures(path)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.Equal(got, want) {
				t.Errorf("got %v, want %v", mat.Formatted(got), mat.Formatted(want))
			}
		})
	}
}

// TestReadNPYHandMade reads .npy files built byte by byte, for features of
// the format that npyio does not write.
func TestReadNPYHandMade(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	for _, test := range []struct {
		name      string
		file      []byte
		wantData  []float64
		wantShape []int
	}{
		// Fortran order: the file holds the columns of [[1 2 3] [4 5 6]].
		{"fortran 2-D", rawNPY(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", f8(le, 1, 4, 2, 5, 3, 6)),
			[]float64{1, 2, 3, 4, 5, 6}, []int{2, 3}},
		// Fortran order in 3-D: element [i, j, k] is at i + 2j + 4k.
		{"fortran 3-D", rawNPY(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2, 2), }", f8(le, 0, 4, 2, 6, 1, 5, 3, 7)),
			[]float64{0, 1, 2, 3, 4, 5, 6, 7}, []int{2, 2, 2}},
		// Big-endian data, as written on s390x or by astype('>f8').
		{"big-endian", rawNPY(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", f8(be, 1.5, -2)),
			[]float64{1.5, -2}, []int{2}},
		// Format version 3.0 has the same layout as 2.0.
		{"version 3", rawNPY(3, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", f8(le, 7)),
			[]float64{7}, []int{1, 1}},
		// Keys in another order, double quotes, no trailing comma, and
		// Python 2 long integers, all of which NumPy reads.
		{"odd header", rawNPY(1, `{"shape": (2L,), "fortran_order": False, "descr": "<f8"}`, f8(le, 1, 2)),
			[]float64{1, 2}, []int{2}},
		// Half floats, via npyio's float16: 0x3c00 is 1, 0xc000 is -2.
		{"float16", rawNPY(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", []byte{0x00, 0x3c, 0x00, 0xc0}),
			[]float64{1, -2}, []int{2}},
		// An empty array whose other dimension is too large to hold data.
		{"empty huge", rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4611686018427387904), }", nil),
			[]float64{}, []int{0, 4611686018427387904}},
		// Booleans read as 0 and 1.
		{"bool", rawNPY(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{0, 1, 2}),
			[]float64{0, 1, 1}, []int{3}},
		// Signed integers keep their sign.
		{"int16", rawNPY(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", []byte{0xff, 0xff, 0x00, 0x80}),
			[]float64{-1, -32768}, []int{2}},
	} {
		t.Run(test.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "a.npy", test.file)
			data, shape, err := ReadNPY(path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(shape, test.wantShape) || !sameFloats(data, test.wantData) {
				t.Errorf("got %v %v, want %v %v", data, shape, test.wantData, test.wantShape)
			}
		})
	}
}

// TestWriteNPYAtomic checks that WriteNPY replaces a file whole, keeps its
// mode, and leaves no temporary file behind when it fails.
func TestWriteNPYAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.npy")
	if err := WriteNPY(path, []int{2}, []float64{1, 2}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("new file: %v, %v; want mode 0644", fi.Mode(), err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteNPY(path, []int{3}, []float64{3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	data, _, err := ReadNPY(path)
	if err != nil || !slices.Equal(data, []float64{3, 4, 5}) {
		t.Fatalf("after replacing: %v, %v", data, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced file has mode %v, want 0600", fi.Mode())
	}

	// Renaming onto a directory fails after the data are written; the
	// temporary file must go.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err = WriteNPY(sub, []int{1}, []float64{1})
	if err == nil || !strings.HasPrefix(err.Error(), sub+":") {
		t.Errorf("WriteNPY onto a directory: %v", err)
	}
	// A missing directory fails at once.
	missing := filepath.Join(dir, "no", "such", "k.npy")
	if err := WriteNPY(missing, []int{1}, []float64{1}); err == nil || !strings.HasPrefix(err.Error(), missing+":") {
		t.Errorf("WriteNPY into a missing directory: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"k.npy", "sub"}) {
		t.Errorf("directory holds %v, want [k.npy sub]", names)
	}
}

// TestWriteNPYPanics checks that a shape that does not match the data is
// treated as misuse.
func TestWriteNPYPanics(t *testing.T) {
	for _, test := range []struct {
		name  string
		shape []int
		n     int
	}{
		// Too few elements for the shape.
		{"short", []int{2, 3}, 5},
		// A negative dimension.
		{"negative", []int{-1, -2}, 2},
		// A shape whose product overflows to a small number.
		{"overflow", []int{1 << 32, 1 << 32}, 0},
	} {
		t.Run(test.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "dataset: ") {
					t.Errorf("panic %v does not start with the package name", r)
				}
			}()
			WriteNPY(filepath.Join(t.TempDir(), "a.npy"), test.shape, make([]float64, test.n))
		})
	}
}

// TestParseDtype checks the dtype strings that are accepted.
func TestParseDtype(t *testing.T) {
	for _, test := range []struct {
		descr string
		kind  byte
		size  int
		big   bool
		ok    bool
	}{
		{"<f8", 'f', 8, false, true},
		{">f4", 'f', 4, true, true},
		{"|u1", 'u', 1, false, true},
		{"<i8", 'i', 8, false, true},
		{"|b1", 'b', 1, false, true},
		{"f8", 'f', 8, false, true},       // no byte order: native
		{"<c16", 'c', 16, false, false},   // complex
		{"<U10", 'U', 10, false, false},   // unicode string
		{"|O", 'O', 0, false, false},      // Python objects
		{"<M8[ns]", 'M', 0, false, false}, // datetime
		{"<f16", 'f', 16, false, false},   // long double
		{"|f8", 'f', 8, false, false},     // no byte order on 8 bytes
		{"<", 0, 0, false, false},
		{"", 0, 0, false, false},
	} {
		dt, err := parseDtype(test.descr)
		if (err == nil) != test.ok {
			t.Errorf("parseDtype(%q): err = %v, want ok = %t", test.descr, err, test.ok)
			continue
		}
		if !test.ok {
			continue
		}
		if dt.kind != test.kind || dt.size != test.size || dt.big != test.big {
			t.Errorf("parseDtype(%q) = %c%d big=%t", test.descr, dt.kind, dt.size, dt.big)
		}
	}
}

// BenchmarkWriteNPY writes a 2000×2000 matrix, the size STYLE.md timed for
// buffered and unbuffered writes.
func BenchmarkWriteNPY(b *testing.B) {
	data := make([]float64, 2000*2000)
	for i := range data {
		data[i] = float64(i)
	}
	path := filepath.Join(b.TempDir(), "k.npy")
	b.SetBytes(int64(8 * len(data)))
	for b.Loop() {
		if err := WriteNPY(path, []int{2000, 2000}, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadFeaturesNPY reads a 2000×2000 float64 matrix.
func BenchmarkReadFeaturesNPY(b *testing.B) {
	data := make([]float64, 2000*2000)
	path := filepath.Join(b.TempDir(), "k.npy")
	if err := WriteNPY(path, []int{2000, 2000}, data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(8 * len(data)))
	for b.Loop() {
		if _, err := ReadFeatures(path); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParsePyLiteral checks the parser of .npy header dictionaries on the
// Python literals that NumPy writes, and on some it does not.
func TestParsePyLiteral(t *testing.T) {
	for _, test := range []struct {
		in   string
		want string // fmt's %v of the value, or "error"
	}{
		// What NumPy writes.
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }   \n", "map[descr:<f8 fortran_order:false shape:[3 4]]"},
		// A 1-D shape has a trailing comma; a scalar shape is empty.
		{"{'shape': (3,)}", "map[shape:[3]]"},
		{"{'shape': ()}", "map[shape:[]]"},
		// In Python, (3) is the integer 3, not a tuple.
		{"{'shape': (3)}", "map[shape:3]"},
		// Lists, nested, as in structured dtypes.
		{"{'descr': [('a', '<f8'), ('b', '<i4', (2,))]}", "map[descr:[[a <f8] [b <i4 [2]]]]"},
		// Double quotes, escapes, None and Python 2 longs.
		{`{"a\"b": None, 'c': 5L}`, `map[a"b:<nil> c:5]`},
		// NUL padding, as some writers use.
		{"{}\x00\x00", "map[]"},
		// Errors: unterminated, trailing garbage, floats, unknown names,
		// non-string keys, duplicate keys, deep nesting, huge integers.
		{"{'a': (1, 2}", "error"},
		{"{'a': 'b", "error"},
		{"{} x", "error"},
		{"{'a': 1.5}", "error"},
		{"{'a': true}", "error"},
		{"{1: 2}", "error"},
		{"{'a': 1, 'a': 2}", "error"},
		{"{'a': " + strings.Repeat("(", 20) + strings.Repeat(")", 20) + "}", "error"},
		{"{'a': 99999999999999999999}", "error"},
		{"", "error"},
	} {
		v, err := parsePyLiteral(test.in)
		got := "error"
		if err == nil {
			got = fmt.Sprintf("%v", v)
		}
		if got != test.want {
			t.Errorf("parsePyLiteral(%q) = %s (%v), want %s", test.in, got, err, test.want)
		}
	}
}
