package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/ntkmkl/ntkmkl/ntk"
)

// paramRef is one scalar parameter of a network, for finite differences.
type paramRef struct {
	group string
	get   func() float64
	set   func(float64)
	grad  float64
}

func params(net *Network, g *Grad) []paramRef {
	var ps []paramRef
	dense := func(name string, p, gp *mat.Dense) {
		r, c := p.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				ps = append(ps, paramRef{name, func() float64 { return p.At(i, j) }, func(v float64) { p.Set(i, j, v) }, gp.At(i, j)})
			}
		}
	}
	for l := range net.W {
		dense(fmt.Sprintf("W[%d]", l), net.W[l], g.W[l])
		b := net.B[l]
		for i := range b {
			ps = append(ps, paramRef{fmt.Sprintf("B[%d]", l), func() float64 { return b[i] }, func(v float64) { b[i] = v }, g.B[l][i]})
		}
		dense(fmt.Sprintf("V[%d]", l), net.V[l], g.V[l])
	}
	dense("Omega", net.Omega, g.Omega)
	return ps
}

// TestBackwardFiniteDifferences compares every entry of the hand-written
// gradient (W, b, V and Ω of every layer) with the central difference
// (L(p+h) − L(p−h))/(2h) of Network.Loss, for both parameterizations,
// ReLU and erf, the plain MLP, both loss conventions and both product
// paths. The batch of 11 samples is not a multiple of any tile size.
// With h = 1e-5 the truncation error is O(h²·L‴) ≈ 1e-10 for erf; for
// ReLU it is zero unless a pre-activation crosses 0 within ±h, which
// random N(0,1) data makes unlikely at these sizes, so one tolerance
// (1e-6 relative to the largest gradient entry of the group) fits all
// cases.
func TestBackwardFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Settings
	}{
		{"standard/relu", Settings{}},
		{"standard/erf", Settings{Activation: ntk.Erf{}}},
		{"ntk/relu", Settings{Parameterization: NTK, SigmaB2: 0.3}},
		{"ntk/erf", Settings{Parameterization: NTK, SigmaB2: 0.3, SigmaW2: 1.5, SigmaV2: 0.7, Activation: ntk.Erf{}}},
		{"standard/relu/plain", Settings{Plain: true}},
		{"ntk/erf/mean-outputs", Settings{Parameterization: NTK, SigmaB2: 0.1, Activation: ntk.Erf{}, MeanOutputs: true}},
		{"standard/erf/gonum", Settings{Activation: ntk.Erf{}, Gonum: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const m, d, b, h, tol = 5, 4, 11, 1e-5, 1e-6
			s := tc.s
			s.Width, s.Depth, s.Seed = 7, 3, 11
			net := New(m, d, &s)
			rng := rand.New(rand.NewPCG(5, 6))
			// Random Ω (and biases) so that no gradient is trivially
			// symmetric; the plain network keeps its fixed Ω.
			if !s.Plain {
				for c := 0; c < d; c++ {
					for l := 0; l < s.Depth; l++ {
						net.Omega.Set(c, l, 0.5+rng.Float64())
					}
				}
			}
			for _, bias := range net.B {
				for i := range bias {
					bias[i] = 0.2 * rng.NormFloat64()
				}
			}
			x, y := randBatch(b, m, d, rng)
			var g Grad
			loss := net.Backward(&g, x, y)
			if l2 := net.Loss(x, y); math.Abs(loss-l2) > 1e-12*math.Abs(loss) {
				t.Fatalf("Backward's loss %v differs from Loss %v", loss, l2)
			}
			ps := params(net, &g)
			scale := map[string]float64{}
			for _, p := range ps {
				scale[p.group] = math.Max(scale[p.group], math.Abs(p.grad))
			}
			for _, p := range ps {
				v := p.get()
				p.set(v + h)
				lp := net.Loss(x, y)
				p.set(v - h)
				lm := net.Loss(x, y)
				p.set(v)
				fd := (lp - lm) / (2 * h)
				if s.Plain && p.group == "Omega" {
					fd = 0 // Ω is not a parameter of the plain MLP
				}
				if math.Abs(fd-p.grad) > tol*math.Max(scale[p.group], 1e-3) {
					t.Errorf("%s: gradient %v, finite difference %v", p.group, p.grad, fd)
				}
			}
			if s.Plain {
				for l := 0; l < s.Depth-1; l++ {
					if mat.Norm(g.V[l], 1) != 0 {
						t.Errorf("plain network: unused readout V[%d] has a nonzero gradient", l)
					}
				}
			}
		})
	}
}

// TestStepMatchesBackward checks the fused update of the training loop
// against Backward followed by the textbook SGD step of DESIGN.md §6,
// p ← p − lr·(∂L/∂p + wd·p) for θ and Ω ← max(Ω − lrΩ·(∂L/∂Ω + wd·Ω), 0).
// Both compute the same gradient at the same parameters, so they agree up
// to rounding (1e-12 relative to the step).
func TestStepMatchesBackward(t *testing.T) {
	const m, d, b = 6, 3, 13
	for _, plain := range []bool{false, true} {
		s := &Settings{Width: 9, Depth: 4, Seed: 2, Plain: plain}
		net := New(m, d, s)
		rng := rand.New(rand.NewPCG(8, 9))
		x, y := randBatch(b, m, d, rng)
		if !plain {
			net.Omega.Set(1, 2, 1e-3) // large step drives it negative: projection
		}
		ref := net.Clone()
		st := &sgd{lr: 0.3, lrOmega: 0.5, wd: 0.01}

		xv := rowsView(x, 0, b)
		net.forward(xv)
		net.backward(xv, y, nil, st)

		var g Grad
		ref.Backward(&g, x, y)
		upd := func(p, gp float64, lr float64) float64 { return p - lr*(gp+st.wd*p) }
		for l := range ref.W {
			for _, pair := range [][2]*mat.Dense{{ref.W[l], g.W[l]}, {ref.V[l], g.V[l]}} {
				r, c := pair[0].Dims()
				for i := 0; i < r; i++ {
					for j := 0; j < c; j++ {
						if plain && pair[0] == ref.V[l] && l < len(ref.W)-1 {
							continue // unused readouts are never updated
						}
						pair[0].Set(i, j, upd(pair[0].At(i, j), pair[1].At(i, j), st.lr))
					}
				}
			}
			for i := range ref.B[l] {
				ref.B[l][i] = upd(ref.B[l][i], g.B[l][i], st.lr)
			}
		}
		if !plain {
			r, c := ref.Omega.Dims()
			for i := 0; i < r; i++ {
				for j := 0; j < c; j++ {
					ref.Omega.Set(i, j, math.Max(upd(ref.Omega.At(i, j), g.Omega.At(i, j), st.lrOmega), 0))
				}
			}
			if net.Omega.At(1, 2) != 0 {
				t.Errorf("Ω[1,2] = %v after a step that drives it negative, want 0", net.Omega.At(1, 2))
			}
		}
		cmp := func(name string, a, b *mat.Dense) {
			var diff mat.Dense
			diff.Sub(a, b)
			if e := mat.Norm(&diff, math.Inf(1)); e > 1e-12*math.Max(mat.Norm(b, math.Inf(1)), 1) {
				t.Errorf("plain=%v %s: fused step differs from Backward+SGD by %g", plain, name, e)
			}
		}
		for l := range ref.W {
			cmp(fmt.Sprintf("W[%d]", l), net.W[l], ref.W[l])
			cmp(fmt.Sprintf("V[%d]", l), net.V[l], ref.V[l])
			cmp(fmt.Sprintf("B[%d]", l), mat.NewDense(1, len(net.B[l]), net.B[l]), mat.NewDense(1, len(ref.B[l]), ref.B[l]))
		}
		cmp("Omega", net.Omega, ref.Omega)
	}
}

// TestPlainUsesLastHead checks that the plain MLP is f = V_L h_L: changing
// any other readout or Ω entry leaves the output unchanged, and changing
// V_L does not.
func TestPlainUsesLastHead(t *testing.T) {
	const m, d, L = 4, 3, 3
	net := New(m, d, &Settings{Width: 8, Depth: L, Plain: true, Seed: 4})
	for c := 0; c < d; c++ {
		for l := 0; l < L; l++ {
			if want := map[bool]float64{true: 1, false: 0}[l == L-1]; net.Omega.At(c, l) != want {
				t.Fatalf("plain Ω[%d,%d] = %v, want %v", c, l, net.Omega.At(c, l), want)
			}
		}
	}
	x, _ := randBatch(5, m, d, rand.New(rand.NewPCG(1, 1)))
	var f0, f1 mat.Dense
	net.Forward(&f0, x)
	net.V[0].Set(0, 0, 100)
	net.Omega.Set(0, 0, 7)
	net.Forward(&f1, x)
	if !mat.Equal(&f0, &f1) {
		t.Errorf("plain output depends on readout 1 or on Ω")
	}
	net.V[L-1].Set(0, 0, net.V[L-1].At(0, 0)+1)
	net.Forward(&f1, x)
	if mat.Equal(&f0, &f1) {
		t.Errorf("plain output does not depend on the last readout")
	}
}

// TestForwardConsistent checks that Forward, Predict, Accuracy and Loss
// agree with one another and do not depend on how the rows are chunked:
// the outputs of 300 rows at once (two chunks of evalChunk and fewer)
// equal those of each row alone, bit for bit on the kernel path (every
// entry of a product is summed in the same order whatever its shape) and
// to 1e-12 on gonum's.
func TestForwardConsistent(t *testing.T) {
	for _, gonum := range []bool{false, true} {
		const m, d = 7, 5
		net := New(m, d, &Settings{Width: 20, Depth: 3, Seed: 1, Gonum: gonum})
		x, y := randBatch(300, m, d, rand.New(rand.NewPCG(2, 2)))
		var all mat.Dense
		net.Forward(&all, x)
		tol := 0.0
		if gonum || !haveKernel {
			tol = 1e-12
		}
		for i := 0; i < 300; i += 37 {
			var one mat.Dense
			net.Forward(&one, x.Slice(i, i+1, 0, m).(*mat.Dense))
			for c := 0; c < d; c++ {
				if math.Abs(one.At(0, c)-all.At(i, c)) > tol*math.Abs(all.At(i, c)) {
					t.Errorf("gonum=%v: row %d output %d: %v alone, %v in the batch", gonum, i, c, one.At(0, c), all.At(i, c))
				}
			}
		}
		pred := net.Predict(nil, x)
		ok, loss := 0, 0.0
		for i, p := range pred {
			best := 0
			for c := 0; c < d; c++ {
				if all.At(i, c) > all.At(i, best) {
					best = c
				}
				tv := all.At(i, c)
				if c == y[i] {
					tv--
				}
				loss += tv * tv
			}
			if p != best {
				t.Errorf("Predict row %d = %d, argmax of Forward %d", i, p, best)
			}
			if p == y[i] {
				ok++
			}
		}
		if acc := net.Accuracy(x, y); acc != float64(ok)/300 {
			t.Errorf("Accuracy %v, want %v", acc, float64(ok)/300)
		}
		if l := net.Loss(x, y); math.Abs(l-loss/300) > 1e-12*l {
			t.Errorf("Loss %v, want %v", l, loss/300)
		}
	}
}
