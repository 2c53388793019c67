package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestReadIDX reads tiny IDX files, plain and gzipped.
func TestReadIDX(t *testing.T) {
	// Two 2×3 images and their labels.
	pix := []byte{0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 255}
	images := idxBytes(0, []uint32{2, 2, 3}, pix)
	labels := idxBytes(0, []uint32{2}, []byte{7, 3})
	for _, test := range []struct {
		name           string
		images, labels []byte
		imgName        string
	}{
		// Plain files.
		{"plain", images, labels, "img"},
		// Gzipped files, recognised by content, not by name.
		{"gzip", gz(images), gz(labels), "img"},
		// One of each, with a misleading name.
		{"mixed", gz(images), labels, "img.gz"},
	} {
		t.Run(test.name, func(t *testing.T) {
			dir := t.TempDir()
			ip := writeFile(t, dir, test.imgName, test.images)
			lp := writeFile(t, dir, "lbl", test.labels)
			s, err := ReadIDX(ip, lp)
			if err != nil {
				t.Fatal(err)
			}
			if r, c := s.X.Dims(); r != 2 || c != 6 {
				t.Fatalf("X is %d×%d, want 2×6", r, c)
			}
			for i, p := range pix {
				if got, want := s.X.RawMatrix().Data[i], float64(p)/255; got != want {
					t.Errorf("pixel %d = %v, want %v", i, got, want)
				}
			}
			if !sameInts(s.Labels, []int{7, 3}) {
				t.Errorf("labels %v, want [7 3]", s.Labels)
			}

			// The same from an fs.FS.
			fsys := fstest.MapFS{"d/i": {Data: test.images}, "d/l": {Data: test.labels}}
			s2, err := ReadIDXFS(fsys, "d/i", "d/l")
			if err != nil {
				t.Fatal(err)
			}
			if !sameFloats(s2.X.RawMatrix().Data, s.X.RawMatrix().Data) || !sameInts(s2.Labels, s.Labels) {
				t.Error("ReadIDXFS differs from ReadIDX")
			}
		})
	}
}

// TestReadIDXDir reads a directory laid out like the MNIST distribution,
// with the name variants ReadIDXDir accepts.
func TestReadIDXDir(t *testing.T) {
	dir := t.TempDir()
	img := func(n uint32) []byte { return idxBytes(0, []uint32{n, 28, 28}, make([]byte, n*784)) }
	lbl := func(n uint32) []byte { return idxBytes(0, []uint32{n}, make([]byte, n)) }
	writeFile(t, dir, "train-images-idx3-ubyte.gz", gz(img(3))) // gzipped
	writeFile(t, dir, "train-labels-idx1-ubyte", lbl(3))        // plain
	writeFile(t, dir, "t10k-images.idx3-ubyte", img(2))         // dotted name
	writeFile(t, dir, "t10k-labels.idx1-ubyte.gz", gz(lbl(2)))  // dotted, gzipped
	writeFile(t, dir, "t10k-labels-idx1-ubyte.gz", gz(lbl(1)))  // preferred to the dotted name: mismatch
	_, _, err := ReadIDXDir(dir)
	if err == nil || !strings.Contains(err.Error(), "holds 1 labels but") {
		t.Fatalf("ReadIDXDir preferred the wrong name: %v", err)
	}
	os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	train, test, err := ReadIDXDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r, c := train.X.Dims(); r != 3 || c != 784 || len(train.Labels) != 3 {
		t.Errorf("train is %d×%d with %d labels", r, c, len(train.Labels))
	}
	if r, c := test.X.Dims(); r != 2 || c != 784 || len(test.Labels) != 2 {
		t.Errorf("test is %d×%d with %d labels", r, c, len(test.Labels))
	}

	// A missing file is named with the directory.
	os.Remove(filepath.Join(dir, "t10k-images.idx3-ubyte"))
	_, _, err = ReadIDXDir(dir)
	if err == nil || !strings.HasPrefix(err.Error(), dir+": has no t10k-images-idx3-ubyte file") {
		t.Errorf("missing file: %v", err)
	}
	// Test images of another size.
	writeFile(t, dir, "t10k-images-idx3-ubyte", idxBytes(0, []uint32{2, 2, 2}, make([]byte, 8)))
	_, _, err = ReadIDXDir(dir)
	if err == nil || !strings.Contains(err.Error(), "has images of 4 pixels but") {
		t.Errorf("image size mismatch: %v", err)
	}
	// A missing directory.
	_, _, err = ReadIDXDir(filepath.Join(dir, "nope"))
	if err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "nope")+":") {
		t.Errorf("missing directory: %v", err)
	}
}

// TestEmbedded checks the MNIST subset compiled into the binary.
func TestEmbedded(t *testing.T) {
	train, test, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		set  Set
		n    int
	}{
		{"train", train, 5000},
		{"test", test, 1000},
	} {
		r, cols := c.set.X.Dims()
		if r != c.n || cols != 784 || len(c.set.Labels) != c.n {
			t.Errorf("%s: X is %d×%d with %d labels, want %d×784", c.name, r, cols, len(c.set.Labels), c.n)
			continue
		}
		var count [10]int
		for i, l := range c.set.Labels {
			if l < 0 || l > 9 {
				t.Fatalf("%s: label %d is %d", c.name, i, l)
			}
			count[l]++
		}
		for d, k := range count {
			if k == 0 {
				t.Errorf("%s: no digit %d", c.name, d)
			}
		}
		lo, hi := 1.0, 0.0
		for _, v := range c.set.X.RawMatrix().Data {
			lo, hi = min(lo, v), max(hi, v)
		}
		// MNIST images have black (0) borders and saturated (255) strokes.
		if lo != 0 || hi != 1 {
			t.Errorf("%s: pixels in [%v, %v], want [0, 1]", c.name, lo, hi)
		}
	}
	// The first training digit of MNIST is a 5, and the first test digit
	// a 7 (LeCun's MNIST page; any MNIST loader shows them).
	if train.Labels[0] != 5 || test.Labels[0] != 7 {
		t.Errorf("first labels %d and %d, want 5 and 7", train.Labels[0], test.Labels[0])
	}
	// Each call returns new matrices.
	again, _, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	again.X.Set(0, 0, 42)
	if train.X.At(0, 0) == 42 {
		t.Error("Embedded returns shared matrices")
	}
}

// TestFullMNIST compares the embedded subset with the full MNIST files in
// the GoMNIST module, when the module cache holds them.
func TestFullMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 55 MB")
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Skip(err)
		}
		cache = filepath.Join(home, "go", "pkg", "mod")
	}
	dir := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("GoMNIST not in the module cache: %v", err)
	}
	train, test, err := ReadIDXDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := train.X.Dims(); r != 60000 {
		t.Errorf("%d training images, want 60000", r)
	}
	if r, _ := test.X.Dims(); r != 10000 {
		t.Errorf("%d test images, want 10000", r)
	}
	etrain, etest, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		full, part Set
	}{{"train", train, etrain}, {"test", test, etest}} {
		n, m := c.part.X.Dims()
		if !sameFloats(c.full.X.RawMatrix().Data[:n*m], c.part.X.RawMatrix().Data) || !sameInts(c.full.Labels[:n], c.part.Labels) {
			t.Errorf("%s: the embedded subset is not the first %d digits of MNIST", c.name, n)
		}
	}
}
