package heatmap_test

import (
	"fmt"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/mat"

	"github.com/ntkmkl/ntkmkl/internal/heatmap"
)

func ExampleFig2() {
	dir, err := os.MkdirTemp("", "heatmap")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "fig2.png")

	// Ω for 3 classes and 4 layers, one row per class. Fig2 normalizes
	// the rows itself.
	omega := mat.NewDense(3, 4, []float64{
		0.7, 0.3, 0, 0,
		0, 0.5, 0.5, 0,
		0.1, 0, 0, 0.9,
	})
	err = heatmap.Fig2(path, omega, []string{"cat", "dog", "ship"}, "Learned Ω")
	if err != nil {
		log.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d×%d pixels\n", cfg.Width, cfg.Height)
	// Output:
	// 2250×750 pixels
}
