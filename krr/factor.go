package krr

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// NotPositiveDefiniteError reports that K + λI has no Cholesky factor: the
// kernel has eigenvalues at or below −λ in floating point.
type NotPositiveDefiniteError struct {
	N      int     // order of the matrix
	Lambda float64 // the ridge that was added
}

func (e *NotPositiveDefiniteError) Error() string {
	return fmt.Sprintf("krr: the %d×%d kernel plus λI is not positive definite at λ = %g; "+
		"use a larger λ (try %g)", e.N, e.N, e.Lambda, 10*e.Lambda)
}

// NotFiniteError reports a NaN or infinity in a kernel or in a solution.
type NotFiniteError struct {
	What string // what held the value, e.g. "kernel" or "solution"
}

func (e *NotFiniteError) Error() string {
	return fmt.Sprintf("krr: the %s contains NaN or Inf; check the inputs for NaN, Inf or overflow", e.What)
}

// Factor is the Cholesky factorization Uᵀ U = K + λI, held in the storage
// of the matrix it was computed from. The zero value is empty.
type Factor struct {
	t      blas64.Triangular
	lambda float64
	anorm  float64 // 1-norm of K + λI, for the condition estimate
	cond   float64 // 0 until Cond computes it
}

// Factorize adds λ to the diagonal of a and overwrites its upper triangle
// with the Cholesky factor of a + λI, allocating nothing but O(n) work
// space. Only the upper triangle of a is read. Afterwards a belongs to f:
// it must not be used as a matrix until it is refilled.
//
// A matrix with a NaN or Inf returns a *NotFiniteError, a matrix that is
// not positive definite a *NotPositiveDefiniteError; f is then empty.
func (f *Factor) Factorize(a *mat.SymDense, lambda float64) error {
	*f = Factor{}
	if !(lambda >= 0) || math.IsInf(lambda, 0) {
		panic(fmt.Sprintf("krr: ridge λ = %v must be finite and non-negative", lambda))
	}
	raw := a.RawSymmetric()
	if raw.Uplo != blas.Upper {
		panic("krr: Factorize needs upper-triangular storage")
	}
	n := raw.N
	for i := 0; i < n; i++ {
		raw.Data[i*raw.Stride+i] += lambda
	}
	work := make([]float64, 3*n)
	anorm := lapack64.Lansy(lapack.MaxColumnSum, raw, work)
	if math.IsNaN(anorm) || math.IsInf(anorm, 0) {
		return &NotFiniteError{What: "kernel"}
	}
	if !potrf(raw) {
		return &NotPositiveDefiniteError{N: n, Lambda: lambda}
	}
	f.t = blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: n, Stride: raw.Stride, Data: raw.Data}
	f.lambda, f.anorm = lambda, anorm
	return nil
}

// Len returns the order n of the factored matrix, 0 when empty.
func (f *Factor) Len() int { return f.t.N }

// Lambda returns the ridge that was added.
func (f *Factor) Lambda() float64 { return f.lambda }

// Cond returns an estimate of the 1-norm condition number of K + λI, from
// LAPACK's dpocon (within a small factor of the true value). It costs
// O(n²) on first use, so solvers that refactor often ask only at the end.
func (f *Factor) Cond() float64 {
	if f.cond == 0 && f.t.N > 0 {
		n := f.t.N
		u := blas64.Symmetric{Uplo: blas.Upper, N: n, Stride: f.t.Stride, Data: f.t.Data}
		f.cond = 1 / pocon(u, f.anorm, make([]float64, 3*n), make([]int, n))
	}
	return f.cond
}

// SolveTo solves (K + λI) X = B for X in place of b: on return the columns
// of b hold the solutions. It panics if f is empty or b has the wrong
// number of rows. A NaN or Inf in the solution returns a *NotFiniteError.
func (f *Factor) SolveTo(b *mat.Dense) error {
	if f.t.N == 0 {
		panic("krr: solve with an empty factor")
	}
	if r, _ := b.Dims(); r != f.t.N {
		panic(fmt.Sprintf("krr: right-hand side has %d rows, factor has order %d", r, f.t.N))
	}
	raw := b.RawMatrix()
	potrs(f.t, raw)
	for i := 0; i < raw.Rows; i++ {
		for _, v := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return &NotFiniteError{What: "solution"}
			}
		}
	}
	return nil
}

// SolveVec solves (K + λI) x = b in place of b.
func (f *Factor) SolveVec(b []float64) error {
	return f.SolveTo(mat.NewDense(len(b), 1, b))
}

// LogDet returns log det(K + λI) = 2 Σ log Uᵢᵢ.
func (f *Factor) LogDet() float64 {
	var s float64
	for i := 0; i < f.t.N; i++ {
		s += math.Log(f.t.Data[i*f.t.Stride+i])
	}
	return 2 * s
}
