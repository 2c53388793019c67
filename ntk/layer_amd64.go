//go:build amd64 && !purego

package ntk

import "golang.org/x/sys/cpu"

// haveReluAVX reports whether reluLayer runs the vector kernel: it needs
// AVX2 and FMA (cpu.X86.HasAVX2 also checks that the OS saves the YMM
// registers).
var haveReluAVX = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// reluLayerAVX is reluLayerGo for the first len(out)&^3 columns, four at a
// time, with the same operations in the same order, so the same bits; see
// layer_amd64.s. The slices must have one length.
//
//go:noescape
func reluLayerAVX(out, sigma, thetaG, qz []float64, p *layer)

// reluLayer is the ReLU layerKernel.
func reluLayer(out, sigma, thetaG, qz []float64, p *layer) {
	checkLayerArgs(out, sigma, thetaG, qz)
	done := 0
	if haveReluAVX {
		reluLayerAVX(out, sigma, thetaG, qz, p)
		done = len(out) &^ 3
	}
	reluLayerGo(out[done:], sigma[done:], thetaG[done:], qz[done:], p)
}
