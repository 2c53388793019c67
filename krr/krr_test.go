package krr

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// randomKernel returns a Gram matrix G Gᵀ of rank r ≤ n, scaled by s: PSD,
// and singular when r < n.
func randomKernel(rng *rand.Rand, n, r int, s float64) *mat.SymDense {
	g := mat.NewDense(n, r, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < r; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	k := mat.NewSymDense(n, nil)
	k.SymOuterK(s, g)
	return k
}

// TestFitAgainstLU compares the Cholesky solve with an independent LU
// solve of (K + λI) α = Y (mat.Dense.Solve), for well- and badly
// conditioned kernels. The tolerance follows the condition number: the
// two solves agree to about cond · ε in relative terms.
func TestFitAgainstLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name   string
		n, r   int
		lambda float64
		tol    float64
	}{
		{"full rank", 40, 60, 1e-3, 1e-11},
		{"rank deficient", 40, 10, 1e-3, 1e-9},
		{"tiny ridge", 30, 5, 1e-8, 1e-5},
	} {
		k := randomKernel(rng, tc.n, tc.r, 1)
		y := mat.NewDense(tc.n, 3, nil)
		for i := 0; i < tc.n; i++ {
			y.Set(i, i%3, 1)
		}
		m, err := Fit(k, y, tc.lambda)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		a := mat.NewDense(tc.n, tc.n, nil)
		a.Copy(k)
		for i := 0; i < tc.n; i++ {
			a.Set(i, i, a.At(i, i)+tc.lambda)
		}
		var want mat.Dense
		if err := want.Solve(a, y); err != nil {
			t.Fatalf("%s: LU: %v", tc.name, err)
		}
		if !mat.EqualApprox(m.Alpha, &want, tc.tol*mat.Norm(&want, math.Inf(1))) {
			t.Errorf("%s: Cholesky and LU solutions differ", tc.name)
		}
		// Fitted values by the identity Kα = Y − λα against the product,
		// whose own rounding error is about n ε ‖K‖ ‖α‖.
		var direct mat.Dense
		direct.Mul(k, m.Alpha)
		prodTol := float64(tc.n) * 1e-15 * mat.Norm(k, math.Inf(1)) * mat.Norm(m.Alpha, math.Inf(1))
		if !mat.EqualApprox(m.Fitted(nil, y), &direct, prodTol) {
			t.Errorf("%s: fitted values Y − λα differ from K α", tc.name)
		}
		// Predict on the training points is the same product.
		if !mat.EqualApprox(m.Predict(nil, k), &direct, prodTol) {
			t.Errorf("%s: Predict(K) differs from K α", tc.name)
		}
	}
}

// TestConditionEstimate checks dpocon's estimate against the exact 1-norm
// condition number ‖A‖₁‖A⁻¹‖₁ from an explicit inverse. LAPACK's estimator
// is a lower bound, usually within a factor of 3; the test allows 10.
func TestConditionEstimate(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	k := randomKernel(rng, 25, 8, 1)
	for _, lambda := range []float64{1, 1e-3, 1e-7} {
		a := mat.NewSymDense(25, nil)
		a.CopySym(k)
		dense := mat.DenseCopyOf(a)
		for i := 0; i < 25; i++ {
			dense.Set(i, i, dense.At(i, i)+lambda)
		}
		var inv mat.Dense
		if err := inv.Inverse(dense); err != nil {
			t.Fatal(err)
		}
		exact := mat.Norm(dense, 1) * mat.Norm(&inv, 1)
		var f Factor
		if err := f.Factorize(a, lambda); err != nil {
			t.Fatal(err)
		}
		if r := f.Cond() / exact; r > 1.0001 || r < 0.1 {
			t.Errorf("λ=%g: estimated condition %.4g, exact %.4g", lambda, f.Cond(), exact)
		}
		// log det against the eigenvalues.
		var eig mat.EigenSym
		sym := mat.NewSymDense(25, nil)
		sym.CopySym(k)
		eig.Factorize(sym, false)
		var want float64
		for _, v := range eig.Values(nil) {
			want += math.Log(v + lambda)
		}
		if math.Abs(f.LogDet()-want) > 1e-8*math.Max(1, math.Abs(want)) {
			t.Errorf("λ=%g: log det %v, eigenvalues give %v", lambda, f.LogDet(), want)
		}
	}
}

// TestNotPositiveDefinite: an indefinite matrix (eigenvalue −1) at λ below
// 1 must fail with the typed error naming λ; at λ = 2 it succeeds. Nothing
// is jittered, so the failure is not hidden.
func TestNotPositiveDefinite(t *testing.T) {
	a := mat.NewSymDense(2, []float64{0, 1, 1, 0}) // eigenvalues ±1
	for _, tc := range []struct {
		lambda float64
		ok     bool
	}{{0.5, false}, {1e-3, false}, {2, true}} {
		b := mat.NewSymDense(2, nil)
		b.CopySym(a)
		var f Factor
		err := f.Factorize(b, tc.lambda)
		var npd *NotPositiveDefiniteError
		switch {
		case tc.ok && err != nil:
			t.Errorf("λ=%g: unexpected error %v", tc.lambda, err)
		case !tc.ok && !errors.As(err, &npd):
			t.Errorf("λ=%g: got %v, want NotPositiveDefiniteError", tc.lambda, err)
		case !tc.ok && npd.Lambda != tc.lambda:
			t.Errorf("λ=%g: error reports λ=%g", tc.lambda, npd.Lambda)
		}
	}
	nan := mat.NewSymDense(2, []float64{1, math.NaN(), math.NaN(), 1})
	var f Factor
	var nf *NotFiniteError
	if err := f.Factorize(nan, 1); !errors.As(err, &nf) {
		t.Errorf("NaN kernel: got %v, want NotFiniteError", err)
	}
}

// TestSolveVecMatchesSolveTo: the vector and matrix solves agree exactly,
// and the residual of the solve is at rounding level.
func TestSolveVecMatchesSolveTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	k := randomKernel(rng, 20, 30, 1)
	orig := mat.NewSymDense(20, nil)
	orig.CopySym(k)
	var f Factor
	if err := f.Factorize(k, 0.1); err != nil {
		t.Fatal(err)
	}
	b := make([]float64, 20)
	for i := range b {
		b[i] = rng.NormFloat64()
	}
	x := append([]float64(nil), b...)
	if err := f.SolveVec(x); err != nil {
		t.Fatal(err)
	}
	r := mat.NewVecDense(20, nil)
	r.MulVec(orig, mat.NewVecDense(20, x))
	r.AddScaledVec(r, 0.1, mat.NewVecDense(20, x))
	if d := floats.Distance(r.RawVector().Data, b, math.Inf(1)); d > 1e-12 {
		t.Errorf("residual %g", d)
	}
}
