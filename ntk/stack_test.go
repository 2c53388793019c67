package ntk

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// naiveKernel computes Θ^(depth)(x, z) (or K) from scratch for one pair and
// one depth, through the correlation ρ and arccos, in a loop of its own: an
// implementation of DESIGN.md §2 independent of Config.recurse.
func naiveKernel(act string, kind Kind, sw2, sb2, sv2 float64, depth int, x, z []float64) float64 {
	m := float64(len(x))
	var xx, zz, xz float64
	for i := range x {
		xx += x[i] * x[i]
		zz += z[i] * z[i]
		xz += x[i] * z[i]
	}
	qx, qz, s := sw2*xx/m+sb2, sw2*zz/m+sb2, sw2*xz/m+sb2
	tg := s
	var e, ed float64
	for l := 1; l <= depth; l++ {
		switch act {
		case "relu":
			norm := math.Sqrt(qx * qz)
			rho := math.Max(-1, math.Min(1, s/norm))
			// arccos loses half the digits at |ρ| = 1 (the reason the
			// package uses atan2), so snap a pair that is one input twice.
			if math.Abs(rho) > 1-1e-12 {
				rho = math.Copysign(1, rho)
			}
			th := math.Acos(rho)
			e = norm / (2 * math.Pi) * (math.Sin(th) + (math.Pi-th)*math.Cos(th))
			ed = (math.Pi - th) / (2 * math.Pi)
			// The variances: E[relu(u)²] = q/2.
			if l < depth {
				qx, qz = sw2*qx/2+sb2, sw2*qz/2+sb2
			}
		case "erf":
			a := (1 + 2*qx) * (1 + 2*qz)
			e = 2 / math.Pi * math.Asin(2*s/math.Sqrt(a))
			ed = 4 / math.Pi / math.Sqrt(a-4*s*s)
			if l < depth {
				qx = sw2*2/math.Pi*math.Asin(2*qx/(1+2*qx)) + sb2
				qz = sw2*2/math.Pi*math.Asin(2*qz/(1+2*qz)) + sb2
			}
		}
		if l < depth {
			s = sw2*e + sb2
			tg = s + sw2*ed*tg
		}
	}
	if kind == NNGP {
		return sv2 * e
	}
	return sv2 * (e + ed*tg)
}

func randomMatrix(rng *rand.Rand, r, c int, scale float64) *mat.Dense {
	d := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			d.Set(i, j, scale*rng.NormFloat64())
		}
	}
	return d
}

// TestStackAgainstNaive compares the one-pass stack with a from-scratch
// computation per depth and pair. Both evaluate the same closed forms in a
// different order (atan2 against arccos of a clamped ρ, recursion of the
// variances by the closed diagonal E[φ²]), so they agree to rounding: the
// tolerance is a few hundred ulps relative to the largest entry.
func TestStackAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := randomMatrix(rng, 9, 7, 1)
	z := randomMatrix(rng, 5, 7, 1.5)
	// A duplicated row (ρ = 1 exactly) and its negation (ρ = −1).
	z.SetRow(0, x.RawRowView(2))
	neg := make([]float64, 7)
	for i, v := range x.RawRowView(3) {
		neg[i] = -v
	}
	z.SetRow(1, neg)
	for _, tc := range []struct {
		act       string
		kind      Kind
		sb2       float64
		symmetric bool
		tol       float64
	}{
		{"relu", NTK, 0, false, 1e-13},
		{"relu", NTK, 0.3, false, 1e-13},
		{"relu", NNGP, 0, false, 1e-13},
		{"relu", NNGP, 0.3, true, 1e-13},
		{"relu", NTK, 0.3, true, 1e-13},
		{"erf", NTK, 0, false, 1e-13},
		{"erf", NTK, 0.3, true, 1e-13},
		{"erf", NNGP, 0.3, false, 1e-13},
		{"erf", NNGP, 0, true, 1e-13},
	} {
		name := fmt.Sprintf("%s/%v/sb2=%v/sym=%v", tc.act, tc.kind, tc.sb2, tc.symmetric)
		t.Run(name, func(t *testing.T) {
			act, _ := ParseActivation(tc.act)
			cfg := Config{Depth: 6, Activation: act, SigmaB2: tc.sb2, Kind: tc.kind}
			zz := z
			var got []*mat.Dense
			if tc.symmetric {
				zz = x
				got = cfg.Stack(nil, x, nil, &Settings{BlockRows: 2})
			} else {
				got = cfg.Stack(nil, x, z, &Settings{BlockRows: 2})
			}
			n, n2 := x.RawMatrix().Rows, zz.RawMatrix().Rows
			for l := 0; l < cfg.Depth; l++ {
				scale := mat.Norm(got[l], math.Inf(1))
				for i := 0; i < n; i++ {
					for j := 0; j < n2; j++ {
						want := naiveKernel(tc.act, tc.kind, 2, tc.sb2, 1, l+1, x.RawRowView(i), zz.RawRowView(j))
						if d := math.Abs(got[l].At(i, j) - want); d > tc.tol*scale {
							t.Errorf("layer %d (%d,%d): got %v want %v (diff %.3g)", l+1, i, j, got[l].At(i, j), want, d)
						}
					}
				}
			}
		})
	}
}

// TestStackSymmetricAndDeterministic checks that Stack(X, nil) is exactly
// symmetric, that its diagonal is exactly Diag, that it agrees with the
// cross stack Stack(X, X) to rounding, and that the worker count and the
// block size do not change a single bit.
func TestStackSymmetricAndDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := randomMatrix(rng, 37, 11, 1)
	for _, act := range []Activation{ReLU{}, Erf{}} {
		cfg := Config{Depth: 5, Activation: act, SigmaB2: 0.1}
		sym := cfg.Stack(nil, x, nil, &Settings{Workers: 1, BlockRows: 64})
		other := cfg.Stack(nil, x, nil, &Settings{Workers: 3, BlockRows: 5})
		cross := cfg.Stack(nil, x, x, nil)
		diag := cfg.Diag(nil, x)
		for l := range sym {
			if !mat.Equal(sym[l], other[l]) {
				t.Errorf("%v layer %d: workers/block size changed the result", act, l+1)
			}
			if !mat.Equal(sym[l], sym[l].T()) {
				t.Errorf("%v layer %d: not exactly symmetric", act, l+1)
			}
			if !mat.EqualApprox(sym[l], cross[l], 1e-13*mat.Norm(sym[l], math.Inf(1))) {
				t.Errorf("%v layer %d: symmetric and cross stacks differ", act, l+1)
			}
			for i := 0; i < 37; i++ {
				if sym[l].At(i, i) != diag.At(i, l) {
					t.Errorf("%v layer %d: diagonal %d is %v, Diag says %v", act, l+1, i, sym[l].At(i, i), diag.At(i, l))
				}
			}
		}
	}
}

// TestReLUDiagonalGrowth: for ReLU with σw² = 2, σb² = 0 the variance is
// constant, q = 2‖x‖²/m, and the diagonal satisfies Θ^(ℓ) = (ℓ+1)/2 · q
// (Θg^ℓ = ℓq, E = q/2, Ė = 1/2), the depth growth that DESIGN.md §3 scales
// away. Zero input gives E = 0 and Ė = 1/4 (neural-tangents' convention).
func TestReLUDiagonalGrowth(t *testing.T) {
	x := mat.NewDense(2, 4, []float64{1, 2, 3, 4, 0, 0, 0, 0})
	d := Config{Depth: 10}.Diag(nil, x)
	q := 2 * 30.0 / 4
	for l := 0; l < 10; l++ {
		if want := float64(l+2) / 2 * q; math.Abs(d.At(0, l)-want) > 1e-13*want {
			t.Errorf("layer %d: Θ(x,x) = %v, want %v", l+1, d.At(0, l), want)
		}
		if d.At(1, l) != 0 {
			t.Errorf("layer %d: zero input gives %v, want 0", l+1, d.At(1, l))
		}
	}
	// Zero-variance moments, by the convention of DESIGN.md §2.
	if e, ed := (ReLU{}).Moments(0, 1, 0); e != 0 || ed != 0.25 {
		t.Errorf("ReLU moments at zero variance: %v, %v; want 0, 1/4", e, ed)
	}
}

// TestMomentsSpecialValues checks the closed forms at correlations where
// the expectations are elementary: ρ = 0 (independent: E = E[φ]², Ė =
// E[φ′]²), ρ = 1 (E = E[φ(u)²]) and ρ = −1, with the values derived by
// hand from the half-normal moments.
func TestMomentsSpecialValues(t *testing.T) {
	q1, q2 := 1.7, 0.6
	s := math.Sqrt(q1 * q2)
	for _, tc := range []struct {
		name          string
		act           Activation
		a, b, c       float64
		wantE, wantEd float64
		tol           float64
	}{
		// E[relu(u)] = √(q/2π); E[step] = 1/2.
		{"relu ρ=0", ReLU{}, q1, q2, 0, s / (2 * math.Pi), 0.25, 1e-15},
		// E[relu(u)²] = q/2.
		{"relu ρ=1", ReLU{}, q1, q1, q1, q1 / 2, 0.5, 1e-15},
		// relu(u)relu(−u) = 0.
		{"relu ρ=-1", ReLU{}, q1, q1, -q1, 0, 0, 1e-15},
		// erf is odd, so E[erf] = 0; E[erf′] = 2/√(π(1+2q)).
		{"erf ρ=0", Erf{}, q1, q2, 0, 0, 4 / math.Pi / math.Sqrt((1+2*q1)*(1+2*q2)), 1e-15},
		// E[erf(u)²] = (2/π) asin(2q/(1+2q)).
		{"erf ρ=1", Erf{}, q1, q1, q1, 2 / math.Pi * math.Asin(2*q1/(1+2*q1)), 4 / math.Pi / math.Sqrt(1+4*q1), 1e-15},
	} {
		e, ed := tc.act.Moments(tc.a, tc.b, tc.c)
		if math.Abs(e-tc.wantE) > tc.tol || math.Abs(ed-tc.wantEd) > tc.tol {
			t.Errorf("%s: got (%v, %v), want (%v, %v)", tc.name, e, ed, tc.wantE, tc.wantEd)
		}
	}
}

// TestMomentsQuadrature checks E and Ė against two-dimensional
// Gauss–Hermite quadrature over the Cholesky factor of the covariance: an
// independent evaluation of the expectations. Erf is smooth, so degree
// 60–120 is accurate to ~1e-12. (ReLU's kink defeats the rule; it has its
// own integral test below.)
func TestMomentsQuadrature(t *testing.T) {
	for _, tc := range []struct {
		act     Activation
		q1, q2  float64
		rho     float64
		deg     int
		tolE    float64
		tolEdot float64
	}{
		{Erf{}, 0.8, 1.3, 0.4, 60, 1e-11, 1e-11},
		{Erf{}, 2.0, 0.5, -0.7, 120, 1e-11, 1e-11},
		{Erf{}, 0.1, 0.1, 0.99, 60, 1e-11, 1e-11},
	} {
		c := tc.rho * math.Sqrt(tc.q1*tc.q2)
		e, ed := tc.act.Moments(tc.q1, tc.q2, c)
		qe := gaussHermite2(tc.deg, tc.q1, tc.q2, c, func(u, v float64) float64 { return tc.act.Phi(u) * tc.act.Phi(v) })
		qed := gaussHermite2(tc.deg, tc.q1, tc.q2, c, func(u, v float64) float64 { return tc.act.Deriv(u) * tc.act.Deriv(v) })
		if math.Abs(e-qe) > tc.tolE*math.Max(1, math.Abs(qe)) || math.Abs(ed-qed) > tc.tolEdot*math.Max(1, math.Abs(qed)) {
			t.Errorf("%v q=(%v,%v) ρ=%v: closed form (%v, %v), quadrature (%v, %v)", tc.act, tc.q1, tc.q2, tc.rho, e, ed, qe, qed)
		}
	}
}

// TestReLUMomentsIntegral checks the arc-cosine closed form against a
// one-dimensional integral: conditioning on u, v | u is normal with mean
// (c/q1)u and variance q2 − c²/q1, so E[relu(v) | u] = μΦ(μ/s) + sφ(μ/s)
// and E[step(v) | u] = Φ(μ/s). Composite Simpson on u ∈ (0, 14√q1) with
// 20 000 panels is accurate to ~1e-13 for these smooth integrands.
func TestReLUMomentsIntegral(t *testing.T) {
	for _, tc := range []struct{ q1, q2, rho float64 }{
		{0.8, 1.3, 0.4}, {2.0, 0.5, -0.7}, {1, 1, 0.95}, {0.3, 3, -0.05},
	} {
		c := tc.rho * math.Sqrt(tc.q1*tc.q2)
		e, ed := ReLU{}.Moments(tc.q1, tc.q2, c)
		sd := math.Sqrt(tc.q2 - c*c/tc.q1)
		pdf := func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
		cdf := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
		fe := func(u float64) float64 {
			mu := c / tc.q1 * u
			return u * (mu*cdf(mu/sd) + sd*pdf(mu/sd)) * pdf(u/math.Sqrt(tc.q1)) / math.Sqrt(tc.q1)
		}
		fed := func(u float64) float64 {
			return cdf(c/tc.q1*u/sd) * pdf(u/math.Sqrt(tc.q1)) / math.Sqrt(tc.q1)
		}
		ie, ied := simpson(fe, 0, 14*math.Sqrt(tc.q1), 20000), simpson(fed, 0, 14*math.Sqrt(tc.q1), 20000)
		if math.Abs(e-ie) > 1e-12 || math.Abs(ed-ied) > 1e-12 {
			t.Errorf("q=(%v,%v) ρ=%v: closed form (%v, %v), integral (%v, %v)", tc.q1, tc.q2, tc.rho, e, ed, ie, ied)
		}
	}
}

func simpson(f func(float64) float64, a, b float64, n int) float64 {
	h := (b - a) / float64(n)
	s := f(a) + f(b)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(a+float64(i)*h)
	}
	return s * h / 3
}

// gaussHermite2 integrates f(u, v) against N(0, [[q1, c], [c, q2]]) with the
// probabilists' Gauss–Hermite rule of the given degree in each variable.
func gaussHermite2(deg int, q1, q2, c float64, f func(u, v float64) float64) float64 {
	x, w := hermiteE(deg)
	l11 := math.Sqrt(q1)
	l21 := c / l11
	l22 := math.Sqrt(math.Max(q2-l21*l21, 0))
	var s float64
	for i := range x {
		for j := range x {
			s += w[i] * w[j] * f(l11*x[i], l21*x[i]+l22*x[j])
		}
	}
	return s
}

// TestDuplicateInputsInCrossStack: an input of X repeated in Z, up to a
// relative change of one ulp per entry (as a copy that went through other
// arithmetic, or the product and the norms summed in other orders, would
// have), gets the kernel value of the diagonal of Θ(X, X) to rounding, for
// activations whose Ė has a kink at ρ = 1. Without snapping such a pair to
// θ = 0, θ comes out near 1e-8 and Ė is wrong in the eighth digit.
func TestDuplicateInputsInCrossStack(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	x := randomMatrix(rng, 20, 784, 1)
	z := mat.NewDense(20, 784, nil)
	for i := 0; i < 20; i++ {
		for j, v := range x.RawRowView(i) {
			z.Set(i, j, v*(1+float64(rng.IntN(3)-1)*0x1p-52))
		}
	}
	for _, act := range []Activation{ReLU{}, ABReLU{A: 0.1, B: 1}} {
		cfg := Config{Depth: 8, Activation: act}
		diag := cfg.Diag(nil, x)
		cross := cfg.Stack(nil, x, z, nil)
		for i := 0; i < 20; i++ {
			for l := 0; l < 8; l++ {
				if got, want := cross[l].At(i, i), diag.At(i, l); math.Abs(got-want) > 1e-14*want {
					t.Errorf("%v input %d layer %d: duplicate pair %v, diagonal %v", act, i, l+1, got, want)
				}
			}
		}
	}
}
