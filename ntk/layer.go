package ntk

// A layerKernel advances the recursion by one layer for one row x against
// a run of columns z_j: on entry sigma[j] = Σˡ(x, z_j) and thetaG[j] =
// Θgˡ(x, z_j), qz[j] = qˡ(z_j) and p holds qˡ(x); it writes the depth-ℓ
// kernel into out[j] and leaves Σ^(ℓ+1), Θg^(ℓ+1) in sigma and thetaG.
// All four slices have the same length. Running the layers outermost over
// a run of columns keeps the run in cache and lets the ReLU kernel work on
// four columns at once; the numbers are those of Config.recurse, bit for
// bit.
type layerKernel func(out, sigma, thetaG, qz []float64, p *layer)

// layerKernel returns the kernel of c's activation: the vectorized one for
// ReLU, else a loop over Moments.
func (c *Config) layerKernel() layerKernel {
	if _, ok := c.Activation.(ReLU); ok {
		return reluLayer
	}
	act := c.Activation
	return func(out, sigma, thetaG, qz []float64, p *layer) {
		for j := range out {
			e, edot := act.Moments(p.qx, qz[j], sigma[j])
			out[j], sigma[j], thetaG[j] = p.step(e, edot, thetaG[j])
		}
	}
}

// reluLayerGo is the ReLU layerKernel in Go: what reluLayer runs where
// the vector version is missing, and on the columns that do not fill a
// vector.
func reluLayerGo(out, sigma, thetaG, qz []float64, p *layer) {
	for j := range out {
		e, edot := ReLU{}.Moments(p.qx, qz[j], sigma[j])
		out[j], sigma[j], thetaG[j] = p.step(e, edot, thetaG[j])
	}
}

// checkLayerArgs panics unless the slices of a layerKernel call have one
// length: the vector kernels index them without bounds checks.
func checkLayerArgs(out, sigma, thetaG, qz []float64) {
	n := len(out)
	if len(sigma) != n || len(thetaG) != n || len(qz) != n {
		panic("ntk: layer kernel slices of different lengths")
	}
}
