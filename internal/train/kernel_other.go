//go:build !amd64 || purego

package train

// haveKernel is false off amd64 (or with the purego build tag): every
// product then goes through gonum's blas64.Gemm.
const haveKernel = false

func kernel6x8(k int, a *float64, rsa, csa int, b *float64, c *float64, ldc int, alpha, beta float64, rows int) {
	panic("train: kernel6x8 called without the assembly kernel")
}

func reluAVX(h, g []float64) { panic("train: reluAVX called without the assembly kernel") }

func reluGradAVX(dg, dh, g []float64) {
	panic("train: reluGradAVX called without the assembly kernel")
}

func packT8(dst *float64, src *float64, stride, k int) {
	panic("train: packT8 called without the assembly kernel")
}

func packN8(dst *float64, src *float64, stride, k int) {
	panic("train: packN8 called without the assembly kernel")
}

func kernel6x4(k int, a *float64, rsa, csa int, b *float64, c *float64, ldc int, alpha, beta float64, rows int) {
	panic("train: kernel6x4 called without the assembly kernel")
}
