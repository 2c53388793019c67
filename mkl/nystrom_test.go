package mkl

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// sketchOf accumulates a sketch with Z = X (C_ℓ = W_ℓ = K̃ℓ) in two row
// blocks, so that accumulation and Add are exercised.
func sketchOf(p *Problem) (*Sketch, []*mat.Dense) {
	n, _ := p.Kernels[0].Dims()
	_, d := p.Targets.Dims()
	L := len(p.Kernels)
	half := n / 2
	a, b := NewSketch(L, n, d), NewSketch(L, n, d)
	block := func(r0, r1 int) ([]*mat.Dense, *mat.Dense) {
		var c []*mat.Dense
		for _, k := range p.Kernels {
			c = append(c, mat.DenseCopyOf(k.Slice(r0, r1, 0, n)))
		}
		return c, mat.DenseCopyOf(p.Targets.Slice(r0, r1, 0, d))
	}
	c1, y1 := block(0, half)
	c2, y2 := block(half, n)
	a.Accumulate(c1, y1)
	b.Accumulate(c2, y2)
	a.Add(b)
	return a, p.Kernels
}

// TestNystromEqualsExactAtFullRank: with m = n centres, Z = X, the Nyström
// objective, its gradient, the learned Ω and the predictions equal the
// exact path's (DESIGN.md §7), to solver precision.
func TestNystromEqualsExactAtFullRank(t *testing.T) {
	p := testProblem(37, 40, 5, 4, 3, 1e-2)
	sk, w := sketchOf(p)
	mu := []float64{0.1, 0.2, 0.3, 0.4}
	ne := newNystromEvaluator(sk, w, p.Lambda, 0)
	for c := 0; c < 3; c++ {
		ne.setClass(c)
		g := make([]float64, 4)
		j, err := ne.eval(mu, g)
		if err != nil {
			t.Fatal(err)
		}
		jx, gx, _ := Evaluate(p, c, mu, 0)
		if math.Abs(j-jx) > 1e-9*jx {
			t.Errorf("class %d: Nyström J %v, exact %v", c, j, jx)
		}
		for l := range g {
			if math.Abs(g[l]-gx[l]) > 1e-7*math.Abs(gx[l]) {
				t.Errorf("class %d ∂J/∂μ%d: Nyström %v, exact %v", c, l+1, g[l], gx[l])
			}
		}
	}
	for _, m := range []Method{Newton, Gradient} {
		set := &Settings{Method: m, Tol: 1e-9, MaxIter: 3000}
		exact, err := Solve(context.Background(), p, set)
		if err != nil {
			t.Fatal(err)
		}
		nys, err := SolveNystrom(context.Background(), sk, w, p.Lambda, set)
		if err != nil {
			t.Fatal(err)
		}
		if !mat.EqualApprox(exact.Omega, nys.Omega, 1e-5) {
			t.Errorf("%v: Ω differs\nexact %v\nnyström %v", m, mat.Formatted(exact.Omega), mat.Formatted(nys.Omega))
		}
		for c := range exact.Classes {
			if a, b := exact.Classes[c].Objective, nys.Classes[c].Objective; math.Abs(a-b) > 1e-8*a {
				t.Errorf("%v class %d: J exact %v, Nyström %v", m, c, a, b)
			}
		}
		se := Scores(nil, p.Kernels, exact.Omega, exact.Alpha)
		sn := Scores(nil, p.Kernels, nys.Omega, nys.Alpha)
		if !mat.EqualApprox(se, sn, 1e-5) {
			t.Errorf("%v: predictions differ", m)
		}
	}
}

// TestNystromDerivatives checks the Nyström gradient and exact Hessian
// (before the clipping of negative curvature) against central differences,
// with m < n centres (the first m points).
func TestNystromDerivatives(t *testing.T) {
	p := testProblem(41, 50, 5, 3, 2, 1e-2)
	m := 20
	sk := NewSketch(3, m, 2)
	var c, w []*mat.Dense
	for _, k := range p.Kernels {
		c = append(c, mat.DenseCopyOf(k.Slice(0, 50, 0, m)))
		w = append(w, mat.DenseCopyOf(k.Slice(0, m, 0, m)))
	}
	sk.Accumulate(c, p.Targets)
	e := newNystromEvaluator(sk, w, p.Lambda, 0)
	e.setClass(0)
	mu := []float64{0.3, 0.3, 0.4}
	g := make([]float64, 3)
	if _, err := e.eval(mu, g); err != nil {
		t.Fatal(err)
	}
	h, err := e.exactHessian()
	if err != nil {
		t.Fatal(err)
	}
	const step = 1e-5
	for l := 0; l < 3; l++ {
		up, down := append([]float64(nil), mu...), append([]float64(nil), mu...)
		up[l] += step
		down[l] -= step
		gu, gd := make([]float64, 3), make([]float64, 3)
		ju, _ := e.eval(up, gu)
		jd, _ := e.eval(down, gd)
		if fd := (ju - jd) / (2 * step); math.Abs(fd-g[l]) > 1e-6*math.Max(1e-3, math.Abs(g[l])) {
			t.Errorf("∂J/∂μ%d: analytic %v, finite difference %v", l+1, g[l], fd)
		}
		for k := 0; k < 3; k++ {
			if fd := (gu[k] - gd[k]) / (2 * step); math.Abs(fd-h.At(l, k)) > 1e-5*mat.Norm(h, math.Inf(1)) {
				t.Errorf("∂²J/∂μ%d∂μ%d: Hessian %v, finite difference %v", l+1, k+1, h.At(l, k), fd)
			}
		}
	}
}
