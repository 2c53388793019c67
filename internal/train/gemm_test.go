package train

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/ntkmkl/ntkmkl/ntk"
)

// naiveMul is the textbook triple loop, the reference for gemmer.mul.
func naiveMul(alpha float64, a, b view, beta float64, c []float64) {
	for i := 0; i < a.r; i++ {
		for j := 0; j < b.c; j++ {
			s := 0.0
			for p := 0; p < a.c; p++ {
				s += a.at(i, p) * b.at(p, j)
			}
			c[i*b.c+j] = beta*c[i*b.c+j] + alpha*s
		}
	}
}

func randView(rng *rand.Rand, r, c int, t bool) view {
	stride := c + rng.IntN(3) // padded rows exercise the strides
	rows := r
	if t {
		stride = r + rng.IntN(3)
		rows = c
	}
	data := make([]float64, rows*stride)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	if t {
		return view{data: data, r: r, c: c, stride: stride, t: true}
	}
	return view{data: data, r: r, c: c, stride: stride}
}

// TestGemm compares both product paths (the assembly kernel where the CPU
// has it, and gonum's blas64.Gemm) with the naive triple loop, over shapes
// that hit full tiles, edge tiles, several kc-blocks of K, every transpose
// and the values of beta that the network uses. The tolerance is a few
// ulps of the sum of |terms| (k ≤ 1100 terms of N(0,1)·N(0,1)).
func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		m, n, k     int
		alpha, beta float64
	}{
		{1, 1, 1, 1, 0},
		{6, 8, 5, 1, 0},
		{7, 9, 13, -0.5, 1},
		{50, 256, 784, 1, 0},
		{256, 50, 300, 0.3, 1},
		{13, 17, 1100, 2, 0.9},
		{10, 50, 256, 1, 0},
		{256, 784, 50, -0.02, 1 - 0.02*2e-6},
		{5, 3, 0, 1, 0.5},
		{9, 4, 7, 1, 0},      // 4 columns: kernel6x4
		{11, 50, 33, 1, 0.7}, // 48 + 2 columns
	} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				a := randView(rng, tc.m, tc.k, ta)
				b := randView(rng, tc.k, tc.n, tb)
				c0 := make([]float64, tc.m*tc.n)
				for i := range c0 {
					c0[i] = rng.NormFloat64()
				}
				want := append([]float64(nil), c0...)
				naiveMul(tc.alpha, a, b, tc.beta, want)
				for _, kern := range []bool{false, true} {
					if kern && !haveKernel {
						continue
					}
					for _, workers := range []int{1, 3} {
						g := newGemmer(workers, kern)
						got := append([]float64(nil), c0...)
						g.mul(tc.alpha, a, b, tc.beta, rowMajor(got, tc.m, tc.n, tc.n))
						tol := 1e-13 * float64(tc.k+1) * math.Max(1, math.Abs(tc.alpha))
						for i := range got {
							if d := math.Abs(got[i] - want[i]); d > tol*(1+math.Abs(want[i])) || math.IsNaN(got[i]) {
								t.Fatalf("%+v ta=%v tb=%v kernel=%v workers=%d: c[%d] = %v, want %v", tc, ta, tb, kern, workers, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestGemmWorkersBitIdentical checks the claim in gemmer's comment: the
// kernel path gives the same bits for any number of workers.
func TestGemmWorkersBitIdentical(t *testing.T) {
	if !haveKernel {
		t.Skip("no assembly kernel on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	a := randView(rng, 257, 1031, false)
	b := randView(rng, 1031, 53, true)
	var ref []float64
	for _, w := range []int{1, 2, 3, 7} {
		got := make([]float64, 257*53)
		newGemmer(w, true).mul(1, a, b, 0, rowMajor(got, 257, 53, 53))
		if ref == nil {
			ref = got
			continue
		}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(ref[i]) {
				t.Fatalf("workers=%d: c[%d] = %v, workers=1 gave %v", w, i, got[i], ref[i])
			}
		}
	}
}

// TestReLUKernels compares the ReLU fast paths (assembly where available)
// with ntk.ReLU's Phi and Deriv, including exact zeros and every length
// remainder.
func TestReLUKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for n := 0; n < 23; n++ {
		g := make([]float64, n)
		for i := range g {
			g[i] = rng.NormFloat64()
			if i%5 == 2 {
				g[i] = 0
			}
		}
		dh := make([]float64, n)
		for i := range dh {
			dh[i] = rng.NormFloat64()
		}
		h, dg := make([]float64, n), make([]float64, n)
		activate(ntk.ReLU{}, h, g)
		deactivate(ntk.ReLU{}, dg, dh, g)
		for i := range g {
			if h[i] != (ntk.ReLU{}).Phi(g[i]) {
				t.Errorf("n=%d: relu(%v) = %v", n, g[i], h[i])
			}
			if want := dh[i] * (ntk.ReLU{}).Deriv(g[i]); dg[i] != want {
				t.Errorf("n=%d: relu′ at %v times %v = %v, want %v", n, g[i], dh[i], dg[i], want)
			}
		}
	}
}

// TestGemmWide checks products into a C whose rows have scratch columns
// (view.wide, as the network's buffers do): the real columns must equal,
// bit for bit, those of the same product into a plain C, which takes the
// edge-tile path (kernel6x8 on a copy) instead of writing in place
// (kernel6x4 and kernel6x8).
func TestGemmWide(t *testing.T) {
	if !haveKernel {
		t.Skip("no assembly kernel on this CPU")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 4, 5, 8, 50, 53} {
		const m, k = 17, 29
		a := randView(rng, m, k, true)
		b := randView(rng, k, n, false)
		stride := (n + nr - 1) / nr * nr
		wide := view{data: make([]float64, m*stride), r: m, c: n, stride: stride, wide: stride}
		plain := rowMajor(make([]float64, m*n), m, n, n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				v := rng.NormFloat64()
				wide.data[i*stride+j], plain.data[i*n+j] = v, v
			}
		}
		g := newGemmer(1, true)
		g.mul(0.7, a, b, 1.3, wide)
		g.mul(0.7, a, b, 1.3, plain)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				if math.Float64bits(wide.data[i*stride+j]) != math.Float64bits(plain.data[i*n+j]) {
					t.Fatalf("n=%d: c[%d,%d] = %v in a wide C, %v in a plain one", n, i, j, wide.data[i*stride+j], plain.data[i*n+j])
				}
			}
		}
	}
}

// TestGemmCrewEnds checks that the worker goroutines of a gemmer end once
// the gemmer is garbage: its cleanup closes their queue.
func TestGemmCrewEnds(t *testing.T) {
	if !haveKernel {
		t.Skip("no assembly kernel on this CPU")
	}
	before := runtime.NumGoroutine()
	func() {
		rng := rand.New(rand.NewPCG(1, 1))
		a, b := randView(rng, 64, 64, false), randView(rng, 64, 64, false)
		g := newGemmer(4, true)
		g.mul(1, a, b, 0, rowMajor(make([]float64, 64*64), 64, 64, 64))
		if g.crew == nil {
			t.Fatal("no crew started for a parallel product")
		}
	}()
	for i := 0; i < 100 && runtime.NumGoroutine() > before; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the gemmer was dropped, %d before", n, before)
	}
}
