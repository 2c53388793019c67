package mkl

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Scores writes into dst the class scores of Eq. 14 for new inputs,
// f_c(x) = Σℓ μ_cℓ K̃ℓ(x, X) α_c, from their scaled cross-kernels with the
// training inputs: cross[ℓ] is n*×n, omega is d×L and alpha n×d (as in
// Result). It costs one n*×n by n×d product per layer. If dst is empty it
// is sized; otherwise it must be n*×d.
func Scores(dst *mat.Dense, cross []*mat.Dense, omega, alpha mat.Matrix) *mat.Dense {
	d, L := omega.Dims()
	if len(cross) != L {
		panic(fmt.Sprintf("mkl: %d cross-kernels for %d layers", len(cross), L))
	}
	n, da := alpha.Dims()
	if da != d {
		panic(fmt.Sprintf("mkl: α has %d columns for %d classes", da, d))
	}
	rows, cols := cross[0].Dims()
	if cols != n {
		panic(fmt.Sprintf("mkl: cross-kernel is %d×%d, α has %d rows", rows, cols, n))
	}
	if dst == nil {
		dst = &mat.Dense{}
	}
	if dst.IsEmpty() {
		dst.ReuseAs(rows, d)
	}
	dst.Zero()
	var p mat.Dense
	for l, k := range cross {
		p.Reset()
		p.Mul(k, alpha) // column c is K̃ℓ(X*, X) α_c
		for i := 0; i < rows; i++ {
			pr, dr := p.RawRowView(i), dst.RawRowView(i)
			for c := range dr {
				dr[c] += omega.At(c, l) * pr[c]
			}
		}
	}
	return dst
}
