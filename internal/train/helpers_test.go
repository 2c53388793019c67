package train

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// blobs returns n samples of k Gaussian blobs in m dimensions: class c is
// centred at 3·e_c (plus a shared offset) with unit variance, so the
// classes are well separated (distance 3√2 between centres).
func blobs(n, m, k int, seed uint64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := mat.NewDense(n, m, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		c := i % k
		y[i] = c
		for j := 0; j < m; j++ {
			v := 0.3*rng.NormFloat64() + 0.5
			if j == c {
				v += 3
			}
			x.Set(i, j, v)
		}
	}
	return x, y
}

// randBatch returns a b×m batch of N(0,1) inputs and random labels.
func randBatch(b, m, d int, rng *rand.Rand) (*mat.Dense, []int) {
	x := mat.NewDense(b, m, nil)
	for i := 0; i < b; i++ {
		for j := 0; j < m; j++ {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	y := make([]int, b)
	for i := range y {
		y[i] = rng.IntN(d)
	}
	return x, y
}

// sameBits reports whether a and b hold the same float64 bit patterns.
func sameBits(a, b *mat.Dense) bool {
	ra, rb := a.RawMatrix(), b.RawMatrix()
	if ra.Rows != rb.Rows || ra.Cols != rb.Cols {
		return false
	}
	for i := 0; i < ra.Rows; i++ {
		for j := 0; j < ra.Cols; j++ {
			if math.Float64bits(ra.Data[i*ra.Stride+j]) != math.Float64bits(rb.Data[i*rb.Stride+j]) {
				return false
			}
		}
	}
	return true
}

// sameNet reports whether two networks have bit-identical parameters.
func sameNet(a, b *Network) bool {
	if !sameBits(a.Omega, b.Omega) {
		return false
	}
	for l := range a.W {
		if !sameBits(a.W[l], b.W[l]) || !sameBits(a.V[l], b.V[l]) {
			return false
		}
		for i := range a.B[l] {
			if math.Float64bits(a.B[l][i]) != math.Float64bits(b.B[l][i]) {
				return false
			}
		}
	}
	return true
}
