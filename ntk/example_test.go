package ntk_test

import (
	"fmt"

	"github.com/ntkmkl/ntkmkl/ntk"
	"gonum.org/v1/gonum/mat"
)

// The stack of a depth-3 ReLU network on two orthogonal inputs. With
// σw² = 2 the diagonal grows like (ℓ+1)/2 · 2‖x‖²/m, and the first-layer
// kernel of orthogonal inputs is the arc-cosine value 1/(2π) at θ = π/2.
// By hand for layer 2: Σ² = 2/(2π) = 0.3183, θ = acos 0.3183 = 1.2468,
// E = (sin θ + (π−θ) cos θ)/(2π) = 0.2469, Ė = (π−θ)/(2π) = 0.3016, so
// Θ^(2) = E + Ė·Σ² = 0.3429.
func ExampleConfig_Stack() {
	x := mat.NewDense(2, 2, []float64{
		1, 0,
		0, 1,
	})
	cfg := ntk.Config{Depth: 3} // ReLU, σw² = 2, σb² = 0, σv² = 1, NTK
	stack := cfg.Stack(nil, x, nil, nil)
	for l, k := range stack {
		fmt.Printf("Θ^(%d) = %.4f\n", l+1, mat.Formatted(k, mat.Prefix("         ")))
	}
	// Output:
	// Θ^(1) = ⎡1.0000  0.1592⎤
	//          ⎣0.1592  1.0000⎦
	// Θ^(2) = ⎡1.5000  0.3429⎤
	//          ⎣0.3429  1.5000⎦
	// Θ^(3) = ⎡2.0000  0.5302⎤
	//          ⎣0.5302  2.0000⎦
}

// ParseActivation takes the names listed by ActivationSyntax, with
// parameters after a colon and a quadrature degree after @. String gives
// the canonical name back. The moments are E[φ(u)φ(v)] and E[φ′(u)φ′(v)]
// for unit variances and covariance 1/2; by hand for relu (θ = π/3):
// E = (sin θ + (π−θ) cos θ)/(2π) = 0.3045, Ė = (π−θ)/(2π) = 1/3, and for
// abs (ABReLU{-1, 1}): E = (2/π)(√(1−ρ²) + ρ asin ρ) = 0.7180 and
// Ė = (2/π) asin(1/2) = 1/3. quad:leaky_relu
// is the quadrature of the closed form above it and agrees to rounding;
// gh:tanh, the Gauss–Hermite rule, is off in the sixth digit.
func ExampleParseActivation() {
	for _, spec := range []string{"relu", "leaky_relu:0.1", "quad:leaky_relu:0.1", "abs", "gelu", "tanh", "tanh@64", "gh:tanh"} {
		act, err := ntk.ParseActivation(spec)
		if err != nil {
			fmt.Println(err)
			continue
		}
		e, edot := act.Moments(1, 1, 0.5)
		fmt.Printf("%-20s E = %.6f  Ė = %.6f\n", act, e, edot)
	}
	_, err := ntk.ParseActivation("abrelu:1")
	fmt.Println("abrelu:1 is an error:", err != nil)
	// Output:
	// relu                 E = 0.304499  Ė = 0.333333
	// leaky_relu:0.1       E = 0.296644  Ė = 0.370000
	// quad:leaky_relu:0.1  E = 0.296644  Ė = 0.370000
	// abrelu:-1,1          E = 0.717996  Ė = 0.333333
	// gelu                 E = 0.227295  Ė = 0.342267
	// tanh                 E = 0.186324  Ė = 0.384747
	// tanh@64              E = 0.186324  Ė = 0.384747
	// gh:tanh              E = 0.186325  Ė = 0.384745
	// abrelu:1 is an error: true
}
