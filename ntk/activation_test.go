package ntk

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// momentPoints are (q1, q2, ρ) at which the moments are compared: generic
// pairs, both signs, a correlation near 1, ρ = ±1 exactly, very unequal
// variances and a zero variance.
var momentPoints = [][3]float64{
	{0.8, 1.3, 0.4}, {2, 0.5, -0.7}, {1, 1, 0.95}, {0.3, 3, -0.05},
	{1.7, 1.7, 1}, {2.5, 0.4, -1}, {1.2, 0.7, 0.99999}, {0.1, 4, 0.2},
	{0, 1.5, 0}, {1.1, 0, 0},
}

// relClose reports whether got is within tol of want, relative to
// max(|want|, floor).
func relClose(got, want, tol, floor float64) bool {
	return math.Abs(got-want) <= tol*math.Max(math.Abs(want), floor)
}

// TestClosedFormsAgainstQuadrature checks every closed form against
// numerical integration of the same φ and φ′: the expected numbers are the
// quadrature sums, an evaluation of E[φ(u)φ(v)] and E[φ′(u)φ′(v)] that
// uses nothing of the closed form but Phi and Deriv. For the smooth φ both
// rules converge spectrally and are run at a high degree; the
// Gauss–Hermite product rule at degree 200 reproduces them to ~1e-14 and
// the polar sector rule at degree 160 to ~1e-13 (measured), so the
// tolerance is 1e-11 relative. Kinked φ (the ReLU family) defeat the
// Gauss–Hermite rule, but their integrands are r² times trigonometric
// polynomials on the polar sectors, where the default degree is exact to
// rounding.
func TestClosedFormsAgainstQuadrature(t *testing.T) {
	smooth := []Activation{GELU{}, Sin{}, Cos{}, Erf{}}
	kinked := []Activation{ReLU{}, LeakyReLU{0.1}, ABReLU{-1, 1}, ABReLU{0.5, -1.5}, ABReLU{2, 0.3}}
	type rule struct {
		name string
		mk   func(Activation) *Quadrature
		deg  int
		tol  float64
	}
	gh := rule{"gauss-hermite", GaussHermiteOf, 200, 1e-11}
	ghOdd := rule{"gauss-hermite", GaussHermiteOf, 201, 1e-11} // a node at 0
	polarHigh := rule{"polar", QuadratureOf, 160, 1e-11}
	polarOdd := rule{"polar", QuadratureOf, 161, 1e-11}
	polarDefault := rule{"polar", QuadratureOf, 0, 1e-13}
	for _, tc := range []struct {
		acts []Activation
		r    rule
	}{
		{smooth, gh}, {smooth, ghOdd}, {smooth, polarHigh}, {smooth, polarOdd}, {kinked, polarDefault},
	} {
		for _, act := range tc.acts {
			q := tc.r.mk(act)
			q.Degree = tc.r.deg
			for _, p := range momentPoints {
				c := p[2] * math.Sqrt(p[0]*p[1])
				e, ed := act.Moments(p[0], p[1], c)
				qe, qed := q.Moments(p[0], p[1], c)
				// The floor: E and Ė are of order max(q, 1) here, and a
				// value that vanishes (sin at ρ = 0) is judged absolutely.
				floor := 1e-2
				if !relClose(e, qe, tc.r.tol, floor) || !relClose(ed, qed, tc.r.tol, floor) {
					t.Errorf("%v vs %s degree %d at q=(%v,%v) ρ=%v: closed form (%.16g, %.16g), quadrature (%.16g, %.16g)",
						act, tc.r.name, q.degree(), p[0], p[1], p[2], e, ed, qe, qed)
				}
			}
		}
	}
}

// TestQuadratureDefaultAccuracy pins down what the default degree 32 gives
// at the variances of normalized inputs (q ≤ 2, σw² = 2), against the
// closed forms (erf, GELU) or the same rule at degree 400 (tanh, sigmoid,
// softplus, swish, elu). The tolerances are the measured worst cases over
// ρ ∈ [−1, 1] rounded up: the polar sector rule is within 1e-5 relative
// for all of them, the Gauss–Hermite rule off by up to 4e-3 for tanh's Ė
// and 3.4e-2 for elu's (see QuadratureRule).
func TestQuadratureDefaultAccuracy(t *testing.T) {
	ref := func(a *Quadrature) func(q1, q2, c float64) (float64, float64) {
		h := *a
		h.Degree = 400
		return h.Moments
	}
	for _, tc := range []struct {
		q    *Quadrature
		want func(q1, q2, c float64) (float64, float64)
		tol  float64
	}{
		{QuadratureOf(Erf{}), Erf{}.Moments, 1e-5},
		{QuadratureOf(GELU{}), GELU{}.Moments, 1e-5},
		{Tanh(), ref(Tanh()), 1e-5},
		{Sigmoid(), ref(Sigmoid()), 1e-7},
		{Softplus(), ref(Softplus()), 1e-7},
		{Swish(), ref(Swish()), 1e-6},
		{ELU(1), ref(ELU(1)), 1e-11},
		{ELU(0.5), ref(ELU(0.5)), 1e-11},
		{GaussHermiteOf(Erf{}), Erf{}.Moments, 2e-3},
		{GaussHermiteOf(Tanh()), ref(Tanh()), 5e-3},
		{GaussHermiteOf(ELU(1)), ref(ELU(1)), 5e-2},
	} {
		var worst float64
		for _, q := range []float64{0.5, 1, 2} {
			for _, rho := range []float64{-1, -0.9, 0, 0.5, 0.9, 0.99, 1} {
				e, ed := tc.q.Moments(q, q, rho*q)
				we, wed := tc.want(q, q, rho*q)
				worst = math.Max(worst, math.Abs(e-we)/math.Max(math.Abs(we), 1e-3))
				worst = math.Max(worst, math.Abs(ed-wed)/math.Max(math.Abs(wed), 1e-3))
			}
		}
		t.Logf("%-10v (%v, degree 32): worst relative error %.2g", tc.q, tc.q.Rule, worst)
		if worst > tc.tol {
			t.Errorf("%v (%v) at the default degree: worst relative error %.3g, want ≤ %g", tc.q, tc.q.Rule, worst, tc.tol)
		}
	}
}

// TestABReLUMomentsIntegral checks the ABReLU closed form against a
// one-dimensional integral, as TestReLUMomentsIntegral does for ReLU:
// conditionally on u, v is N(μ, s²) with μ = (c/q1)u and s² = q2 − c²/q1,
// so with R = E[relu(v) | u] = μΦ(μ/s) + sϕ(μ/s) and relu(v) − relu(−v) = v,
// E[φ(v) | u] = B·R − A·(R − μ) and E[φ′(v) | u] = BΦ(μ/s) + AΦ(−μ/s).
// The outer integrand is smooth on each side of u = 0, so composite
// Simpson on [−14√q1, 0] and [0, 14√q1], 20 000 panels each, is accurate
// to ~1e-13.
func TestABReLUMomentsIntegral(t *testing.T) {
	pdf := func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	for _, act := range []ABReLU{{0, 1}, {0.1, 1}, {-1, 1}, {0.5, -1.5}, {2, 0.3}} {
		for _, p := range [][3]float64{{0.8, 1.3, 0.4}, {2.0, 0.5, -0.7}, {1, 1, 0.95}, {0.3, 3, -0.05}} {
			q1, q2 := p[0], p[1]
			c := p[2] * math.Sqrt(q1*q2)
			sd := math.Sqrt(q2 - c*c/q1)
			fe := func(u float64) float64 {
				mu := c / q1 * u
				r := mu*cdf(mu/sd) + sd*pdf(mu/sd)
				return act.Phi(u) * (act.B*r - act.A*(r-mu)) * pdf(u/math.Sqrt(q1)) / math.Sqrt(q1)
			}
			fed := func(u float64) float64 {
				mu := c / q1 * u
				return act.Deriv(u) * (act.B*cdf(mu/sd) + act.A*cdf(-mu/sd)) * pdf(u/math.Sqrt(q1)) / math.Sqrt(q1)
			}
			lim := 14 * math.Sqrt(q1)
			ie := simpson(fe, -lim, 0, 20000) + simpson(fe, 0, lim, 20000)
			ied := simpson(fed, -lim, 0, 20000) + simpson(fed, 0, lim, 20000)
			e, ed := act.Moments(q1, q2, c)
			scale := act.A*act.A + act.B*act.B
			if math.Abs(e-ie) > 1e-12*scale || math.Abs(ed-ied) > 1e-12*scale {
				t.Errorf("%v q=(%v,%v) ρ=%v: closed form (%v, %v), integral (%v, %v)", act, q1, q2, p[2], e, ed, ie, ied)
			}
			// LeakyReLU is the same function.
			if act.B == 1 {
				le, led := LeakyReLU{act.A}.Moments(q1, q2, c)
				if le != e || led != ed {
					t.Errorf("LeakyReLU{%v} differs from %v", act.A, act)
				}
			}
		}
	}
}

// TestABReLUDecomposition checks ABReLU against its ReLU decomposition
// φ(x) = B·relu(x) − A·relu(−x): the pair (−u, −v) has covariance c and
// (u, −v) has −c, so E = (A²+B²)·J(c) − 2AB·J(−c) and Ė = (A²+B²)·J̇(c) +
// 2AB·J̇(−c), with (J, J̇) = ReLU{}.Moments.
func TestABReLUDecomposition(t *testing.T) {
	for _, act := range []ABReLU{{0.1, 1}, {-1, 1}, {0.5, -1.5}, {2, 0.3}, {-0.7, -0.2}} {
		A, B := act.A, act.B
		for _, p := range momentPoints {
			c := p[2] * math.Sqrt(p[0]*p[1])
			j, jd := ReLU{}.Moments(p[0], p[1], c)
			jm, jmd := ReLU{}.Moments(p[0], p[1], -c)
			e, ed := act.Moments(p[0], p[1], c)
			we, wed := (A*A+B*B)*j-2*A*B*jm, (A*A+B*B)*jd+2*A*B*jmd
			scale := (A*A + B*B) * math.Max(1, math.Sqrt(p[0]*p[1]))
			if math.Abs(e-we) > 1e-14*scale || math.Abs(ed-wed) > 1e-14*scale {
				t.Errorf("%v q=(%v,%v) ρ=%v: (%v, %v), decomposition (%v, %v)", act, p[0], p[1], p[2], e, ed, we, wed)
			}
		}
	}
}

// TestABReLUIsReLU: ABReLU{0, 1} and LeakyReLU{0} are ReLU, bit for bit, in
// the moments (including zero variance, ρ = ±1 and a correlation rounded
// above 1), in Phi and Deriv, and in whole stacks.
func TestABReLUIsReLU(t *testing.T) {
	for _, act := range []Activation{ABReLU{0, 1}, LeakyReLU{0}} {
		for _, q1 := range []float64{0, 1e-300, 0.3, 1, 7.5} {
			for _, q2 := range []float64{0, 0.3, 2.25} {
				s := math.Sqrt(q1 * q2)
				for _, c := range []float64{-s, -0.999999 * s, -0.5 * s, 0, 0.3 * s, 0.9999999 * s, s, s * (1 + 1e-15)} {
					e, ed := act.Moments(q1, q2, c)
					re, red := ReLU{}.Moments(q1, q2, c)
					if e != re || ed != red {
						t.Errorf("%v q=(%v,%v) c=%v: (%v, %v), ReLU (%v, %v)", act, q1, q2, c, e, ed, re, red)
					}
				}
			}
		}
		for _, x := range []float64{-2, -1e-300, 0, 1e-300, 3} {
			if act.Phi(x) != (ReLU{}).Phi(x) || act.Deriv(x) != (ReLU{}).Deriv(x) {
				t.Errorf("%v at %v: φ %v, φ′ %v; ReLU %v, %v", act, x, act.Phi(x), act.Deriv(x), ReLU{}.Phi(x), ReLU{}.Deriv(x))
			}
		}
	}
	rng := rand.New(rand.NewPCG(11, 12))
	x := randomMatrix(rng, 13, 5, 1)
	z := randomMatrix(rng, 4, 5, 1)
	for _, kind := range []Kind{NTK, NNGP} {
		relu := Config{Depth: 6, SigmaB2: 0.1, Kind: kind}
		ab := relu
		ab.Activation = ABReLU{0, 1}
		for _, zz := range []*mat.Dense{nil, z} {
			var want, got []*mat.Dense
			if zz == nil {
				want, got = relu.Stack(nil, x, nil, nil), ab.Stack(nil, x, nil, nil)
			} else {
				want, got = relu.Stack(nil, x, zz, nil), ab.Stack(nil, x, zz, nil)
			}
			for l := range want {
				if !mat.Equal(got[l], want[l]) {
					t.Errorf("%v layer %d: the ABReLU{0, 1} stack differs from the ReLU stack", kind, l+1)
				}
			}
		}
	}
}

// TestAbsMoments: ABReLU{−1, 1} is |x|, whose moments are elementary:
// Ė = E[sign u sign v] = (2/π) asin ρ (Sheppard) and E = (2/π)(√(q1q2)
// sin θ + c asin ρ), so E = 2√(q1q2)/π at ρ = 0 and E = ±q at ρ = ±1.
func TestAbsMoments(t *testing.T) {
	abs, err := ParseActivation("abs")
	if err != nil || abs != (ABReLU{-1, 1}) {
		t.Fatalf(`ParseActivation("abs") = %v, %v; want ABReLU{-1, 1}`, abs, err)
	}
	for _, x := range []float64{-2.5, 0, 1.5} {
		if abs.Phi(x) != math.Abs(x) {
			t.Errorf("abs φ(%v) = %v", x, abs.Phi(x))
		}
	}
	for _, tc := range []struct{ q1, q2, rho float64 }{{0.8, 1.3, 0.4}, {2, 0.5, -0.7}, {1.5, 1.5, 1}, {1.5, 1.5, -1}, {0.7, 2, 0}} {
		s := math.Sqrt(tc.q1 * tc.q2)
		c := tc.rho * s
		e, ed := abs.Moments(tc.q1, tc.q2, c)
		asin := math.Asin(tc.rho)
		we := 2 / math.Pi * (s*math.Sqrt(1-tc.rho*tc.rho) + c*asin)
		wed := 2 / math.Pi * asin
		if math.Abs(e-we) > 1e-14*s || math.Abs(ed-wed) > 1e-14 {
			t.Errorf("abs q=(%v,%v) ρ=%v: (%v, %v), want (%v, %v)", tc.q1, tc.q2, tc.rho, e, ed, we, wed)
		}
	}
}

// TestClosedFormSpecialValues checks GELU, Sin and Cos where the
// expectations are elementary: zero variance, ρ = 0 (a product of
// one-dimensional means: E[sin u] = 0, E[cos u] = e^{−q/2}, E[uΦ(u)] =
// q/√(2π(1+q)) by Stein's lemma), the diagonal (E[sin²u] = (1−e^{−2q})/2,
// E[cos²u] = (1+e^{−2q})/2, and neural-tangents' diagonal form of GELU,
// q·(1/4 + (q/((1+q)√(1+2q)) + atan(q/√(1+2q))/2)/π)), and a variance so
// large that sinh and cosh alone would overflow.
func TestClosedFormSpecialValues(t *testing.T) {
	q1, q2 := 1.7, 0.6
	g := func(q float64) float64 { return q / math.Sqrt(2*math.Pi*(1+q)) }
	for _, tc := range []struct {
		name          string
		act           Activation
		a, b, c       float64
		wantE, wantEd float64
	}{
		{"gelu q1=0", GELU{}, 0, q2, 0, 0, 0.25},
		{"gelu ρ=0", GELU{}, q1, q2, 0, g(q1) * g(q2), (0.5 + 0) * (0.5 + 0)},
		{"gelu ρ=1", GELU{}, q1, q1, q1, q1 * (0.25 + (q1/((1+q1)*math.Sqrt(1+2*q1))+math.Atan(q1/math.Sqrt(1+2*q1))/2)/math.Pi), math.NaN()},
		{"sin ρ=0", Sin{}, q1, q2, 0, 0, math.Exp(-(q1 + q2) / 2)},
		{"sin ρ=1", Sin{}, q1, q1, q1, (1 - math.Exp(-2*q1)) / 2, (1 + math.Exp(-2*q1)) / 2},
		{"cos ρ=0", Cos{}, q1, q2, 0, math.Exp(-(q1 + q2) / 2), 0},
		{"cos ρ=-1", Cos{}, q1, q1, -q1, (1 + math.Exp(-2*q1)) / 2, -(1 - math.Exp(-2*q1)) / 2},
		{"sin q=800", Sin{}, 800, 800, 800, 0.5, 0.5},
		{"cos q=800", Cos{}, 800, 800, -800, 0.5, -0.5},
	} {
		e, ed := tc.act.Moments(tc.a, tc.b, tc.c)
		if !relClose(e, tc.wantE, 1e-14, 1) || (!math.IsNaN(tc.wantEd) && !relClose(ed, tc.wantEd, 1e-14, 1)) {
			t.Errorf("%s: got (%v, %v), want (%v, %v)", tc.name, e, ed, tc.wantE, tc.wantEd)
		}
	}
}

// TestQuadratureDegenerate checks both rules where the change of variables
// degenerates: a zero variance on either side or both, ρ = ±1, and a
// covariance rounded above √(q1q2). The expected numbers are the GELU and
// erf closed forms, at the accuracy of the default degree for q ≤ 2.
func TestQuadratureDegenerate(t *testing.T) {
	pts := [][3]float64{
		{0, 1.3, 0}, {1.3, 0, 0}, {0, 0, 0}, {1.3, 1.3, 1.3}, {1.3, 1.3, -1.3},
		{0.9, 1.6, 1.2 * (1 + 2e-16)}, {0.9, 1.6, -1.2 * (1 + 2e-16)}, {1e-12, 1.5, 1e-12},
	}
	for _, act := range []Activation{GELU{}, Erf{}} {
		for _, q := range []*Quadrature{QuadratureOf(act), GaussHermiteOf(act)} {
			for _, p := range pts {
				e, ed := q.Moments(p[0], p[1], p[2])
				we, wed := act.Moments(p[0], p[1], math.Max(-math.Sqrt(p[0]*p[1]), math.Min(p[2], math.Sqrt(p[0]*p[1]))))
				if !relClose(e, we, 2e-3, 1e-2) || !relClose(ed, wed, 2e-3, 1e-2) {
					t.Errorf("%v (%v) at q=(%v,%v) c=%v: (%v, %v), closed form (%v, %v)", q, q.Rule, p[0], p[1], p[2], e, ed, we, wed)
				}
			}
		}
	}
	// The ReLU convention at zero variance comes out of the polar rule by
	// itself: φ(0) = 0 and φ′(0) = 1/2.
	if e, ed := QuadratureOf(ReLU{}).Moments(0, 1.3, 0); e != 0 || math.Abs(ed-0.25) > 1e-15 {
		t.Errorf("quad:relu at zero variance: (%v, %v), want (0, 1/4)", e, ed)
	}
}

// TestQuadratureMatchesIdentities checks the quadrature built-ins through
// identities between them, at a degree high enough for the rule to be
// exact to rounding: σ(x) = (1 + tanh(x/2))/2 gives E_σ(q1, q2, c) =
// (1 + E_tanh(q1/4, q2/4, c/4))/4 and Ė_σ = Ė_tanh(q1/4, q2/4, c/4)/16;
// softplus′ = σ gives Ė_softplus = E_σ; and at ρ = 0 the elu moments are
// products of the means E[elu(u)] = √(q/2π) + e^{q/2}Φ(−√q) − 1/2 and
// E[elu′(u)] = 1/2 + e^{q/2}Φ(−√q).
func TestQuadratureMatchesIdentities(t *testing.T) {
	at := func(q *Quadrature, deg int) *Quadrature { h := *q; h.Degree = deg; return &h }
	tanh, sig, sp, elu := at(Tanh(), 200), at(Sigmoid(), 200), at(Softplus(), 200), at(ELU(1), 64)
	for _, p := range momentPoints[:8] {
		c := p[2] * math.Sqrt(p[0]*p[1])
		se, sed := sig.Moments(p[0], p[1], c)
		te, ted := tanh.Moments(p[0]/4, p[1]/4, c/4)
		if !relClose(se, (1+te)/4, 1e-12, 1) || !relClose(sed, ted/16, 1e-11, 1e-2) {
			t.Errorf("sigmoid at %v: (%v, %v), from tanh (%v, %v)", p, se, sed, (1+te)/4, ted/16)
		}
		if _, spd := sp.Moments(p[0], p[1], c); !relClose(spd, se, 1e-14, 1) {
			t.Errorf("softplus Ė at %v: %v, sigmoid E %v", p, spd, se)
		}
	}
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	mean := func(q float64) (float64, float64) {
		tail := math.Exp(q/2) * cdf(-math.Sqrt(q))
		return math.Sqrt(q/(2*math.Pi)) + tail - 0.5, 0.5 + tail
	}
	for _, q := range [][2]float64{{0.5, 2}, {1.3, 1.3}, {3, 0.2}} {
		m1, d1 := mean(q[0])
		m2, d2 := mean(q[1])
		e, ed := elu.Moments(q[0], q[1], 0)
		if !relClose(e, m1*m2, 1e-12, 1e-2) || !relClose(ed, d1*d2, 1e-12, 1e-2) {
			t.Errorf("elu at q=%v, ρ=0: (%v, %v), want (%v, %v)", q, e, ed, m1*m2, d1*d2)
		}
	}
}

// TestDerivatives checks every activation's Deriv against a central
// difference of its Phi, away from the kinks (and the ReLU family's
// mean subgradient at 0), and the finite-difference fallback of a
// Quadrature without DF.
func TestDerivatives(t *testing.T) {
	acts := []Activation{ReLU{}, Erf{}, LeakyReLU{0.2}, ABReLU{0.5, -1.5}, GELU{}, Sin{}, Cos{},
		Tanh(), Sigmoid(), Softplus(), Swish(), ELU(1), ELU(0.3), &Quadrature{Name: "fd-tanh", F: math.Tanh}}
	for _, act := range acts {
		for _, x := range []float64{-30, -3.1, -0.7, -1e-2, 0.4, 2.5, 9, 40} {
			const h = 1e-5
			fd := (act.Phi(x+h) - act.Phi(x-h)) / (2 * h)
			if d := act.Deriv(x); math.Abs(d-fd) > 1e-8*math.Max(1, math.Abs(fd)) {
				t.Errorf("%v at %v: φ′ = %v, central difference %v", act, x, d, fd)
			}
		}
	}
	for _, tc := range []struct {
		act  Activation
		want float64
	}{{ABReLU{0.5, -1.5}, -0.5}, {LeakyReLU{0.2}, 0.6}, {ELU(0.3), 0.65}, {ELU(1), 1}} {
		if d := tc.act.Deriv(0); d != tc.want {
			t.Errorf("%v: φ′(0) = %v, want the mean subgradient %v", tc.act, d, tc.want)
		}
	}
}

// TestBuiltinPairs checks the built-ins' evaluation of φ and φ′ at x and
// −x at once against F and DF at −x, computed separately.
func TestBuiltinPairs(t *testing.T) {
	for _, q := range []*Quadrature{Tanh(), Sigmoid(), Softplus(), Swish(), ELU(1), ELU(0.3)} {
		for _, x := range []float64{-40, -2.2, -0.3, 0, 1e-9, 0.8, 5, 40} {
			f, df, fm, dfm := q.pair(x)
			if f != q.F(x) || df != q.DF(x) || !relClose(fm, q.F(-x), 1e-15, 1e-300) || !relClose(dfm, q.DF(-x), 1e-15, 1e-300) {
				t.Errorf("%v at ±%v: pair (%v, %v, %v, %v), separately (%v, %v, %v, %v)", q, x, f, df, fm, dfm, q.F(x), q.DF(x), q.F(-x), q.DF(-x))
			}
		}
	}
}

// TestQuadratureNoAllocs: Moments runs once per Gram entry and layer, so
// it must not allocate, whatever fields the Quadrature sets.
func TestQuadratureNoAllocs(t *testing.T) {
	for _, q := range []*Quadrature{Tanh(), GaussHermiteOf(Tanh()), QuadratureOf(Erf{}),
		{Name: "fd-tanh", F: math.Tanh}, {Name: "tanh-f-df", F: math.Tanh, DF: func(x float64) float64 { t := math.Tanh(x); return 1 - t*t }}} {
		q.Moments(1, 1, 0.5) // build the rule
		var sink float64
		if n := testing.AllocsPerRun(20, func() {
			e, ed := q.Moments(0.9, 1.4, 0.3)
			sink += e + ed
		}); n != 0 {
			t.Errorf("%v (%v): %v allocations per Moments call", q, q.Rule, n)
		}
		_ = sink
	}
}

// TestGaussRules checks the two underlying rules by their exactness: the
// probabilists' Gauss–Hermite rule of n nodes integrates z^k exactly
// against N(0, 1) for k < 2n (E z^{2j} = (2j−1)!!), and the radial rule
// integrates r^k against r e^{−r²/2} on [0, ∞), whose moments are
// 2^{k/2} Γ(k/2 + 1). Relative tolerance 1e-11 (the moments grow like
// factorials; the nodes come from a symmetric eigensolver).
func TestGaussRules(t *testing.T) {
	for _, n := range []int{1, 2, 7, 20, 32} {
		x, w := hermiteE(n)
		for k := 0; k < min(2*n, 24); k++ {
			var got, abs float64
			for i := range x {
				got += w[i] * math.Pow(x[i], float64(k))
				abs += w[i] * math.Pow(math.Abs(x[i]), float64(k))
			}
			want := 0.0
			if k%2 == 0 {
				want = 1
				for j := k - 1; j > 0; j -= 2 {
					want *= float64(j)
				}
			}
			if !relClose(got, want, 1e-11, abs) { // odd k: cancellation of ±abs
				t.Errorf("Gauss–Hermite n=%d: E z^%d = %v, want %v", n, k, got, want)
			}
		}
		for i := range x {
			if x[i] != -x[n-1-i] || w[i] != w[n-1-i] {
				t.Errorf("Gauss–Hermite n=%d is not symmetric at node %d", n, i)
			}
		}
	}
	for _, n := range []int{2, 12, 40, 120} {
		x, w := rayleighRule(n)
		for k := 0; k < min(2*n, 40); k++ {
			var got float64
			for i := range x {
				got += w[i] * math.Pow(x[i], float64(k))
			}
			lg, _ := math.Lgamma(float64(k)/2 + 1)
			want := math.Exp(float64(k)/2*math.Ln2 + lg)
			if !relClose(got, want, 1e-11, 1) {
				t.Errorf("radial rule n=%d: E r^%d = %v, want %v", n, k, got, want)
			}
		}
	}
}

// TestStackQuadratureSymmetric: the polar sector rule is symmetric in
// (q1, q2) (the substitution t → θ − t maps its sectors and nodes onto
// themselves), so for a quadrature built-in the cross stack Stack(X, X)
// agrees with Stack(X, nil) to rounding, as for the closed forms; and the
// stack is deterministic in the worker count.
func TestStackQuadratureSymmetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := randomMatrix(rng, 11, 6, 1)
	for _, act := range []Activation{Tanh(), ELU(1), GELU{}, ABReLU{0.5, -1.5}} {
		cfg := Config{Depth: 4, Activation: act, SigmaB2: 0.1}
		sym := cfg.Stack(nil, x, nil, &Settings{Workers: 1})
		other := cfg.Stack(nil, x, nil, &Settings{Workers: 3, BlockRows: 2})
		cross := cfg.Stack(nil, x, x, nil)
		for l := range sym {
			if !mat.Equal(sym[l], other[l]) {
				t.Errorf("%v layer %d: workers/block size changed the result", act, l+1)
			}
			if !mat.EqualApprox(sym[l], cross[l], 1e-13*mat.Norm(sym[l], math.Inf(1))) {
				t.Errorf("%v layer %d: symmetric and cross stacks differ", act, l+1)
			}
		}
	}
}

// TestParseActivation checks the accepted syntax, the canonical names that
// String returns (which must parse back to the same activation), the
// degree handling, and that every error is one line naming the syntax.
func TestParseActivation(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		degree int
		want   string // String of the result
	}{
		{"relu", 0, "relu"},
		{" ReLU ", 0, "relu"},
		{"erf", 64, "erf"}, // a degree does not apply to a closed form
		{"gelu", 0, "gelu"},
		{"sin", 0, "sin"},
		{"cos", 0, "cos"},
		{"abs", 0, "abrelu:-1,1"},
		{"leaky_relu", 0, "leaky_relu:0.01"},
		{"leaky_relu:0.2", 0, "leaky_relu:0.2"},
		{"abrelu:-1,1", 0, "abrelu:-1,1"},
		{"abrelu: 0.5 , -1.5", 0, "abrelu:0.5,-1.5"},
		{"abrelu:1e-3,2", 0, "abrelu:0.001,2"},
		{"tanh", 0, "tanh"},
		{"tanh", 64, "tanh@64"},
		{"tanh@48", 0, "tanh@48"},
		{"tanh@48", 48, "tanh@48"},
		{"sigmoid", 0, "sigmoid"},
		{"softplus", 0, "softplus"},
		{"swish", 0, "swish"},
		{"elu", 0, "elu"},
		{"elu:1", 0, "elu"},
		{"elu:0.5@40", 0, "elu:0.5@40"},
		{"quad:gelu", 0, "quad:gelu"},
		{"quad:leaky_relu:0.2@16", 0, "quad:leaky_relu:0.2@16"},
		{"quad:abs", 0, "quad:abrelu:-1,1"},
		{"gh:erf", 100, "gh:erf@100"},
		{"gh:tanh", 0, "gh:tanh"},
	} {
		act, err := ParseActivationDegree(tc.spec, tc.degree)
		if err != nil {
			t.Errorf("ParseActivationDegree(%q, %d): %v", tc.spec, tc.degree, err)
			continue
		}
		if got := act.String(); got != tc.want {
			t.Errorf("ParseActivationDegree(%q, %d) is %q, want %q", tc.spec, tc.degree, got, tc.want)
		}
		back, err := ParseActivation(act.String())
		if err != nil {
			t.Errorf("%q does not parse back: %v", act.String(), err)
			continue
		}
		e1, d1 := act.Moments(0.9, 1.4, 0.3)
		e2, d2 := back.Moments(0.9, 1.4, 0.3)
		if back.String() != act.String() || e1 != e2 || d1 != d2 {
			t.Errorf("%q parses back to %q with moments (%v, %v), not (%v, %v)", act.String(), back.String(), e2, d2, e1, d1)
		}
	}
	for _, tc := range []struct {
		spec   string
		degree int
		want   string // must appear in the message
	}{
		{"swish2", 0, "unknown activation"},
		{"", 0, "unknown activation"},
		{"abrelu", 0, "abrelu takes 2 parameters, got 0"},
		{"abrelu:1", 0, "abrelu takes 2 parameters, got 1"},
		{"relu:1", 0, "relu takes 0 parameters"},
		{"leaky_relu:0.1,2", 0, "0 to 1 parameters"},
		{"leaky_relu:x", 0, `parameter "x" is not a finite number`},
		{"leaky_relu:nan", 0, "not a finite number"},
		{"abrelu:inf,1", 0, "not a finite number"},
		{"leaky_relu:", 0, "not a finite number"},
		{"relu@32", 0, "closed form"},
		{"tanh@0", 0, "not an integer in 1..1000"},
		{"tanh@1001", 0, "not an integer"},
		{"tanh@x", 0, "not an integer"},
		{"tanh@32", 64, "contradicts"},
		{"tanh", -1, "outside 1..1000"},
		{"tanh", 1001, "outside 1..1000"},
		{"quad:tanh", 0, "computed by quadrature already"},
		{"quad:quad:relu", 0, "unknown activation"},
	} {
		_, err := ParseActivationDegree(tc.spec, tc.degree)
		if err == nil {
			t.Errorf("ParseActivationDegree(%q, %d): no error", tc.spec, tc.degree)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "closed forms: ") || strings.Contains(msg, "\n") {
			t.Errorf("ParseActivationDegree(%q, %d): error %q; want one line containing %q and the syntax", tc.spec, tc.degree, msg, tc.want)
		}
	}
	// Every name parses (abrelu with parameters) and is in the syntax.
	for _, n := range ActivationNames() {
		spec := n
		if n == "abrelu" {
			spec = "abrelu:0,1"
		}
		if _, err := ParseActivation(spec); err != nil {
			t.Errorf("ActivationNames lists %q, which does not parse: %v", n, err)
		}
		if !strings.Contains(ActivationSyntax(), n) {
			t.Errorf("ActivationSyntax does not mention %q", n)
		}
	}
	// Two parses of a quadrature built-in compare without panicking.
	a, _ := ParseActivation("tanh")
	b, _ := ParseActivation("tanh")
	if fmt.Sprint(a == b) != "false" {
		t.Errorf("two parses of tanh are the same pointer")
	}
}
