package dataset

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestReadFeaturesText reads small text tables.
func TestReadFeaturesText(t *testing.T) {
	want := mat.NewDense(2, 3, []float64{1, 2.5, -3, 4e-3, 0, 6})
	for _, test := range []struct {
		name    string
		file    string
		content string
	}{
		// Plain comma-separated values.
		{"csv", "x.csv", "1,2.5,-3\n4e-3,0,6\n"},
		// A header of names on the first line is skipped.
		{"header", "x.csv", "a,b,c\n1,2.5,-3\n4e-3,0,6\n"},
		// Quoted names and an empty name (as pandas writes an index
		// column) still make a header.
		{"pandas header", "x.csv", "\"a\",,c\n1,2.5,-3\n4e-3,0,6\n"},
		// Quoted values, as some spreadsheets write them.
		{"quoted", "x.csv", "\"1\",\"2.5\",\"-3\"\n\"4e-3\",\"0\",\"6\"\n"},
		// Blanks around values, CRLF line ends, a byte order mark, no
		// final newline, and blank lines at the end.
		{"spacing", "x.csv", "\ufeff 1 , 2.5,-3\r\n4e-3, 0 ,6\r\n\r\n\n"},
		// A .txt file separated by blanks, as numpy.savetxt writes it.
		{"savetxt", "x.txt", "1.000000000000000000e+00 2.5 -3\n4e-3\t0    6\n"},
		// Blank lines before the data are skipped.
		{"leading blank", "x.txt", "\n\n1,2.5,-3\n4e-3,0,6"},
		// Upper-case extension.
		{"upper-case", "X.CSV", "1,2.5,-3\n4e-3,0,6\n"},
	} {
		t.Run(test.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), test.file, []byte(test.content))
			got, err := ReadFeatures(path)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.Equal(got, want) {
				t.Errorf("got\n%v\nwant\n%v", mat.Formatted(got), mat.Formatted(want))
			}
		})
	}
}

// TestReadLabels reads labels from text and .npy files.
func TestReadLabels(t *testing.T) {
	want := []int{5, 0, 4, 1, 9}
	for _, test := range []struct {
		name    string
		file    string
		content []byte
	}{
		// One label per line.
		{"csv", "y.csv", []byte("5\n0\n4\n1\n9\n")},
		// With a header, written as floats, with blank lines at the end.
		{"header", "y.txt", []byte("label\n5.0\n0\n4e0\n1\n9\n\n")},
		// npyio's int64 (n,) array.
		{"int64", "y.npy", npyioBytes(t, []int64{5, 0, 4, 1, 9})},
		// npyio's uint8 array, as in MNIST.
		{"uint8", "y.npy", npyioBytes(t, []uint8{5, 0, 4, 1, 9})},
		// A float array whose values are all integers.
		{"float64", "y.npy", npyioBytes(t, []float64{5, 0, 4, 1, 9})},
		// A float32 column vector, shape (n, 1).
		{"column", "y.npy", npyioBytes(t, [5][1]float32{{5}, {0}, {4}, {1}, {9}})},
		// Big-endian int32.
		{"big-endian", "y.npy", rawNPY(1, "{'descr': '>i4', 'fortran_order': False, 'shape': (5,), }",
			[]byte{0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 9})},
	} {
		t.Run(test.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), test.file, test.content)
			got, err := ReadLabels(path)
			if err != nil {
				t.Fatal(err)
			}
			if !sameInts(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// TestJoin reads features and labels together.
func TestJoin(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "x.npy")
	if err := WriteNPY(x, []int{3, 2}, []float64{1, 2, 3, 4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	y := writeFile(t, dir, "y.csv", []byte("1\n0\n1\n"))
	s, err := Join(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if r, c := s.X.Dims(); r != 3 || c != 2 || !sameInts(s.Labels, []int{1, 0, 1}) {
		t.Errorf("Join = %d×%d, %v", r, c, s.Labels)
	}
}

// BenchmarkReadFeaturesCSV reads a 1000×784 table of short numbers.
func BenchmarkReadFeaturesCSV(b *testing.B) {
	var sb strings.Builder
	for i := range 1000 {
		for j := range 784 {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatFloat(float64(i*j%255)/255, 'g', 6, 64))
		}
		sb.WriteByte('\n')
	}
	path := writeFile(b, b.TempDir(), "x.csv", []byte(sb.String()))
	b.SetBytes(int64(sb.Len()))
	for b.Loop() {
		if _, err := ReadFeatures(path); err != nil {
			b.Fatal(err)
		}
	}
}
