package ntk

import (
	"fmt"
	"math"
	"sort"
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
// without dividing by the norms. A zero-variance argument gives E = 0 and
// Ė = 1/4 (θ = π/2).
func (ReLU) Moments(q1, q2, c float64) (e, edot float64) {
	qq := q1 * q2
	if qq == 0 {
		return 0, 0.25
	}
	s := math.Sqrt(math.Max(qq-c*c, 0)) // √(q1q2)·sin θ
	theta := math.Atan2(s, c)
	return (s + (math.Pi-theta)*c) / (2 * math.Pi), (math.Pi - theta) / (2 * math.Pi)
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

// activations lists the activations ParseActivation knows, by name.
var activations = map[string]Activation{
	"relu": ReLU{},
	"erf":  Erf{},
}

// ParseActivation returns the activation with the given name. The error
// lists the names it knows.
func ParseActivation(name string) (Activation, error) {
	if a, ok := activations[strings.ToLower(strings.TrimSpace(name))]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("ntk: unknown activation %q (known: %s)", name, strings.Join(ActivationNames(), ", "))
}

// ActivationNames returns the names ParseActivation accepts, sorted.
func ActivationNames() []string {
	names := make([]string, 0, len(activations))
	for n := range activations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
