package krr

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// LOOResult is the leave-one-out error of kernel ridge regression over a
// grid of ridges.
type LOOResult struct {
	Lambdas []float64 // the grid, as given
	// Errors[k] is Σᵢ ‖yᵢ − f₋ᵢ(xᵢ)‖², the squared error of predicting
	// each training point from a fit without it, at Lambdas[k]; +Inf where
	// K + λI is not positive definite.
	Errors []float64
	Best   float64 // the λ of the smallest error
	// Method is "eigen" (one eigendecomposition of K, O(n²) per λ) or
	// "cholesky" (one factorization and inverse diagonal per λ), whichever
	// the grid size makes cheaper.
	Method string
}

// eigenFlops and choleskyFlops are the leading costs, in units of n³, of
// a symmetric eigendecomposition with vectors (LAPACK dsyev: about 9n³)
// and of one factorization plus the diagonal of the inverse (n³/3 for
// dpotrf and about 2n³/3 for the inverse).
const (
	eigenFlops    = 9.0
	choleskyFlops = 1.0
)

// LeaveOneOut returns the exact leave-one-out error of KRR with kernel k
// (n×n) and targets y (n×d) for every λ of grid, from the closed form
// yᵢ − f₋ᵢ(xᵢ) = αᵢ / [(K + λI)⁻¹]ᵢᵢ with α = (K + λI)⁻¹ y, which needs no
// refit. It panics on a shape mismatch or a non-positive λ in the grid.
func LeaveOneOut(k mat.Symmetric, y mat.Matrix, grid []float64) (*LOOResult, error) {
	n := k.SymmetricDim()
	if r, _ := y.Dims(); r != n {
		panic(fmt.Sprintf("krr: kernel is %d×%d but targets have %d rows", n, n, r))
	}
	for _, l := range grid {
		if !(l > 0) || math.IsInf(l, 0) {
			panic(fmt.Sprintf("krr: leave-one-out grid holds λ = %v", l))
		}
	}
	res := &LOOResult{Lambdas: append([]float64(nil), grid...), Errors: make([]float64, len(grid))}
	if float64(len(grid))*choleskyFlops > eigenFlops {
		res.Method = "eigen"
		if err := looEigen(res, k, y); err != nil {
			return nil, err
		}
	} else {
		res.Method = "cholesky"
		looCholesky(res, k, y)
	}
	best := math.Inf(1)
	for i, e := range res.Errors {
		if e < best {
			best, res.Best = e, res.Lambdas[i]
		}
	}
	if math.IsInf(best, 1) {
		return nil, &NotPositiveDefiniteError{N: n, Lambda: grid[len(grid)-1]}
	}
	return res, nil
}

// looEigen evaluates the grid from K = Q diag(w) Qᵀ: α = Q diag(1/(w+λ)) Qᵀy
// and [(K+λI)⁻¹]ᵢᵢ = Σₖ Qᵢₖ²/(wₖ+λ).
func looEigen(res *LOOResult, k mat.Symmetric, y mat.Matrix) error {
	var eig mat.EigenSym
	if !eig.Factorize(k, true) {
		return &NotFiniteError{What: "kernel (eigendecomposition failed)"}
	}
	w := eig.Values(nil)
	var q mat.Dense
	eig.VectorsTo(&q)
	var qty mat.Dense
	qty.Mul(q.T(), y)
	n, d := qty.Dims()
	q2 := mat.NewDense(n, n, nil)
	q2.MulElem(&q, &q)
	scaledQty := mat.NewDense(n, d, nil)
	inv := make([]float64, n)
	var alpha mat.Dense
	diag := mat.NewVecDense(n, nil)
	for g, lambda := range res.Lambdas {
		ok := true
		for i, wi := range w {
			if wi+lambda <= 0 {
				ok = false
				break
			}
			inv[i] = 1 / (wi + lambda)
		}
		if !ok {
			res.Errors[g] = math.Inf(1)
			continue
		}
		for i := 0; i < n; i++ {
			for c := 0; c < d; c++ {
				scaledQty.Set(i, c, inv[i]*qty.At(i, c))
			}
		}
		alpha.Mul(&q, scaledQty)
		diag.MulVec(q2, mat.NewVecDense(n, inv))
		res.Errors[g] = looSum(&alpha, diag.RawVector().Data)
	}
	return nil
}

// looCholesky evaluates each λ with its own factorization; the diagonal of
// the inverse comes from solving for the identity, adequate for the small
// grids this path is chosen for.
func looCholesky(res *LOOResult, k mat.Symmetric, y mat.Matrix) {
	n := k.SymmetricDim()
	for g, lambda := range res.Lambdas {
		a := mat.NewSymDense(n, nil)
		a.CopySym(k)
		var f Factor
		if err := f.Factorize(a, lambda); err != nil {
			res.Errors[g] = math.Inf(1)
			continue
		}
		alpha := mat.DenseCopyOf(y)
		inv := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			inv.Set(i, i, 1)
		}
		if f.SolveTo(alpha) != nil || f.SolveTo(inv) != nil {
			res.Errors[g] = math.Inf(1)
			continue
		}
		diag := make([]float64, n)
		for i := range diag {
			diag[i] = inv.At(i, i)
		}
		res.Errors[g] = looSum(alpha, diag)
	}
}

// looSum returns Σᵢ Σ_c (α_ic / dᵢ)².
func looSum(alpha *mat.Dense, diag []float64) float64 {
	var s float64
	n, d := alpha.Dims()
	for i := 0; i < n; i++ {
		for c := 0; c < d; c++ {
			e := alpha.At(i, c) / diag[i]
			s += e * e
		}
	}
	return s
}

// LogGrid returns count values from lo to hi evenly spaced in log scale.
func LogGrid(lo, hi float64, count int) []float64 {
	if count == 1 {
		return []float64{lo}
	}
	g := make([]float64, count)
	a, b := math.Log10(lo), math.Log10(hi)
	for i := range g {
		g[i] = math.Pow(10, a+float64(i)*(b-a)/float64(count-1))
	}
	g[0], g[count-1] = lo, hi
	return g
}
