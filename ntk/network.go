package ntk

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Network is a finite random network of DESIGN.md §1: L hidden layers of
// width n in the NTK parameterization, every weight, bias and readout entry
// drawn from N(0, 1), and one scalar readout fℓ = σv/√n · Vℓ·hℓ per hidden
// layer. It is the ground truth the analytic kernels are tested against.
type Network struct {
	cfg   Config
	m, n  int
	theta []float64    // all parameters; w, b and v are views into it
	w     []*mat.Dense // w[0] is n×m, w[k] is n×n
	b     [][]float64  // b[k] has n entries
	v     [][]float64  // v[k] is the readout of head k+1, n entries
}

// NewNetwork draws a network for inputs of dimension inputDim with hidden
// width width, using rng. It panics on an invalid Config or a
// non-positive size.
func NewNetwork(cfg Config, inputDim, width int, rng *rand.Rand) *Network {
	cfg = cfg.mustValidate()
	if inputDim < 1 || width < 1 {
		panic(fmt.Sprintf("ntk: network of input dimension %d and width %d", inputDim, width))
	}
	L, m, n := cfg.Depth, inputDim, width
	size := n*m + (L-1)*n*n + 2*L*n
	net := &Network{cfg: cfg, m: m, n: n, theta: make([]float64, size)}
	for i := range net.theta {
		net.theta[i] = rng.NormFloat64()
	}
	off := 0
	take := func(k int) []float64 { s := net.theta[off : off+k : off+k]; off += k; return s }
	for k := 0; k < L; k++ {
		fanIn := n
		if k == 0 {
			fanIn = m
		}
		net.w = append(net.w, mat.NewDense(n, fanIn, take(n*fanIn)))
		net.b = append(net.b, take(n))
	}
	for k := 0; k < L; k++ {
		net.v = append(net.v, take(n))
	}
	return net
}

// NumParams returns the number of parameters θ = (W, b, V).
func (net *Network) NumParams() int { return len(net.theta) }

// Params returns the parameter vector itself (not a copy), in the order
// W1, b1, …, WL, bL, V1, …, VL with W row-major; Gradient uses the same
// order. Changing it changes the network.
func (net *Network) Params() []float64 { return net.theta }

// forward returns the pre-activations g[k] and activations h[k] of every
// hidden layer for the rows of x (P×m): each is P×n.
func (net *Network) forward(x *mat.Dense) (g, h []*mat.Dense) {
	P, m := x.Dims()
	if m != net.m {
		panic(fmt.Sprintf("ntk: network input dimension is %d, data has %d columns", net.m, m))
	}
	c := net.cfg
	in := x
	for k := range net.w {
		fanIn := float64(net.n)
		if k == 0 {
			fanIn = float64(m)
		}
		gk := mat.NewDense(P, net.n, nil)
		gk.Mul(in, net.w[k].T())
		gk.Scale(math.Sqrt(c.SigmaW2/fanIn), gk)
		sb := math.Sqrt(c.SigmaB2)
		hk := mat.NewDense(P, net.n, nil)
		for i := 0; i < P; i++ {
			gr, hr := gk.RawRowView(i), hk.RawRowView(i)
			for j := range gr {
				gr[j] += sb * net.b[k][j]
				hr[j] = c.Activation.Phi(gr[j])
			}
		}
		g, h = append(g, gk), append(h, hk)
		in = hk
	}
	return g, h
}

// Heads returns the readouts: entry (i, ℓ-1) is fℓ(x_i).
func (net *Network) Heads(x mat.Matrix) *mat.Dense {
	_, h := net.forward(asDense(x))
	P, _ := x.Dims()
	out := mat.NewDense(P, net.cfg.Depth, nil)
	scale := math.Sqrt(net.cfg.SigmaV2 / float64(net.n))
	for l := range h {
		for i := 0; i < P; i++ {
			out.Set(i, l, scale*dot(h[l].RawRowView(i), net.v[l]))
		}
	}
	return out
}

// Gradient writes ∇θ fℓ(x) for the head ℓ = head (1-based) into dst, in
// the order of Params, by backpropagation through one input. Parameters
// that fℓ does not depend on get zero. If dst is nil it is allocated.
func (net *Network) Gradient(dst, x []float64, head int) []float64 {
	L := net.cfg.Depth
	if head < 1 || head > L {
		panic(fmt.Sprintf("ntk: head %d of a depth-%d network", head, L))
	}
	if dst == nil {
		dst = make([]float64, len(net.theta))
	}
	if len(dst) != len(net.theta) {
		panic(fmt.Sprintf("ntk: gradient destination has %d entries, want %d", len(dst), len(net.theta)))
	}
	clear(dst)
	g, h := net.forward(mat.NewDense(1, len(x), x))
	c, n := net.cfg, float64(net.n)
	// Offsets of each block of parameters in θ, in Params order.
	offW, offB := make([]int, L), make([]int, L)
	off := 0
	for k := 0; k < L; k++ {
		r, cols := net.w[k].Dims()
		offW[k], off = off, off+r*cols
		offB[k], off = off, off+net.n
	}
	offV := off + (head-1)*net.n

	l := head - 1
	hl := h[l].RawRowView(0)
	sv := math.Sqrt(c.SigmaV2 / n)
	delta := make([]float64, net.n) // ∂fℓ/∂g_k
	for j := range delta {
		dst[offV+j] = sv * hl[j]
		delta[j] = sv * net.v[l][j] * c.Activation.Deriv(g[l].At(0, j))
	}
	for k := l; k >= 0; k-- {
		in := x
		fanIn := float64(len(x))
		if k > 0 {
			in = h[k-1].RawRowView(0)
			fanIn = n
		}
		sw := math.Sqrt(c.SigmaW2 / fanIn)
		sb := math.Sqrt(c.SigmaB2)
		for i, d := range delta {
			row := dst[offW[k]+i*len(in) : offW[k]+(i+1)*len(in)]
			for j, a := range in {
				row[j] = d * sw * a
			}
			dst[offB[k]+i] = d * sb
		}
		if k == 0 {
			break
		}
		prev := make([]float64, net.n)
		for i, d := range delta {
			wRow := net.w[k].RawRowView(i)
			for j := range prev {
				prev[j] += d * sw * wRow[j]
			}
		}
		for j := range prev {
			prev[j] *= c.Activation.Deriv(g[k-1].At(0, j))
		}
		delta = prev
	}
	return dst
}

// EmpiricalNTK returns the per-head tangent kernels of this network:
// dst[ℓ-1] is P×Q with entry (i, j) = ⟨∇θ fℓ(x_i), ∇θ fℓ(z_j)⟩. It uses
// the layer-wise factorization of that inner product (the gradient with
// respect to W_k is an outer product of the backpropagated signal and the
// layer input), so no gradient vector is formed. If dst is nil it is
// allocated.
func (net *Network) EmpiricalNTK(dst []*mat.Dense, x, z mat.Matrix) []*mat.Dense {
	xd, zd := asDense(x), asDense(z)
	P, _ := xd.Dims()
	Q, _ := zd.Dims()
	L, c, n := net.cfg.Depth, net.cfg, float64(net.n)
	dst, _ = sizeStack(dst, L, P, Q)
	gx, hx := net.forward(xd)
	gz, hz := net.forward(zd)

	// inner[k] = σw²/fan-in · (layer-k input Gram) + σb², layer inputs x or h[k-1].
	inner := make([]*mat.Dense, L)
	for k := 0; k < L; k++ {
		a, b, fanIn := xd, zd, float64(net.m)
		if k > 0 {
			a, b, fanIn = hx[k-1], hz[k-1], n
		}
		inner[k] = mat.NewDense(P, Q, nil)
		inner[k].Mul(a, b.T())
		inner[k].Apply(func(_, _ int, v float64) float64 { return c.SigmaW2/fanIn*v + c.SigmaB2 }, inner[k])
	}
	sv := math.Sqrt(c.SigmaV2 / n)
	var dd mat.Dense
	for l := 0; l < L; l++ {
		dst[l].Mul(hx[l], hz[l].T())
		dst[l].Scale(c.SigmaV2/n, dst[l])
		dx := net.headSignal(gx[l], net.v[l], sv)
		dz := net.headSignal(gz[l], net.v[l], sv)
		for k := l; k >= 0; k-- {
			dd.Reset()
			dd.Mul(dx, dz.T())
			dd.MulElem(&dd, inner[k])
			dst[l].Add(dst[l], &dd)
			if k > 0 {
				dx = net.backprop(dx, k, gx[k-1])
				dz = net.backprop(dz, k, gz[k-1])
			}
		}
	}
	return dst
}

// EmpiricalNNGP returns σv²/n · hℓ(x_i)·hℓ(z_j) for every head: the
// readout covariance of this one network, whose average over networks is
// K^(ℓ).
func (net *Network) EmpiricalNNGP(dst []*mat.Dense, x, z mat.Matrix) []*mat.Dense {
	xd, zd := asDense(x), asDense(z)
	P, _ := xd.Dims()
	Q, _ := zd.Dims()
	dst, _ = sizeStack(dst, net.cfg.Depth, P, Q)
	_, hx := net.forward(xd)
	_, hz := net.forward(zd)
	for l := range dst {
		dst[l].Mul(hx[l], hz[l].T())
		dst[l].Scale(net.cfg.SigmaV2/float64(net.n), dst[l])
	}
	return dst
}

// headSignal returns ∂fℓ/∂gℓ = σv/√n · v ⊙ φ′(gℓ) for every row of g.
func (net *Network) headSignal(g *mat.Dense, v []float64, sv float64) *mat.Dense {
	P, n := g.Dims()
	d := mat.NewDense(P, n, nil)
	for i := 0; i < P; i++ {
		gr, dr := g.RawRowView(i), d.RawRowView(i)
		for j := range dr {
			dr[j] = sv * v[j] * net.cfg.Activation.Deriv(gr[j])
		}
	}
	return d
}

// backprop maps ∂f/∂g_k (rows of delta) to ∂f/∂g_{k-1}:
// φ′(g_{k-1}) ⊙ (σw/√n · W_kᵀ δ).
func (net *Network) backprop(delta *mat.Dense, k int, gPrev *mat.Dense) *mat.Dense {
	P, n := delta.Dims()
	out := mat.NewDense(P, n, nil)
	out.Mul(delta, net.w[k])
	sw := math.Sqrt(net.cfg.SigmaW2 / float64(net.n))
	for i := 0; i < P; i++ {
		or, gr := out.RawRowView(i), gPrev.RawRowView(i)
		for j := range or {
			or[j] *= sw * net.cfg.Activation.Deriv(gr[j])
		}
	}
	return out
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
