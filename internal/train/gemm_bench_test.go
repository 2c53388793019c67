package train

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemm times the products of one training step of the paper's
// network (width 256, batch 50, m = 784), in the layout the network uses
// (units × samples), on both product paths.
func BenchmarkGemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name        string
		m, n, k     int
		ta, tb      bool
		alpha, beta float64
	}{
		{"fwd1", 256, 50, 784, false, true, 1, 0},
		{"fwd", 256, 50, 256, false, false, 1, 0},
		{"dH", 256, 50, 256, true, false, 1, 0},
		{"dW1", 256, 784, 50, false, false, -0.02, 1},
		{"dW", 256, 256, 50, false, true, -0.02, 1},
	} {
		a := randView(rng, tc.m, tc.k, tc.ta)
		bb := randView(rng, tc.k, tc.n, tc.tb)
		c := rowMajor(make([]float64, tc.m*tc.n), tc.m, tc.n, tc.n)
		for _, kern := range []bool{false, true} {
			if kern && !haveKernel {
				continue
			}
			for _, w := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/kernel=%v/workers=%d", tc.name, kern, w), func(b *testing.B) {
					g := newGemmer(w, kern)
					for b.Loop() {
						g.mul(tc.alpha, a, bb, tc.beta, c)
					}
					b.ReportMetric(2*float64(tc.m*tc.n*tc.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
