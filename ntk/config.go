package ntk

import (
	"errors"
	"fmt"
	"math"
)

// Kind selects which kernel a Stack holds.
type Kind int

const (
	// NTK is the neural tangent kernel Θ^(ℓ) = σv² (E + Ė Θgˡ).
	NTK Kind = iota
	// NNGP is the Gaussian-process kernel K^(ℓ) = σv² E of the readout.
	NNGP
)

func (k Kind) String() string {
	switch k {
	case NTK:
		return "ntk"
	case NNGP:
		return "nngp"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind returns the Kind named "ntk" or "nngp".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "ntk":
		return NTK, nil
	case "nngp":
		return NNGP, nil
	}
	return 0, fmt.Errorf("ntk: unknown kernel kind %q (known: ntk, nngp)", s)
}

// Config describes the network whose infinite-width kernels are computed
// (DESIGN.md §1). Zero fields mean the defaults given with each field.
type Config struct {
	// Depth is the number of hidden layers L; the stack holds L kernels.
	// It must be at least 1.
	Depth int
	// Activation is φ. Nil means ReLU.
	Activation Activation
	// SigmaW2 is the weight variance σw². Zero means 2, which keeps the
	// ReLU variance constant through depth.
	SigmaW2 float64
	// SigmaB2 is the bias variance σb². The default is 0.
	SigmaB2 float64
	// SigmaV2 is the readout variance σv². Zero means 1.
	SigmaV2 float64
	// Kind selects the NTK (the default) or the NNGP kernel.
	Kind Kind
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.Activation == nil {
		c.Activation = ReLU{}
	}
	if c.SigmaW2 == 0 {
		c.SigmaW2 = 2
	}
	if c.SigmaV2 == 0 {
		c.SigmaV2 = 1
	}
	return c
}

// Validate reports whether c describes a network: Depth ≥ 1, finite
// non-negative variances and a known Kind.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Depth < 1 {
		return fmt.Errorf("ntk: depth %d: a network needs at least one hidden layer", c.Depth)
	}
	for _, v := range []struct {
		name string
		val  float64
	}{{"sigma-w2", c.SigmaW2}, {"sigma-b2", c.SigmaB2}, {"sigma-v2", c.SigmaV2}} {
		if math.IsNaN(v.val) || math.IsInf(v.val, 0) || v.val < 0 {
			return fmt.Errorf("ntk: %s = %v: a variance must be finite and non-negative", v.name, v.val)
		}
	}
	if c.Kind != NTK && c.Kind != NNGP {
		return errors.New("ntk: unknown kernel kind " + c.Kind.String())
	}
	return nil
}

// Resolved returns c with its defaults filled in, for reports.
func (c Config) Resolved() Config { return c.withDefaults() }

// mustValidate panics with Validate's message: a bad Config handed to a
// computation is a programming error, since callers validate user input.
func (c Config) mustValidate() Config {
	if err := c.Validate(); err != nil {
		panic(err.Error())
	}
	return c.withDefaults()
}

// variances returns, for one input with squared norm sq in dimension m,
// the pre-activation variances q¹..q^L into dst (length L). Each is the
// diagonal Σ of the recursion, computed as step computes Σ.
func (c Config) variances(dst []float64, sq float64, m int) {
	q := c.firstLayer(sq, m)
	for l := range dst {
		dst[l] = q
		e, _ := c.Activation.Moments(q, q, q)
		q = math.FMA(c.SigmaW2, e, c.SigmaB2)
	}
}

// layer holds what one layer of the recursion needs besides the pair: the
// variance of the row's input at that layer and the Config's constants.
// The vector kernel (layer_amd64.s) reads it by offset: keep the fields
// in this order.
type layer struct {
	qx            float64 // q^ℓ of the row's input x
	sw2, sb2, sv2 float64 // σw², σb², σv²
	ntk           float64 // 1 for Kind NTK, 0 for NNGP
}

// layerOf returns the layer constants of c for a row of variance qx.
func (c *Config) layerOf(qx float64) layer {
	l := layer{qx: qx, sw2: c.SigmaW2, sb2: c.SigmaB2, sv2: c.SigmaV2}
	if c.Kind == NTK {
		l.ntk = 1
	}
	return l
}

// step is the layer recursion of DESIGN.md §2 for one pair, written once:
// from the moments (E, Ė) at layer ℓ and Θgˡ it returns the depth-ℓ
// kernel σv²(E + Ė·Θgˡ) (σv² E for NNGP, where ntk = 0 makes the product
// vanish exactly), Σ^(ℓ+1) = σw² E + σb² and Θg^(ℓ+1) = Σ^(ℓ+1) +
// σw² Ė Θgˡ. The vector kernel repeats its operations.
func (p *layer) step(e, edot, thetaG float64) (kernel, sigma, thetaGNext float64) {
	kernel = p.sv2 * math.FMA(edot*p.ntk, thetaG, e)
	sigma = math.FMA(p.sw2, e, p.sb2)
	return kernel, sigma, math.FMA(p.sw2*edot, thetaG, sigma)
}

// recurse runs the recursion for one pair of inputs from their first-layer
// covariance sigma = Σ¹(x, x′) and their per-layer variances qx and qz, and
// writes the depth-ℓ kernel into out[ℓ-1] for ℓ = 1..L. Stack computes the
// same numbers a row at a time (layerKernel).
func (c *Config) recurse(sigma float64, qx, qz, out []float64) {
	thetaG := sigma
	for l := range out {
		p := c.layerOf(qx[l])
		e, edot := c.Activation.Moments(qx[l], qz[l], sigma)
		out[l], sigma, thetaG = p.step(e, edot, thetaG)
	}
}

// firstLayer returns Σ¹ = σw² x·x′/m + σb² from the dot product.
func (c *Config) firstLayer(dot float64, m int) float64 {
	return c.SigmaW2*dot/float64(m) + c.SigmaB2
}
