package ntk

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// ulps returns |got − want| in units of the spacing of float64s at want.
func ulps(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / (math.Nextafter(math.Abs(want), math.Inf(1)) - math.Abs(want))
}

// TestSupplementaryAngle checks ψ = π − atan2(s, c) against math.Atan2(s,
// −c), the same angle computed by the standard library's independent
// reduction (Cephes' rational approximation), which is within about one
// ulp. The exact points are octant boundaries and axes, where the
// reduction switches branch.
func TestSupplementaryAngle(t *testing.T) {
	exact := []struct {
		s, c, want float64
		tol        float64 // ulps
	}{
		{0, 1, math.Pi, 1},              // θ = 0
		{0, -1, 0, 0},                   // θ = π: exactly 0
		{1, 0, math.Pi / 2, 1},          // θ = π/2
		{2, -0.0, math.Pi / 2, 1},       // −0 counts as c ≥ 0
		{1, 1, 3 * math.Pi / 4, 1},      // θ = π/4: swap and reduction meet
		{1, -1, math.Pi / 4, 1},         // θ = 3π/4
		{tanPi8, 1, 7 * math.Pi / 8, 1}, // on the reduction's threshold
		{1, tanPi8, 5 * math.Pi / 8, 1},
		{1e-300, 1, math.Pi, 1}, // tiny ratio
		{1, 1e-300, math.Pi / 2, 1},
	}
	for _, tc := range exact {
		if got := supplementaryAngle(tc.s, tc.c); ulps(got, tc.want) > tc.tol {
			t.Errorf("supplementaryAngle(%g, %g) = %v, want %v (%.2f ulp)", tc.s, tc.c, got, tc.want, ulps(got, tc.want))
		}
	}
	// Random points in all octants and at every scale. Against the exact
	// angle (mpmath, 40 digits, on 2·10⁵ of these points) the worst errors
	// were 2.1 ulp here, from the rounding of the reduced ratio t, and 1.45
	// ulp for math.Atan2; against each other the worst is 2.0 ulp.
	rng := rand.New(rand.NewPCG(3, 4))
	worst := 0.0
	for range 1_000_000 {
		s := math.Ldexp(rng.Float64(), rng.IntN(40)-20)
		c := math.Ldexp(rng.Float64()*2-1, rng.IntN(40)-20)
		got, want := supplementaryAngle(s, c), math.Atan2(s, -c)
		if want < 1e-300 {
			continue
		}
		worst = max(worst, ulps(got, want))
	}
	if worst > 3 {
		t.Errorf("supplementaryAngle: worst error %.2f ulp against math.Atan2, want ≤ 3", worst)
	}
	t.Logf("worst error against math.Atan2: %.2f ulp", worst)
}

// layerInputs returns sigma, thetaG and qz for n columns against a row of
// variance qx, mixing generic pairs with the cases the kernel branches on:
// c < 0, |c| on both sides of s, a pair that is one input twice (c² =
// qq, the snap to θ = 0), its negative (θ = π), a zero variance (qq = 0)
// and c = 0.
func layerInputs(rng *rand.Rand, n int, qx float64) (sigma, thetaG, qz []float64) {
	sigma, thetaG, qz = make([]float64, n), make([]float64, n), make([]float64, n)
	for j := range n {
		q := 0.1 + 3*rng.Float64()
		rho := 2*rng.Float64() - 1
		switch j % 7 {
		case 1:
			rho = 1
		case 2:
			rho = -1
		case 3:
			rho = 1 - 1e-9*rng.Float64()
		case 4:
			q, rho = 0, 0
		case 5:
			rho = 0
		}
		qz[j] = q
		sigma[j] = rho * math.Sqrt(qx*q)
		thetaG[j] = sigma[j] + rng.Float64()
	}
	return sigma, thetaG, qz
}

// TestReluLayerAVXMatchesGo checks the vector ReLU kernel against the Go
// one bit for bit, at every length up to 41 (so every tail), for NTK and
// NNGP, with and without σb², including a row of zero variance.
func TestReluLayerAVXMatchesGo(t *testing.T) {
	if !haveReluAVX {
		t.Skip("no AVX2/FMA: reluLayer runs reluLayerGo only")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, cfg := range []Config{{Depth: 1}, {Depth: 1, Kind: NNGP}, {Depth: 1, SigmaB2: 0.3, SigmaW2: 1.7, SigmaV2: 0.5}} {
		cfg = cfg.withDefaults()
		for _, qx := range []float64{1.3, 0} {
			for n := 0; n <= 41; n++ {
				p := cfg.layerOf(qx)
				sigma, thetaG, qz := layerInputs(rng, n, qx)
				out := make([]float64, n)
				sigma2, thetaG2, out2 := append([]float64(nil), sigma...), append([]float64(nil), thetaG...), make([]float64, n)
				// Three layers, so that the second and third start from
				// the kernel's own Σ and Θg.
				for range 3 {
					reluLayer(out, sigma, thetaG, qz, &p)
					reluLayerGo(out2, sigma2, thetaG2, qz, &p)
					for j := range n {
						for _, v := range [][2]float64{{out[j], out2[j]}, {sigma[j], sigma2[j]}, {thetaG[j], thetaG2[j]}} {
							if math.Float64bits(v[0]) != math.Float64bits(v[1]) {
								t.Fatalf("%v qx=%g n=%d column %d: vector %v, Go %v", cfg.Kind, qx, n, j, v[0], v[1])
							}
						}
					}
				}
			}
		}
	}
}

// opaque hides an activation's type, so that Stack takes the generic
// Moments loop rather than the ReLU kernel.
type opaque struct{ Activation }

// TestStackReLUKernelMatchesGeneric checks that the ReLU layer kernel and
// the generic loop over ReLU.Moments give the same stack bit for bit, on
// sizes that leave tails in the vector loop and runs of columns
// (stackRun), symmetric and cross.
func TestStackReLUKernelMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 6, 37, stackRun + 9} {
		for _, kind := range []Kind{NTK, NNGP} {
			t.Run(fmt.Sprintf("n=%d/%v", n, kind), func(t *testing.T) {
				x := randomMatrix(rng, n, 5, 1)
				z := randomMatrix(rng, n/2+3, 5, 1)
				fast := Config{Depth: 4, SigmaB2: 0.2, Kind: kind}
				slow := fast
				slow.Activation = opaque{ReLU{}}
				for _, cross := range []bool{false, true} {
					a, b := fast.Stack(nil, x, nil, nil), slow.Stack(nil, x, nil, nil)
					if cross {
						a, b = fast.Stack(nil, x, z, nil), slow.Stack(nil, x, z, nil)
					}
					for l := range a {
						ra, rb := a[l].RawMatrix().Data, b[l].RawMatrix().Data
						for k := range ra {
							if math.Float64bits(ra[k]) != math.Float64bits(rb[k]) {
								t.Fatalf("layer %d entry %d: kernel %v, generic %v", l+1, k, ra[k], rb[k])
							}
						}
					}
				}
			})
		}
	}
}

// TestStackBlockingBitwise checks that the row-block size and the number
// of workers change no bit of a stack: every dot product and every
// recursion step is computed the same way wherever its block starts,
// including blocks that start off the 8-column grid of the packed Zᵀ.
func TestStackBlockingBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := randomMatrix(rng, 45, 300, 1)
	z := randomMatrix(rng, 21, 300, 1)
	cfg := Config{Depth: 3, SigmaB2: 0.1}
	for _, cross := range []bool{false, true} {
		var ref []float64
		for _, set := range []Settings{{Workers: 1, BlockRows: 45}, {Workers: 1, BlockRows: 1}, {Workers: 2, BlockRows: 5}, {Workers: 3, BlockRows: 13}} {
			st := cfg.Stack(nil, x, nil, &set)
			if cross {
				st = cfg.Stack(nil, x, z, &set)
			}
			var flat []float64
			for _, k := range st {
				flat = append(flat, k.RawMatrix().Data...)
			}
			if ref == nil {
				ref = flat
				continue
			}
			for i := range flat {
				if math.Float64bits(flat[i]) != math.Float64bits(ref[i]) {
					t.Fatalf("cross=%v %+v: entry %d is %v, %v with one block", cross, set, i, flat[i], ref[i])
				}
			}
		}
	}
}
