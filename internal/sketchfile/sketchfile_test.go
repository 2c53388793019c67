package sketchfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ntkmkl/ntkmkl/mkl"
	"gonum.org/v1/gonum/mat"
)

// TestRoundTrip: a part read back and added to an empty sketch equals the
// sketch written, bit for bit; a truncated part or a foreign file is
// refused by ReadHeader.
func TestRoundTrip(t *testing.T) {
	s := mkl.NewSketch(2, 3, 2)
	c := []*mat.Dense{mat.NewDense(4, 3, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0.1}), mat.NewDense(4, 3, []float64{0.5, 1, 0, 2, 1, 3, 0, 0, 1, 1, 1, 1})}
	s.Accumulate(c, mat.NewDense(4, 2, []float64{1, 0, 0, 1, 1, 0, 0, 1}))
	dir := t.TempDir()
	path := filepath.Join(dir, "part-0")
	h := Header{Fingerprint: "abc", Shard: 0, Shards: 1, RowStart: 0, RowEnd: 4, TrainPoints: 4, Layers: 2, Centers: 3, Classes: 2}
	if err := Write(path, h, s); err != nil {
		t.Fatal(err)
	}
	got := mkl.NewSketch(2, 3, 2)
	if err := AddTo(got, path); err != nil {
		t.Fatal(err)
	}
	for l := 0; l < 2; l++ {
		for k := l; k < 2; k++ {
			if !mat.Equal(got.CC[l][k], s.CC[l][k]) {
				t.Errorf("CC[%d][%d] differs", l, k)
			}
		}
		if !mat.Equal(got.CY[l], s.CY[l]) {
			t.Errorf("CY[%d] differs", l)
		}
	}
	if got.YY[0] != s.YY[0] || got.Rows != 4 {
		t.Errorf("yᵀy %v rows %d", got.YY, got.Rows)
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(filepath.Join(dir, "short"), b[:len(b)-8], 0o644)
	os.WriteFile(filepath.Join(dir, "foreign"), []byte("hello world, not a sketch"), 0o644)
	for _, bad := range []string{"short", "foreign", "missing"} {
		if _, _, err := ReadHeader(filepath.Join(dir, bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
