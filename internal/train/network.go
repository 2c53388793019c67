package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/ntkmkl/ntkmkl/ntk"
)

// The parameterizations of Network.Parameterization.
const (
	// Standard is the paper's finite-width network (Eq. 1–3, 7): g¹ = W¹x + b¹,
	// gˡ = Wˡhˡ⁻¹ + bˡ, fℓ = Vℓhℓ, with Xavier-normal weights
	// (std = √(2/(fan_in+fan_out))) and zero biases.
	Standard = "standard"
	// NTK is the parameterization of DESIGN.md §1 whose infinite-width
	// limit package ntk computes: g¹ = σw/√m·W¹x + σb·b¹,
	// gˡ = σw/√n·Wˡhˡ⁻¹ + σb·bˡ, fℓ = σv/√n·Vℓhℓ, every entry N(0, 1).
	NTK = "ntk"
)

// Network is the finite NFT-K MLP of DESIGN.md §1 with d outputs:
// L hidden layers of width n, a readout Vℓ per layer and
// f(x) = Σℓ ωℓ ⊙ fℓ(x) (Eq. 7–8). Slices are indexed from 0, so W[ℓ-1] is
// the paper's Wˡ. The exported fields are the whole trainable state; a
// Network rebuilt from them (for instance after saving them) computes the
// same function.
//
// A Network keeps scratch buffers between calls and is not safe for
// concurrent use.
type Network struct {
	// W[0] is n×m and W[ℓ] is n×n for ℓ ≥ 1; row i holds the weights
	// into unit i.
	W []*mat.Dense
	// B[ℓ] is the bias of layer ℓ+1, length n.
	B [][]float64
	// V[ℓ] is the d×n readout of layer ℓ+1 (no bias).
	V []*mat.Dense
	// Omega is d×L: column ℓ is ω of layer ℓ+1, one weight per class.
	Omega *mat.Dense

	// Parameterization is Standard or NTK.
	Parameterization string
	// Activation is φ, applied to every unit.
	Activation ntk.Activation
	// SigmaW2, SigmaB2 and SigmaV2 are σw², σb², σv² of the NTK
	// parameterization; Standard ignores them.
	SigmaW2, SigmaB2, SigmaV2 float64
	// Plain makes the network an ordinary MLP: only the last readout is
	// used, f = fL (Omega is then all zero except an all-one last column,
	// and training leaves it unchanged).
	Plain bool
	// MeanOutputs selects the loss (1/(B·d))·Σᵢ‖f(xᵢ)−yᵢ‖², the mean over
	// batch and outputs of torch.nn.MSELoss. When false (the default) the
	// loss is (1/B)·Σᵢ‖f(xᵢ)−yᵢ‖², the squared error summed over the d
	// outputs and averaged over the batch.
	MeanOutputs bool

	workers int
	gonum   bool
	g       *gemmer
	ws      workspace
}

// workspace holds the activations of one batch, stored units × samples
// (n × b, row-major), and the buffers of the backward pass.
type workspace struct {
	cap    int
	stride int         // row stride of the units × samples buffers: cap rounded up to nr
	xb     []float64   // cap×m gathered inputs
	g, h   [][]float64 // per layer, n×b pre- and post-activations
	fl     [][]float64 // per layer, d×b readouts fℓ
	f      []float64   // d×b output
	df     []float64   // d×b ∂loss/∂f
	dfl    []float64   // d×b ∂loss/∂fℓ
	dh, dg []float64   // n×b
	domega []float64   // d×L
}

// New returns a network for m inputs and d outputs, initialised from
// s.Seed as described in Settings (nil s means the defaults). It panics if
// m or d is less than one or a setting is invalid.
func New(m, d int, s *Settings) *Network {
	if m < 1 || d < 1 {
		panic(fmt.Sprintf("train: New with %d inputs and %d outputs", m, d))
	}
	c, err := s.withDefaults()
	if err != nil {
		panic(err.Error())
	}
	n, L := c.Width, c.Depth
	net := &Network{
		Parameterization: c.Parameterization,
		Activation:       c.Activation,
		SigmaW2:          c.SigmaW2,
		SigmaB2:          c.SigmaB2,
		SigmaV2:          c.SigmaV2,
		Plain:            c.Plain,
		MeanOutputs:      c.MeanOutputs,
		workers:          c.Workers,
		gonum:            c.Gonum,
	}
	// Stream 0 of the seed draws the initial parameters; stream e ≥ 1
	// shuffles epoch e (see Train).
	rng := rand.New(rand.NewPCG(c.Seed, 0))
	normal := func(rows, cols int, std float64) *mat.Dense {
		data := make([]float64, rows*cols)
		for i := range data {
			data[i] = std * rng.NormFloat64()
		}
		return mat.NewDense(rows, cols, data)
	}
	xavier := func(fanOut, fanIn int) float64 { return math.Sqrt(2 / float64(fanIn+fanOut)) }
	ntkInit := c.Parameterization == NTK
	for l := 0; l < L; l++ {
		in := n
		if l == 0 {
			in = m
		}
		std := 1.0
		if !ntkInit {
			std = xavier(n, in)
		}
		net.W = append(net.W, normal(n, in, std))
		b := make([]float64, n)
		if ntkInit {
			for i := range b {
				b[i] = rng.NormFloat64()
			}
		}
		net.B = append(net.B, b)
	}
	for l := 0; l < L; l++ {
		std := 1.0
		if !ntkInit {
			std = xavier(d, n)
		}
		net.V = append(net.V, normal(d, n, std))
	}
	net.Omega = mat.NewDense(d, L, nil)
	for c := 0; c < d; c++ {
		for l := 0; l < L; l++ {
			if !net.Plain || l == L-1 {
				net.Omega.Set(c, l, 1)
			}
		}
	}
	return net
}

// Dims returns the number of inputs m, the width n, the depth L and the
// number of outputs d.
func (net *Network) Dims() (m, n, L, d int) {
	n, m = net.W[0].Dims()
	d, _ = net.V[0].Dims()
	return m, n, len(net.W), d
}

// Clone returns a deep copy of the network's parameters and settings.
func (net *Network) Clone() *Network {
	c := *net
	c.g, c.ws = nil, workspace{}
	c.W, c.B, c.V = nil, nil, nil
	for _, w := range net.W {
		c.W = append(c.W, mat.DenseCopyOf(w))
	}
	for _, b := range net.B {
		c.B = append(c.B, append([]float64(nil), b...))
	}
	for _, v := range net.V {
		c.V = append(c.V, mat.DenseCopyOf(v))
	}
	c.Omega = mat.DenseCopyOf(net.Omega)
	return &c
}

// SetCompute sets the number of goroutines that compute each matrix
// product (≤ 0 means runtime.GOMAXPROCS(0)) and, with gonum true, routes
// every product through gonum's blas64.Gemm instead of the package's
// AVX2/FMA kernel. Neither changes the results of the kernel path.
func (net *Network) SetCompute(workers int, gonum bool) {
	net.workers, net.gonum, net.g = workers, gonum, nil
}

// Kernel names the product path the network uses: "avx2-fma" for the
// package's assembly kernel, "gonum" for blas64.Gemm.
func (net *Network) Kernel() string {
	if net.gemm().useKernel {
		return "avx2-fma"
	}
	return "gonum"
}

func (net *Network) gemm() *gemmer {
	if net.g == nil {
		net.g = newGemmer(net.workers, !net.gonum)
	}
	return net.g
}

// scales returns the factors of the parameterization: cw0 multiplies W¹x,
// cw multiplies Wˡhˡ⁻¹ (ℓ ≥ 2), cb the biases and cv the readouts.
func (net *Network) scales() (cw0, cw, cb, cv float64) {
	if net.Parameterization != NTK {
		return 1, 1, 1, 1
	}
	m, n, _, _ := net.Dims()
	sw := math.Sqrt(net.SigmaW2)
	return sw / math.Sqrt(float64(m)), sw / math.Sqrt(float64(n)), math.Sqrt(net.SigmaB2), math.Sqrt(net.SigmaV2) / math.Sqrt(float64(n))
}

// check panics unless the parameters have consistent shapes.
func (net *Network) check() {
	L := len(net.W)
	if L == 0 || len(net.B) != L || len(net.V) != L || net.Omega == nil || net.Activation == nil {
		panic("train: incomplete Network")
	}
	m, n, _, d := net.Dims()
	for l := 0; l < L; l++ {
		in := n
		if l == 0 {
			in = m
		}
		if r, c := net.W[l].Dims(); r != n || c != in {
			panic(fmt.Sprintf("train: W[%d] is %d×%d, want %d×%d", l, r, c, n, in))
		}
		if len(net.B[l]) != n {
			panic(fmt.Sprintf("train: B[%d] has length %d, want %d", l, len(net.B[l]), n))
		}
		if r, c := net.V[l].Dims(); r != d || c != n {
			panic(fmt.Sprintf("train: V[%d] is %d×%d, want %d×%d", l, r, c, d, n))
		}
	}
	if r, c := net.Omega.Dims(); r != d || c != L {
		panic(fmt.Sprintf("train: Omega is %d×%d, want %d×%d", r, c, d, L))
	}
}

// ensure sizes the workspace for batches of up to b samples.
func (net *Network) ensure(b int) {
	ws := &net.ws
	if b <= ws.cap {
		return
	}
	m, n, L, d := net.Dims()
	ws.cap = b
	ws.stride = (b + nr - 1) / nr * nr
	st := ws.stride
	ws.xb = make([]float64, b*m)
	ws.g, ws.h, ws.fl = make([][]float64, L), make([][]float64, L), make([][]float64, L)
	for l := 0; l < L; l++ {
		ws.g[l] = make([]float64, n*st)
		ws.h[l] = make([]float64, n*st)
		ws.fl[l] = make([]float64, d*st)
	}
	ws.f, ws.df, ws.dfl = make([]float64, d*st), make([]float64, d*st), make([]float64, d*st)
	ws.dh, ws.dg = make([]float64, n*st), make([]float64, n*st)
	ws.domega = make([]float64, d*L)
}

// buf returns the r×b matrix of a workspace buffer: row stride ws.stride,
// and the columns past b up to the stride free to be overwritten by the
// products (see view.wide).
func (ws *workspace) buf(data []float64, r, b int) view {
	return view{data: data[:r*ws.stride], r: r, c: b, stride: ws.stride, wide: ws.stride}
}

func denseView(a *mat.Dense) view {
	raw := a.RawMatrix()
	return view{data: raw.Data, r: raw.Rows, c: raw.Cols, stride: raw.Stride}
}

// rowsView returns rows [r0, r1) of x as a view.
func rowsView(x *mat.Dense, r0, r1 int) view {
	raw := x.RawMatrix()
	return view{data: raw.Data[r0*raw.Stride:], r: r1 - r0, c: raw.Cols, stride: raw.Stride}
}

// forward computes the outputs of the b = x.r samples in the rows of x
// into ws.f (d×b), keeping every layer's activations.
func (net *Network) forward(x view) {
	m, n, L, d := net.Dims()
	if x.c != m {
		panic(fmt.Sprintf("train: input has %d columns, the network %d inputs", x.c, m))
	}
	b := x.r
	net.ensure(b)
	ws, g := &net.ws, net.gemm()
	st := ws.stride
	cw0, cw, cb, cv := net.scales()
	in := x.T()
	om := net.Omega.RawMatrix()
	first := true
	for l := 0; l < L; l++ {
		gl := ws.buf(ws.g[l], n, b)
		beta := 0.0
		if cb != 0 {
			for i, bi := range net.B[l] {
				v := cb * bi
				row := gl.data[i*st : i*st+b]
				for j := range row {
					row[j] = v
				}
			}
			beta = 1
		}
		c := cw
		if l == 0 {
			c = cw0
		}
		g.mul(c, denseView(net.W[l]), in, beta, gl)
		for i := 0; i < n; i++ {
			activate(net.Activation, ws.h[l][i*st:i*st+b], gl.data[i*st:i*st+b])
		}
		hl := ws.buf(ws.h[l], n, b)
		in = hl
		if net.Plain && l != L-1 {
			continue
		}
		fl := ws.buf(ws.fl[l], d, b)
		g.mul(cv, denseView(net.V[l]), hl, 0, fl)
		for c := 0; c < d; c++ {
			w := 1.0
			if !net.Plain {
				w = om.Data[c*om.Stride+l]
			}
			src, dst := fl.data[c*st:c*st+b], ws.f[c*st:c*st+b]
			if first {
				for j, v := range src {
					dst[j] = w * v
				}
			} else {
				for j, v := range src {
					dst[j] += w * v
				}
			}
		}
		first = false
	}
}

// activate sets h = φ(g), with a fast path for ReLU.
func activate(phi ntk.Activation, h, g []float64) {
	h = h[:len(g)]
	if _, ok := phi.(ntk.ReLU); ok {
		if haveKernel {
			reluAVX(h, g)
			done := len(g) &^ 3
			g, h = g[done:], h[done:]
		}
		for i, v := range g {
			if v > 0 {
				h[i] = v
			} else {
				h[i] = 0
			}
		}
		return
	}
	for i, v := range g {
		h[i] = phi.Phi(v)
	}
}

// deactivate sets dg = dh ⊙ φ′(g), with a fast path for ReLU whose
// derivative is ntk.ReLU.Deriv's (1/2 at 0).
func deactivate(phi ntk.Activation, dg, dh, g []float64) {
	dg, dh = dg[:len(g)], dh[:len(g)]
	if _, ok := phi.(ntk.ReLU); ok {
		if haveKernel {
			reluGradAVX(dg, dh, g)
			done := len(g) &^ 3
			g, dh, dg = g[done:], dh[done:], dg[done:]
		}
		for i, v := range g {
			switch {
			case v > 0:
				dg[i] = dh[i]
			case v < 0:
				dg[i] = 0
			default:
				dg[i] = 0.5 * dh[i]
			}
		}
		return
	}
	for i, v := range g {
		dg[i] = dh[i] * phi.Deriv(v)
	}
}

// sgd is one fused step of the two optimizers of DESIGN.md §6.
type sgd struct {
	lr, lrOmega, wd float64
}

// backward computes the loss of the last forward pass against labels and
// its gradient. With step nil it writes the gradient into grad; otherwise
// it applies the SGD step in place, layer by layer as soon as a layer's
// gradient is known, without storing it: p ← (1 − lr·wd)·p − lr·∂loss/∂p
// (PyTorch's SGD with weight decay), and Ω is then projected onto Ω ≥ 0.
// Every gradient is taken at the parameters of the forward pass.
func (net *Network) backward(x view, labels []int, grad *Grad, step *sgd) (loss float64, correct int) {
	_, n, L, d := net.Dims()
	b := x.r
	ws, g := &net.ws, net.gemm()
	st := ws.stride
	cw0, cw, cb, cv := net.scales()
	scale := 1 / float64(b)
	if net.MeanOutputs {
		scale /= float64(d)
	}
	for j, y := range labels[:b] {
		best := 0
		for c := 0; c < d; c++ {
			v := ws.f[c*st+j]
			if v > ws.f[best*st+j] {
				best = c
			}
			t := v
			if c == y {
				t = v - 1
			}
			loss += t * t
			ws.df[c*st+j] = 2 * scale * t
		}
		if best == y {
			correct++
		}
	}
	loss *= scale
	om := net.Omega.RawMatrix()
	dfl := ws.buf(ws.dfl, d, b)
	dh := ws.buf(ws.dh, n, b)
	dg := ws.buf(ws.dg, n, b)
	clear(ws.domega)
	for l := L - 1; l >= 0; l-- {
		hl := ws.buf(ws.h[l], n, b)
		if !net.Plain || l == L-1 {
			for c := 0; c < d; c++ {
				w := 1.0
				if !net.Plain {
					w = om.Data[c*om.Stride+l]
				}
				src, dst, fl := ws.df[c*st:c*st+b], dfl.data[c*st:c*st+b], ws.fl[l][c*st:c*st+b]
				s := 0.0
				for j, v := range src {
					dst[j] = w * v
					s += v * fl[j]
				}
				ws.domega[c*L+l] = s
			}
			beta := 1.0
			if l == L-1 {
				beta = 0
			}
			g.mul(cv, denseView(net.V[l]).T(), dfl, beta, dh)
			if step == nil {
				g.mul(cv, dfl, hl.T(), 0, denseView(grad.V[l]))
			} else {
				g.mul(-step.lr*cv, dfl, hl.T(), 1-step.lr*step.wd, denseView(net.V[l]))
			}
		} else if step == nil {
			grad.V[l].Zero()
		}
		for i := 0; i < n; i++ {
			deactivate(net.Activation, dg.data[i*st:i*st+b], dh.data[i*st:i*st+b], ws.g[l][i*st:i*st+b])
		}
		bias := net.B[l]
		for i := range bias {
			s := 0.0
			for _, v := range dg.data[i*st : i*st+b] {
				s += v
			}
			if step == nil {
				grad.B[l][i] = cb * s
			} else {
				bias[i] -= step.lr * (cb*s + step.wd*bias[i])
			}
		}
		c := cw
		var inT view // the layer's input, samples × units
		if l == 0 {
			c = cw0
			inT = x
		} else {
			inT = ws.buf(ws.h[l-1], n, b).T()
			g.mul(cw, denseView(net.W[l]).T(), dg, 0, dh)
		}
		if step == nil {
			g.mul(c, dg, inT, 0, denseView(grad.W[l]))
		} else {
			g.mul(-step.lr*c, dg, inT, 1-step.lr*step.wd, denseView(net.W[l]))
		}
	}
	switch {
	case net.Plain && step == nil:
		grad.Omega.Zero()
	case net.Plain:
	case step == nil:
		for c := 0; c < d; c++ {
			for l := 0; l < L; l++ {
				grad.Omega.Set(c, l, ws.domega[c*L+l])
			}
		}
	default:
		for c := 0; c < d; c++ {
			row := om.Data[c*om.Stride : c*om.Stride+L]
			for l, w := range row {
				row[l] = math.Max(w-step.lrOmega*(ws.domega[c*L+l]+step.wd*w), 0)
			}
		}
	}
	return loss, correct
}

// Grad holds a gradient of the loss with the shapes of a Network's
// parameters. An empty Grad is sized by Network.Backward.
type Grad struct {
	W     []*mat.Dense
	B     [][]float64
	V     []*mat.Dense
	Omega *mat.Dense
}

func (grad *Grad) size(net *Network) {
	if grad.W != nil {
		return
	}
	for l := range net.W {
		grad.W = append(grad.W, mat.NewDense(net.W[l].RawMatrix().Rows, net.W[l].RawMatrix().Cols, nil))
		grad.B = append(grad.B, make([]float64, len(net.B[l])))
		grad.V = append(grad.V, mat.NewDense(net.V[l].RawMatrix().Rows, net.V[l].RawMatrix().Cols, nil))
	}
	d, L := net.Omega.Dims()
	grad.Omega = mat.NewDense(d, L, nil)
}

// Backward sets grad to the gradient of the loss of the batch (x, y) at
// the current parameters and returns the loss: x is b×m, one sample per
// row, and y holds the b class indices; the loss is the one that
// MeanOutputs selects, against one-hot targets. The whole batch is one
// matrix per layer. An empty grad is sized; a grad of other shapes
// panics. In a Plain network the gradients of Ω and of the unused readouts
// are zero.
func (net *Network) Backward(grad *Grad, x *mat.Dense, y []int) float64 {
	net.check()
	r, _ := x.Dims()
	if len(y) != r {
		panic(fmt.Sprintf("train: Backward with %d samples and %d labels", r, len(y)))
	}
	grad.size(net)
	xv := rowsView(x, 0, r)
	net.forward(xv)
	loss, _ := net.backward(xv, y, grad, nil)
	return loss
}

// Loss returns the loss of the batch (x, y) at the current parameters.
func (net *Network) Loss(x *mat.Dense, y []int) float64 {
	r, _ := x.Dims()
	loss, n := 0.0, 0
	net.eval(x, func(r0, b int) {
		_, _, _, d := net.Dims()
		st := net.ws.stride
		for j := 0; j < b; j++ {
			for c := 0; c < d; c++ {
				t := net.ws.f[c*st+j]
				if c == y[r0+j] {
					t--
				}
				loss += t * t
			}
		}
		n += b
	})
	if net.MeanOutputs {
		_, _, _, d := net.Dims()
		loss /= float64(d)
	}
	return loss / float64(r)
}

// evalChunk is the number of samples Forward, Predict and Accuracy push
// through the network at once.
const evalChunk = 256

// eval runs the forward pass over x in chunks, calling fn(r0, b) with the
// outputs of rows r0..r0+b-1 in ws.f (d×b).
func (net *Network) eval(x *mat.Dense, fn func(r0, b int)) {
	net.check()
	r, _ := x.Dims()
	for r0 := 0; r0 < r; r0 += evalChunk {
		r1 := min(r, r0+evalChunk)
		net.forward(rowsView(x, r0, r1))
		fn(r0, r1-r0)
	}
}

// Forward sets dst to the outputs f(x) of the rows of x: dst is r×d for
// an r×m x. An empty dst is sized; one of the wrong size panics.
func (net *Network) Forward(dst *mat.Dense, x *mat.Dense) {
	r, _ := x.Dims()
	_, _, _, d := net.Dims()
	if r == 0 {
		return
	}
	if dst.IsEmpty() {
		dst.ReuseAs(r, d)
	} else if dr, dc := dst.Dims(); dr != r || dc != d {
		panic(fmt.Sprintf("train: Forward into %d×%d, want %d×%d", dr, dc, r, d))
	}
	net.eval(x, func(r0, b int) {
		st := net.ws.stride
		for j := 0; j < b; j++ {
			for c := 0; c < d; c++ {
				dst.Set(r0+j, c, net.ws.f[c*st+j])
			}
		}
	})
}

// Predict returns the predicted class, argmax_c f_c(x), of every row of x
// (ties go to the lowest class), reusing dst when it is long enough.
func (net *Network) Predict(dst []int, x *mat.Dense) []int {
	r, _ := x.Dims()
	_, _, _, d := net.Dims()
	if cap(dst) < r {
		dst = make([]int, r)
	}
	dst = dst[:r]
	net.eval(x, func(r0, b int) {
		st := net.ws.stride
		for j := 0; j < b; j++ {
			best := 0
			for c := 1; c < d; c++ {
				if net.ws.f[c*st+j] > net.ws.f[best*st+j] {
					best = c
				}
			}
			dst[r0+j] = best
		}
	})
	return dst
}

// Accuracy returns the fraction of the rows of x whose predicted class is
// the one in y.
func (net *Network) Accuracy(x *mat.Dense, y []int) float64 {
	pred := net.Predict(nil, x)
	if len(pred) != len(y) {
		panic(fmt.Sprintf("train: Accuracy with %d samples and %d labels", len(pred), len(y)))
	}
	if len(y) == 0 {
		return math.NaN()
	}
	ok := 0
	for i, p := range pred {
		if p == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}
