//go:build !amd64 || purego

package ntk

// haveReluAVX reports whether reluLayer runs the vector kernel.
const haveReluAVX = false

// reluLayer is the ReLU layerKernel.
func reluLayer(out, sigma, thetaG, qz []float64, p *layer) {
	checkLayerArgs(out, sigma, thetaG, qz)
	reluLayerGo(out, sigma, thetaG, qz, p)
}
