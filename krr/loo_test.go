package krr

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// bruteLOO refits KRR n times, each time without one point, and sums the
// squared errors of predicting the left-out point: the definition of the
// leave-one-out error, against which the closed form is checked.
func bruteLOO(k *mat.SymDense, y *mat.Dense, lambda float64) float64 {
	n := k.SymmetricDim()
	_, d := y.Dims()
	var total float64
	for out := 0; out < n; out++ {
		keep := make([]int, 0, n-1)
		for i := 0; i < n; i++ {
			if i != out {
				keep = append(keep, i)
			}
		}
		sub := mat.NewSymDense(n-1, nil)
		ysub := mat.NewDense(n-1, d, nil)
		cross := mat.NewDense(1, n-1, nil)
		for a, i := range keep {
			for b, j := range keep {
				sub.SetSym(a, b, k.At(i, j))
			}
			ysub.SetRow(a, y.RawRowView(i))
			cross.Set(0, a, k.At(out, i))
		}
		m, err := Fit(sub, ysub, lambda)
		if err != nil {
			panic(err)
		}
		pred := m.Predict(nil, cross)
		for c := 0; c < d; c++ {
			e := y.At(out, c) - pred.At(0, c)
			total += e * e
		}
	}
	return total
}

// TestLeaveOneOutAgainstRefits: both the eigen and the Cholesky paths of
// the closed form agree with n explicit refits on a small problem.
func TestLeaveOneOutAgainstRefits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	k := randomKernel(rng, 25, 8, 1)
	y := mat.NewDense(25, 2, nil)
	for i := 0; i < 25; i++ {
		y.Set(i, i%2, 1)
		y.Set(i, 1-i%2, 0.3*rng.NormFloat64())
	}
	for _, grid := range [][]float64{
		{1e-3, 1e-1},          // two points: the Cholesky path
		LogGrid(1e-4, 10, 12), // twelve: the eigen path
	} {
		res, err := LeaveOneOut(k, y, grid)
		if err != nil {
			t.Fatal(err)
		}
		for g, lambda := range grid {
			want := bruteLOO(k, y, lambda)
			if math.Abs(res.Errors[g]-want) > 1e-8*want {
				t.Errorf("%s λ=%g: closed form %v, refits %v", res.Method, lambda, res.Errors[g], want)
			}
		}
		if (len(grid) > 9) != (res.Method == "eigen") {
			t.Errorf("grid of %d chose %s", len(grid), res.Method)
		}
	}
}
