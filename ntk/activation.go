package ntk

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Activation is a pointwise nonlinearity φ together with the Gaussian
// moments that the kernel recursion needs.
type Activation interface {
	// Moments returns E = E[φ(u)φ(v)] and Ė = E[φ′(u)φ′(v)] for a centred
	// Gaussian pair with Var u = q1, Var v = q2 and Cov(u, v) = c.
	Moments(q1, q2, c float64) (e, edot float64)
	// Phi returns φ(x); the finite networks use it.
	Phi(x float64) float64
	// Deriv returns φ′(x); the finite networks use it.
	Deriv(x float64) float64
	// String returns the name that ParseActivation accepts.
	String() string
}

// ReLU is φ(x) = max(x, 0), with the arc-cosine kernel of degree one.
type ReLU struct{}

// Moments returns the arc-cosine closed form (Cho and Saul 2009):
// E = √(q1 q2)/(2π)·(sin θ + (π−θ) cos θ) and Ė = (π−θ)/(2π), written
// without dividing by the norms (reluMoments). A zero-variance argument
// gives E = 0 and Ė = 1/4 (θ = π/2).
func (ReLU) Moments(q1, q2, c float64) (e, edot float64) {
	qq := q1 * q2
	if qq == 0 {
		return 0, 0.25
	}
	return reluMoments(qq, c)
}

// Phi returns max(x, 0).
func (ReLU) Phi(x float64) float64 { return math.Max(x, 0) }

// Deriv returns the step function, 1/2 at 0 to match the kernel's
// mean-subgradient convention.
func (ReLU) Deriv(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return 0
	}
	return 0.5
}

func (ReLU) String() string { return "relu" }

// Erf is φ(x) = erf(x), whose moments have the closed forms of Williams
// (1997).
type Erf struct{}

// Moments returns E = (2/π) asin(2c/√((1+2q1)(1+2q2))) and
// Ė = (4/π)/√((1+2q1)(1+2q2) − 4c²).
func (Erf) Moments(q1, q2, c float64) (e, edot float64) {
	a := (1 + 2*q1) * (1 + 2*q2)
	return 2 / math.Pi * math.Asin(2*c/math.Sqrt(a)), 4 / math.Pi / math.Sqrt(a-4*c*c)
}

// Phi returns erf(x).
func (Erf) Phi(x float64) float64 { return math.Erf(x) }

// Deriv returns 2/√π·exp(−x²).
func (Erf) Deriv(x float64) float64 { return 2 / math.SqrtPi * math.Exp(-x*x) }

func (Erf) String() string { return "erf" }

// activationSpec is one name that ParseActivation knows.
type activationSpec struct {
	syntax     string // as the error messages list it
	quadrature bool   // whether make returns a *Quadrature
	minP, maxP int    // the number of parameters it takes
	make       func(p []float64) Activation
}

func fixed(a Activation) func([]float64) Activation {
	return func([]float64) Activation { return a }
}

// activations lists the activations ParseActivation knows, by name.
var activations = map[string]activationSpec{
	"relu": {syntax: "relu", make: fixed(ReLU{})},
	"erf":  {syntax: "erf", make: fixed(Erf{})},
	"gelu": {syntax: "gelu", make: fixed(GELU{})},
	"sin":  {syntax: "sin", make: fixed(Sin{})},
	"cos":  {syntax: "cos", make: fixed(Cos{})},
	"abs":  {syntax: "abs", make: fixed(ABReLU{-1, 1})},
	"leaky_relu": {syntax: "leaky_relu[:ALPHA] (ALPHA default 0.01)", maxP: 1, make: func(p []float64) Activation {
		if len(p) == 0 {
			return LeakyReLU{0.01}
		}
		return LeakyReLU{p[0]}
	}},
	"abrelu": {syntax: "abrelu:A,B (slope A for x<0, B for x>0)", minP: 2, maxP: 2, make: func(p []float64) Activation {
		return ABReLU{p[0], p[1]}
	}},
	"tanh":     {syntax: "tanh", quadrature: true, make: func([]float64) Activation { return Tanh() }},
	"sigmoid":  {syntax: "sigmoid", quadrature: true, make: func([]float64) Activation { return Sigmoid() }},
	"softplus": {syntax: "softplus", quadrature: true, make: func([]float64) Activation { return Softplus() }},
	"swish":    {syntax: "swish", quadrature: true, make: func([]float64) Activation { return Swish() }},
	"elu": {syntax: "elu[:ALPHA] (ALPHA default 1)", quadrature: true, maxP: 1, make: func(p []float64) Activation {
		if len(p) == 0 {
			return ELU(1)
		}
		return ELU(p[0])
	}},
}

// The prefixes of ParseActivation that select a quadrature rule.
const (
	quadPrefix = "quad:" // PolarSectors rule of a closed form
	ghPrefix   = "gh:"   // GaussHermite rule of any activation
)

// ActivationSyntax returns, in one line, the syntax ParseActivation
// accepts; the error messages end with it.
func ActivationSyntax() string {
	var closed, quad []string
	for _, n := range ActivationNames() {
		if s := activations[n]; s.quadrature {
			quad = append(quad, s.syntax)
		} else {
			closed = append(closed, s.syntax)
		}
	}
	return "closed forms: " + strings.Join(closed, ", ") +
		"; by quadrature: " + strings.Join(quad, ", ") +
		", quad:NAME (a closed form NAME by quadrature, e.g. quad:gelu), gh:NAME (NAME by the Gauss–Hermite product rule)" +
		fmt.Sprintf("; NAME@DEGREE sets a quadrature degree (1..%d, default %d)", MaxQuadratureDegree, DefaultQuadratureDegree)
}

// ParseActivation returns the activation of the given name, with the
// default quadrature degree; see ParseActivationDegree for the syntax.
func ParseActivation(name string) (Activation, error) {
	return ParseActivationDegree(name, 0)
}

// ParseActivationDegree returns the activation named by spec, whose syntax
// is
//
//	[quad:|gh:]NAME[:P1[,P2]][@DEGREE]
//
// Closed forms: relu, erf, gelu, sin, cos, abs (= abrelu:-1,1),
// leaky_relu[:ALPHA] (ALPHA default 0.01) and abrelu:A,B (slope A for
// x < 0, B for x > 0). By quadrature (PolarSectors): tanh, sigmoid,
// softplus, swish and elu[:ALPHA] (ALPHA default 1). quad:NAME is the
// closed form NAME computed by the PolarSectors rule instead (quad:gelu,
// quad:leaky_relu:0.2), and gh:NAME is any NAME by the GaussHermite
// product rule of DESIGN.md §2 (gh:tanh, gh:erf): both check the other
// computations. Names are case-insensitive; parameters are decimal floats.
//
// The quadrature degree is @DEGREE in the spec, else degree, else
// DefaultQuadratureDegree (degree 0). A degree argument does not apply to
// a closed form and is ignored there, but @DEGREE on a closed form is an
// error, as is an @DEGREE that contradicts a non-zero degree. String of
// the result parses back to the same activation.
func ParseActivationDegree(spec string, degree int) (Activation, error) {
	fail := func(format string, args ...any) (Activation, error) {
		return nil, fmt.Errorf("ntk: activation %q: %s (%s)", spec, fmt.Sprintf(format, args...), ActivationSyntax())
	}
	if degree < 0 || degree > MaxQuadratureDegree {
		return fail("quadrature degree %d outside 1..%d (0 for the default %d)", degree, MaxQuadratureDegree, DefaultQuadratureDegree)
	}
	s := strings.ToLower(strings.TrimSpace(spec))
	explicit := false
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		d, err := strconv.Atoi(s[i+1:])
		if err != nil || d < 1 || d > MaxQuadratureDegree {
			return fail("degree %q is not an integer in 1..%d", s[i+1:], MaxQuadratureDegree)
		}
		if degree != 0 && d != degree {
			return fail("degree @%d contradicts the degree %d given separately", d, degree)
		}
		degree, explicit, s = d, true, s[:i]
	}
	prefix := ""
	for _, p := range []string{quadPrefix, ghPrefix} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			prefix, s = p, rest
			break
		}
	}
	base, params, hasParams := strings.Cut(s, ":")
	as, ok := activations[base]
	if !ok {
		return nil, fmt.Errorf("ntk: unknown activation %q (%s)", spec, ActivationSyntax())
	}
	var p []float64
	if hasParams {
		for _, f := range strings.Split(params, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return fail("parameter %q is not a finite number", f)
			}
			p = append(p, v)
		}
	}
	if len(p) < as.minP || len(p) > as.maxP {
		if as.minP == as.maxP {
			return fail("%s takes %d parameters, got %d", base, as.minP, len(p))
		}
		return fail("%s takes %d to %d parameters, got %d", base, as.minP, as.maxP, len(p))
	}
	act := as.make(p)
	switch prefix {
	case quadPrefix:
		if as.quadrature {
			return fail("quad: takes a closed form, and %s is computed by quadrature already", base)
		}
		act = QuadratureOf(act)
	case ghPrefix:
		act = GaussHermiteOf(act)
	}
	q, isQuad := act.(*Quadrature)
	if !isQuad {
		if explicit {
			return fail("%s has a closed form; @DEGREE applies only to quadrature activations", base)
		}
		return act, nil
	}
	q.Degree = degree
	return q, nil
}

// ActivationNames returns the base names ParseActivation accepts, sorted;
// ActivationSyntax gives their parameters.
func ActivationNames() []string {
	names := make([]string, 0, len(activations))
	for n := range activations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// scaledSin returns √(q1q2)·sin θ = √max(q1q2 − c², 0) for the angle θ
// between two inputs. When q1q2 − c² is within rounding of zero (below
// 64ε·q1q2, i.e. θ < 1.2e-7) it returns 0: the pair is one input twice, up
// to the rounding of dot products summed in different orders. Without this
// an input paired with its own copy gets θ ≈ 1e-8 instead of 0, and Ė, whose
// slope in θ is finite, an error of that size; at such angles the kernel
// cannot be resolved from x·x′ in float64 anyway.
func scaledSin(qq, c float64) float64 {
	d := math.FMA(-c, c, qq)
	if d <= 64*0x1p-52*qq {
		return 0
	}
	return math.Sqrt(d)
}
