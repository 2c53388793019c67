package mkl

import (
	"fmt"
	"math"

	"github.com/ntkmkl/ntkmkl/krr"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// objective is one worker's evaluator of a class objective: the dual J_c
// of Eq. 9 (evaluator), its held-out counterpart (valEvaluator), or the
// Nyström form of J_c. Each evaluation factors K_c + λI once.
type objective interface {
	// setClass selects the target column and resets the count.
	setClass(c int)
	// eval returns the objective at mu and writes its gradient into grad.
	eval(mu, grad []float64) (float64, error)
	// hessian writes the (Gauss–Newton, where not convex) Hessian at the
	// last evaluated weights into h.
	hessian(h *mat.SymDense) error
	// dual returns the dual coefficients at the last evaluated weights.
	dual() []float64
	// factorizations returns, and setFactorizations sets, the number of
	// Cholesky factorizations for the current class.
	factorizations() int
	setFactorizations(int)
	// cond returns the estimated condition number of the last factor.
	cond() float64
}

// evaluator computes J_c, its gradient and its Hessian for one class. It
// owns an n×n work matrix in which K_c + λI is formed and factored in
// place, so an evaluation allocates nothing of size n².
type evaluator struct {
	p     *Problem
	decay float64
	y     []float64
	work  *mat.SymDense
	fac   krr.Factor
	alpha []float64  // (K_c + λI)⁻¹ y at the last evaluation
	u     *mat.Dense // n×L, column ℓ is K̃ℓ α
	w     *mat.Dense // n×L, (K_c + λI)⁻¹ u, for the Hessian
	count int        // factorizations so far
}

func newEvaluator(p *Problem, decay float64, work *mat.SymDense) *evaluator {
	n, L, _ := p.check()
	return &evaluator{
		p: p, decay: decay, work: work,
		y:     make([]float64, n),
		alpha: make([]float64, n),
		u:     mat.NewDense(n, L, nil),
		w:     mat.NewDense(n, L, nil),
	}
}

// setClass selects the target column.
func (e *evaluator) setClass(c int) {
	mat.Col(e.y, c, e.p.Targets)
	e.count = 0
}

func (e *evaluator) dual() []float64         { return e.alpha }
func (e *evaluator) factorizations() int     { return e.count }
func (e *evaluator) setFactorizations(n int) { e.count = n }
func (e *evaluator) cond() float64           { return e.fac.Cond() }

// eval factors K_c(μ) + λI, solves for α and returns J(μ) with its gradient
// in grad (length L).
func (e *evaluator) eval(mu, grad []float64) (float64, error) {
	e.form(mu)
	e.count++
	if err := e.fac.Factorize(e.work, e.p.Lambda); err != nil {
		return 0, err
	}
	copy(e.alpha, e.y)
	if err := e.fac.SolveVec(e.alpha); err != nil {
		return 0, err
	}
	lambda := e.p.Lambda
	j := lambda*floats.Dot(e.y, e.alpha) + e.decay*floats.Dot(mu, mu)
	raw := e.u.RawMatrix()
	for l, k := range e.p.Kernels {
		col := blas64.Vector{N: raw.Rows, Inc: raw.Stride, Data: raw.Data[l:]}
		blas64.Gemv(blas.NoTrans, 1, k.RawMatrix(), blas64.Vector{N: len(e.alpha), Inc: 1, Data: e.alpha}, 0, col)
		var s float64
		for i, a := range e.alpha {
			s += a * raw.Data[i*raw.Stride+l]
		}
		grad[l] = -lambda*s + 2*e.decay*mu[l]
	}
	if !finite(j) || !allFinite(grad) {
		return 0, errOverflow(lambda)
	}
	return j, nil
}

// errOverflow reports an objective or derivative that overflowed: with a
// tiny λ the dual coefficients grow like 1/λ.
func errOverflow(lambda float64) error {
	return &krr.NotFiniteError{What: fmt.Sprintf("objective or its gradient (overflow at λ = %g; use a larger λ)", lambda)}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func allFinite(v []float64) bool {
	for _, x := range v {
		if !finite(x) {
			return false
		}
	}
	return true
}

// hessian writes ∇²J at the last evaluated μ into h (L×L):
// 2λ (K̃ℓα)ᵀ (K_c + λI)⁻¹ (K̃kα) + 2γ δℓk. It costs L triangular solve pairs
// with the factor already held.
func (e *evaluator) hessian(h *mat.SymDense) error {
	e.w.Copy(e.u)
	if err := e.fac.SolveTo(e.w); err != nil {
		return err
	}
	var prod mat.Dense
	prod.Mul(e.u.T(), e.w)
	L := h.SymmetricDim()
	for i := 0; i < L; i++ {
		for j := i; j < L; j++ {
			// Symmetrize: the two halves differ only by rounding.
			v := e.p.Lambda * (prod.At(i, j) + prod.At(j, i))
			if i == j {
				v += 2 * e.decay
			}
			if !finite(v) {
				return errOverflow(e.p.Lambda)
			}
			h.SetSym(i, j, v)
		}
	}
	return nil
}

// form writes the upper triangle of Σℓ μℓ K̃ℓ into the work matrix,
// skipping layers of zero weight.
func (e *evaluator) form(mu []float64) {
	raw := e.work.RawSymmetric()
	n := raw.N
	for i := 0; i < n; i++ {
		row := raw.Data[i*raw.Stride+i : i*raw.Stride+n]
		clear(row)
		for l, k := range e.p.Kernels {
			if mu[l] != 0 {
				floats.AddScaled(row, mu[l], k.RawRowView(i)[i:n])
			}
		}
	}
}

// Evaluate returns J_c(μ) and its gradient for class c at the weights mu,
// with the weight decay γ (zero for the simplex): the quantities the
// certificate is made of, for checking a solution independently of Solve.
// It allocates an n×n work matrix.
func Evaluate(p *Problem, c int, mu []float64, decay float64) (j float64, grad []float64, err error) {
	n, L, d := p.check()
	if len(mu) != L || c < 0 || c >= d {
		panic(fmt.Sprintf("mkl: Evaluate class %d of %d with %d weights for %d layers", c, d, len(mu), L))
	}
	if err := checkLambda(p.Lambda); err != nil {
		return 0, nil, err
	}
	e := newEvaluator(p, decay, mat.NewSymDense(n, nil))
	e.setClass(c)
	grad = make([]float64, L)
	j, err = e.eval(mu, grad)
	return j, grad, err
}

// FrankWolfeGap returns ∇Jᵀμ − minℓ ∂J/∂μℓ, which bounds J(μ) − J* from
// above for convex J on the simplex.
func FrankWolfeGap(grad, mu []float64) float64 {
	return floats.Dot(grad, mu) - floats.Min(grad)
}

// ProjectedGradientNorm returns ‖μ − P₊(μ − ∇J)‖₂, zero exactly at a
// minimizer over the nonnegative orthant.
func ProjectedGradientNorm(grad, mu []float64) float64 {
	var s float64
	for i := range mu {
		d := mu[i] - max(mu[i]-grad[i], 0)
		s += d * d
	}
	return sqrt(s)
}
