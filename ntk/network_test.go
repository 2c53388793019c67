package ntk

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// TestGradientFiniteDifference checks the backpropagated gradient of every
// head against central differences of Heads, for every parameter of a
// small network. Erf is smooth; for ReLU no pre-activation sits within the
// step h of its kink for these draws, so both are exact to O(h²).
func TestGradientFiniteDifference(t *testing.T) {
	for _, act := range []Activation{ReLU{}, Erf{}} {
		cfg := Config{Depth: 3, Activation: act, SigmaB2: 0.2}
		net := NewNetwork(cfg, 4, 5, rand.New(rand.NewPCG(5, 6)))
		x := []float64{0.3, -1.2, 0.8, 0.5}
		xm := mat.NewDense(1, 4, x)
		const h = 1e-6
		for head := 1; head <= cfg.Depth; head++ {
			g := net.Gradient(nil, x, head)
			p := net.Params()
			for i := range p {
				old := p[i]
				p[i] = old + h
				up := net.Heads(xm).At(0, head-1)
				p[i] = old - h
				down := net.Heads(xm).At(0, head-1)
				p[i] = old
				if fd := (up - down) / (2 * h); math.Abs(fd-g[i]) > 1e-7 {
					t.Fatalf("%v head %d param %d: gradient %v, finite difference %v", act, head, i, g[i], fd)
				}
			}
		}
	}
}

// TestEmpiricalNTKFactorization checks the layer-wise factorization used by
// EmpiricalNTK against the plain inner products of the gradient vectors
// from Gradient: two computations of ⟨∇θ fℓ(x), ∇θ fℓ(z)⟩.
func TestEmpiricalNTKFactorization(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := randomMatrix(rng, 3, 4, 1)
	z := randomMatrix(rng, 2, 4, 1)
	for _, act := range []Activation{ReLU{}, Erf{}} {
		cfg := Config{Depth: 4, Activation: act, SigmaB2: 0.3, SigmaV2: 1.5}
		net := NewNetwork(cfg, 4, 7, rng)
		got := net.EmpiricalNTK(nil, x, z)
		for l := 1; l <= cfg.Depth; l++ {
			for i := 0; i < 3; i++ {
				gi := net.Gradient(nil, x.RawRowView(i), l)
				for j := 0; j < 2; j++ {
					want := floats.Dot(gi, net.Gradient(nil, z.RawRowView(j), l))
					if d := math.Abs(got[l-1].At(i, j) - want); d > 1e-12*math.Max(1, math.Abs(want)) {
						t.Errorf("%v head %d (%d,%d): factorized %v, gradient dot %v", act, l, i, j, got[l-1].At(i, j), want)
					}
				}
			}
		}
	}
}

// empiricalErrors draws seeds random networks of the given width and
// returns two relative Frobenius errors against the analytic stack, pooled
// over all depths: that of the average of their empirical kernels, and the
// root-mean-square error of one network's kernel. Both fall like 1/√width;
// the second, an average of many squared errors, is the steadier estimate.
func empiricalErrors(cfg Config, x *mat.Dense, analytic []*mat.Dense, width, seeds int, seed uint64) (meanErr, oneErr float64) {
	_, m := x.Dims()
	sum := make([]*mat.Dense, cfg.Depth)
	var den, single float64
	var diff mat.Dense
	for l := range analytic {
		den += math.Pow(mat.Norm(analytic[l], 2), 2)
	}
	for s := 0; s < seeds; s++ {
		net := NewNetwork(cfg, m, width, rand.New(rand.NewPCG(seed, uint64(s))))
		var k []*mat.Dense
		if cfg.Kind == NNGP {
			k = net.EmpiricalNNGP(nil, x, x)
		} else {
			k = net.EmpiricalNTK(nil, x, x)
		}
		for l := range k {
			diff.Sub(k[l], analytic[l])
			single += math.Pow(mat.Norm(&diff, 2), 2)
			if sum[l] == nil {
				sum[l] = k[l]
			} else {
				sum[l].Add(sum[l], k[l])
			}
		}
	}
	var num float64
	for l := range sum {
		sum[l].Scale(1/float64(seeds), sum[l])
		diff.Sub(sum[l], analytic[l])
		num += math.Pow(mat.Norm(&diff, 2), 2)
	}
	return math.Sqrt(num / den), math.Sqrt(single / float64(seeds) / den)
}

// TestEmpiricalConvergesToAnalytic is the ground-truth test of the kernels:
// the empirical kernels of finite networks converge to the analytic Θ^(ℓ)
// (or K^(ℓ)) with error O(1/√n), so each fourfold increase of the width
// should halve the error. The root-mean-square error of one network is
// steady enough (an average over 64 draws of a squared error) to demand a
// ratio in [0.38, 0.62] per fourfold step. The error of the average over
// the 64 seeds is noisier (about ±30 % per width), so only its slope in
// log-log is checked, in [−0.8, −0.3], and its size at the largest width.
// A wrong recursion (a missing Ė factor, a wrong σb² term, a depth off by
// one) leaves an error floor, and the ratios then go to 1.
func TestEmpiricalConvergesToAnalytic(t *testing.T) {
	if testing.Short() {
		t.Skip("draws hundreds of random networks")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	x := randomMatrix(rng, 8, 6, 1)
	widths := []int{64, 256, 1024}
	for _, tc := range []struct {
		act  Activation
		kind Kind
		sb2  float64
	}{
		{ReLU{}, NTK, 0.2},
		{ReLU{}, NNGP, 0.2},
		{Erf{}, NTK, 0.2},
		{Erf{}, NNGP, 0.2},
		{ReLU{}, NTK, 0},
	} {
		t.Run(fmt.Sprintf("%v/%v/sb2=%v", tc.act, tc.kind, tc.sb2), func(t *testing.T) {
			t.Parallel()
			cfg := Config{Depth: 3, Activation: tc.act, SigmaB2: tc.sb2, Kind: tc.kind}
			analytic := cfg.Stack(nil, x, nil, nil)
			meanErrs, oneErrs := make([]float64, len(widths)), make([]float64, len(widths))
			for i, w := range widths {
				meanErrs[i], oneErrs[i] = empiricalErrors(cfg, x, analytic, w, 64, uint64(100+i))
			}
			slope := logSlope(widths, meanErrs)
			t.Logf("widths %v: error of the mean %.4g (slope %.3f), error of one network %.4g", widths, meanErrs, slope, oneErrs)
			if slope < -0.8 || slope > -0.3 {
				t.Errorf("error of the mean falls with slope %.3f in width, want about −1/2 (errors %.4g)", slope, meanErrs)
			}
			if meanErrs[len(widths)-1] > 0.03 {
				t.Errorf("error of the mean %.3g at width %d: the empirical kernels are not close to the analytic ones", meanErrs[len(widths)-1], widths[len(widths)-1])
			}
			for i := 1; i < len(widths); i++ {
				if r := oneErrs[i] / oneErrs[i-1]; r < 0.38 || r > 0.62 {
					t.Errorf("error of one network falls by %.3f from width %d to %d, want about 0.5 (errors %.4g)", r, widths[i-1], widths[i], oneErrs)
				}
			}
		})
	}
}

// logSlope returns the least-squares slope of log e against log w.
func logSlope(w []int, e []float64) float64 {
	lx, ly := make([]float64, len(w)), make([]float64, len(w))
	for i := range w {
		lx[i], ly[i] = math.Log(float64(w[i])), math.Log(e[i])
	}
	mx, my := floats.Sum(lx)/float64(len(lx)), floats.Sum(ly)/float64(len(ly))
	var sxy, sxx float64
	for i := range lx {
		sxy += (lx[i] - mx) * (ly[i] - my)
		sxx += (lx[i] - mx) * (lx[i] - mx)
	}
	return sxy / sxx
}
