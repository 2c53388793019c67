package krr_test

import (
	"fmt"

	"github.com/ntkmkl/ntkmkl/krr"
	"gonum.org/v1/gonum/mat"
)

// Kernel ridge regression with a two-point linear kernel. With K = I the
// solution is α = Y/(1 + λ), and the fitted values are K α = Y − λα.
func ExampleFit() {
	k := mat.NewSymDense(2, []float64{1, 0, 0, 1})
	y := mat.NewDense(2, 1, []float64{1, 3})
	m, err := krr.Fit(k, y, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("α = %.4g\n", mat.Formatted(m.Alpha.T()))
	fmt.Printf("fitted = %.4g\n", mat.Formatted(m.Fitted(nil, y).T()))
	// Output:
	// α = [0.5  1.5]
	// fitted = [0.5  1.5]
}
