package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BenchmarkDgemm compares Implementation with gonum's own Dgemm, in
// GFLOP/s, on the shapes the program produces: a square product, one row
// block of a Gram stack (32 rows of X times Zᵀ, m = 784), a trailing
// update of gonum's blocked Cholesky (64 rows, k = n/2) and a Nyström
// sketch block C_ℓᵀC_k.
func BenchmarkDgemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name    string
		tA, tB  blas.Transpose
		m, n, k int
	}{
		{"square1000", blas.NoTrans, blas.NoTrans, 1000, 1000, 1000},
		{"gram-block", blas.NoTrans, blas.Trans, 32, 4000, 784},
		{"cholesky-update", blas.Trans, blas.NoTrans, 64, 2000, 2000},
		{"sketch", blas.Trans, blas.NoTrans, 1000, 1000, 2048},
	} {
		ar, ac := tc.m, tc.k
		if tc.tA == blas.Trans {
			ar, ac = tc.k, tc.m
		}
		br, bc := tc.k, tc.n
		if tc.tB == blas.Trans {
			br, bc = tc.n, tc.k
		}
		a, lda := operand(rng, ar, ac)
		bb, ldb := operand(rng, br, bc)
		c := make([]float64, tc.m*tc.n)
		for _, impl := range []struct {
			name string
			blas.Float64
		}{{"ours", Implementation{}}, {"gonum", gonum.Implementation{}}} {
			b.Run(fmt.Sprintf("%s/%s", tc.name, impl.name), func(b *testing.B) {
				for b.Loop() {
					impl.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a, lda, bb, ldb, 0, c, tc.n)
				}
				b.ReportMetric(2*float64(tc.m*tc.n*tc.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
