package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/ntkmkl/ntkmkl/internal/dataset"
	"github.com/ntkmkl/ntkmkl/internal/prep"
	"github.com/urfave/cli/v2"
	"gonum.org/v1/gonum/mat"
)

// embeddedTrain is how many embedded digits fit uses by default: enough for
// ≥ 0.90 test accuracy, small enough for a few minutes on 2 cores.
const embeddedTrain = 2000

// dataFlags are the flags that choose and prepare the data.
func dataFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "train-x", Usage: "training features: .npy (n×m float32/float64/uint8/int) or .csv (one sample a row)", Category: "data"},
		&cli.StringFlag{Name: "train-y", Usage: "training labels: .npy (n integers) or .csv (one label a line)", Category: "data"},
		&cli.StringFlag{Name: "test-x", Usage: "test features (same formats)", Category: "data"},
		&cli.StringFlag{Name: "test-y", Usage: "test labels (same formats)", Category: "data"},
		&cli.StringFlag{Name: "idx-dir", Usage: "folder with the four MNIST-format IDX files (plain or .gz), e.g. full MNIST or Fashion-MNIST", Category: "data"},
		&cli.IntFlag{Name: "n-train", Usage: fmt.Sprintf("use this many training points, a seeded random subset (0: all of a given file or folder; %d of the embedded digits)", embeddedTrain), Category: "data"},
		&cli.IntFlag{Name: "n-test", Usage: "use this many test points, a seeded random subset (0: all)", Category: "data"},
		&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the subsets", Category: "data"},
		&cli.StringFlag{Name: "normalize", Value: string(prep.Unit), Usage: "input normalization, fitted on the training set: none, unit (each input to norm 1) or standardize (per-feature z-score)", Category: "data"},
		&cli.StringFlag{Name: "targets", Value: "onehot", Usage: "regression targets: onehot ({0,1}) or centered (1−1/d and −1/d)", Category: "data"},
		&cli.Float64Flag{Name: "val-fraction", Value: 0.2, Usage: "with --objective val: the fraction of the training set held out for Ω (stratified, seeded)", Category: "data"},
		&cli.StringFlag{Name: "val-x", Usage: "with --objective val: validation features instead of a split", Category: "data"},
		&cli.StringFlag{Name: "val-y", Usage: "with --objective val: validation labels", Category: "data"},
	}
}

// inputFile records one file a result was computed from.
type inputFile struct {
	Role   string `json:"role"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// data is the prepared training and test data.
type data struct {
	Source     string          `json:"source"`
	Inputs     []inputFile     `json:"files,omitempty"`
	NTrain     int             `json:"n_train"`
	NVal       int             `json:"n_val,omitempty"`
	ValSource  string          `json:"val_source,omitempty"`
	NTest      int             `json:"n_test"`
	Features   int             `json:"features"`
	Normalizer prep.Normalizer `json:"-"`

	trainRaw *mat.Dense // as read, before normalization (kept for predict)
	train    dataset.Set
	val      *dataset.Set // normalized; nil unless --objective val
	test     *dataset.Set // nil without test data
}

// loadData reads the data the flags name, takes the subsets and fits the
// normalization. Every failure is bad input (exit 2).
func loadData(c *cli.Context) (*data, error) {
	norm, err := prep.ParseNormalization(c.String("normalize"))
	if err != nil {
		return nil, usagef("--normalize: %v", err)
	}
	for _, f := range []string{"n-train", "n-test"} {
		if c.Int(f) < 0 {
			return nil, usagef("--%s %d: must be ≥ 0", f, c.Int(f))
		}
	}
	d := &data{}
	var train, test dataset.Set
	haveTest := true
	nTrain := c.Int("n-train")
	switch {
	case c.IsSet("train-x") || c.IsSet("train-y"):
		if c.IsSet("idx-dir") {
			return nil, usagef("--idx-dir and --train-x: give one source of training data")
		}
		if c.String("train-x") == "" || c.String("train-y") == "" {
			return nil, usagef("--train-x and --train-y go together")
		}
		if train, err = readSet(d, "train", c.String("train-x"), c.String("train-y")); err != nil {
			return nil, err
		}
		d.Source = "files"
		switch {
		case c.IsSet("test-x") != c.IsSet("test-y"):
			return nil, usagef("--test-x and --test-y go together")
		case c.IsSet("test-x"):
			if test, err = readSet(d, "test", c.String("test-x"), c.String("test-y")); err != nil {
				return nil, err
			}
		default:
			haveTest = false
		}
	case c.IsSet("test-x") || c.IsSet("test-y"):
		return nil, usagef("--test-x/--test-y need --train-x and --train-y")
	case c.IsSet("idx-dir"):
		if train, test, err = dataset.ReadIDXDir(c.String("idx-dir")); err != nil {
			return nil, badInput(err)
		}
		d.Source = "idx:" + c.String("idx-dir")
	default:
		if train, test, err = dataset.Embedded(); err != nil {
			return nil, err
		}
		d.Source = "embedded MNIST (GoMNIST module data, first 5000 training and 1000 test digits)"
		if nTrain == 0 {
			nTrain = embeddedTrain
		}
	}
	_, m := train.X.Dims()
	if haveTest {
		if _, mt := test.X.Dims(); mt != m {
			return nil, usagef("test features have %d columns, training features %d: they must describe the same features", mt, m)
		}
	}
	nAll, _ := train.X.Dims()
	if nTrain > nAll {
		return nil, usagef("--n-train %d: the training data has only %d points", nTrain, nAll)
	}
	train.X, train.Labels = prep.Rows(train.X, train.Labels, prep.Subset(nAll, nTrain, c.Uint64("seed")))
	if haveTest {
		nt, _ := test.X.Dims()
		if c.Int("n-test") > nt {
			return nil, usagef("--n-test %d: the test data has only %d points", c.Int("n-test"), nt)
		}
		test.X, test.Labels = prep.Rows(test.X, test.Labels, prep.Subset(nt, c.Int("n-test"), c.Uint64("seed")+1))
		d.test = &test
		d.NTest = len(test.Labels)
	}
	if classes := prep.Classes(train.Labels); len(classes) < 2 {
		return nil, usagef("the training labels hold a single class (%v): classification needs at least two", classes)
	}
	if err := splitValidation(c, d, &train, m); err != nil {
		return nil, err
	}
	d.trainRaw = mat.DenseCopyOf(train.X)
	d.Normalizer = prep.Fit(norm, train.X)
	d.Normalizer.Apply(train.X)
	if d.val != nil {
		d.Normalizer.Apply(d.val.X)
	}
	d.train = train
	d.NTrain, d.Features = len(train.Labels), m
	return d, nil
}

// splitValidation sets d.val for --objective val: the files --val-x and
// --val-y, or a stratified seeded split of the training set, taken before
// the normalization is fitted so that it sees the training split only.
func splitValidation(c *cli.Context, d *data, train *dataset.Set, m int) error {
	given := c.IsSet("val-x") || c.IsSet("val-y")
	if c.String("objective") != "val" {
		if given || c.IsSet("val-fraction") {
			return usagef("--val-fraction, --val-x and --val-y go with --objective val")
		}
		return nil
	}
	if given {
		if c.String("val-x") == "" || c.String("val-y") == "" {
			return usagef("--val-x and --val-y go together")
		}
		v, err := readSet(d, "val", c.String("val-x"), c.String("val-y"))
		if err != nil {
			return err
		}
		if _, mv := v.X.Dims(); mv != m {
			return usagef("--val-x has %d columns, the training features %d", mv, m)
		}
		d.val, d.ValSource = &v, "files"
	} else {
		frac := c.Float64("val-fraction")
		if !(frac > 0 && frac < 1) {
			return usagef("--val-fraction %v: must be in (0, 1)", frac)
		}
		tr, va := prep.StratifiedSplit(train.Labels, frac, c.Uint64("seed")+2)
		var v dataset.Set
		v.X, v.Labels = prep.Rows(train.X, train.Labels, va)
		train.X, train.Labels = prep.Rows(train.X, train.Labels, tr)
		d.val, d.ValSource = &v, fmt.Sprintf("stratified %.3g of the training set (seed %d)", frac, c.Uint64("seed")+2)
	}
	d.NVal = len(d.val.Labels)
	if d.NVal == 0 {
		return usagef("the validation split is empty: raise --val-fraction")
	}
	if classes := prep.Classes(train.Labels); len(classes) < 2 {
		return usagef("the training split holds a single class: lower --val-fraction")
	}
	return nil
}

// readSet reads features and labels, checks they match, and fingerprints
// both files.
func readSet(d *data, role, xPath, yPath string) (dataset.Set, error) {
	s, err := dataset.Join(xPath, yPath)
	if err != nil {
		return s, badInput(err)
	}
	for _, f := range []struct{ role, path string }{{role + "-x", xPath}, {role + "-y", yPath}} {
		in, err := fingerprint(f.role, f.path)
		if err != nil {
			return s, badInput(err)
		}
		d.Inputs = append(d.Inputs, in)
	}
	return s, nil
}

// fingerprint returns the SHA-256 of a file.
func fingerprint(role, path string) (inputFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return inputFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return inputFile{}, fmt.Errorf("%s: %w", path, err)
	}
	abs, _ := filepath.Abs(path)
	return inputFile{Role: role, Path: abs, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}, nil
}

// testAgainst returns the test labels and which of them are classes of the
// model; labels unseen in training are counted as errors and reported.
func unseenLabels(test, classes []int) []int {
	var unseen []int
	for _, l := range test {
		if _, ok := slices.BinarySearch(classes, l); !ok && !slices.Contains(unseen, l) {
			unseen = append(unseen, l)
		}
	}
	slices.Sort(unseen)
	return unseen
}

// finiteOrNull turns NaN into a JSON null.
func finiteOrNull(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
