package mkl

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// KernelScales returns sℓ, the mean over the training inputs of the
// diagonal of each kernel, from the n×L diagonal of the stack
// (ntk.Config.Diag). K̃ℓ = Θ^(ℓ)/sℓ removes the growth of the NTK with
// depth, so that the weights compare layers and not scales (DESIGN.md §3).
// A layer whose mean diagonal is zero gets scale 1.
func KernelScales(diag mat.Matrix) []float64 {
	n, L := diag.Dims()
	s := make([]float64, L)
	for l := 0; l < L; l++ {
		var sum float64
		for i := 0; i < n; i++ {
			sum += diag.At(i, l)
		}
		s[l] = sum / float64(n)
		if s[l] == 0 || math.IsNaN(s[l]) {
			s[l] = 1
		}
	}
	return s
}

// RowNormalize returns Ω_n: each row of omega divided by its Euclidean
// norm (a zero row stays zero), as in the paper's Fig. 2. If dst is empty
// it is sized.
func RowNormalize(dst *mat.Dense, omega mat.Matrix) *mat.Dense {
	if dst == nil {
		dst = &mat.Dense{}
	}
	if dst != omega {
		dst.CloneFrom(omega)
	}
	r, _ := dst.Dims()
	for i := 0; i < r; i++ {
		row := dst.RawRowView(i)
		if nrm := floats.Norm(row, 2); nrm > 0 {
			floats.Scale(1/nrm, row)
		}
	}
	return dst
}

// Sparsity returns the fraction of the entries of omega that are exactly
// zero: after a Euclidean projection, the weights of unused layers are
// zero, not merely small (DESIGN.md §5).
func Sparsity(omega mat.Matrix) float64 {
	r, c := omega.Dims()
	var zeros int
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if omega.At(i, j) == 0 {
				zeros++
			}
		}
	}
	return float64(zeros) / float64(r*c)
}

// DroppedLayers returns the 1-based layers whose column of omega is zero:
// layers no class uses.
func DroppedLayers(omega mat.Matrix) []int {
	r, c := omega.Dims()
	dropped := []int{}
	for j := 0; j < c; j++ {
		zero := true
		for i := 0; i < r && zero; i++ {
			zero = omega.At(i, j) == 0
		}
		if zero {
			dropped = append(dropped, j+1)
		}
	}
	return dropped
}

// checkOmega panics unless omega is d×L.
func checkOmega(omega mat.Matrix, d, L int) {
	if r, c := omega.Dims(); r != d || c != L {
		panic(fmt.Sprintf("mkl: Ω is %d×%d, want %d classes × %d layers", r, c, d, L))
	}
}
