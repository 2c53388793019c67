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
