package ntk

import (
	"math"
	"strconv"
)

// ABReLU is the piecewise-linear φ(x) = A·x for x < 0 and B·x for x ≥ 0.
// ReLU is ABReLU{0, 1}, |x| is ABReLU{−1, 1} and the leaky ReLU of slope α
// is ABReLU{α, 1}.
type ABReLU struct{ A, B float64 }

// Moments returns the closed form obtained from φ(x) = B·relu(x) −
// A·relu(−x) and the arc-cosine kernel J(θ) = √(q1q2)/(2π)·(sin θ +
// (π−θ) cos θ): the pair (−u, −v) has the angle θ and the pairs (u, −v),
// (−u, v) the angle π−θ, so
//
//	E = (A²+B²) J(θ) − 2AB J(π−θ)
//	  = [(A−B)² √(q1q2) sin θ + ((A²+B²)(π−θ) + 2ABθ) c] / (2π)
//	Ė = (A²+B²) P(u>0, v>0) + 2AB P(u>0, v<0)
//	  = ((A²+B²)(π−θ) + 2ABθ) / (2π).
//
// θ = atan2(√max(q1q2 − c², 0), c) as for ReLU, and a zero-variance
// argument gives θ = π/2: E = 0, Ė = (A+B)²/4, the square of the mean
// subgradient (A+B)/2 at 0. The arithmetic is arranged so that
// ABReLU{0, 1} returns exactly ReLU's bits: (A−B)² = 1, A²+B² = 1 and
// 2AB = 0 make every extra operation exact.
func (a ABReLU) Moments(q1, q2, c float64) (e, edot float64) {
	A, B := a.A, a.B
	qq := q1 * q2
	if qq == 0 {
		return 0, (A + B) * (A + B) / 4
	}
	s := scaledSin(qq, c)
	psi := supplementaryAngle(s, c) // π − θ, as ReLU computes it
	theta := math.Atan2(s, c)
	k := (A - B) * (A - B)
	// The explicit conversions forbid fused multiply-adds, so that every
	// extra operation is exact for ABReLU{0, 1}.
	w := float64((A*A+B*B)*psi) + float64(2*A*B*theta)
	return math.FMA(w, c, float64(k*s)) * inv2Pi, w * inv2Pi
}

// Phi returns A·x for x < 0 and B·x otherwise.
func (a ABReLU) Phi(x float64) float64 {
	if x < 0 {
		return a.A * x
	}
	return a.B * x
}

// Deriv returns A for x < 0, B for x > 0 and the mean subgradient
// (A+B)/2 at 0, the convention of the kernel.
func (a ABReLU) Deriv(x float64) float64 {
	switch {
	case x > 0:
		return a.B
	case x < 0:
		return a.A
	}
	return (a.A + a.B) / 2
}

// String returns "abrelu:A,B".
func (a ABReLU) String() string { return "abrelu:" + formatFloat(a.A) + "," + formatFloat(a.B) }

// LeakyReLU is φ(x) = max(x, α·x) for 0 ≤ α ≤ 1 (in general: α·x for
// x < 0, x otherwise), the ABReLU{α, 1}.
type LeakyReLU struct{ Alpha float64 }

// Moments returns ABReLU{Alpha, 1}.Moments.
func (a LeakyReLU) Moments(q1, q2, c float64) (e, edot float64) {
	return ABReLU{a.Alpha, 1}.Moments(q1, q2, c)
}

// Phi returns α·x for x < 0 and x otherwise.
func (a LeakyReLU) Phi(x float64) float64 { return ABReLU{a.Alpha, 1}.Phi(x) }

// Deriv returns α for x < 0, 1 for x > 0 and (1+α)/2 at 0.
func (a LeakyReLU) Deriv(x float64) float64 { return ABReLU{a.Alpha, 1}.Deriv(x) }

// String returns "leaky_relu:α".
func (a LeakyReLU) String() string { return "leaky_relu:" + formatFloat(a.Alpha) }

// GELU is the exact Gaussian error linear unit φ(x) = x·Φ(x), Φ the
// standard normal distribution function.
type GELU struct{}

// Moments returns the closed forms (the NNGP one as in neural-tangents,
// after Tsuchida et al., arXiv:2002.08517) with P = (1+q1)(1+q2),
// δ = √(P − c²) (≥ 1, so nothing is singular) and α = atan2(c, δ) =
// asin(c/√P):
//
//	E = c/4 + [(c² + q1q2 δ²)/(P δ) + c α] / (2π)
//	Ė = 1/4 + α/(2π) + c/(2π δ) · (1 + (1 − q1q2)/P + 1/δ²)
//
// Ė is dE/dc (Price's theorem), which is how it was derived here; at c = 0
// E reduces to E[uΦ(u)]·E[vΦ(v)] = q1q2/(2π√P) (Stein's lemma). A zero
// variance gives E = 0 and Ė = 1/4 = φ′(0)·E[φ′(v)] without a special case.
func (GELU) Moments(q1, q2, c float64) (e, edot float64) {
	p := (1 + q1) * (1 + q2)
	d2 := p - c*c
	d := math.Sqrt(d2)
	ang := math.Atan2(c, d)
	qq := q1 * q2
	e = c/4 + ((c*c+qq*d2)/(p*d)+c*ang)/(2*math.Pi)
	edot = 0.25 + ang/(2*math.Pi) + c/(2*math.Pi*d)*(1+(1-qq)/p+1/d2)
	return e, edot
}

// Phi returns x·Φ(x).
func (GELU) Phi(x float64) float64 { return x * 0.5 * math.Erfc(-x/math.Sqrt2) }

// Deriv returns Φ(x) + x·ϕ(x), ϕ the standard normal density.
func (GELU) Deriv(x float64) float64 {
	return 0.5*math.Erfc(-x/math.Sqrt2) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
}

func (GELU) String() string { return "gelu" }

// Sin is φ(x) = sin x.
type Sin struct{}

// Moments returns E = E[sin u sin v] = (E cos(u−v) − E cos(u+v))/2 =
// e^{−(q1+q2)/2} sinh c and, since φ′ = cos, Ė = e^{−(q1+q2)/2} cosh c.
func (Sin) Moments(q1, q2, c float64) (e, edot float64) {
	h := (q1 + q2) / 2
	return expSinh(h, c), expCosh(h, c)
}

// Phi returns sin x.
func (Sin) Phi(x float64) float64 { return math.Sin(x) }

// Deriv returns cos x.
func (Sin) Deriv(x float64) float64 { return math.Cos(x) }

func (Sin) String() string { return "sin" }

// Cos is φ(x) = cos x.
type Cos struct{}

// Moments returns E = E[cos u cos v] = (E cos(u−v) + E cos(u+v))/2 =
// e^{−(q1+q2)/2} cosh c and, since φ′ = −sin, Ė = e^{−(q1+q2)/2} sinh c.
func (Cos) Moments(q1, q2, c float64) (e, edot float64) {
	h := (q1 + q2) / 2
	return expCosh(h, c), expSinh(h, c)
}

// Phi returns cos x.
func (Cos) Phi(x float64) float64 { return math.Cos(x) }

// Deriv returns −sin x.
func (Cos) Deriv(x float64) float64 { return -math.Sin(x) }

func (Cos) String() string { return "cos" }

// expSinh returns e^{−h} sinh c for |c| ≤ h without overflow: sinh itself
// (accurate for small c) when |c| < 1, and the difference of two
// exponentials, which cannot cancel badly there, otherwise.
func expSinh(h, c float64) float64 {
	if math.Abs(c) < 1 {
		return math.Exp(-h) * math.Sinh(c)
	}
	return (math.Exp(c-h) - math.Exp(-c-h)) / 2
}

// expCosh returns e^{−h} cosh c for |c| ≤ h without overflow.
func expCosh(h, c float64) float64 {
	return (math.Exp(c-h) + math.Exp(-c-h)) / 2
}

// formatFloat writes v in the shortest form that parses back to v.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
