package ntk

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
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

// empiricalErrors draws random networks of the given width, seeds[c] of
// them for configuration c, and returns, for each configuration, two
// relative Frobenius errors against its analytic stack, pooled over all depths: that of the average of the
// empirical kernels, and the root-mean-square error of one network's
// kernel. Both fall like 1/√width; the second, an average of many squared
// errors, is the steadier estimate. The parameters of a network do not
// depend on the activation, the kind or σb², so every configuration (all
// of one depth) sees the same draws, made once per seed; seeds run in
// parallel and are summed in order, so the result does not depend on the
// schedule.
func empiricalErrors(cfgs []Config, seeds []int, x *mat.Dense, analytic [][]*mat.Dense, width int, seed uint64) (meanErr, oneErr []float64) {
	nSeeds := slices.Max(seeds)
	_, m := x.Dims()
	type result struct {
		k      []*mat.Dense
		single float64
	}
	res := make([][]result, nSeeds) // res[s][c]
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var diff mat.Dense
			for {
				s := int(next.Add(1) - 1)
				if s >= nSeeds {
					return
				}
				base := NewNetwork(cfgs[0], m, width, rand.New(rand.NewPCG(seed, uint64(s))))
				res[s] = make([]result, len(cfgs))
				for c, cfg := range cfgs {
					if s >= seeds[c] {
						continue
					}
					net := *base
					net.cfg = cfg.mustValidate()
					var k []*mat.Dense
					if cfg.Kind == NNGP {
						k = net.EmpiricalNNGP(nil, x, x)
					} else {
						k = net.EmpiricalNTK(nil, x, x)
					}
					var single float64
					for l := range k {
						diff.Sub(k[l], analytic[c][l])
						single += math.Pow(mat.Norm(&diff, 2), 2)
					}
					res[s][c] = result{k, single}
				}
			}
		}()
	}
	wg.Wait()
	meanErr, oneErr = make([]float64, len(cfgs)), make([]float64, len(cfgs))
	var diff mat.Dense
	for c := range cfgs {
		var den, single, num float64
		for l := range analytic[c] {
			den += math.Pow(mat.Norm(analytic[c][l], 2), 2)
		}
		sum := make([]*mat.Dense, len(analytic[c]))
		for s := range seeds[c] {
			single += res[s][c].single
			for l, k := range res[s][c].k {
				if sum[l] == nil {
					sum[l] = k
				} else {
					sum[l].Add(sum[l], k)
				}
			}
		}
		for l := range sum {
			sum[l].Scale(1/float64(seeds[c]), sum[l])
			diff.Sub(sum[l], analytic[c][l])
			num += math.Pow(mat.Norm(&diff, 2), 2)
		}
		meanErr[c], oneErr[c] = math.Sqrt(num/den), math.Sqrt(single/float64(seeds[c])/den)
	}
	return meanErr, oneErr
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
// one) leaves an error floor, and the ratios then go to 1; so does an
// activation whose Moments disagree with its Phi and Deriv, which is why
// every activation is here. All cases share the networks' draws (see
// empiricalErrors). The draws are fixed, so the test is deterministic.
// It costs about 40 s of CPU (20 s on two idle cores), nearly all of it
// the width-1024 networks, about 2.5 s per NTK case; a case may use fewer
// seeds (the first ones) to save time, but with 32 the slope of the error
// of the mean came as close as −0.32 and its size at width 1024 as 0.025.
func TestEmpiricalConvergesToAnalytic(t *testing.T) {
	if testing.Short() {
		t.Skip("draws hundreds of random networks")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	x := randomMatrix(rng, 8, 6, 1)
	widths := []int{64, 256, 1024}
	cases := []struct {
		act   Activation
		kind  Kind
		sb2   float64
		seeds int
	}{
		{ReLU{}, NTK, 0.2, 64},
		{ReLU{}, NNGP, 0.2, 64},
		{Erf{}, NTK, 0.2, 64},
		{Erf{}, NNGP, 0.2, 64},
		{ReLU{}, NTK, 0, 64},
		// The activations added after ReLU and Erf: the closed forms and
		// the quadrature built-ins.
		{LeakyReLU{0.1}, NTK, 0.2, 64},
		{ABReLU{-1, 1}, NTK, 0.2, 64},
		{ABReLU{0.5, -1.5}, NNGP, 0.2, 64},
		{GELU{}, NTK, 0.2, 64},
		{Sin{}, NTK, 0.2, 64},
		{Cos{}, NTK, 0.2, 64},
		{Tanh(), NTK, 0.2, 64},
		{Sigmoid(), NTK, 0.2, 64},
		{Softplus(), NTK, 0.2, 64},
		{Swish(), NTK, 0.2, 64},
		{ELU(1), NTK, 0.2, 64},
	}
	cfgs := make([]Config, len(cases))
	seeds := make([]int, len(cases))
	analytic := make([][]*mat.Dense, len(cases))
	for c, tc := range cases {
		cfgs[c] = Config{Depth: 3, Activation: tc.act, SigmaB2: tc.sb2, Kind: tc.kind}
		seeds[c] = tc.seeds
		analytic[c] = cfgs[c].Stack(nil, x, nil, nil)
	}
	meanErrs, oneErrs := make([][]float64, len(cases)), make([][]float64, len(cases))
	for i, w := range widths {
		me, oe := empiricalErrors(cfgs, seeds, x, analytic, w, uint64(100+i))
		for c := range cases {
			meanErrs[c], oneErrs[c] = append(meanErrs[c], me[c]), append(oneErrs[c], oe[c])
		}
	}
	for c, tc := range cases {
		meanErrs, oneErrs := meanErrs[c], oneErrs[c]
		t.Run(fmt.Sprintf("%v/%v/sb2=%v/seeds=%d", tc.act, tc.kind, tc.sb2, tc.seeds), func(t *testing.T) {
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
	_, slope := stat.LinearRegression(lx, ly, nil, false)
	return slope
}
