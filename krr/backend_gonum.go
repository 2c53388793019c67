//go:build !openblas

package krr

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// Backend names the BLAS and LAPACK implementation of this build.
const Backend = "gonum (pure Go)"

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

// SetThreads sets the number of threads of the BLAS backend. The pure-Go
// backend parallelizes inside large products by itself, so it is a no-op.
func SetThreads(n int) {}
