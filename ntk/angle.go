package ntk

import "math"

// The constants of supplementaryAngle. pio4Hi is π/4 rounded to float64,
// whose last two mantissa bits are zero, so that j·pio4Hi is exact for
// j = 0..4; pio4Lo is π/4 − pio4Hi.
const (
	tanPi8 = 0x1.a827999fcef32p-2 // tan(π/8) = √2 − 1
	pio4Hi = 0x1.921fb54442d18p-1
	pio4Lo = 0x1.1a62633145c07p-55
	inv2Pi = 0x1.45f306dc9c883p-3 // 1/(2π)
)

// atanCoeffs are P(z), constant term first, in atan(t) = t + t·z·P(z),
// z = t², on |t| ≤ tan(π/8): a weighted least-squares fit at Chebyshev
// nodes from ntk/gen/atan_coefficients.py, whose float64 evaluation below
// is within 0.59 ulp of atan (the script measures it; 0.5 is correct
// rounding).
var atanCoeffs = [11]float64{
	-0.33333333333333187,
	0.19999999999951523,
	-0.1428571428001356,
	0.11111110775181554,
	-0.09090897538610865,
	0.07692056584120799,
	-0.0666306525614533,
	0.05847622098182959,
	-0.050381584688279656,
	0.03803670750545096,
	-0.017877924951193714,
}

// atanPoly returns P(z) by Estrin's scheme, whose critical path is four
// operations deep against Horner's ten fused multiply-adds: the vector
// kernel is bound by the latency of one column's computation.
func atanPoly(z float64) float64 {
	c := &atanCoeffs
	z2 := z * z
	z4 := z2 * z2
	z8 := z4 * z4
	b0 := math.FMA(math.FMA(c[3], z, c[2]), z2, math.FMA(c[1], z, c[0]))
	b1 := math.FMA(math.FMA(c[7], z, c[6]), z2, math.FMA(c[5], z, c[4]))
	b2 := math.FMA(c[10], z2, math.FMA(c[9], z, c[8]))
	return math.FMA(b2, z8, math.FMA(b1, z4, b0))
}

// supplementaryAngle returns ψ = π − θ for the angle θ = atan2(s, c) ∈
// [0, π] of a point with s ≥ 0, (s, c) ≠ (0, 0), within about two ulps of
// ψ. It is the one transcendental function of the ReLU recursion, written
// so that a vector version (layer_amd64.s) can repeat it operation for
// operation: no table lookups, one division, and fused multiply-adds where
// both use them. It is two steps, as the vector kernel runs it in two
// passes: octant, then angleFromOctant.
func supplementaryAngle(s, c float64) float64 {
	return angleFromOctant(octant(s, c))
}

// octant reduces the angle of (s, c) to ψ = j·π/4 + atan t with an integer
// j ∈ [0, 4] and |t| ≤ tan(π/8). With a = |c|, the ratio of the smaller
// of (s, a) to the larger lies in [0, 1]; above tan(π/8) it is mapped by
// atan r = π/4 + atan((r−1)/(r+1)), in the same single division. θ is
// then k·π/4 + atan t in the first octant (k = 0 or 1), reflected about
// π/4 when the ratio was swapped and about π/2 when c < 0; the sign of
// atan t in ψ = π − θ is folded into t (atan is odd, and so is its
// polynomial, bit for bit).
func octant(s, c float64) (t, j float64) {
	a := math.Abs(c)
	swap := s > a // the angle from the s axis is the smaller one
	num, den := s, a
	if swap {
		num, den = a, s
	}
	var k float64
	if num > tanPi8*den { // ratio above tan(π/8)
		t, k = (num-den)/(num+den), 1
	} else {
		t = num / den
	}
	neg := c < 0
	switch {
	case !neg && !swap:
		j = 4 - k
	case !neg && swap:
		j = 2 + k
	case neg && !swap:
		j = k
	default:
		j = 2 - k
	}
	if swap == neg {
		t = -t
	}
	return t, j
}

// angleFromOctant returns ψ = j·π/4 + atan t, the j·π/4 split in two
// parts so that the sum is rounded once.
func angleFromOctant(t, j float64) float64 {
	z := t * t
	at := math.FMA(t*z, atanPoly(z), t) // atan t
	return math.FMA(j, pio4Hi, math.FMA(j, pio4Lo, at))
}

// reluMoments returns ReLU's E and Ė from qq = q1·q2 > 0 and the
// covariance c: with s = √(q1q2)·sin θ (scaledSin) and ψ = π − θ,
// E = (s + ψc)/(2π) and Ė = ψ/(2π). The vector kernel repeats it.
func reluMoments(qq, c float64) (e, edot float64) {
	s := scaledSin(qq, c)
	psi := supplementaryAngle(s, c)
	return math.FMA(psi, c, s) * inv2Pi, psi * inv2Pi
}
