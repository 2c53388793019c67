package mkl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/ntkmkl/ntkmkl/krr"
	"github.com/ntkmkl/ntkmkl/ntk"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// testProblem builds an MKL problem from the real NTK stack of random
// data with d classes given by a random linear teacher, scaled by the mean
// diagonal as in DESIGN.md §3.
func testProblem(seed uint64, n, m, depth, d int, lambda float64) *Problem {
	rng := rand.New(rand.NewPCG(seed, 99))
	x := mat.NewDense(n, m, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	teacher := mat.NewDense(m, d, nil)
	for i := 0; i < m; i++ {
		for j := 0; j < d; j++ {
			teacher.Set(i, j, rng.NormFloat64())
		}
	}
	var scores mat.Dense
	scores.Mul(x, teacher)
	y := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		y.Set(i, floats.MaxIdx(scores.RawRowView(i)), 1)
	}
	cfg := ntk.Config{Depth: depth}
	stack := cfg.Stack(nil, x, nil, nil)
	s := KernelScales(cfg.Diag(nil, x))
	for l := range stack {
		stack[l].Scale(1/s[l], stack[l])
	}
	return &Problem{Kernels: stack, Targets: y, Lambda: lambda}
}

// TestProjectSimplex compares the sort-based projection with bisection on
// the threshold τ of Σ max(xᵢ − τ, 0) = 1, an independent computation, and
// checks the optimality condition of the projection: x − P(x) is constant
// on the support.
func TestProjectSimplex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := [][]float64{
		{0.2, 0.3, 0.5},     // already feasible: unchanged
		{1, 1, 1},           // uniform
		{5, 0, 0},           // one vertex
		{-1, -2, -3},        // all negative
		{0.5, 0.5, 10, -10}, // ties
	}
	for k := 0; k < 20; k++ {
		x := make([]float64, 1+rng.IntN(12))
		for i := range x {
			x[i] = 3 * rng.NormFloat64()
		}
		cases = append(cases, x)
	}
	// A point feasible up to rounding keeps its exact zeros.
	nearly := []float64{0, 0, 0.1, 0.2, 0.7 - 1e-17, 0}
	got := append([]float64(nil), nearly...)
	if ProjectSimplex(got, got); got[0] != 0 || got[5] != 0 {
		t.Errorf("nearly feasible %v projected to %v: zeros lost", nearly, got)
	}
	for _, x := range cases {
		got := make([]float64, len(x))
		ProjectSimplex(got, x)
		lo, hi := floats.Min(x)-1, floats.Max(x)
		for it := 0; it < 200; it++ {
			tau := (lo + hi) / 2
			var s float64
			for _, v := range x {
				s += max(v-tau, 0)
			}
			if s > 1 {
				lo = tau
			} else {
				hi = tau
			}
		}
		for i, v := range x {
			if want := max(v-(lo+hi)/2, 0); math.Abs(got[i]-want) > 1e-12 {
				t.Errorf("x=%v: projection %v, bisection gives %v at %d", x, got, want, i)
				break
			}
		}
		if s := floats.Sum(got); math.Abs(s-1) > 1e-12 {
			t.Errorf("x=%v: projection sums to %v", x, s)
		}
	}
}

// TestGradientAndHessian checks the analytic gradient and Hessian of J
// against central differences of J and of the gradient, for both
// constraints' objectives (with and without weight decay).
func TestGradientAndHessian(t *testing.T) {
	p := testProblem(3, 30, 5, 4, 2, 1e-2)
	mu := []float64{0.1, 0.4, 0.3, 0.2}
	for _, decay := range []float64{0, 0.05} {
		e := newEvaluator(p, decay, mat.NewSymDense(30, nil))
		e.setClass(1)
		grad := make([]float64, 4)
		j0, err := e.eval(mu, grad)
		if err != nil {
			t.Fatal(err)
		}
		h := mat.NewSymDense(4, nil)
		if err := e.hessian(h); err != nil {
			t.Fatal(err)
		}
		const step = 1e-5
		for l := 0; l < 4; l++ {
			up, down := append([]float64(nil), mu...), append([]float64(nil), mu...)
			up[l] += step
			down[l] -= step
			gu, gd := make([]float64, 4), make([]float64, 4)
			ju, _ := e.eval(up, gu)
			jd, _ := e.eval(down, gd)
			if fd := (ju - jd) / (2 * step); math.Abs(fd-grad[l]) > 1e-7*math.Abs(j0) {
				t.Errorf("γ=%v ∂J/∂μ%d: analytic %v, finite difference %v", decay, l+1, grad[l], fd)
			}
			for k := 0; k < 4; k++ {
				if fd := (gu[k] - gd[k]) / (2 * step); math.Abs(fd-h.At(l, k)) > 1e-6*mat.Norm(h, math.Inf(1)) {
					t.Errorf("γ=%v ∂²J/∂μ%d∂μ%d: analytic %v, finite difference %v", decay, l+1, k+1, h.At(l, k), fd)
				}
			}
		}
		// J against a direct LU solve: λ yᵀ(K + λI)⁻¹y + γ‖μ‖².
		a := mat.NewDense(30, 30, nil)
		for l, k := range p.Kernels {
			a.Add(a, scaled(mu[l], k))
		}
		for i := 0; i < 30; i++ {
			a.Set(i, i, a.At(i, i)+p.Lambda)
		}
		y := mat.Col(nil, 1, p.Targets)
		var sol mat.VecDense
		if err := sol.SolveVec(a, mat.NewVecDense(30, y)); err != nil {
			t.Fatal(err)
		}
		want := p.Lambda*floats.Dot(y, sol.RawVector().Data) + decay*floats.Dot(mu, mu)
		if math.Abs(j0-want) > 1e-10*math.Abs(want) {
			t.Errorf("γ=%v: J = %v, LU gives %v", decay, j0, want)
		}
	}
}

func scaled(a float64, m mat.Matrix) *mat.Dense {
	var d mat.Dense
	d.Scale(a, m)
	return &d
}

// TestSolveCertified solves small problems with both methods and both
// constraints and checks the result against its own certificate,
// recomputed by Evaluate from the kernels at the returned Ω: feasibility,
// gap ≤ Tol·|J|, and the reported J. On the simplex the two methods must
// reach the same J to within their gaps, since the gap bounds J − J*.
func TestSolveCertified(t *testing.T) {
	p := testProblem(5, 60, 6, 6, 3, 1e-3)
	for _, tc := range []struct {
		cons  Constraint
		decay float64
	}{{Simplex, 0}, {Positive, 1e-3}} {
		objectives := map[Method][]float64{}
		for _, method := range []Method{Newton, Gradient} {
			name := fmt.Sprintf("%v/%v", tc.cons, method)
			// Newton solves each quadratic model exactly and certifies 1e-8
			// relative. Projected gradient's backtracking compares values of
			// J that differ by less than their rounding this close to the
			// optimum: with OpenBLAS's summation order it stalled at 1.7e-8
			// on the positive set, so it is held to 1e-7.
			tol := 1e-8
			if method == Gradient {
				tol = 1e-7
			}
			set := &Settings{Constraint: tc.cons, Decay: tc.decay, Method: method, Tol: tol, MaxIter: 5000}
			res, err := Solve(context.Background(), p, set)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for c, cr := range res.Classes {
				if cr.Status != Converged {
					t.Errorf("%s class %d: status %v after %d iterations, gap %g", name, c, cr.Status, cr.Iterations, cr.Gap)
				}
				mu := res.Omega.RawRowView(c)
				for _, v := range mu {
					if v < 0 {
						t.Errorf("%s class %d: negative weight %v", name, c, v)
					}
				}
				if tc.cons == Simplex && math.Abs(floats.Sum(mu)-1) > 1e-12 {
					t.Errorf("%s class %d: weights sum to %v", name, c, floats.Sum(mu))
				}
				j, g, err := Evaluate(p, c, mu, tc.decay)
				if err != nil {
					t.Fatal(err)
				}
				gap := certificate(tc.cons, g, mu)
				if gap > tol*math.Abs(j) {
					t.Errorf("%s class %d: recomputed gap %g > tol·|J| = %g", name, c, gap, tol*math.Abs(j))
				}
				if math.Abs(j-cr.Objective) > 1e-12*math.Abs(j) || math.Abs(gap-cr.Gap) > 1e-9*math.Abs(j) {
					t.Errorf("%s class %d: reported J %v gap %v, recomputed %v %v", name, c, cr.Objective, cr.Gap, j, gap)
				}
				// α in the result is the solution at the returned weights.
				e := newEvaluator(p, tc.decay, mat.NewSymDense(60, nil))
				e.setClass(c)
				e.eval(mu, g)
				if !floats.EqualApprox(e.alpha, mat.Col(nil, c, res.Alpha), 1e-12) {
					t.Errorf("%s class %d: α does not belong to the returned weights", name, c)
				}
				objectives[method] = append(objectives[method], j)
			}
		}
		for c := range objectives[Newton] {
			a, b := objectives[Newton][c], objectives[Gradient][c]
			if math.Abs(a-b) > (1e-8+1e-7)*math.Abs(a) { // the sum of the two certified tolerances
				t.Errorf("%v class %d: Newton J = %v, gradient J = %v", tc.cons, c, a, b)
			}
		}
	}
}

// TestSolveAgainstGrid: with two layers the simplex is a segment, so a
// fine grid over μ₁ ∈ [0, 1] finds J* independently; the solver's J may
// not exceed the grid minimum by more than its certified gap.
func TestSolveAgainstGrid(t *testing.T) {
	p := testProblem(7, 40, 4, 2, 2, 1e-2)
	res, err := Solve(context.Background(), p, &Settings{Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	for c, cr := range res.Classes {
		best := math.Inf(1)
		for i := 0; i <= 2000; i++ {
			a := float64(i) / 2000
			j, _, err := Evaluate(p, c, []float64{a, 1 - a}, 0)
			if err != nil {
				t.Fatal(err)
			}
			best = math.Min(best, j)
		}
		if cr.Objective > best+cr.Gap+1e-14 {
			t.Errorf("class %d: solver J %v above grid minimum %v (gap %g)", c, cr.Objective, best, cr.Gap)
		}
		if best < cr.Objective-cr.Gap-1e-14 {
			t.Errorf("class %d: grid found %v below J − gap = %v: the certificate is wrong", c, best, cr.Objective-cr.Gap)
		}
	}
}

// TestNewtonNeedsFewerFactorizations: on the same problem and tolerance,
// projected Newton uses at most a quarter of the factorizations of
// projected gradient (the goal of the performance issue).
func TestNewtonNeedsFewerFactorizations(t *testing.T) {
	p := testProblem(11, 80, 8, 10, 3, 1e-3)
	count := map[Method]int{}
	for _, m := range []Method{Newton, Gradient} {
		res, err := Solve(context.Background(), p, &Settings{Method: m, Tol: 1e-6, MaxIter: 5000})
		if err != nil {
			t.Fatal(err)
		}
		for _, cr := range res.Classes {
			if cr.Status != Converged {
				t.Fatalf("%v: status %v", m, cr.Status)
			}
			count[m] += cr.Factorizations
		}
	}
	t.Logf("factorizations: newton %d, gradient %d", count[Newton], count[Gradient])
	if 4*count[Newton] > count[Gradient] {
		t.Errorf("newton used %d factorizations, gradient %d: want at most a quarter", count[Newton], count[Gradient])
	}
}

// TestWorkersDoNotChangeResult: each class is solved by one goroutine from
// the same start, so the worker count cannot change a bit of Ω or α.
func TestWorkersDoNotChangeResult(t *testing.T) {
	p := testProblem(13, 50, 5, 5, 4, 1e-3)
	var first *Result
	for _, w := range []int{1, 2, 4} {
		res, err := Solve(context.Background(), p, &Settings{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = res
			continue
		}
		if !mat.Equal(first.Omega, res.Omega) || !mat.Equal(first.Alpha, res.Alpha) {
			t.Errorf("workers=%d changed the result", w)
		}
	}
}

// TestSolveErrors: bad λ and decay are errors, an indefinite kernel is a
// NotPositiveDefiniteError, and a canceled context returns the partial
// result with context.Canceled.
func TestSolveErrors(t *testing.T) {
	p := testProblem(17, 20, 3, 3, 2, 1e-3)
	bad := *p
	bad.Lambda = 0
	if _, err := Solve(context.Background(), &bad, nil); !errors.Is(err, ErrBadLambda) {
		t.Errorf("λ=0: %v", err)
	}
	if _, err := Solve(context.Background(), p, &Settings{Constraint: Positive}); !errors.Is(err, ErrBadDecay) {
		t.Errorf("positive without decay: %v", err)
	}
	neg := *p
	neg.Kernels = []*mat.Dense{scaled(-1, p.Kernels[0]), p.Kernels[1], p.Kernels[2]}
	neg.Lambda = 1e-6
	var npd *krr.NotPositiveDefiniteError
	if _, err := Solve(context.Background(), &neg, &Settings{Init: mat.NewDense(2, 3, []float64{1, 0, 0, 1, 0, 0})}); !errors.As(err, &npd) {
		t.Errorf("indefinite kernel: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Solve(ctx, p, nil)
	if !errors.Is(err, context.Canceled) || res == nil || res.Classes[0].Status != Canceled {
		t.Errorf("canceled: err %v", err)
	}
}

// TestScoresOnTrainingSet: on the training inputs, Σℓ μ_cℓ K̃ℓ α_c is the
// fitted value K_c α_c = y_c − λα_c (Eq. 14 and the identity of krr), a
// computation that uses no product with the kernels.
func TestScoresOnTrainingSet(t *testing.T) {
	p := testProblem(19, 40, 5, 4, 3, 1e-2)
	res, err := Solve(context.Background(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := Scores(nil, p.Kernels, res.Omega, res.Alpha)
	var want mat.Dense
	want.Scale(-p.Lambda, res.Alpha)
	want.Add(&want, p.Targets)
	if !mat.EqualApprox(got, &want, 1e-9) {
		t.Errorf("scores on the training set differ from y − λα")
	}
}

// TestResumeIsExact: resuming every class from the state it reported at
// some iteration (as a checkpoint would) reproduces the uninterrupted Ω
// and α bit for bit, for both methods, including classes that had already
// finished.
func TestResumeIsExact(t *testing.T) {
	p := testProblem(23, 50, 5, 6, 3, 1e-3)
	for _, method := range []Method{Newton, Gradient} {
		var mu sync.Mutex
		states := make([][]State, 3)
		set := &Settings{Method: method, Tol: 1e-9, Workers: 2, Progress: func(it Iteration) {
			mu.Lock()
			states[it.Class] = append(states[it.Class], it.State)
			mu.Unlock()
		}}
		full, err := Solve(context.Background(), p, set)
		if err != nil {
			t.Fatal(err)
		}
		for _, frac := range []float64{0, 0.3, 0.7, 1} {
			resume := make([]State, 3)
			for c := range resume {
				k := int(frac * float64(len(states[c])-1))
				resume[c] = states[c][k]
			}
			res, err := Solve(context.Background(), p, &Settings{Method: method, Tol: 1e-9, Resume: resume})
			if err != nil {
				t.Fatal(err)
			}
			if !mat.Equal(res.Omega, full.Omega) || !mat.Equal(res.Alpha, full.Alpha) {
				t.Errorf("%v: resuming at %.0f%% of the iterations changed the result", method, 100*frac)
			}
			for c := range res.Classes {
				if res.Classes[c].Iterations != full.Classes[c].Iterations || len(res.Classes[c].Trace) != len(full.Classes[c].Trace) {
					t.Errorf("%v class %d: %d iterations (%d trace points) after resuming, %d (%d) uninterrupted", method, c,
						res.Classes[c].Iterations, len(res.Classes[c].Trace), full.Classes[c].Iterations, len(full.Classes[c].Trace))
				}
			}
		}
	}
}

// valProblem adds a validation split to testProblem: the last nv points
// become V, the rest X, with the cross-kernels cut from the same stack.
func valProblem(seed uint64, n, nv int) *Problem {
	full := testProblem(seed, n+nv, 5, 4, 2, 1e-2)
	cut := func(k *mat.Dense, r0, r1, c0, c1 int) *mat.Dense { return mat.DenseCopyOf(k.Slice(r0, r1, c0, c1)) }
	p := &Problem{Lambda: full.Lambda, Validation: &Validation{}}
	for _, k := range full.Kernels {
		p.Kernels = append(p.Kernels, cut(k, 0, n, 0, n))
		p.Validation.Kernels = append(p.Validation.Kernels, cut(k, n, n+nv, 0, n))
	}
	p.Targets = cut(full.Targets, 0, n, 0, 2)
	p.Validation.Targets = cut(full.Targets, n, n+nv, 0, 2)
	return p
}

// residual computes r = K_c(V, X) (K_c + λI)⁻¹ y_c − y_c(V) by dense LU:
// an independent evaluation of the validation objective's residual.
func residual(p *Problem, c int, mu []float64) []float64 {
	n, _ := p.Kernels[0].Dims()
	a := mat.NewDense(n, n, nil)
	var kvx mat.Dense
	for l := range p.Kernels {
		a.Add(a, scaled(mu[l], p.Kernels[l]))
		if l == 0 {
			kvx.Scale(mu[0], p.Validation.Kernels[0])
		} else {
			kvx.Add(&kvx, scaled(mu[l], p.Validation.Kernels[l]))
		}
	}
	for i := 0; i < n; i++ {
		a.Set(i, i, a.At(i, i)+p.Lambda)
	}
	var alpha, r mat.VecDense
	alpha.SolveVec(a, mat.NewVecDense(n, mat.Col(nil, c, p.Targets)))
	r.MulVec(&kvx, &alpha)
	r.SubVec(&r, mat.NewVecDense(r.Len(), mat.Col(nil, c, p.Validation.Targets)))
	return r.RawVector().Data
}

// TestValidationObjective checks E_c against the LU residual, its gradient
// against central differences of E_c, and the Gauss–Newton matrix against
// 2 JᵀJ with J the finite-difference Jacobian of the residual.
func TestValidationObjective(t *testing.T) {
	p := valProblem(29, 30, 12)
	mu := []float64{0.2, 0.3, 0.1, 0.4}
	v := newValEvaluator(p, 0, mat.NewSymDense(30, nil))
	v.setClass(1)
	grad := make([]float64, 4)
	e, err := v.eval(mu, grad)
	if err != nil {
		t.Fatal(err)
	}
	r := residual(p, 1, mu)
	if want := floats.Dot(r, r); math.Abs(e-want) > 1e-10*want {
		t.Errorf("E = %v, LU residual gives %v", e, want)
	}
	h := mat.NewSymDense(4, nil)
	if err := v.hessian(h); err != nil {
		t.Fatal(err)
	}
	const step = 1e-6
	jac := mat.NewDense(len(r), 4, nil)
	for l := 0; l < 4; l++ {
		up, down := append([]float64(nil), mu...), append([]float64(nil), mu...)
		up[l] += step
		down[l] -= step
		g := make([]float64, 4)
		eu, _ := v.eval(up, g)
		ed, _ := v.eval(down, g)
		if fd := (eu - ed) / (2 * step); math.Abs(fd-grad[l]) > 1e-6*math.Max(1, math.Abs(grad[l])) {
			t.Errorf("∂E/∂μ%d: analytic %v, finite difference %v", l+1, grad[l], fd)
		}
		ru, rd := residual(p, 1, up), residual(p, 1, down)
		for i := range ru {
			jac.Set(i, l, (ru[i]-rd[i])/(2*step))
		}
	}
	var jtj mat.Dense
	jtj.Mul(jac.T(), jac)
	jtj.Scale(2, &jtj)
	if !mat.EqualApprox(h, &jtj, 1e-6*mat.Norm(&jtj, math.Inf(1))) {
		t.Errorf("Gauss–Newton matrix\n%v\nwant 2JᵀJ\n%v", mat.Formatted(h), mat.Formatted(&jtj))
	}
}

// TestSolveValidation: both methods reach a stationary point of E_c on the
// simplex (the gap, here a stationarity measure, at the tolerance) and do
// not end above the uniform weights' held-out error.
func TestSolveValidation(t *testing.T) {
	p := valProblem(31, 60, 20)
	for _, m := range []Method{Newton, Gradient} {
		res, err := Solve(context.Background(), p, &Settings{Method: m, Tol: 1e-6, MaxIter: 3000})
		if err != nil {
			t.Fatal(err)
		}
		for c, cr := range res.Classes {
			if cr.Status != Converged && cr.Status != Stalled {
				t.Errorf("%v class %d: %v gap %g", m, c, cr.Status, cr.Gap)
			}
			ru := residual(p, c, []float64{0.25, 0.25, 0.25, 0.25})
			if u := floats.Dot(ru, ru); cr.Objective > u*(1+1e-12) {
				t.Errorf("%v class %d: E = %v above uniform weights' %v", m, c, cr.Objective, u)
			}
		}
	}
}
