package dataset

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMalformed checks that each bad input gives an error, not a panic,
// whose message starts with the path of the file at fault and says what is
// wrong.
func TestMalformed(t *testing.T) {
	le := f8le
	validNPY := rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", le(1, 2, 3, 4))
	goodImages := idxBytes(0, []uint32{2, 2, 2}, make([]byte, 8))
	goodLabels := idxBytes(0, []uint32{2}, []byte{1, 2})

	const (
		features = iota
		labels
		npyAny
		idxImages // the file is the images file, read with goodLabels
		idxLabels // the file is the labels file, read with goodImages
	)
	for _, test := range []struct {
		name    string
		file    string // file name; its content is written unless missing
		content []byte
		missing bool
		read    int
		want    string // a part of the message after the path
		exact   bool   // whether want is all of the message after the path
	}{
		// .npy files.

		// A file of zero bytes.
		{name: "empty npy", file: "x.npy", content: nil, read: features, want: "file is empty"},
		// A file that is not .npy at all.
		{name: "not npy", file: "x.npy", content: []byte("1,2,3\n"), read: features, want: "not a .npy file"},
		// The file ends inside the header.
		{name: "truncated header", file: "x.npy", content: validNPY[:40], read: features, want: "truncated"},
		// The file ends inside the data.
		{name: "truncated data", file: "x.npy", content: validNPY[:len(validNPY)-3], read: features,
			want: "header claims shape (2, 2) of float64 = 32 bytes but the file holds 29 bytes of array data"},
		// The header claims a huge array: refused before anything is
		// allocated (the test would run out of memory otherwise).
		{name: "huge claim", file: "x.npy", read: features,
			content: rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 784), }", le(1, 2)),
			want:    "header claims shape (1000000000000, 784) of float64 = 6.3 PB but the file holds 16 bytes of array data"},
		// A claim whose byte count overflows int64.
		{name: "overflowing claim", file: "x.npy", read: npyAny,
			content: rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807, 9223372036854775807), }", nil),
			want:    "header claims shape (9223372036854775807, 9223372036854775807) of float64 = more than 9.2 EB but the file holds 0 bytes"},
		// More data than the header says.
		{name: "trailing data", file: "x.npy", content: append(validNPY[:len(validNPY):len(validNPY)], 0, 0, 0, 0, 0, 0, 0, 0), read: features,
			want: "trailing data or wrong shape"},
		// complex128 has no float64 value.
		{name: "complex128", file: "x.npy", read: features,
			content: rawNPY(1, "{'descr': '<c16', 'fortran_order': False, 'shape': (1, 1), }", make([]byte, 16)),
			want:    `dtype "<c16" (16-byte complex) is not supported`},
		// Strings are not numbers.
		{name: "unicode", file: "x.npy", read: features,
			content: rawNPY(1, "{'descr': '<U10', 'fortran_order': False, 'shape': (1, 1), }", make([]byte, 40)),
			want:    `dtype "<U10" (10-byte unicode string) is not supported`},
		// Python objects need pickle.
		{name: "object", file: "x.npy", read: npyAny,
			content: rawNPY(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", make([]byte, 8)),
			want:    `dtype "|O" (Python object) is not supported`},
		// A structured dtype.
		{name: "structured", file: "x.npy", read: npyAny,
			content: rawNPY(1, "{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }", make([]byte, 12)),
			want:    "structured (record) dtypes are not supported"},
		// Features must be 2-D; the message names the shape to use.
		{name: "1-D features", file: "x.npy", read: features,
			content: rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", le(1, 2, 3)),
			want:    "holds a 1-D array of shape (3,); features must be a 2-D array of shape (n_samples, n_features): use (3, 1)"},
		// Images left as 3-D arrays.
		{name: "3-D features", file: "x.npy", read: features,
			content: rawNPY(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 3), }", make([]byte, 12)),
			want:    "reshape it to (2, 6)"},
		// A scalar is not a matrix.
		{name: "0-D features", file: "x.npy", read: features,
			content: rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", le(1)),
			want:    "holds a scalar"},
		// Zero rows.
		{name: "no samples", file: "x.npy", read: features,
			content: rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", nil),
			want:    "holds no samples"},
		// NaN in features, named by its index.
		{name: "NaN feature", file: "x.npy", read: features,
			content: rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", le(1, 2, 3, nan)),
			want:    "element [1, 1] is NaN; features must be finite"},
		// +Inf in features, in Fortran order: the index is the logical one.
		{name: "Inf feature", file: "x.npy", read: features,
			content: rawNPY(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", le(1, 2, inf, 4)),
			want:    "element [0, 1] is +Inf"},
		// A header that is not a dictionary.
		{name: "bad header", file: "x.npy", read: npyAny,
			content: rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), ", le(1, 2, 3, 4)),
			want:    "invalid header"},
		// A negative dimension.
		{name: "negative dimension", file: "x.npy", read: npyAny,
			content: rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2), }", nil),
			want:    "invalid dimension -1"},
		// An unknown format version.
		{name: "version 9", file: "x.npy", read: npyAny, content: append([]byte("\x93NUMPY\x09\x00"), validNPY[8:]...),
			want: ".npy format version 9.0 is not supported"},

		// Text features.

		// An empty file.
		{name: "empty csv", file: "x.csv", content: nil, read: features, want: "file is empty"},
		// Only a header.
		{name: "header only", file: "x.csv", content: []byte("a,b\n"), read: features, want: "no data after the header on line 1"},
		// Rows of different lengths.
		{name: "ragged", file: "x.csv", content: []byte("1,2,3\n4,5,6\n7,8\n"), read: features, want: "line 3 has 2 values but line 1 has 3"},
		// A word among numbers.
		{name: "non-numeric", file: "x.csv", content: []byte("1,2,3\n4,five,6\n"), read: features, want: `line 2, column 2: "five" is not a number`},
		// A non-numeric cell in a first line that is not all names.
		{name: "non-numeric first line", file: "x.csv", content: []byte("1,x,3\n4,5,6\n"), read: features,
			want: `line 1, column 2: "x" is not a number (a header line is skipped only if none of its names is a number)`},
		// A header after the first line is data, and not numbers.
		{name: "late header", file: "x.csv", content: []byte("1,2\na,b\n"), read: features, want: `line 2, column 1: "a" is not a number`},
		// An empty cell.
		{name: "empty cell", file: "x.csv", content: []byte("1,2\n3,\n"), read: features, want: "line 2, column 2: empty value"},
		// NaN and infinities, which ParseFloat accepts.
		{name: "NaN cell", file: "x.csv", content: []byte("1,2\n3,NaN\n"), read: features, want: `line 2, column 2: value "NaN" is not finite`},
		{name: "Inf cell", file: "x.txt", content: []byte("1 -inf\n"), read: features, want: `line 1, column 2: value "-inf" is not finite`, exact: true},
		// A value beyond float64.
		{name: "overflow cell", file: "x.csv", content: []byte("1e400\n"), read: features, want: `line 1, column 1: value "1e400" is out of the float64 range`},
		// A blank line in the middle is a missing row.
		{name: "blank row", file: "x.csv", content: []byte("1,2\n\n3,4\n"), read: features, want: "line 2 is blank: missing row?"},
		// A header that does not match the data.
		{name: "header mismatch", file: "x.csv", content: []byte("a,b,c\n1,2\n"), read: features, want: "line 1 (header) has 3 names but line 2 has 2 values"},
		// An unknown extension.
		{name: "extension", file: "x.json", content: []byte("[1]"), read: features, want: `unsupported extension ".json"`},
		{name: "no extension", file: "x", content: []byte("1"), read: labels, want: "has no file extension"},

		// Labels.

		// A negative label in a text file.
		{name: "negative label", file: "y.csv", content: []byte("1\n-1\n"), read: labels, want: "line 2: label -1 is negative"},
		// A fractional label.
		{name: "fractional label", file: "y.csv", content: []byte("1\n2.5\n"), read: labels, want: "line 2: label 2.5 is not an integer"},
		// NaN as a label.
		{name: "NaN label", file: "y.txt", content: []byte("nan\n"), read: labels, want: "line 1: label is NaN"},
		// A missing label in the middle.
		{name: "missing label", file: "y.csv", content: []byte("1\n\n2\n"), read: labels, want: "line 2 is blank: missing label?"},
		// Two values on a line.
		{name: "two labels", file: "y.csv", content: []byte("1\n2,3\n"), read: labels, want: "line 2 has 2 values; want one label per line"},
		// A word as a label after the first line.
		{name: "word label", file: "y.csv", content: []byte("1\ncat\n"), read: labels, want: `line 2: label "cat" is not a number`},
		// An empty labels file.
		{name: "empty labels", file: "y.csv", content: []byte("\n\n"), read: labels, want: "file is empty"},
		// Negative .npy labels, named by index.
		{name: "negative npy label", file: "y.npy", read: labels,
			content: rawNPY(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", []byte{1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
			want:    "element [1]: label -1 is negative"},
		// Fractional .npy labels.
		{name: "fractional npy label", file: "y.npy", read: labels,
			content: rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", le(1, 0.5)),
			want:    "element [1]: label 0.5 is not an integer"},
		// NaN .npy labels.
		{name: "NaN npy label", file: "y.npy", read: labels,
			content: rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", le(nan)),
			want:    "element [0]: label is NaN"},
		// uint64 labels beyond int.
		{name: "huge npy label", file: "y.npy", read: labels,
			content: rawNPY(1, "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
			want:    "element [0]: label 18446744073709551615 is too large"},
		// A label matrix is not a vector.
		{name: "2-D labels", file: "y.npy", read: labels,
			content: rawNPY(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }", make([]byte, 16)),
			want:    "labels must have shape (n,) or (n, 1)"},

		// IDX files.

		// The magic of another format.
		{name: "IDX wrong magic", file: "images", content: append([]byte{0x12, 0x34, 0x08, 0x03}, goodImages[4:]...), read: idxImages,
			want: "not an IDX file: magic number 0x12340803, want 0x00000803 for an images file"},
		// A labels file given as the images file.
		{name: "IDX swapped", file: "images", content: goodLabels, read: idxImages,
			want: "magic number 0x00000801 is for 1-dimensional data, want 0x00000803 for an images file: images and labels swapped?"},
		// A float IDX file.
		{name: "IDX element type", file: "images", content: append([]byte{0, 0, 0x0d, 3}, goodImages[4:]...), read: idxImages,
			want: "IDX element type 0x0d is not supported"},
		// A header count that the data do not match.
		{name: "IDX wrong count", file: "images", content: idxBytes(0, []uint32{3, 2, 2}, make([]byte, 8)), read: idxImages,
			want: "header claims 3 images of 2×2 = 12 bytes but the file holds 8 bytes after the header"},
		// A huge count, gzipped so that the size is not known in advance.
		{name: "IDX huge count gzip", file: "images", content: gz(idxBytes(0, []uint32{1 << 31, 1 << 12, 1 << 12}, make([]byte, 8))), read: idxImages,
			want: "truncated: header claims 2147483648 images of 4096×4096 = 36.0 PB but the decompressed data holds 8 bytes after the header"},
		// A count whose byte size overflows.
		{name: "IDX overflowing count", file: "images", content: idxBytes(0, []uint32{1<<32 - 1, 1<<32 - 1, 1<<32 - 1}, nil), read: idxImages,
			want: "header claims 4294967295 images of 4294967295×4294967295: too large"},
		// A large count, gzipped: found out while reading.
		{name: "IDX truncated gzip", file: "images", content: gz(idxBytes(0, []uint32{100000, 28, 28}, make([]byte, 8))), read: idxImages,
			want: "truncated: header claims 100000 images of 28×28 = 78.4 MB but the decompressed data holds 8 bytes after the header"},
		// Labels and images counts differ; both files are named.
		{name: "IDX label count", file: "labels", content: idxBytes(0, []uint32{3}, []byte{1, 2, 3}), read: idxLabels,
			want: "holds 3 labels but "},
		// A gzip stream cut short.
		{name: "IDX cut gzip", file: "images", content: gz(goodImages)[:20], read: idxImages, want: "truncated"},
		// A gzip stream whose checksum is wrong.
		{name: "IDX corrupt gzip", file: "images", content: corruptGzip(goodImages), read: idxImages, want: "corrupt gzip data"},
		// A gzip header and nothing else.
		{name: "IDX bad gzip header", file: "labels", content: []byte{0x1f, 0x8b, 0x08}, read: idxLabels, want: "truncated gzip header"},
		// An empty IDX file.
		{name: "IDX empty", file: "labels", content: nil, read: idxLabels, want: "file is empty"},
		// A header with no images.
		{name: "IDX zero images", file: "images", content: idxBytes(0, []uint32{0, 28, 28}, nil), read: idxImages, want: "header says the file holds no images"},

		// Missing files, for each reader.
		{name: "missing features", file: "x.npy", missing: true, read: features, want: "cannot open: no such file or directory"},
		{name: "missing labels", file: "y.csv", missing: true, read: labels, want: "cannot open: no such file or directory"},
		{name: "missing npy", file: "a.npy", missing: true, read: npyAny, want: "cannot open: no such file or directory"},
		{name: "missing IDX", file: "images", missing: true, read: idxImages, want: "cannot open: no such file or directory"},
	} {
		t.Run(test.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, test.file)
			if !test.missing {
				writeFile(t, dir, test.file, test.content)
			}
			var err error
			switch test.read {
			case features:
				_, err = ReadFeatures(path)
			case labels:
				_, err = ReadLabels(path)
			case npyAny:
				_, _, err = ReadNPY(path)
			case idxImages:
				_, err = ReadIDX(path, writeFile(t, dir, "good-labels", goodLabels))
			case idxLabels:
				_, err = ReadIDX(writeFile(t, dir, "good-images", goodImages), path)
			}
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, path+": ") {
				t.Errorf("message %q does not start with the path %q", msg, path)
			}
			if !strings.Contains(msg, test.want) {
				t.Errorf("message %q does not say %q", msg, test.want)
			}
			if test.exact && msg != path+": "+test.want {
				t.Errorf("message %q, want %q", msg, path+": "+test.want)
			}
			if test.missing && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %v is not fs.ErrNotExist", err)
			}
		})
	}
}

// TestJoinMismatch checks that Join names both files and both counts.
func TestJoinMismatch(t *testing.T) {
	dir := t.TempDir()
	x := writeFile(t, dir, "x.csv", []byte("1,2\n3,4\n5,6\n"))
	y := writeFile(t, dir, "y.csv", []byte("0\n1\n"))
	_, err := Join(x, y)
	if err == nil {
		t.Fatal("no error")
	}
	if want := x + ": has 3 samples but " + y + " has 2 labels"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	// A directory is not a file.
	if _, err := ReadFeatures(dir + "/sub.csv"); err == nil {
		t.Error("no error for a missing file")
	}
	sub := filepath.Join(dir, "d.csv")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFeatures(sub); err == nil || err.Error() != sub+": is a directory, not a file" {
		t.Errorf("directory: %v", err)
	}
}
