package mkl

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

var sqrt = math.Sqrt

// Solve learns Ω: for every class it minimizes J_c over the feasible set,
// starting from s.Init (or uniform weights), until the certificate reaches
// s.Tol·|J_c| or s.MaxIter iterations. Classes are solved in parallel; the
// result does not depend on the number of workers.
//
// Solve panics on inconsistent shapes. It returns an error for a bad λ or
// decay, and for a kernel that is not positive definite at λ
// (*krr.NotPositiveDefiniteError). When ctx is canceled, every class stops
// after its current iteration and Solve returns the partial result (each
// class with its Status) together with ctx.Err().
func Solve(ctx context.Context, p *Problem, s *Settings) (*Result, error) {
	n, L, d := p.check()
	set, init, err := prepare(s, p.Lambda, d, L)
	if err != nil {
		return nil, err
	}
	newObjective := func() objective { return newEvaluator(p, set.Decay, mat.NewSymDense(n, nil)) }
	if p.Validation != nil {
		newObjective = func() objective { return newValEvaluator(p, set.Decay, mat.NewSymDense(n, nil)) }
	}
	return solveAll(ctx, newObjective, init, n, &set)
}

// prepare fills in the settings' defaults, checks λ and the decay against
// the constraint, and returns the starting Ω (uniform 1/L without Init).
func prepare(s *Settings, lambda float64, d, L int) (Settings, *mat.Dense, error) {
	set := s.withDefaults()
	if err := checkLambda(lambda); err != nil {
		return set, nil, err
	}
	if set.Constraint == Positive && !(set.Decay > 0) || set.Constraint == Simplex && set.Decay != 0 {
		return set, nil, ErrBadDecay
	}
	init := set.Init
	if init == nil {
		init = mat.NewDense(d, L, nil)
		for i := 0; i < d; i++ {
			for l := 0; l < L; l++ {
				init.Set(i, l, 1/float64(L))
			}
		}
	}
	checkOmega(init, d, L)
	if set.Resume != nil && len(set.Resume) != d {
		panic(fmt.Sprintf("mkl: %d resume states for %d classes", len(set.Resume), d))
	}
	return set, init, nil
}

// solveAll solves every class with objectives from newObjective, one per
// worker; n is the length of the dual vectors.
func solveAll(ctx context.Context, newObjective func() objective, init *mat.Dense, n int, s *Settings) (*Result, error) {
	start := time.Now()
	set := *s
	d, L := init.Dims()
	res := &Result{
		Omega:   mat.NewDense(d, L, nil),
		Alpha:   mat.NewDense(n, d, nil),
		Classes: make([]ClassResult, d),
	}
	workers := set.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, d)
	errs := make([]error, d)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := newObjective()
			for {
				c := int(next.Add(1) - 1)
				if c >= d {
					return
				}
				e.setClass(c)
				var start State
				if set.Resume != nil && set.Resume[c].Weights != nil {
					start = set.Resume[c]
					if len(start.Weights) != L {
						panic(fmt.Sprintf("mkl: resume state of class %d has %d weights for %d layers", c, len(start.Weights), L))
					}
					start.Weights = append([]float64(nil), start.Weights...)
				} else {
					start.Weights = mat.Row(nil, c, init)
					if set.Constraint == Simplex {
						ProjectSimplex(start.Weights, start.Weights)
					} else {
						ProjectPositive(start.Weights, start.Weights)
					}
				}
				cr, err := solveClassSafely(ctx, e, c, start, &set)
				if err != nil {
					errs[c] = err
					continue
				}
				res.Classes[c] = cr
				res.Omega.SetRow(c, cr.Weights)
				res.Alpha.SetCol(c, e.dual())
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	res.Runtime = time.Since(start)
	return res, ctx.Err()
}

// certificate returns the stopping quantity for the constraint.
func certificate(c Constraint, grad, mu []float64) float64 {
	if c == Simplex {
		return FrankWolfeGap(grad, mu)
	}
	return ProjectedGradientNorm(grad, mu)
}

// solveClass minimizes J for one class from the state start. On return
// e.alpha holds α at the returned weights.
func solveClass(ctx context.Context, e objective, c int, start State, set *Settings) (ClassResult, error) {
	L := len(start.Weights)
	grad := make([]float64, L)
	j, err := e.eval(start.Weights, grad)
	if err != nil {
		return ClassResult{}, err
	}
	e.setFactorizations(start.Factorizations + 1)
	project := ProjectPositive
	if set.Constraint == Simplex {
		project = ProjectSimplex
	}
	st := &classSolver{e: e, set: set, project: project, mu: start.Weights, grad: grad, j: j, current: true,
		eta: start.Step, prevMu: start.PrevWeights, prevGrad: start.PrevGrad}
	cr := ClassResult{Status: IterationLimit, Trace: start.Trace}
	if start.Done {
		// Finished before the checkpoint: the evaluation above restored α.
		e.setFactorizations(start.Factorizations)
		cr.Status, cr.Iterations = start.Status, start.Iter
		cr.Gap = certificate(set.Constraint, grad, st.mu)
		cr.Weights, cr.Objective, cr.Factorizations, cr.Cond = st.mu, j, e.factorizations(), e.cond()
		return cr, nil
	}
	for it := start.Iter; ; it++ {
		gap := certificate(set.Constraint, st.grad, st.mu)
		if it > start.Iter || len(cr.Trace) == 0 {
			cr.Trace = append(cr.Trace, TracePoint{Objective: st.j, Gap: gap})
		}
		cr.Iterations, cr.Gap = it, gap
		done := gap <= set.Tol*math.Abs(st.j)
		if done {
			cr.Status = Converged
		}
		if !done && ctx.Err() != nil {
			cr.Status, done = Canceled, true
		}
		if !done && it >= set.MaxIter {
			done = true
		}
		if set.Progress != nil {
			state := State{
				Weights: clone(st.mu), Iter: it, Done: done && cr.Status != Canceled, Status: cr.Status,
				Factorizations: e.factorizations(), Step: st.eta, PrevWeights: clone(st.prevMu), PrevGrad: clone(st.prevGrad),
				Trace: append([]TracePoint(nil), cr.Trace...),
			}
			set.Progress(Iteration{Class: c, Iter: it, Objective: st.j, Gap: gap, Factorizations: e.factorizations(), Done: done, State: state})
		}
		if done {
			break
		}
		var ok bool
		if set.Method == Newton {
			ok, err = st.newtonStep()
		} else {
			ok, err = st.gradientStep()
		}
		if err != nil {
			return ClassResult{}, err
		}
		if !ok {
			cr.Status = Stalled
			break
		}
	}
	if !st.current {
		// The last trial point was rejected: re-evaluate at the accepted
		// weights, so that α and the condition number belong to them.
		if _, err := e.eval(st.mu, make([]float64, L)); err != nil {
			return ClassResult{}, err
		}
	}
	cr.Weights, cr.Objective = st.mu, st.j
	cr.Factorizations, cr.Cond = e.factorizations(), e.cond()
	return cr, nil
}

// solveClassSafely is solveClass with a panic inside the numerics (a bug,
// or a library failing on extreme values) turned into an error for that
// class, so that one class cannot take a batch job down with a stack trace.
func solveClassSafely(ctx context.Context, e objective, c int, start State, set *Settings) (cr ClassResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mkl: class %d: internal error in the solver: %v", c, r)
		}
	}()
	return solveClass(ctx, e, c, start, set)
}

func clone(x []float64) []float64 {
	if x == nil {
		return nil
	}
	return append([]float64(nil), x...)
}

// classSolver holds the state of one class between iterations.
type classSolver struct {
	e       objective
	set     *Settings
	project func(dst, x []float64)
	mu      []float64
	grad    []float64
	j       float64
	current bool // the evaluator's factor belongs to mu

	// projected gradient: the step and the previous iterate, for
	// Barzilai–Borwein.
	eta              float64
	prevMu, prevGrad []float64

	// Newton: the Hessian is valid for mu when hessOK.
	hess   *mat.SymDense
	hessOK bool
}

// maxHalvings bounds a line search: 2⁻⁴⁰ of the first step is below the
// resolution of any weight.
const maxHalvings = 40

// gradientStep takes one projected-gradient step (Eq. 16) with a
// backtracking line search on the sufficient-decrease condition of a
// projected step, J(μ⁺) ≤ J(μ) + ∇Jᵀ(μ⁺−μ) + ‖μ⁺−μ‖²/(2η) (Beck and
// Teboulle 2009), which no step size can break. It reports false when no
// step decreases J.
func (st *classSolver) gradientStep() (bool, error) {
	L := len(st.mu)
	eta := st.set.StepSize
	if eta == 0 {
		eta = st.autoStep()
	}
	trial, tgrad, d := make([]float64, L), make([]float64, L), make([]float64, L)
	for h := 0; h < maxHalvings; h++ {
		for i := range trial {
			trial[i] = st.mu[i] - eta*st.grad[i]
		}
		st.project(trial, trial)
		floats.SubTo(d, trial, st.mu)
		dd := floats.Dot(d, d)
		if dd == 0 {
			return false, nil
		}
		jt, err := st.e.eval(trial, tgrad)
		if err != nil {
			return false, err
		}
		st.current = true
		if jt <= st.j+floats.Dot(st.grad, d)+dd/(2*eta) && jt <= st.j {
			st.prevMu, st.prevGrad = st.mu, st.grad
			st.mu, st.grad, st.j, st.eta = trial, tgrad, jt, eta
			return true, nil
		}
		st.current = false
		eta /= 2
	}
	return false, nil
}

// autoStep returns a Barzilai–Borwein step sᵀs/sᵀy from the last two
// iterates, or, at the start or when the curvature estimate is not
// positive, a step that moves the largest weight by 1/L.
func (st *classSolver) autoStep() float64 {
	if st.prevMu != nil {
		var ss, sy float64
		for i := range st.mu {
			s := st.mu[i] - st.prevMu[i]
			y := st.grad[i] - st.prevGrad[i]
			ss += s * s
			sy += s * y
		}
		if sy > 0 && ss > 0 {
			return ss / sy
		}
		if st.eta > 0 {
			return 2 * st.eta
		}
	}
	g := floats.Norm(st.grad, math.Inf(1))
	if g == 0 {
		return 1
	}
	return 1 / (float64(len(st.mu)) * g)
}

// newtonStep minimizes the quadratic model of J over the feasible set and
// line-searches along the way to its minimizer, accepting the first
// t = 1, ½, ¼, … with the Armijo decrease J(μ + t d) ≤ J(μ) + 10⁻⁴ t ∇Jᵀd.
// The direction d points into the convex feasible set, so every trial
// point is feasible. It reports false when no step decreases J.
func (st *classSolver) newtonStep() (bool, error) {
	L := len(st.mu)
	if st.hess == nil {
		st.hess = mat.NewSymDense(L, nil)
	}
	if !st.hessOK {
		if !st.current {
			if _, err := st.e.eval(st.mu, make([]float64, L)); err != nil {
				return false, err
			}
			st.current = true
		}
		if err := st.e.hessian(st.hess); err != nil {
			return false, err
		}
		st.hessOK = true
	}
	target := minimizeQuadratic(st.hess, st.grad, st.mu, st.set.Constraint)
	d := make([]float64, L)
	floats.SubTo(d, target, st.mu)
	slope := floats.Dot(st.grad, d)
	if !(slope < 0) {
		// The model sees no descent: fall back to a gradient step, which
		// reports a stall if there is none either.
		st.hessOK = false
		return st.gradientStep()
	}
	trial, tgrad := make([]float64, L), make([]float64, L)
	t := 1.0
	for h := 0; h < maxHalvings; h++ {
		for i := range trial {
			trial[i] = st.mu[i] + t*d[i]
		}
		// Keep exact zeros and the simplex sum despite rounding.
		st.project(trial, trial)
		jt, err := st.e.eval(trial, tgrad)
		if err != nil {
			return false, err
		}
		st.current = true
		if jt <= st.j+1e-4*t*slope {
			st.mu, st.grad, st.j = trial, tgrad, jt
			st.hessOK = false
			if err := st.e.hessian(st.hess); err != nil {
				return false, err
			}
			st.hessOK = true
			return true, nil
		}
		st.current = false
		t /= 2
	}
	return false, nil
}
