package report

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestOmegaRoundTrip: every float64, including subnormals and values that
// need 17 digits, reads back bit for bit.
func TestOmegaRoundTrip(t *testing.T) {
	omega := mat.NewDense(3, 2, []float64{0.1, 0.9, 1.0 / 3, 2.0 / 3, 5e-324, 1 - 5e-324})
	path := filepath.Join(t.TempDir(), "omega.csv")
	if err := WriteOmegaCSV(path, []int{0, 4, 9}, omega); err != nil {
		t.Fatal(err)
	}
	classes, got, err := ReadOmegaCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(got, omega) || classes[1] != 4 {
		t.Errorf("round trip: %v %v", classes, mat.Formatted(got))
	}
	b, _ := os.ReadFile(path)
	if want := "class,layer1,layer2\n"; string(b[:len(want)]) != want {
		t.Errorf("header %q", b[:len(want)])
	}
	if math.IsNaN(got.At(0, 0)) {
		t.Error("NaN")
	}
}

// TestReadOmegaCSVErrors: files that are not omega.csv are refused with
// the path in the message.
func TestReadOmegaCSVErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"empty.csv":  "",
		"header.csv": "a,b\n1,2\n",
		"label.csv":  "class,layer1\nx,0.5\n",
		"value.csv":  "class,layer1\n1,abc\n",
		"ragged.csv": "class,layer1,layer2\n1,0.5\n",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		if _, _, err := ReadOmegaCSV(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
