package heatmap

import (
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// exampleOmega is a made-up 10 × 20 Ω in the shape the simplex-constrained
// solver produces: each class spreads its weight over a few layers, many
// entries are exactly zero, and layers 17–20 are dropped by every class.
func exampleOmega() *mat.Dense {
	const d, l = 10, 20
	o := mat.NewDense(d, l, nil)
	for c := range d {
		// Class c leans on layers c+1 and c+3 (1-based), shallower
		// classes more on layer 1.
		o.Set(c, c, 0.5)
		o.Set(c, c+2, 0.3)
		o.Set(c, 0, o.At(c, 0)+0.2*float64(d-c)/float64(d))
	}
	return o
}

// TestRenderExample writes the example figure to the file named by
// $HEATMAP_RENDER, for looking at; it is skipped otherwise.
func TestRenderExample(t *testing.T) {
	path := os.Getenv("HEATMAP_RENDER")
	if path == "" {
		t.Skip("set HEATMAP_RENDER=/tmp/fig2.png to render the example")
	}
	labels := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	if err := Fig2(path, exampleOmega(), labels, "Fig. 2: learned Ω, 20-layer NFT-K on MNIST (example data)"); err != nil {
		t.Fatal(err)
	}
}
