//go:build !amd64 || purego

package train

// haveKernel is false off amd64 (or with the purego build tag): every
// product then goes through gonum's blas64.Gemm.
const haveKernel = false

func reluAVX(h, g []float64) { panic("train: reluAVX called without the assembly kernel") }

func reluGradAVX(dg, dh, g []float64) {
	panic("train: reluGradAVX called without the assembly kernel")
}
