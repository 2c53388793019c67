package mkl

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// minimizeQuadratic returns the minimizer over the feasible set of the
// model m(v) = gᵀ(v−μ) + ½(v−μ)ᵀH(v−μ), an L-dimensional QP. It runs
// accelerated projected gradient (FISTA with adaptive restart, O'Donoghue
// and Candès 2015) with step 1/‖H‖₂, which converges for any PSD H, until
// the model's own certificate is at rounding level. L is the depth, so each
// iteration costs O(L²) and thousands of them cost nothing next to one
// factorization.
func minimizeQuadratic(h *mat.SymDense, g, mu []float64, c Constraint) []float64 {
	L := len(mu)
	project := ProjectPositive
	if c == Simplex {
		project = ProjectSimplex
	}
	lmax := largestEigenvalue(h)
	if !(lmax > 0) {
		lmax = math.Max(mat.Norm(h, 1), 1e-300)
	}
	step := 1 / lmax
	// Gradient of the model at v: g + H(v − μ), with scratch allocated once.
	dv := make([]float64, L)
	dvVec := mat.NewVecDense(L, dv)
	modelGrad := func(dst, v []float64) {
		floats.SubTo(dv, v, mu)
		mat.NewVecDense(L, dst).MulVec(h, dvVec)
		floats.Add(dst, g)
	}
	x := append([]float64(nil), mu...)
	yv := append([]float64(nil), mu...)
	xPrev := make([]float64, L)
	gy, gx := make([]float64, L), make([]float64, L)
	tk := 1.0
	scale := floats.Norm(g, math.Inf(1)) + lmax
	for it := 0; it < 5000; it++ {
		modelGrad(gy, yv)
		copy(xPrev, x)
		for i := range x {
			x[i] = yv[i] - step*gy[i]
		}
		project(x, x)
		modelGrad(gx, x)
		if certificate(c, gx, x) <= 1e-14*scale {
			break
		}
		// Restart the momentum when it points uphill.
		var up float64
		for i := range x {
			up += gy[i] * (x[i] - xPrev[i])
		}
		if up > 0 {
			tk = 1
			copy(yv, x)
			continue
		}
		tNext := (1 + math.Sqrt(1+4*tk*tk)) / 2
		for i := range yv {
			yv[i] = x[i] + (tk-1)/tNext*(x[i]-xPrev[i])
		}
		tk = tNext
	}
	return x
}

// largestEigenvalue returns the largest eigenvalue of a small symmetric
// matrix, computed on the matrix divided by its largest entry so that
// neither overflow nor subnormal entries reach LAPACK's scaling; 0 for a
// zero or non-finite matrix.
func largestEigenvalue(h *mat.SymDense) float64 {
	scale := mat.Norm(h, math.Inf(1))
	if !(scale > 0) || math.IsInf(scale, 0) {
		return 0
	}
	var hs mat.SymDense
	hs.ScaleSym(1/scale, h)
	var eig mat.EigenSym
	if !eig.Factorize(&hs, false) {
		return scale
	}
	return floats.Max(eig.Values(nil)) * scale
}
