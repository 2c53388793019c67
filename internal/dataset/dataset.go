package dataset

import (
	"bufio"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Set is a labelled sample: X is n×m, one sample per row, and Labels has
// length n (nil when no labels were read).
type Set struct {
	X      *mat.Dense
	Labels []int
}

// format returns the format of the file at path, from its extension:
// "npy" or "text".
func format(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npy":
		return "npy", nil
	case ".csv", ".txt":
		return "text", nil
	case "":
		return "", errorf(path, "has no file extension; want .npy, .csv or .txt")
	default:
		return "", errorf(path, "has unsupported extension %q; want .npy, .csv or .txt", ext)
	}
}

// ReadFeatures reads an n×m feature matrix, one sample per row, from the
// file at path, which must have one of these extensions:
//   - .npy: a 2-D array of a float, integer or bool dtype (see ReadNPY), in
//     C or Fortran order;
//   - .csv or .txt: numbers separated by commas (or by blanks, when the first
//     line has no comma), one sample per line, every line with the same
//     number of values. The first line is taken as a header and skipped
//     when none of its fields is a number.
//
// Every value must be finite, and there must be at least one sample and one
// feature.
func ReadFeatures(path string) (*mat.Dense, error) {
	kind, err := format(path)
	if err != nil {
		return nil, err
	}
	if kind == "text" {
		f, _, err := openFile(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		data, n, m, err := readTable(bufio.NewReaderSize(f, chunkBytes))
		if err != nil {
			return nil, wrap(path, err)
		}
		return mat.NewDense(n, m, data), nil
	}

	f, r, h, err := openNPY(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkFeatureShape(h.shape); err != nil {
		return nil, wrap(path, err)
	}
	data, err := h.readFloats(r)
	if err != nil {
		return nil, wrap(path, err)
	}
	if h.dtype.kind == 'f' {
		for i, v := range data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, errorf(path, "element %s is %v; features must be finite", indexString(unravel(i, h.shape)), v)
			}
		}
	}
	return mat.NewDense(h.shape[0], h.shape[1], data), nil
}

// checkFeatureShape checks that a .npy array has the shape of a feature
// matrix, (n_samples, n_features), with neither zero.
func checkFeatureShape(shape []int) error {
	const want = "features must be a 2-D array of shape (n_samples, n_features)"
	switch len(shape) {
	case 0:
		return fmt.Errorf("holds a scalar, shape (); %s", want)
	case 1:
		return fmt.Errorf("holds a 1-D array of shape %s; %s: use (%d, 1) for one feature per sample", shapeString(shape), want, shape[0])
	case 2:
	default:
		flat := 1
		for _, d := range shape[1:] {
			flat *= d
			if flat > math.MaxInt32 {
				break
			}
		}
		return fmt.Errorf("holds a %d-D array of shape %s; %s: reshape it to (%d, %d)", len(shape), shapeString(shape), want, shape[0], flat)
	}
	switch {
	case shape[0] == 0:
		return fmt.Errorf("holds no samples: shape %s", shapeString(shape))
	case shape[1] == 0:
		return fmt.Errorf("holds no features: shape %s", shapeString(shape))
	}
	return nil
}

// ReadLabels reads n non-negative integer class labels from the file at
// path, which must have one of these extensions:
//   - .npy: an array of shape (n,) or (n, 1), of an integer or bool dtype,
//     or of a float dtype whose values are all integers;
//   - .csv or .txt: one label per line, written as an integer (or as a
//     float with no fraction, such as 3.0), with an optional header line.
//
// There must be at least one label.
func ReadLabels(path string) ([]int, error) {
	kind, err := format(path)
	if err != nil {
		return nil, err
	}
	if kind == "text" {
		f, _, err := openFile(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		labels, err := readLabelText(bufio.NewReaderSize(f, chunkBytes))
		if err != nil {
			return nil, wrap(path, err)
		}
		return labels, nil
	}

	f, r, h, err := openNPY(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if len(h.shape) != 1 && (len(h.shape) != 2 || h.shape[1] != 1) {
		return nil, errorf(path, "holds an array of shape %s; labels must have shape (n,) or (n, 1)", shapeString(h.shape))
	}
	if h.shape[0] == 0 {
		return nil, errorf(path, "holds no labels: shape %s", shapeString(h.shape))
	}
	labels, err := h.readLabels(r)
	if err != nil {
		return nil, wrap(path, err)
	}
	return labels, nil
}

// Join reads features from xPath with ReadFeatures and labels from yPath
// with ReadLabels, and checks that they describe the same number of
// samples.
func Join(xPath, yPath string) (Set, error) {
	x, err := ReadFeatures(xPath)
	if err != nil {
		return Set{}, err
	}
	y, err := ReadLabels(yPath)
	if err != nil {
		return Set{}, err
	}
	if n, _ := x.Dims(); n != len(y) {
		return Set{}, errorf(xPath, "has %d samples but %s has %d labels", n, yPath, len(y))
	}
	return Set{X: x, Labels: y}, nil
}
