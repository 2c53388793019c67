//go:build !openblas

package krr

import (
	"github.com/ntkmkl/ntkmkl/internal/gemm"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// Backend names the BLAS and LAPACK implementation of this build.
var Backend = "gonum (pure Go)"

func init() {
	// gonum's BLAS with the blocked AVX2/FMA dgemm of internal/gemm, for
	// every product of the program and the updates inside gonum's Cholesky.
	if gemm.Have {
		blas64.Use(gemm.Implementation{})
		Backend = "gonum (pure Go; dgemm: AVX2/FMA kernel)"
	}
}

// potrf factors the upper triangle of a in place: Uᵀ U = a.
func potrf(a blas64.Symmetric) bool {
	_, ok := lapack64.Potrf(a)
	return ok
}

// potrs solves Uᵀ U X = B in place of b.
func potrs(u blas64.Triangular, b blas64.General) { lapack64.Potrs(u, b) }

// pocon estimates the reciprocal 1-norm condition number from the factor.
func pocon(u blas64.Symmetric, anorm float64, work []float64, iwork []int) float64 {
	return lapack64.Pocon(u, anorm, work, iwork)
}

// SetThreads sets the number of goroutines of one matrix product. Callers
// that solve several classes at once give each a share of the cores.
func SetThreads(n int) { gemm.SetThreads(n) }
