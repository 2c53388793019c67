package ntk

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkStackActivations times the symmetric Gram stack of n = 256
// inputs of dimension 64 at depth 10 on one worker, per activation, and
// reports the cost of one Moments-and-recursion step: ns per computed
// entry (the n(n+1)/2 pairs of the upper triangle) per layer. The X·Xᵀ
// product and the mirroring are included but negligible next to the
// recursion. tanh is the default PolarSectors rule at degree 32, gh:tanh
// the Gauss–Hermite product rule at degree 32.
func BenchmarkStackActivations(b *testing.B) {
	const n, m, depth = 256, 64, 10
	x := randomMatrix(rand.New(rand.NewPCG(1, 1)), n, m, 1)
	for _, act := range []Activation{ReLU{}, Erf{}, GELU{}, ABReLU{0.1, 1}, Sin{}, Tanh(), GaussHermiteOf(Tanh()), ELU(1)} {
		b.Run(act.String(), func(b *testing.B) {
			cfg := Config{Depth: depth, Activation: act, SigmaB2: 0.1}
			dst := cfg.Stack(nil, x, nil, &Settings{Workers: 1}) // builds the quadrature rule
			b.ResetTimer()
			for b.Loop() {
				cfg.Stack(dst, x, nil, &Settings{Workers: 1})
			}
			entries := float64(n*(n+1)/2) * depth
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/entries, "ns/entry/layer")
		})
	}
}

// BenchmarkMoments times one Moments call at a generic pair (q1, q2, ρ) =
// (1.1, 0.8, 0.4), per activation and rule.
func BenchmarkMoments(b *testing.B) {
	for _, act := range []Activation{ReLU{}, Erf{}, GELU{}, Tanh(), GaussHermiteOf(Tanh()), Sigmoid(), Softplus(), Swish(), ELU(1)} {
		b.Run(act.String(), func(b *testing.B) {
			act.Moments(1, 1, 0.5)
			var sink float64
			for b.Loop() {
				e, ed := act.Moments(1.1, 0.8, 0.376)
				sink += e + ed
			}
			_ = sink
		})
	}
}

// BenchmarkReluLayer times one layer of the ReLU recursion over a run of
// stackRun columns, the loop that dominates a ReLU Gram stack: the vector
// kernel (where the machine has it) against reluLayerGo, the same
// arithmetic in Go, and the generic loop over ReLU.Moments (through the
// interface) that every other activation takes.
func BenchmarkReluLayer(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 9))
	cfg := Config{Depth: 1}.withDefaults()
	p := cfg.layerOf(1.1)
	sigma0, thetaG0, qz := layerInputs(rng, stackRun, 1.1)
	generic := (&Config{Activation: opaque{ReLU{}}}).layerKernel()
	for _, k := range []struct {
		name string
		f    layerKernel
	}{{"kernel", reluLayer}, {"go", reluLayerGo}, {"generic", generic}} {
		b.Run(k.name, func(b *testing.B) {
			out := make([]float64, stackRun)
			sigma, thetaG := make([]float64, stackRun), make([]float64, stackRun)
			for b.Loop() {
				copy(sigma, sigma0)
				copy(thetaG, thetaG0)
				k.f(out, sigma, thetaG, qz, &p)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/stackRun, "ns/entry")
		})
	}
}
