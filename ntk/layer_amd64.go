//go:build amd64 && !purego

package ntk

import (
	"sync"

	"golang.org/x/sys/cpu"
)

// haveReluAVX reports whether reluLayer runs the vector kernel: it needs
// AVX2 and FMA (cpu.X86.HasAVX2 also checks that the OS saves the YMM
// registers).
var haveReluAVX = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// The two passes of the vector ReLU kernel (layer_amd64.s), for the first
// len(t)&^3 columns. reluOctantsAVX writes s and the reduced angle (t in
// the out slice, j); reluFinishAVX turns them into the moments and the
// layer step. All slices have one length.
//
//go:noescape
func reluOctantsAVX(t, s, j, sigma, qz []float64, p *layer)

//go:noescape
func reluFinishAVX(out, s, j, sigma, thetaG, qz []float64, p *layer)

// reluScratch holds s and j between the passes for stackRun columns.
var reluScratch = sync.Pool{New: func() any { return new([2 * stackRun]float64) }}

// reluLayer is the ReLU layerKernel: the vector passes on runs of up to
// stackRun columns, and reluLayerGo on the last len(out)%4, with the same
// operations in the same order, so the same bits.
func reluLayer(out, sigma, thetaG, qz []float64, p *layer) {
	checkLayerArgs(out, sigma, thetaG, qz)
	done := 0
	if haveReluAVX && len(out) >= 4 {
		sc := reluScratch.Get().(*[2 * stackRun]float64)
		for len(out)-done >= 4 {
			n := min(stackRun, len(out)-done) &^ 3
			e := done + n
			s, j := sc[:n], sc[stackRun:stackRun+n]
			reluOctantsAVX(out[done:e], s, j, sigma[done:e], qz[done:e], p)
			reluFinishAVX(out[done:e], s, j, sigma[done:e], thetaG[done:e], qz[done:e], p)
			done = e
		}
		reluScratch.Put(sc)
	}
	reluLayerGo(out[done:], sigma[done:], thetaG[done:], qz[done:], p)
}
