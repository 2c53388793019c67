package mkl

import (
	"fmt"
	"math"
	"sort"
)

// ProjectSimplex writes into dst the Euclidean projection of x onto the
// probability simplex {μ : Σ μᵢ = 1, μ ≥ 0}, by the sort-based algorithm
// (Held, Wolfe and Crowder 1974; Duchi et al. 2008): find the threshold τ
// with Σ max(xᵢ − τ, 0) = 1. dst may alias x. It panics if the lengths
// differ or x is empty.
func ProjectSimplex(dst, x []float64) {
	if len(dst) != len(x) || len(x) == 0 {
		panic(fmt.Sprintf("mkl: ProjectSimplex lengths %d and %d", len(dst), len(x)))
	}
	// A point that is feasible up to rounding is its own projection; the
	// general formula would shift its exact zeros by the rounding error of
	// the sum, and exact zeros are how Ω reports unused layers.
	var sum float64
	feasible := true
	for _, v := range x {
		sum += v
		feasible = feasible && v >= 0
	}
	if feasible && math.Abs(sum-1) <= 4*epsilon*float64(len(x)) {
		copy(dst, x)
		return
	}
	sorted := append([]float64(nil), x...)
	sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
	var cum, tau float64
	for k, v := range sorted {
		cum += v
		t := (cum - 1) / float64(k+1)
		if v-t > 0 {
			tau = t
		}
	}
	for i, v := range x {
		dst[i] = max(v-tau, 0)
	}
}

// ProjectPositive writes max(x, 0) into dst: the projection onto the
// nonnegative orthant of Eq. 12. dst may alias x.
func ProjectPositive(dst, x []float64) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("mkl: ProjectPositive lengths %d and %d", len(dst), len(x)))
	}
	for i, v := range x {
		dst[i] = max(v, 0)
	}
}

// epsilon is the float64 machine epsilon, 2⁻⁵².
const epsilon = 0x1p-52
