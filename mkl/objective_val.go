package mkl

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// valEvaluator computes the validation objective of DESIGN.md §4,
//
//	E_c(μ) = ‖r‖²,  r = K_c(V, X) α_c − y_c(V),  α_c = (K_c + λI)⁻¹ y_c,
//	∂E_c/∂μℓ = 2 (rᵀ K̃ℓ(V, X) α_c − wᵀ K̃ℓ(X, X) α_c),  w = (K_c + λI)⁻¹ K_c(X, V) r,
//
// (one solve more than J_c), plus γ‖μ‖² for the positive set. E_c is not
// convex, so hessian returns the Gauss–Newton matrix 2 JᵀJ (+ 2γI) of the
// residual's Jacobian J = ∂r/∂μ, columns pℓ − K_c(V, X)(K_c + λI)⁻¹ K̃ℓα.
type valEvaluator struct {
	*evaluator
	yv  []float64
	kvx *mat.Dense // K_c(V, X) at the last evaluation, nv×n
	p   *mat.Dense // nv×L, column ℓ is K̃ℓ(V, X) α
	r   []float64
	wv  []float64
}

func newValEvaluator(p *Problem, decay float64, work *mat.SymDense) *valEvaluator {
	n, L, _ := p.check()
	nv, _ := p.Validation.Targets.Dims()
	return &valEvaluator{
		evaluator: newEvaluator(p, decay, work),
		yv:        make([]float64, nv),
		kvx:       mat.NewDense(nv, n, nil),
		p:         mat.NewDense(nv, L, nil),
		r:         make([]float64, nv),
		wv:        make([]float64, n),
	}
}

func (v *valEvaluator) setClass(c int) {
	v.evaluator.setClass(c)
	mat.Col(v.yv, c, v.evaluator.p.Validation.Targets)
}

func (v *valEvaluator) eval(mu, grad []float64) (float64, error) {
	// The dual evaluation factors K_c + λI, solves for α and leaves
	// uℓ = K̃ℓ α in e.u; its gradient is overwritten below.
	if _, err := v.evaluator.eval(mu, grad); err != nil {
		return 0, err
	}
	val := v.evaluator.p.Validation
	alpha := blas64.Vector{N: len(v.alpha), Inc: 1, Data: v.alpha}
	praw := v.p.RawMatrix()
	v.kvx.Zero()
	for l, k := range val.Kernels {
		col := blas64.Vector{N: praw.Rows, Inc: praw.Stride, Data: praw.Data[l:]}
		blas64.Gemv(blas.NoTrans, 1, k.RawMatrix(), alpha, 0, col)
		if mu[l] != 0 {
			for i := 0; i < praw.Rows; i++ {
				floats.AddScaled(v.kvx.RawRowView(i), mu[l], k.RawRowView(i))
			}
		}
	}
	// r = Σℓ μℓ pℓ − y_V, E = ‖r‖².
	for i := range v.r {
		v.r[i] = -v.yv[i]
		for l := range mu {
			v.r[i] += mu[l] * praw.Data[i*praw.Stride+l]
		}
	}
	e := floats.Dot(v.r, v.r) + v.decay*floats.Dot(mu, mu)
	// w = (K_c + λI)⁻¹ K_c(X, V) r.
	blas64.Gemv(blas.Trans, 1, v.kvx.RawMatrix(), blas64.Vector{N: len(v.r), Inc: 1, Data: v.r}, 0, blas64.Vector{N: len(v.wv), Inc: 1, Data: v.wv})
	if err := v.fac.SolveVec(v.wv); err != nil {
		return 0, err
	}
	uraw := v.u.RawMatrix()
	for l := range grad {
		var rp, wu float64
		for i, ri := range v.r {
			rp += ri * praw.Data[i*praw.Stride+l]
		}
		for i, wi := range v.wv {
			wu += wi * uraw.Data[i*uraw.Stride+l]
		}
		grad[l] = 2*(rp-wu) + 2*v.decay*mu[l]
	}
	if !finite(e) || !allFinite(grad) {
		return 0, errOverflow(v.evaluator.p.Lambda)
	}
	return e, nil
}

func (v *valEvaluator) hessian(h *mat.SymDense) error {
	// A⁻¹ uℓ for every layer, then Jacobian columns pℓ − K_c(V, X) A⁻¹ uℓ.
	v.w.Copy(v.u)
	if err := v.fac.SolveTo(v.w); err != nil {
		return err
	}
	var jac mat.Dense
	jac.Mul(v.kvx, v.w)
	jac.Sub(v.p, &jac)
	var jtj mat.Dense
	jtj.Mul(jac.T(), &jac)
	L := h.SymmetricDim()
	for i := 0; i < L; i++ {
		for j := i; j < L; j++ {
			val := jtj.At(i, j) + jtj.At(j, i)
			if i == j {
				val += 2 * v.decay
			}
			if !finite(val) {
				return errOverflow(v.evaluator.p.Lambda)
			}
			h.SetSym(i, j, val)
		}
	}
	return nil
}
