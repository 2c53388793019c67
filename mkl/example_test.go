package mkl_test

import (
	"context"
	"fmt"

	"github.com/ntkmkl/ntkmkl/mkl"
	"gonum.org/v1/gonum/mat"
)

// Two kernels on three points and one class y = (1, 0, 1): K̃1 = I knows
// nothing, K̃2 = y yᵀ is aligned with the labels. Along y the kernel
// μ1 I + μ2 y yᵀ + λI has eigenvalue μ1 + 2μ2 + λ, so
// J = 2λ/(μ1 + 2μ2 + λ), smallest on the simplex at μ = (0, 1), where
// J = 2λ/(2 + λ) = 0.0952 for λ = 0.1.
func ExampleSolve() {
	k1 := mat.NewDense(3, 3, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1})
	k2 := mat.NewDense(3, 3, []float64{1, 0, 1, 0, 0, 0, 1, 0, 1})
	y := mat.NewDense(3, 1, []float64{1, 0, 1})
	p := &mkl.Problem{Kernels: []*mat.Dense{k1, k2}, Targets: y, Lambda: 0.1}
	res, err := mkl.Solve(context.Background(), p, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := res.Classes[0]
	fmt.Printf("μ = %.4f, J = %.4f, status %v\n", c.Weights, c.Objective, c.Status)
	fmt.Printf("certified: gap %.1g ≤ 1e-6·|J|: %v\n", c.Gap, c.Gap <= 1e-6*c.Objective)
	// Output:
	// μ = [0.0000 1.0000], J = 0.0952, status converged
	// certified: gap 0 ≤ 1e-6·|J|: true
}
