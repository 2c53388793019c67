package dataset

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/ntkmkl/ntkmkl"
)

// The IDX format is described on Yann LeCun's MNIST page: a big-endian
// magic number 0x000008dd (unsigned bytes, dd dimensions), dd big-endian
// uint32 sizes, then the data.
const (
	idxUbyte   = 0x08 // element type: unsigned byte
	imagesDims = 3    // count, rows, columns
	labelsDims = 1    // count
)

// opener opens a named file for reading and returns its size, or -1 when
// the size is not known.
type opener func(name string) (io.ReadCloser, int64, error)

func openOS(name string) (io.ReadCloser, int64, error) {
	return openFile(name)
}

func openFS(fsys fs.FS) opener {
	return func(name string) (io.ReadCloser, int64, error) {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, 0, wrap(name, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, wrap(name, err)
		}
		if fi.IsDir() {
			f.Close()
			return nil, 0, errorf(name, "is a directory, not a file")
		}
		size := int64(-1)
		if fi.Mode().IsRegular() {
			size = fi.Size()
		}
		return f, size, nil
	}
}

// ReadIDX reads an MNIST-format IDX images file and the matching labels
// file, each plain or gzipped (recognised by its first two bytes, not its
// name). Each image becomes a row of X holding its pixels, row by row,
// divided by 255; for MNIST a row has 28×28 = 784 values. The labels file
// must hold one label (a byte, 0 to 255) per image.
func ReadIDX(images, labels string) (Set, error) {
	return readIDXPair(openOS, images, labels)
}

// ReadIDXFS is like ReadIDX, but reads the files from fsys. Error messages
// name the files by their names in fsys.
func ReadIDXFS(fsys fs.FS, images, labels string) (Set, error) {
	return readIDXPair(openFS(fsys), images, labels)
}

// idxNames lists the file names that ReadIDXDir looks for, in its order of
// preference, for each file it reads.
var idxNames = [4][]string{
	{"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte", "train-images.idx3-ubyte.gz"},
	{"train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz", "train-labels.idx1-ubyte", "train-labels.idx1-ubyte.gz"},
	{"t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz", "t10k-images.idx3-ubyte", "t10k-images.idx3-ubyte.gz"},
	{"t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz", "t10k-labels.idx1-ubyte", "t10k-labels.idx1-ubyte.gz"},
}

// ReadIDXDir reads the MNIST training and test sets from the directory dir,
// which holds the files train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte in the IDX format
// (as distributed for MNIST and Fashion-MNIST). Each file may also be
// gzipped and named with a .gz suffix, and may be named with a dot in
// place of the second dash (train-images.idx3-ubyte); when several
// variants are present, the plain name is preferred, then the names in
// that order. See ReadIDX for the layout of the returned sets.
func ReadIDXDir(dir string) (train, test Set, err error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return Set{}, Set{}, wrap(dir, err)
	}
	if !fi.IsDir() {
		return Set{}, Set{}, errorf(dir, "is not a directory")
	}
	var paths [4]string
	for i, names := range idxNames {
		for _, name := range names {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				paths[i] = p
				break
			}
		}
		if paths[i] == "" {
			return Set{}, Set{}, errorf(dir, "has no %s file (nor %s)", names[0], strings.Join(names[1:], ", "))
		}
	}
	if train, err = ReadIDX(paths[0], paths[1]); err != nil {
		return Set{}, Set{}, err
	}
	if test, err = ReadIDX(paths[2], paths[3]); err != nil {
		return Set{}, Set{}, err
	}
	_, m := train.X.Dims()
	_, mt := test.X.Dims()
	if m != mt {
		return Set{}, Set{}, errorf(paths[2], "has images of %d pixels but %s has images of %d", mt, paths[0], m)
	}
	return train, test, nil
}

// Embedded returns the subset of MNIST compiled into the binary
// (ntkmkl.MNIST): the first 5000 training and the first 1000 test digits,
// with pixels divided by 255. Each call returns new matrices.
func Embedded() (train, test Set, err error) {
	const dir = "testdata/mnist"
	read := func(images, labels string) (Set, error) {
		return ReadIDXFS(ntkmkl.MNIST, path.Join(dir, images), path.Join(dir, labels))
	}
	if train, err = read("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"); err != nil {
		return Set{}, Set{}, err
	}
	if test, err = read("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"); err != nil {
		return Set{}, Set{}, err
	}
	return train, test, nil
}

// readIDXPair reads an images file and a labels file opened by open.
func readIDXPair(open opener, images, labels string) (Set, error) {
	dims, pix, err := readIDXFile(open, images, imagesDims)
	if err != nil {
		return Set{}, err
	}
	ldims, lab, err := readIDXFile(open, labels, labelsDims)
	if err != nil {
		return Set{}, err
	}
	n, m := dims[0], dims[1]*dims[2]
	if ldims[0] != n {
		return Set{}, errorf(labels, "holds %d labels but %s holds %d images", ldims[0], images, n)
	}
	x := make([]float64, len(pix))
	for i, p := range pix {
		x[i] = float64(p) / 255
	}
	y := make([]int, n)
	for i, l := range lab {
		y[i] = int(l)
	}
	return Set{X: mat.NewDense(n, m, x), Labels: y}, nil
}

// readIDXFile opens and reads the IDX file name, which must have ndims
// dimensions of unsigned bytes, none of them zero.
func readIDXFile(open opener, name string, ndims int) (dims []int, data []byte, err error) {
	f, size, err := open(name)
	if err != nil {
		return nil, nil, wrap(name, err)
	}
	defer f.Close()
	dims, data, err = readIDX(f, size, ndims)
	if err != nil {
		return nil, nil, wrap(name, err)
	}
	return dims, data, nil
}

// readIDX reads an IDX file of unsigned bytes with ndims dimensions from r,
// which is gzipped if it starts with the gzip magic bytes. size is the size
// of the file, or -1 when it is not known.
func readIDX(r io.Reader, size int64, ndims int) (dims []int, data []byte, err error) {
	br := bufio.NewReaderSize(r, chunkBytes)
	magic, err := br.Peek(2)
	switch {
	case len(magic) == 0 && err == io.EOF:
		return nil, nil, errors.New("file is empty")
	case err == io.EOF:
		return nil, nil, errors.New("truncated: the file holds 1 byte")
	case err != nil:
		return nil, nil, err
	}
	var src io.Reader = br
	gz := magic[0] == 0x1f && magic[1] == 0x8b
	if gz {
		zr, err := gzip.NewReader(br)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, nil, errors.New("truncated gzip header")
		} else if err != nil {
			return nil, nil, fmt.Errorf("corrupt gzip data: %v", err)
		}
		defer zr.Close()
		src, size = zr, -1
	}
	// wrapErr describes a read error, which for gzipped files is most
	// likely corrupt data.
	wrapErr := func(err error) error {
		if gz && err != io.EOF && err != io.ErrUnexpectedEOF {
			return fmt.Errorf("corrupt gzip data: %v", err)
		}
		return err
	}
	what := "the file"
	if gz {
		what = "the decompressed data"
	}

	hdr := make([]byte, 4+4*ndims)
	if k, err := io.ReadFull(src, hdr[:4]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, nil, fmt.Errorf("truncated: %s ends after %d bytes, inside the IDX header", what, k)
		}
		return nil, nil, wrapErr(err)
	}
	kind, afile := "images", "an images file"
	if ndims == labelsDims {
		kind, afile = "labels", "a labels file"
	}
	want := uint32(idxUbyte<<8 | ndims)
	got := binary.BigEndian.Uint32(hdr)
	switch {
	case got>>16 != 0:
		return nil, nil, fmt.Errorf("not an IDX file: magic number %#08x, want %#08x for %s", got, want, afile)
	case got>>8 != idxUbyte:
		return nil, nil, fmt.Errorf("IDX element type %#02x is not supported; want unsigned bytes (0x08)", got>>8)
	case int(got&0xff) != ndims:
		return nil, nil, fmt.Errorf("magic number %#08x is for %d-dimensional data, want %#08x for %s: images and labels swapped?", got, got&0xff, want, afile)
	}
	if k, err := io.ReadFull(src, hdr[4:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, nil, fmt.Errorf("truncated: %s ends after %d bytes, inside the IDX header", what, 4+k)
		}
		return nil, nil, wrapErr(err)
	}
	dims = make([]int, ndims)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(hdr[4+4*i:]))
	}
	desc := describeIDX(dims, kind)
	n := int64(1)
	for i, d := range dims {
		if d == 0 {
			if i == 0 {
				return nil, nil, fmt.Errorf("header says the file holds no %s", kind)
			}
			return nil, nil, fmt.Errorf("header claims %s, with no pixels", desc)
		}
		if n > math.MaxInt/8/int64(d) { // keep 8 bytes per pixel inside int
			return nil, nil, fmt.Errorf("header claims %s: too large", desc)
		}
		n *= int64(d)
	}
	if size >= 0 {
		if have := size - int64(len(hdr)); have != n {
			c, a := sizes(float64(n), have)
			return nil, nil, fmt.Errorf("header claims %s = %s but the file holds %s after the header", desc, c, a)
		}
	}

	// Read the data in chunks, so that memory grows with what is really
	// there, whatever the header claims.
	data = make([]byte, 0, min(n, chunkBytes))
	for int64(len(data)) < n {
		data = slices.Grow(data, int(min(n-int64(len(data)), int64(max(len(data), chunkBytes)))))
		k := min(cap(data), int(n))
		got, err := io.ReadFull(src, data[len(data):k])
		data = data[:len(data)+got]
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				c, a := sizes(float64(n), int64(len(data)))
				return nil, nil, fmt.Errorf("truncated: header claims %s = %s but %s holds %s after the header", desc, c, what, a)
			}
			return nil, nil, wrapErr(err)
		}
	}
	// Reading on to the end checks the gzip checksum, and that there is
	// nothing more than the header says.
	var one [1]byte
	switch _, err := io.ReadFull(src, one[:]); err {
	case io.EOF:
	case nil:
		return nil, nil, fmt.Errorf("header claims %s = %s but %s holds more", desc, humanBytes(float64(n)), what)
	default:
		return nil, nil, wrapErr(err)
	}
	return dims, data, nil
}

// describeIDX describes the dimensions read so far from an IDX header, for
// messages: "5000 images of 28×28" or "5000 labels".
func describeIDX(dims []int, kind string) string {
	if len(dims) != imagesDims {
		return fmt.Sprintf("%d %s", dims[0], kind)
	}
	return fmt.Sprintf("%d images of %d×%d", dims[0], dims[1], dims[2])
}
