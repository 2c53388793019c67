package krr

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Model is a fitted kernel ridge regression: the dual coefficients
// α = (K + λI)⁻¹ Y, one column per output.
type Model struct {
	Alpha  *mat.Dense // n×d dual coefficients
	Lambda float64    // the ridge λ
	Cond   float64    // estimated 1-norm condition number of K + λI
}

// Fit solves (K + λI) α = Y for every column of y with one Cholesky
// factorization. k is n×n and is not modified (it is copied once); y is
// n×d. It panics on a shape mismatch and returns an error for a matrix that
// is not positive definite or not finite.
func Fit(k mat.Symmetric, y mat.Matrix, lambda float64) (*Model, error) {
	n := k.SymmetricDim()
	if r, _ := y.Dims(); r != n {
		panic(fmt.Sprintf("krr: kernel is %d×%d but targets have %d rows", n, n, r))
	}
	a := mat.NewSymDense(n, nil)
	a.CopySym(k)
	var f Factor
	if err := f.Factorize(a, lambda); err != nil {
		return nil, err
	}
	alpha := mat.DenseCopyOf(y)
	if err := f.SolveTo(alpha); err != nil {
		return nil, err
	}
	return &Model{Alpha: alpha, Lambda: lambda, Cond: f.Cond()}, nil
}

// Predict returns the predictions K(X*, X) α for the rows of a new input
// whose cross-kernel with the training inputs is kCross (n*×n). If dst is
// empty it is sized; otherwise it must be n*×d.
func (m *Model) Predict(dst *mat.Dense, kCross mat.Matrix) *mat.Dense {
	if dst == nil {
		dst = &mat.Dense{}
	}
	dst.Mul(kCross, m.Alpha)
	return dst
}

// Fitted returns the training-set fitted values K α, computed from the
// identity K α = Y − λα, which needs neither K nor a product. y must be
// the targets the model was fitted to.
func (m *Model) Fitted(dst *mat.Dense, y mat.Matrix) *mat.Dense {
	if dst == nil {
		dst = &mat.Dense{}
	}
	dst.Scale(-m.Lambda, m.Alpha)
	dst.Add(dst, y)
	return dst
}
