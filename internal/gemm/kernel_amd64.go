//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// Have reports whether the assembly kernels may be called: they need AVX2
// and FMA (cpu.X86.HasAVX2 also checks that the OS saves the YMM
// registers).
var Have = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// Kernel6x8 sets C = beta·C + alpha·A·B for the first rows rows of one
// 6×8 tile, where A(i,p) = a[i·rsa + p·csa] (all six rows are read), B is
// packed (b[p·8 + j]) and C[i][j] = c[i·ldc + j]. Each sum runs from zero
// with one FMA per p in order p = 0..k-1, so a tile's result does not
// depend on where it lies in a larger product; see kernel_amd64.s.
//
//go:noescape
func Kernel6x8(k int, a *float64, rsa, csa int, b *float64, c *float64, ldc int, alpha, beta float64, rows int)

// Kernel6x4 is Kernel6x8 for the first 4 columns of the tile (B still
// packed 8 wide), with the same arithmetic for every entry.
//
//go:noescape
func Kernel6x4(k int, a *float64, rsa, csa int, b *float64, c *float64, ldc int, alpha, beta float64, rows int)

// PackN8 copies k rows of 8 values, src[i·stride:i·stride+8], into the
// panel dst[i·8:i·8+8].
//
//go:noescape
func PackN8(dst *float64, src *float64, stride, k int)

// PackT8 transposes the 8 rows src[j·stride : j·stride+k] into the panel
// dst[i·8+j], for the first k&^3 columns.
//
//go:noescape
func PackT8(dst *float64, src *float64, stride, k int)
