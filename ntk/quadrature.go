package ntk

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"
)

// DefaultQuadratureDegree is the degree of a Quadrature whose Degree is
// zero (DESIGN.md §2 asks for at least 25).
const DefaultQuadratureDegree = 32

// MaxQuadratureDegree is the largest degree a Quadrature accepts.
const MaxQuadratureDegree = 1000

// QuadratureRule selects how a Quadrature integrates over the Gaussian
// pair (u, v). The accuracies below are measured worst cases over
// ρ ∈ [−1, 1] at q1 = q2 ≤ 2 (normalized inputs with σw² = 2), relative,
// at the default degree 32 (TestQuadratureDefaultAccuracy); the costs are
// CPU time per call on this project's machine (AMD EPYC, one core).
type QuadratureRule int

const (
	// GaussHermite is the product rule of DESIGN.md §2: the probabilists'
	// Gauss–Hermite rule of Degree nodes in each of z1, z2 ~ N(0, 1) on
	// the Cholesky change of variables
	//
	//	u = √q1 z1,  v = (c/√q1) z1 + √((q1q2 − c²)/q1) z2,
	//
	// so E = Σi wi φ(ui) Σj wj φ(vij), and Ė likewise with φ′. A zero
	// variance and a degenerate pair (|c| = √(q1q2), as on the diagonal of
	// a Gram matrix) reduce to the one-dimensional rule. Nodes whose
	// weight is below 1e-18 are dropped (28 of the 32 default nodes
	// remain), which changes E by less than 1e-18 times the largest |φφ|
	// among them; one call then evaluates φ and φ′ at n² + n points
	// (n = 28: 812), about 10 µs for tanh.
	//
	// It converges fast for slowly varying smooth φ (sin, cos, softplus),
	// but its nodes are about √q apart near 0 in u, so a φ′ of width 1 at
	// q ≈ 2 is poorly resolved: tanh's Ė is off by 4e-3, erf's by 1.4e-3.
	// A kink limits it to algebraic convergence: elu's Ė is off by 3.4e-2
	// at degree 32 and 1e-2 at 64, and relu's never settles. The rule is
	// also not symmetric in (q1, q2), so Θ(x, z) and Θ(z, x) differ by its
	// error.
	GaussHermite QuadratureRule = iota
	// PolarSectors integrates in polar coordinates of (z1, z2), where
	// u = √q1 r cos t and v = √q2 r cos(t − θ), θ the angle of the pair
	// (θ = atan2(√(q1q2 − c²), c), as for ReLU). The rays where u or v
	// vanishes, t = ±π/2 and θ ± π/2, cut the circle into four sectors
	// (two pairs related by r → −r); each is integrated by Gauss–Legendre
	// in t (⌈Degree/2⌉ nodes) times the Gauss rule of the radial weight
	// r e^{−r²/2} on [0, ∞) (⌈3·Degree/8⌉ nodes). An integrand smooth
	// except where u or v vanishes is smooth on every piece, so the rule
	// converges spectrally for activations kinked at 0 too: relu, leaky
	// relu and |x| come out exact to rounding (their integrands are r²
	// times a trigonometric polynomial), elu within 3e-14. For the smooth
	// built-ins it is also the more accurate rule at the default degree:
	// tanh 4.6e-6, erf 5e-6, gelu 2.8e-6, swish 1.5e-8, sigmoid 4e-9,
	// softplus 4e-10 (1e-4 for tanh and erf at q = 4). One call evaluates
	// φ and φ′ at 4·16·12 = 768 points (u, v), 1536 values, about 15 µs
	// for tanh. It is symmetric in (q1, q2) up to rounding (t → θ − t maps
	// its sectors and nodes onto themselves). The built-ins use this rule.
	PolarSectors
)

func (r QuadratureRule) String() string {
	switch r {
	case GaussHermite:
		return "gauss-hermite"
	case PolarSectors:
		return "polar-sectors"
	}
	return fmt.Sprintf("QuadratureRule(%d)", int(r))
}

// Quadrature is an activation whose moments E and Ė are computed by
// numerical integration: by the Gauss–Hermite product rule of DESIGN.md §2
// (the zero Rule) or by the polar sector rule; see QuadratureRule for
// their cost and accuracy. Stack calls Moments once per Gram entry and
// layer, and one call costs of order deg² evaluations of φ and φ′ (deg =
// Degree, 32 by default; 812 for GaussHermite, 1536 for PolarSectors):
// 10–20 µs, where a closed form costs 50 ns. Moments does not allocate.
//
// Set F (φ) and DF (φ′), or FDF, which returns both and lets φ′ reuse the
// work of φ (tanh: φ′ = 1 − φ²); Moments then uses FDF. A nil DF (with a
// nil FDF) means a central difference of F, accurate to about 1e-10.
//
// The built-ins of ParseActivation (tanh, sigmoid, softplus, swish, elu,
// quad:NAME and gh:NAME) are *Quadrature values, so that comparing two
// activations with == cannot panic on the function fields. A built-in
// also carries an unexported evaluation of φ at ±x that Moments prefers
// to F and DF: change its Degree or Rule freely, but build a new
// Quadrature for another φ.
type Quadrature struct {
	// Name is what String returns, followed by "@Degree" when Degree is
	// set; for the built-ins it is the name ParseActivation accepts.
	Name string
	// F is φ and DF is φ′.
	F, DF func(x float64) float64
	// FDF, if not nil, returns φ(x) and φ′(x) together.
	FDF func(x float64) (f, df float64)
	// Degree is the size of the rule, 1..MaxQuadratureDegree; zero means
	// DefaultQuadratureDegree.
	Degree int
	// Rule is the integration rule; the zero value is GaussHermite.
	Rule QuadratureRule

	// pair, set by the built-ins, returns φ(x), φ′(x), φ(−x), φ′(−x)
	// from one transcendental evaluation. Both rules need φ at ±x: their
	// nodes come in pairs (u, v), (−u, −v).
	pair pairFunc
}

// pairFunc returns φ(x), φ′(x), φ(−x) and φ′(−x).
type pairFunc func(x float64) (f, df, fm, dfm float64)

func (a Quadrature) degree() int {
	if a.Degree == 0 {
		return DefaultQuadratureDegree
	}
	return a.Degree
}

// Moments returns E[φ(u)φ(v)] and E[φ′(u)φ′(v)] by quadrature. It panics
// if Degree or Rule is out of range or neither F nor FDF is set.
func (a Quadrature) Moments(q1, q2, c float64) (e, edot float64) {
	pair := a.pair
	if pair == nil {
		fdf := a.FDF
		if fdf == nil {
			if a.F == nil {
				panic("ntk: Quadrature " + a.Name + " has neither F nor FDF")
			}
			fdf = func(x float64) (float64, float64) { return a.F(x), a.Deriv(x) }
		}
		pair = func(x float64) (f, df, fm, dfm float64) {
			f, df = fdf(x)
			fm, dfm = fdf(-x)
			return f, df, fm, dfm
		}
	}
	switch a.Rule {
	case GaussHermite:
		return gaussHermiteMoments(hermiteRule(a.degree()), pair, q1, q2, c)
	case PolarSectors:
		return polarMoments(polarRule(a.degree()), pair, q1, q2, c)
	}
	panic("ntk: Quadrature " + a.Name + ": unknown rule " + a.Rule.String())
}

// gaussHermiteMoments is the GaussHermite rule of Quadrature.Moments. The
// rule is symmetric (x_{n−1−i} = −x_i, equal weights), so the node (i, j)
// and its mirror (n−1−i, n−1−j) carry (u, v) and (−u, −v): one pair call
// covers both, and the loops run over the first half of the rows (and the
// middle row, u = 0, when n is odd).
func gaussHermiteMoments(r *hermite, pair pairFunc, q1, q2, c float64) (e, edot float64) {
	x, w := r.x, r.w
	n, h := len(x), len(x)/2
	if q1 == 0 {
		// E is symmetric in (u, v): put the zero variance second, where
		// it makes v ≡ 0 and the rule one-dimensional.
		q1, q2 = q2, q1
	}
	if q1 == 0 {
		f, df, _, _ := pair(0)
		return f * f, df * df
	}
	l11 := math.Sqrt(q1)
	var l21, l22 float64
	if d := q1*q2 - c*c; d > 0 {
		l21 = c / l11
		l22 = math.Sqrt(d / q1)
	} else {
		// |c| ≥ √(q1q2), up to rounding: v is a multiple of u. For the
		// diagonal (q1 = q2 = c) this makes v = u bit for bit.
		l21 = math.Copysign(math.Sqrt(q2), c)
	}
	if l22 == 0 {
		for i := 0; i < h; i++ {
			fu, du, gu, hu := pair(l11 * x[i])
			fv, dv, gv, hv := pair(l21 * x[i])
			e += w[i] * (fu*fv + gu*gv)
			edot += w[i] * (du*dv + hu*hv)
		}
		if n%2 == 1 {
			f, df, _, _ := pair(0)
			e += w[h] * f * f
			edot += w[h] * df * df
		}
		return e, edot
	}
	// The inner sums factor out of the weight products wi·wj, and the
	// node products l21·xi are formed once per row.
	for i := 0; i < h; i++ {
		fu, du, gu, hu := pair(l11 * x[i])
		a := l21 * x[i]
		var se, sd, sem, sdm float64
		for j := range x {
			fv, dv, gv, hv := pair(a + l22*x[j])
			se += w[j] * fv
			sd += w[j] * dv
			sem += w[j] * gv
			sdm += w[j] * hv
		}
		e += w[i] * (fu*se + gu*sem)
		edot += w[i] * (du*sd + hu*sdm)
	}
	if n%2 == 1 {
		// The middle row u = 0: v = l22·xj, mirrored by j → n−1−j.
		f0, d0, _, _ := pair(0)
		var se, sd float64
		for j := 0; j < h; j++ {
			fv, dv, gv, hv := pair(l22 * x[j])
			se += w[j] * (fv + gv)
			sd += w[j] * (dv + hv)
		}
		fv, dv, _, _ := pair(0)
		se += w[h] * fv
		sd += w[h] * dv
		e += w[h] * f0 * se
		edot += w[h] * d0 * sd
	}
	return e, edot
}

// polarMoments is the PolarSectors rule of Quadrature.Moments. With
// t = π/2 + τ the four sectors are τ ∈ [0, θ] (u ≤ 0 ≤ v), [θ, π]
// (u, v ≤ 0) and their mirrors under r → −r, which one pair call per node
// covers; there cos t = −sin τ and cos(t − θ) = sin(θ − τ), which vanish
// exactly at the sector ends.
func polarMoments(r *polar, pair pairFunc, q1, q2, c float64) (e, edot float64) {
	s1, s2 := math.Sqrt(q1), math.Sqrt(q2)
	theta := math.Atan2(math.Sqrt(math.Max(q1*q2-c*c, 0)), c)
	for _, sec := range [2][2]float64{{0, theta}, {theta, math.Pi}} {
		length := sec[1] - sec[0]
		if length == 0 {
			continue
		}
		for k := range r.at {
			tau := sec[0] + length*r.at[k]
			a, b := -s1*math.Sin(tau), s2*math.Sin(theta-tau)
			var se, sd float64
			for i, rad := range r.rx {
				fu, du, gu, hu := pair(rad * a)
				fv, dv, gv, hv := pair(rad * b)
				se += r.rw[i] * (fu*fv + gu*gv)
				sd += r.rw[i] * (du*dv + hu*hv)
			}
			e += length * r.aw[k] * se
			edot += length * r.aw[k] * sd
		}
	}
	return e / (2 * math.Pi), edot / (2 * math.Pi)
}

// Phi returns φ(x).
func (a Quadrature) Phi(x float64) float64 {
	if a.F != nil {
		return a.F(x)
	}
	f, _ := a.FDF(x)
	return f
}

// Deriv returns φ′(x): DF, FDF, or a central difference of F.
func (a Quadrature) Deriv(x float64) float64 {
	switch {
	case a.DF != nil:
		return a.DF(x)
	case a.FDF != nil:
		_, df := a.FDF(x)
		return df
	}
	h := 6e-6 * math.Max(1, math.Abs(x)) // ≈ ε^{1/3}: error O(h²) + O(ε/h)
	return (a.F(x+h) - a.F(x-h)) / (2 * h)
}

// String returns Name, or Name@Degree when Degree is set.
func (a Quadrature) String() string {
	if a.Degree == 0 {
		return a.Name
	}
	return a.Name + "@" + strconv.Itoa(a.Degree)
}

// negligibleWeight is the weight below which a rule drops a node.
const negligibleWeight = 1e-18

// hermite is a probabilists' Gauss–Hermite rule, its negligible nodes
// dropped.
type hermite struct{ x, w []float64 }

// polar is a PolarSectors rule: radial nodes rx and weights rw (summing
// to 1), and Gauss–Legendre nodes at in (0, 1) with weights aw (summing
// to 1) for the angle within a sector.
type polar struct{ rx, rw, at, aw []float64 }

var (
	hermiteRules [MaxQuadratureDegree + 1]atomic.Pointer[hermite]
	polarRules   [MaxQuadratureDegree + 1]atomic.Pointer[polar]
	rulesMu      sync.Mutex
)

// cachedRule returns *slot, building it on first use. A rule is shared and
// must not be modified.
func cachedRule[T any](slot *atomic.Pointer[T], n int, build func(int) *T) *T {
	if r := slot.Load(); r != nil {
		return r
	}
	rulesMu.Lock()
	defer rulesMu.Unlock()
	if r := slot.Load(); r != nil {
		return r
	}
	r := build(n)
	slot.Store(r)
	return r
}

func checkDegree(n int) {
	if n < 1 || n > MaxQuadratureDegree {
		panic(fmt.Sprintf("ntk: quadrature degree %d outside 1..%d", n, MaxQuadratureDegree))
	}
}

// hermiteRule returns the Gauss–Hermite rule of degree n.
func hermiteRule(n int) *hermite {
	checkDegree(n)
	return cachedRule(&hermiteRules[n], n, func(n int) *hermite {
		x, w := hermiteE(n)
		r := &hermite{}
		for i := range x {
			if w[i] >= negligibleWeight {
				r.x = append(r.x, x[i])
				r.w = append(r.w, w[i])
			}
		}
		return r
	})
}

// polarRule returns the PolarSectors rule of degree n: ⌈n/2⌉ angular
// nodes per sector and ⌈3n/8⌉ (at least 2) radial nodes.
func polarRule(n int) *polar {
	checkDegree(n)
	return cachedRule(&polarRules[n], n, func(n int) *polar {
		r := &polar{}
		x, w := rayleighRule(max(2, (3*n+7)/8))
		for i := range x {
			if w[i] >= negligibleWeight {
				r.rx = append(r.rx, x[i])
				r.rw = append(r.rw, w[i])
			}
		}
		k := (n + 1) / 2
		r.at, r.aw = make([]float64, k), make([]float64, k)
		quad.Legendre{}.FixedLocations(r.at, r.aw, 0, 1)
		return r
	})
}

// hermiteE returns the nodes (ascending) and weights of the probabilists'
// Gauss–Hermite rule of n nodes (weight e^{−x²/2}/√(2π), so the weights
// sum to 1) by Golub–Welsch: the nodes are the eigenvalues of the Jacobi
// matrix of the recurrence He_{k+1} = x He_k − k He_{k−1} (zero diagonal,
// off-diagonal √k), the weights the squared first components of its
// normalized eigenvectors. The rule is then made exactly symmetric
// (x_{n−1−i} = −x_i, equal weights) and its weights renormalized to sum 1.
func hermiteE(n int) (x, w []float64) {
	j := mat.NewSymDense(n, nil)
	for k := 1; k < n; k++ {
		j.SetSym(k-1, k, math.Sqrt(float64(k)))
	}
	x, w = golubWelsch(j)
	for i := 0; i < n/2; i++ {
		k := n - 1 - i
		xs, ws := (x[k]-x[i])/2, (w[i]+w[k])/2
		x[i], x[k], w[i], w[k] = -xs, xs, ws, ws
	}
	if n%2 == 1 {
		x[n/2] = 0
	}
	normalize(w)
	return x, w
}

// rayleighRule returns the n-node Gauss rule of the weight r e^{−r²/2} on
// [0, ∞) (the density of the radius of a standard normal pair, mass 1),
// nodes ascending. Its recurrence coefficients have no closed form; they
// come from the Stieltjes procedure on a discretization of the weight by
// Gauss–Legendre on [0, √(4n+2) + 10] (the weight times any polynomial of
// degree 2n is below 1e-20 of its mass beyond that, and is entire, so a
// few hundred Legendre nodes integrate it to rounding), and the rule from
// Golub–Welsch.
func rayleighRule(n int) (x, w []float64) {
	m := max(400, 8*n)
	dx, dw := make([]float64, m), make([]float64, m)
	quad.Legendre{}.FixedLocations(dx, dw, 0, math.Sqrt(4*float64(n)+2)+10)
	var mass float64
	for i := range dw {
		dw[i] *= dx[i] * math.Exp(-dx[i]*dx[i]/2)
		mass += dw[i]
	}
	// Orthonormal polynomials p_k at the discrete nodes:
	// √β_{k+1} p_{k+1} = (x − α_k) p_k − √β_k p_{k−1}.
	j := mat.NewSymDense(n, nil)
	prev, cur := make([]float64, m), make([]float64, m)
	for i := range cur {
		cur[i] = 1 / math.Sqrt(mass)
	}
	var sqrtBeta float64
	for k := 0; k < n; k++ {
		var a float64
		for i := range cur {
			a += dw[i] * dx[i] * cur[i] * cur[i]
		}
		j.SetSym(k, k, a)
		if k == n-1 {
			break
		}
		var nrm float64
		for i := range cur {
			prev[i] = (dx[i]-a)*cur[i] - sqrtBeta*prev[i]
			nrm += dw[i] * prev[i] * prev[i]
		}
		sqrtBeta = math.Sqrt(nrm)
		for i := range cur {
			prev[i], cur[i] = cur[i], prev[i]/sqrtBeta
		}
		j.SetSym(k, k+1, sqrtBeta)
	}
	x, w = golubWelsch(j)
	normalize(w)
	return x, w
}

// golubWelsch returns the eigenvalues of the Jacobi matrix j (ascending)
// and the squared first components of its normalized eigenvectors: the
// nodes and weights of the Gauss rule of a measure of mass 1 with those
// recurrence coefficients.
func golubWelsch(j *mat.SymDense) (x, w []float64) {
	var eig mat.EigenSym
	if !eig.Factorize(j, true) {
		panic("ntk: Gauss rule eigendecomposition failed")
	}
	x = eig.Values(nil)
	var v mat.Dense
	eig.VectorsTo(&v)
	w = make([]float64, len(x))
	for i := range w {
		w[i] = v.At(0, i) * v.At(0, i)
	}
	return x, w
}

// normalize scales w to sum 1.
func normalize(w []float64) {
	var sum float64
	for _, v := range w {
		sum += v
	}
	for i := range w {
		w[i] /= sum
	}
}

// The built-in quadrature activations. Each computes φ and φ′ at x and −x
// from one exponential (or one tanh).

func tanhPair(x float64) (f, df, fm, dfm float64) {
	t := math.Tanh(x)
	d := 1 - t*t
	return t, d, -t, d
}

// sigmoidPair returns σ(x), σ′(x), σ(−x), σ′(−x) = σ′(x) and e = e^{−|x|}:
// σ(±|x|) = 1/(1+e), e/(1+e) and σ′ = e/(1+e)², accurate in both tails.
func sigmoidPair(x float64) (s, ds, sm, e float64) {
	e = math.Exp(-math.Abs(x))
	inv := 1 / (1 + e)
	s, sm = inv, e*inv
	if x < 0 {
		s, sm = sm, s
	}
	return s, e * inv * inv, sm, e
}

func sigmoidQuad(x float64) (f, df, fm, dfm float64) {
	s, ds, sm, _ := sigmoidPair(x)
	return s, ds, sm, ds
}

// softplusQuad: log(1+e^{±x}) = max(±x, 0) + log1p(e^{−|x|}), derivative σ(±x).
func softplusQuad(x float64) (f, df, fm, dfm float64) {
	s, _, sm, e := sigmoidPair(x)
	l := math.Log1p(e)
	return math.Max(x, 0) + l, s, math.Max(-x, 0) + l, sm
}

// swishQuad: ±x·σ(±x), derivative σ(±x) ± x·σ′(x).
func swishQuad(x float64) (f, df, fm, dfm float64) {
	s, ds, sm, _ := sigmoidPair(x)
	return x * s, s + x*ds, -x * sm, sm - x*ds
}

// eluPair returns the pair function of elu with that α.
func eluPair(alpha float64) pairFunc {
	return func(x float64) (f, df, fm, dfm float64) {
		switch {
		case x > 0:
			em1 := math.Expm1(-x)
			return x, 1, alpha * em1, alpha * (em1 + 1)
		case x < 0:
			em1 := math.Expm1(x)
			return alpha * em1, alpha * (em1 + 1), -x, 1
		}
		d := (1 + alpha) / 2
		return 0, d, 0, d
	}
}

// newQuadrature returns the built-in quadrature activation of that name.
// The built-ins use PolarSectors, the more accurate rule at equal cost
// for all of them (see QuadratureRule).
func newQuadrature(name string, pair pairFunc) *Quadrature {
	return &Quadrature{
		Name: name,
		F:    func(x float64) float64 { f, _, _, _ := pair(x); return f },
		DF:   func(x float64) float64 { _, df, _, _ := pair(x); return df },
		FDF:  func(x float64) (float64, float64) { f, df, _, _ := pair(x); return f, df },
		Rule: PolarSectors,
		pair: pair,
	}
}

// Tanh returns φ = tanh, φ′ = 1 − tanh², by quadrature.
func Tanh() *Quadrature { return newQuadrature("tanh", tanhPair) }

// Sigmoid returns φ = σ(x) = 1/(1+e^{−x}), φ′ = σ(1−σ), by quadrature.
func Sigmoid() *Quadrature { return newQuadrature("sigmoid", sigmoidQuad) }

// Softplus returns φ = log(1+eˣ), φ′ = σ, by quadrature.
func Softplus() *Quadrature { return newQuadrature("softplus", softplusQuad) }

// Swish returns φ = x·σ(x) (SiLU), φ′ = σ + xσ(1−σ), by quadrature.
func Swish() *Quadrature { return newQuadrature("swish", swishQuad) }

// ELU returns φ(x) = x for x > 0 and α(eˣ − 1) otherwise, φ′ = 1 for
// x > 0 and α eˣ for x < 0 ((1+α)/2 at 0, the mean subgradient), by
// quadrature. Its name is "elu" for α = 1 and "elu:α" otherwise. φ is
// kinked at 0 (φ′ too for α ≠ 1), which the PolarSectors rule handles.
func ELU(alpha float64) *Quadrature {
	name := "elu"
	if alpha != 1 {
		name += ":" + formatFloat(alpha)
	}
	return newQuadrature(name, eluPair(alpha))
}

// QuadratureOf returns the quadrature version of act, named "quad:" + its
// name: the same φ and φ′ with E and Ė by the PolarSectors rule, which
// checks act's closed form (for the ReLU family exactly: see
// QuadratureRule).
func QuadratureOf(act Activation) *Quadrature {
	return &Quadrature{
		Name: "quad:" + act.String(), F: act.Phi, DF: act.Deriv,
		FDF:  func(x float64) (float64, float64) { return act.Phi(x), act.Deriv(x) },
		Rule: PolarSectors,
	}
}

// GaussHermiteOf returns act with E and Ė by the GaussHermite product rule
// of DESIGN.md §2, named "gh:" + its name (without a degree). It checks a
// closed form or the PolarSectors rule of a built-in.
func GaussHermiteOf(act Activation) *Quadrature {
	if q, ok := act.(*Quadrature); ok {
		g := *q
		g.Name, g.Degree, g.Rule = "gh:"+q.Name, 0, GaussHermite
		return &g
	}
	g := QuadratureOf(act)
	g.Name, g.Rule = "gh:"+act.String(), GaussHermite
	return g
}
