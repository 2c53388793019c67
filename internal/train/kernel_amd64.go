//go:build amd64 && !purego

package train

import "github.com/ntkmkl/ntkmkl/internal/gemm"

// haveKernel reports whether the assembly kernels (gemm's and the ReLU
// passes below) may be called: they need AVX2 and FMA.
var haveKernel = gemm.Have

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
