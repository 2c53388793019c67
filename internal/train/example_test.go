package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/ntkmkl/ntkmkl/internal/train"
)

// ExampleTrain trains a small NFT-K MLP on two Gaussian blobs and prints
// the shape of the learned Ω and whether the test accuracy passed 90 %.
func ExampleTrain() {
	blob := func(n int, seed uint64) (*mat.Dense, []int) {
		rng := rand.New(rand.NewPCG(seed, 0))
		x := mat.NewDense(n, 2, nil)
		y := make([]int, n)
		for i := 0; i < n; i++ {
			y[i] = i % 2
			x.Set(i, 0, rng.NormFloat64()*0.5+4*float64(y[i]))
			x.Set(i, 1, rng.NormFloat64()*0.5)
		}
		return x, y
	}
	xTrain, yTrain := blob(500, 1)
	xTest, yTest := blob(200, 2)
	res, err := train.Train(context.Background(), xTrain, yTrain, xTest, yTest, 2,
		&train.Settings{Width: 16, Depth: 4, Epochs: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, L := res.Omega.Dims()
	last := res.History[len(res.History)-1]
	fmt.Printf("Ω is %d×%d, %d epochs, test accuracy ≥ 0.9: %v\n", d, L, len(res.History), last.TestAcc >= 0.9)
	// Output:
	// Ω is 2×4, 5 epochs, test accuracy ≥ 0.9: true
}
