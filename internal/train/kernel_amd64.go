//go:build amd64 && !purego

package train

import "golang.org/x/sys/cpu"

// haveKernel reports whether kernel6x8 may be called: it needs AVX2 and FMA
// (cpu.X86.HasAVX2 also checks that the OS saves the YMM registers).
var haveKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x8 sets C = beta·C + alpha·A·B for the first rows rows of one
// 6×8 tile; see kernel_amd64.s.
//
//go:noescape
func kernel6x8(k int, a *float64, rsa, csa int, b *float64, c *float64, ldc int, alpha, beta float64, rows int)

// kernel6x4 is kernel6x8 for the first 4 columns of the tile (B still
// packed 8 wide), with the same arithmetic for every entry.
//
//go:noescape
func kernel6x4(k int, a *float64, rsa, csa int, b *float64, c *float64, ldc int, alpha, beta float64, rows int)

// packN8 copies k rows of 8 values, src[i·stride:i·stride+8], into the
// panel dst[i·8:i·8+8].
//
//go:noescape
func packN8(dst *float64, src *float64, stride, k int)

// reluAVX sets h[i] = max(g[i], 0) for the first len(g)&^3 entries; h must
// be at least as long as g.
//
//go:noescape
func reluAVX(h, g []float64)

// reluGradAVX sets dg[i] = dh[i]·φ′(g[i]) for ReLU for the first
// len(g)&^3 entries; dg and dh must be at least as long as g.
//
//go:noescape
func reluGradAVX(dg, dh, g []float64)

// packT8 transposes the 8 rows src[j·stride : j·stride+k] into the panel
// dst[i·8+j], for the first k&^3 columns.
//
//go:noescape
func packT8(dst *float64, src *float64, stride, k int)
