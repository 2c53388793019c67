//go:build !amd64 || purego

package gemm

// Have is false off amd64 (or with the purego build tag): the kernels must
// not be called, and Implementation is gonum's own.
const Have = false

func Kernel6x8(k int, a *float64, rsa, csa int, b *float64, c *float64, ldc int, alpha, beta float64, rows int) {
	panic("gemm: Kernel6x8 called without the assembly kernel")
}

func Kernel6x4(k int, a *float64, rsa, csa int, b *float64, c *float64, ldc int, alpha, beta float64, rows int) {
	panic("gemm: Kernel6x4 called without the assembly kernel")
}

func PackT8(dst *float64, src *float64, stride, k int) {
	panic("gemm: PackT8 called without the assembly kernel")
}

func PackN8(dst *float64, src *float64, stride, k int) {
	panic("gemm: PackN8 called without the assembly kernel")
}
