package mkl

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"
)

// Problem is multiple kernel learning for all classes at once: the scaled
// kernels K̃1..K̃L, shared by the classes, and one target column per class.
type Problem struct {
	// Kernels are K̃ℓ, each n×n and symmetric with both triangles stored
	// (ntk.Config.Stack writes both), already divided by sℓ.
	Kernels []*mat.Dense
	// Targets is n×d; column c is y_c.
	Targets *mat.Dense
	// Lambda is the ridge λ > 0, added literally to K_c.
	Lambda float64
	// Validation, if not nil, replaces the dual objective J_c by the
	// held-out squared error of the class scores on a validation split
	// (DESIGN.md §4, --objective val).
	Validation *Validation
}

// Validation is a held-out split for the validation objective
// E_c(μ) = ‖K_c(V, X) α_c − y_c(V)‖², α_c = (K_c + λI)⁻¹ y_c on the
// training split X.
type Validation struct {
	// Kernels are the scaled cross-kernels K̃ℓ(V, X), each nv×n.
	Kernels []*mat.Dense
	// Targets is nv×d.
	Targets *mat.Dense
}

// Constraint is the feasible set S of Eq. 9.
type Constraint int

const (
	// Simplex is Σℓ μℓ = 1, μ ≥ 0 per class: the standard MKL constraint.
	Simplex Constraint = iota
	// Positive is μ ≥ 0 (Eq. 12), with weight decay γ‖μ‖² added to J.
	Positive
)

func (c Constraint) String() string {
	switch c {
	case Simplex:
		return "simplex"
	case Positive:
		return "positive"
	}
	return fmt.Sprintf("Constraint(%d)", int(c))
}

// ParseConstraint returns the Constraint named "simplex" or "positive".
func ParseConstraint(s string) (Constraint, error) {
	switch strings.ToLower(s) {
	case "simplex":
		return Simplex, nil
	case "positive":
		return Positive, nil
	}
	return 0, fmt.Errorf("mkl: unknown constraint %q (known: simplex, positive)", s)
}

// Method is the algorithm that minimizes J_c over S.
type Method int

const (
	// Newton is projected Newton: the exact Hessian, a QP over S, and a
	// backtracking line search. Few factorizations per class.
	Newton Method = iota
	// Gradient is projected gradient (Eq. 16) with backtracking.
	Gradient
)

func (m Method) String() string {
	switch m {
	case Newton:
		return "newton"
	case Gradient:
		return "gradient"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod returns the Method named "newton" or "gradient".
func ParseMethod(s string) (Method, error) {
	switch strings.ToLower(s) {
	case "newton":
		return Newton, nil
	case "gradient", "pg":
		return Gradient, nil
	}
	return 0, fmt.Errorf("mkl: unknown solver %q (known: newton, gradient)", s)
}

// Settings controls Solve. The zero value means the defaults given with
// each field.
type Settings struct {
	// Constraint is the feasible set; the default is Simplex.
	Constraint Constraint
	// Decay is the weight decay γ of the Positive constraint, which needs
	// γ > 0. It must be zero for Simplex.
	Decay float64
	// Method is the algorithm; the default is Newton.
	Method Method
	// StepSize is the initial step η of projected gradient, halved by the
	// line search when it does not decrease J. Zero means automatic: a
	// Barzilai–Borwein step from the last two iterates.
	StepSize float64
	// MaxIter bounds the iterations per class. Zero means 1000.
	MaxIter int
	// Tol is the relative certificate: a class stops when its gap is at
	// most Tol·|J_c|. Zero means 1e-6.
	Tol float64
	// Workers is the number of classes solved at once, each holding an
	// n×n work matrix. Zero means runtime.GOMAXPROCS(0), at most d.
	Workers int
	// Init is the starting Ω (d×L), e.g. from a checkpoint. Nil means
	// uniform weights 1/L.
	Init *mat.Dense
	// Resume, if not nil, holds one saved State per class (from
	// Iteration.State, e.g. through a checkpoint): each class continues
	// exactly where it stopped, and a finished class is only re-evaluated.
	// A State without weights starts its class afresh from Init.
	Resume []State
	// Progress, if not nil, is called after every iteration of every
	// class, from the goroutine solving that class.
	Progress func(Iteration)
}

func (s *Settings) withDefaults() Settings {
	var r Settings
	if s != nil {
		r = *s
	}
	if r.MaxIter <= 0 {
		r.MaxIter = 1000
	}
	if r.Tol <= 0 {
		r.Tol = 1e-6
	}
	return r
}

// Iteration is what Progress is told after each iteration of a class.
type Iteration struct {
	Class          int     // column of Targets
	Iter           int     // iterations done
	Objective      float64 // J_c at the current weights
	Gap            float64 // the certificate at the current weights
	Factorizations int     // Cholesky factorizations so far for this class
	Done           bool    // the class has finished
	State          State   // everything needed to continue from here
}

// State is the complete state of one class between iterations: resuming
// from it (Settings.Resume) reproduces the remaining iterations bit for
// bit. The Newton iteration is a function of the weights alone; projected
// gradient also carries its step and previous iterate.
type State struct {
	Weights        []float64    `json:"weights"`
	Iter           int          `json:"iter"`
	Done           bool         `json:"done"`
	Status         Status       `json:"status"`
	Factorizations int          `json:"factorizations"`
	Step           float64      `json:"step,omitempty"`
	PrevWeights    []float64    `json:"prev_weights,omitempty"`
	PrevGrad       []float64    `json:"prev_grad,omitempty"`
	Trace          []TracePoint `json:"trace"`
}

// Status says why a class stopped.
type Status int

const (
	// Converged: the certificate reached Tol·|J_c|.
	Converged Status = iota
	// IterationLimit: MaxIter iterations ran out first.
	IterationLimit
	// Stalled: the line search could not decrease J any further, which
	// happens when the gap is already at the level of rounding error.
	Stalled
	// Canceled: the context was canceled; the weights are the last iterate.
	Canceled
)

func (s Status) String() string {
	return [...]string{"converged", "iteration-limit", "stalled", "canceled"}[s]
}

// MarshalText writes the status by name, for reports.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a status written by MarshalText.
func (s *Status) UnmarshalText(b []byte) error {
	for v := Converged; v <= Canceled; v++ {
		if v.String() == string(b) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("mkl: unknown status %q", b)
}

// ClassResult is the outcome for one class.
type ClassResult struct {
	Weights        []float64 // μ_c, length L
	Objective      float64   // J_c(μ_c), including γ‖μ_c‖² for Positive
	Gap            float64   // Frank–Wolfe gap (Simplex) or projected-gradient norm (Positive)
	Iterations     int
	Factorizations int     // Cholesky factorizations used
	Cond           float64 // estimated 1-norm condition number of K_c + λI at μ_c
	Status         Status
	Trace          []TracePoint // one entry per iteration, starting at the initial weights
}

// TracePoint records one iterate of a class.
type TracePoint struct {
	Objective float64 `json:"objective"`
	Gap       float64 `json:"gap"`
}

// Result is the outcome of Solve.
type Result struct {
	Omega   *mat.Dense // d×L weights μ, row c for class c
	Alpha   *mat.Dense // n×d, column c is (K_c + λI)⁻¹ y_c at the final weights
	Classes []ClassResult
	Runtime time.Duration
}

// ErrBadLambda is returned for a ridge that is not a positive finite
// number.
var ErrBadLambda = errors.New("mkl: λ must be a positive finite number")

// ErrBadDecay is returned for weight decay that does not fit the
// constraint: Positive needs γ > 0 (J alone is unbounded below there).
var ErrBadDecay = errors.New("mkl: the positive constraint needs weight decay γ > 0 (J decreases in every weight, so without it μ grows without bound)")

func (p *Problem) check() (n, L, d int) {
	L = len(p.Kernels)
	if L == 0 {
		panic("mkl: no kernels")
	}
	n, _ = p.Kernels[0].Dims()
	for l, k := range p.Kernels {
		if r, c := k.Dims(); r != n || c != n {
			panic(fmt.Sprintf("mkl: kernel %d is %d×%d, want %d×%d", l+1, r, c, n, n))
		}
	}
	r, d := p.Targets.Dims()
	if r != n {
		panic(fmt.Sprintf("mkl: targets have %d rows, kernels are %d×%d", r, n, n))
	}
	if v := p.Validation; v != nil {
		if len(v.Kernels) != L {
			panic(fmt.Sprintf("mkl: %d validation kernels for %d layers", len(v.Kernels), L))
		}
		nv, dv := v.Targets.Dims()
		if dv != d {
			panic(fmt.Sprintf("mkl: validation targets have %d columns, training targets %d", dv, d))
		}
		for l, k := range v.Kernels {
			if r, c := k.Dims(); r != nv || c != n {
				panic(fmt.Sprintf("mkl: validation kernel %d is %d×%d, want %d×%d", l+1, r, c, nv, n))
			}
		}
	}
	return n, L, d
}

func checkLambda(lambda float64) error {
	if !(lambda > 0) || math.IsInf(lambda, 0) {
		return ErrBadLambda
	}
	return nil
}
