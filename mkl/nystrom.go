package mkl

import (
	"context"
	"fmt"
	"math"

	"github.com/ntkmkl/ntkmkl/krr"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Sketch holds the blocks of Nyström MKL-KRR (DESIGN.md §7) for m centres
// Z ⊂ X: with C_ℓ = K̃ℓ(X, Z) (n×m) and W_ℓ = K̃ℓ(Z, Z),
//
//	CC[ℓ][k] = C_ℓᵀ C_k  (ℓ ≤ k; m×m),   CY[ℓ] = C_ℓᵀ Y  (m×d),   YY[c] = y_cᵀ y_c.
//
// They are sums over the rows of X, so shards of rows can be accumulated
// separately (Accumulate) and added (Add). After that no MKL iteration
// touches the data: each costs O(L²m² + m³) per class.
type Sketch struct {
	L, M, D int
	Rows    int            // rows of X accumulated so far
	CC      [][]*mat.Dense // CC[ℓ][k] for k ≥ ℓ; nil below the diagonal
	CY      []*mat.Dense
	YY      []float64
}

// NewSketch returns an empty sketch for L layers, m centres and d classes.
// It allocates L(L+1)/2·m² + L·m·d float64s.
func NewSketch(L, m, d int) *Sketch {
	s := &Sketch{L: L, M: m, D: d, CC: make([][]*mat.Dense, L), CY: make([]*mat.Dense, L), YY: make([]float64, d)}
	for l := 0; l < L; l++ {
		s.CC[l] = make([]*mat.Dense, L)
		for k := l; k < L; k++ {
			s.CC[l][k] = mat.NewDense(m, m, nil)
		}
		s.CY[l] = mat.NewDense(m, d, nil)
	}
	return s
}

// SketchBytes returns the memory NewSketch allocates.
func SketchBytes(L, m, d int) int64 {
	return 8 * (int64(L*(L+1)/2)*int64(m)*int64(m) + int64(L)*int64(m)*int64(d))
}

// Accumulate adds the contribution of a block of rows: c[ℓ] = K̃ℓ(X_b, Z)
// (nb×m) and their targets y (nb×d).
func (s *Sketch) Accumulate(c []*mat.Dense, y *mat.Dense) {
	if len(c) != s.L {
		panic(fmt.Sprintf("mkl: %d cross-kernel blocks for %d layers", len(c), s.L))
	}
	nb, d := y.Dims()
	if d != s.D {
		panic(fmt.Sprintf("mkl: block targets have %d columns, sketch has %d classes", d, s.D))
	}
	for l := 0; l < s.L; l++ {
		if r, m := c[l].Dims(); r != nb || m != s.M {
			panic(fmt.Sprintf("mkl: block %d is %d×%d, want %d×%d", l+1, r, m, nb, s.M))
		}
	}
	for l := 0; l < s.L; l++ {
		cl := c[l].RawMatrix()
		for k := l; k < s.L; k++ {
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, cl, c[k].RawMatrix(), 1, s.CC[l][k].RawMatrix())
		}
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, cl, y.RawMatrix(), 1, s.CY[l].RawMatrix())
	}
	for i := 0; i < nb; i++ {
		for j, v := range y.RawRowView(i) {
			s.YY[j] += v * v
		}
	}
	s.Rows += nb
}

// Add adds another sketch of the same shape (a shard) into s.
func (s *Sketch) Add(o *Sketch) {
	if o.L != s.L || o.M != s.M || o.D != s.D {
		panic(fmt.Sprintf("mkl: adding a %d×%d×%d sketch to a %d×%d×%d one", o.L, o.M, o.D, s.L, s.M, s.D))
	}
	for l := 0; l < s.L; l++ {
		for k := l; k < s.L; k++ {
			s.CC[l][k].Add(s.CC[l][k], o.CC[l][k])
		}
		s.CY[l].Add(s.CY[l], o.CY[l])
	}
	floats.Add(s.YY, o.YY)
	s.Rows += o.Rows
}

// SolveNystrom learns Ω from a sketch and the centre kernels w[ℓ] =
// K̃ℓ(Z, Z) with the same solvers, settings and certificates as Solve. The
// objective is the Nyström form of J_c,
//
//	H(μ) = Σℓk μℓμk C_ℓᵀC_k + λ Σℓ μℓ W_ℓ,  r(μ) = Σℓ μℓ C_ℓᵀy_c,  Hβ = r,
//	J(μ) = y_cᵀy_c − rᵀβ,
//
// which equals the exact J_c when Z = X. Result.Alpha holds β (m×d): the
// class scores of new inputs are Scores(K̃(X*, Z), Ω, β). J need not be
// convex in μ here, so the gap certifies stationarity, not optimality;
// Newton uses the exact Hessian with its negative curvature clipped.
func SolveNystrom(ctx context.Context, sk *Sketch, w []*mat.Dense, lambda float64, s *Settings) (*Result, error) {
	if len(w) != sk.L {
		panic(fmt.Sprintf("mkl: %d centre kernels for %d layers", len(w), sk.L))
	}
	set, init, err := prepare(s, lambda, sk.D, sk.L)
	if err != nil {
		return nil, err
	}
	return solveAll(ctx, func() objective { return newNystromEvaluator(sk, w, lambda, set.Decay) }, init, sk.M, &set)
}

// nystromEvaluator computes the Nyström J, gradient and Hessian for one
// class.
type nystromEvaluator struct {
	sk      *Sketch
	w       []*mat.Dense
	lambda  float64
	decay   float64
	c       int
	cy      [][]float64 // cy[ℓ] = C_ℓᵀ y_c
	yy      float64
	work    *mat.SymDense
	offDiag *mat.Dense // m×m scratch for the off-diagonal pairs of H
	fac     krr.Factor
	beta    []float64
	p       *mat.Dense // m×L², column ℓL+k = C_ℓᵀC_k β
	wb      *mat.Dense // m×L, column ℓ = W_ℓ β
	mu      []float64
	count   int
}

func newNystromEvaluator(sk *Sketch, w []*mat.Dense, lambda, decay float64) *nystromEvaluator {
	m, L := sk.M, sk.L
	e := &nystromEvaluator{sk: sk, w: w, lambda: lambda, decay: decay,
		cy: make([][]float64, L), work: mat.NewSymDense(m, nil), offDiag: mat.NewDense(m, m, nil), beta: make([]float64, m),
		p: mat.NewDense(m, L*L, nil), wb: mat.NewDense(m, L, nil), mu: make([]float64, L)}
	for l := range e.cy {
		e.cy[l] = make([]float64, m)
	}
	return e
}

func (e *nystromEvaluator) setClass(c int) {
	e.c, e.count = c, 0
	for l := range e.cy {
		mat.Col(e.cy[l], c, e.sk.CY[l])
	}
	e.yy = e.sk.YY[c]
}

func (e *nystromEvaluator) dual() []float64         { return e.beta }
func (e *nystromEvaluator) factorizations() int     { return e.count }
func (e *nystromEvaluator) setFactorizations(n int) { e.count = n }
func (e *nystromEvaluator) cond() float64           { return e.fac.Cond() }

func (e *nystromEvaluator) eval(mu, grad []float64) (float64, error) {
	L, m := e.sk.L, e.sk.M
	copy(e.mu, mu)
	// H = Σℓ μℓ² B_ℓℓ + S + Sᵀ + λ Σℓ μℓ W_ℓ with S = Σ_{ℓ<k} μℓμk B_ℓk:
	// the off-diagonal pairs are summed contiguously into S, which is then
	// transposed once, in tiles, into the upper triangle of H.
	raw := e.work.RawSymmetric()
	sraw := e.offDiag.RawMatrix()
	for i := 0; i < m; i++ {
		clear(raw.Data[i*raw.Stride+i : i*raw.Stride+m])
	}
	e.offDiag.Zero()
	for l := 0; l < L; l++ {
		if mu[l] == 0 {
			continue
		}
		for k := l; k < L; k++ {
			if mu[k] == 0 {
				continue
			}
			a := mu[l] * mu[k]
			b := e.sk.CC[l][k].RawMatrix()
			for i := 0; i < m; i++ {
				if k == l {
					floats.AddScaled(raw.Data[i*raw.Stride+i:i*raw.Stride+m], a, b.Data[i*b.Stride+i:i*b.Stride+m])
				} else {
					floats.AddScaled(sraw.Data[i*sraw.Stride:i*sraw.Stride+m], a, b.Data[i*b.Stride:i*b.Stride+m])
				}
			}
		}
		wl := e.w[l].RawMatrix()
		for i := 0; i < m; i++ {
			floats.AddScaled(raw.Data[i*raw.Stride+i:i*raw.Stride+m], e.lambda*mu[l], wl.Data[i*wl.Stride+i:i*wl.Stride+m])
		}
	}
	const tile = 64
	for ib := 0; ib < m; ib += tile {
		for jb := ib; jb < m; jb += tile {
			for i := ib; i < min(ib+tile, m); i++ {
				for j := max(jb, i); j < min(jb+tile, m); j++ {
					raw.Data[i*raw.Stride+j] += sraw.Data[i*sraw.Stride+j] + sraw.Data[j*sraw.Stride+i]
				}
			}
		}
	}
	e.count++
	if err := e.fac.Factorize(e.work, 0); err != nil {
		return 0, fmt.Errorf("mkl: the Nyström system H(μ) = CᵀC + λW is not positive definite: use a larger λ or fewer centres: %w", err)
	}
	clear(e.beta)
	for l := range mu {
		floats.AddScaled(e.beta, mu[l], e.cy[l])
	}
	r := append([]float64(nil), e.beta...)
	if err := e.fac.SolveVec(e.beta); err != nil {
		return 0, err
	}
	j := e.yy - floats.Dot(r, e.beta) + e.decay*floats.Dot(mu, mu)
	// p[ℓ,k] = C_ℓᵀC_k β for all pairs; W_ℓ β.
	beta := blas64.Vector{N: m, Inc: 1, Data: e.beta}
	praw, wbraw := e.p.RawMatrix(), e.wb.RawMatrix()
	col := func(g blas64.General, c int) blas64.Vector {
		return blas64.Vector{N: g.Rows, Inc: g.Stride, Data: g.Data[c:]}
	}
	for l := 0; l < L; l++ {
		for k := l; k < L; k++ {
			b := e.sk.CC[l][k].RawMatrix()
			blas64.Gemv(blas.NoTrans, 1, b, beta, 0, col(praw, l*L+k))
			if k != l {
				blas64.Gemv(blas.Trans, 1, b, beta, 0, col(praw, k*L+l))
			}
		}
		blas64.Gemv(blas.NoTrans, 1, e.w[l].RawMatrix(), beta, 0, col(wbraw, l))
	}
	for l := 0; l < L; l++ {
		var quad float64
		for k := 0; k < L; k++ {
			if mu[k] != 0 {
				quad += mu[k] * e.pdot(l, k)
			}
		}
		grad[l] = -2*floats.Dot(e.cy[l], e.beta) + 2*quad + e.lambda*e.wbdot(l) + 2*e.decay*mu[l]
	}
	if !finite(j) || !allFinite(grad) {
		return 0, errOverflow(e.lambda)
	}
	return j, nil
}

// pdot returns βᵀ C_ℓᵀ C_k β.
func (e *nystromEvaluator) pdot(l, k int) float64 {
	praw := e.p.RawMatrix()
	var s float64
	for i, b := range e.beta {
		s += b * praw.Data[i*praw.Stride+l*e.sk.L+k]
	}
	return s
}

// wbdot returns βᵀ W_ℓ β.
func (e *nystromEvaluator) wbdot(l int) float64 {
	raw := e.wb.RawMatrix()
	var s float64
	for i, b := range e.beta {
		s += b * raw.Data[i*raw.Stride+l]
	}
	return s
}

// hessian writes ∇²J = 2 βᵀC_ℓᵀC_kβ − 2 g_ℓᵀ H⁻¹ g_k (+ 2γI), with
// g_ℓ = −C_ℓᵀy + Σk μk (C_ℓᵀC_k + C_kᵀC_ℓ)β + λW_ℓβ (implicit
// differentiation of the inner minimization over β), then clips negative
// eigenvalues so that the Newton model is convex.
func (e *nystromEvaluator) hessian(h *mat.SymDense) error {
	full, err := e.exactHessian()
	if err != nil {
		return err
	}
	if !allFinite(full.RawSymmetric().Data) {
		return errOverflow(e.lambda)
	}
	clipNegative(h, full)
	return nil
}

// exactHessian returns ∇²J at the last evaluated weights.
func (e *nystromEvaluator) exactHessian() (*mat.SymDense, error) {
	L, m := e.sk.L, e.sk.M
	g := mat.NewDense(m, L, nil)
	praw := e.p.RawMatrix()
	for l := 0; l < L; l++ {
		for i := 0; i < m; i++ {
			v := -e.cy[l][i] + e.lambda*e.wb.At(i, l)
			for k := 0; k < L; k++ {
				if e.mu[k] != 0 {
					v += e.mu[k] * (praw.Data[i*praw.Stride+l*L+k] + praw.Data[i*praw.Stride+k*L+l])
				}
			}
			g.Set(i, l, v)
		}
	}
	hg := mat.DenseCopyOf(g)
	if err := e.fac.SolveTo(hg); err != nil {
		return nil, err
	}
	var ghg mat.Dense
	ghg.Mul(g.T(), hg)
	full := mat.NewSymDense(L, nil)
	for l := 0; l < L; l++ {
		for k := l; k < L; k++ {
			v := e.pdot(l, k) + e.pdot(k, l) - (ghg.At(l, k) + ghg.At(k, l))
			if l == k {
				v += 2 * e.decay
			}
			full.SetSym(l, k, v)
		}
	}
	return full, nil
}

// clipNegative writes into h the matrix full with its eigenvalues raised to
// at least 1e-12 times the largest, so that the Newton model is convex.
func clipNegative(h, full *mat.SymDense) {
	L := full.SymmetricDim()
	scale := mat.Norm(full, math.Inf(1))
	var eig mat.EigenSym
	var scaled0 mat.SymDense
	if scale > 0 && !math.IsInf(scale, 0) {
		scaled0.ScaleSym(1/scale, full)
	}
	if !(scale > 0) || math.IsInf(scale, 0) || !eig.Factorize(&scaled0, true) {
		h.CopySym(full)
		return
	}
	vals := eig.Values(nil)
	floats.Scale(scale, vals)
	floor := 1e-12 * math.Max(floats.Max(vals), 0)
	for i := range vals {
		vals[i] = math.Max(vals[i], floor)
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	var scaled mat.Dense
	scaled.Apply(func(_, j int, v float64) float64 { return v * vals[j] }, &vecs)
	var hm mat.Dense
	hm.Mul(&scaled, vecs.T())
	for l := 0; l < L; l++ {
		for k := l; k < L; k++ {
			h.SetSym(l, k, (hm.At(l, k)+hm.At(k, l))/2)
		}
	}
}
