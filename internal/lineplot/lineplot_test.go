package lineplot

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestWrite: a log–log plot with an undrawable point writes a decodable
// PNG; a plot with nothing drawable is an error and writes nothing.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.png")
	err := Write(path, Settings{Title: "t", XLabel: "x", YLabel: "y", LogX: true, LogY: true, Mark: 10},
		Series{Name: "a", X: []float64{1, 10, 100}, Y: []float64{1, 0.3, 0.1}},
		Series{Name: "b", X: []float64{1, 10, 100}, Y: []float64{2, math.Inf(1), 0}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < 500 {
		t.Errorf("PNG: %v", err)
	}
	bad := filepath.Join(dir, "bad.png")
	if err := Write(bad, Settings{LogY: true, Mark: math.NaN()}, Series{X: []float64{1}, Y: []float64{-1}}); err == nil {
		t.Error("nothing drawable, no error")
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("wrote a file for an empty plot")
	}
}
