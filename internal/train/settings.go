package train

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/ntkmkl/ntkmkl/ntk"
)

// Settings configures New and Train. The zero value (or a nil *Settings)
// means the defaults, which are the paper's MNIST run (§4.2 of the paper,
// DESIGN.md §6).
type Settings struct {
	// Width is the number of units n of every hidden layer. Default 256.
	Width int
	// Depth is the number of hidden layers L. Default 10.
	Depth int
	// Batch is the mini-batch size. Default 50. The last batch of an
	// epoch holds the remainder when Batch does not divide the number of
	// samples.
	Batch int
	// Epochs is the number of passes over the training set, counted from
	// the start of training (also when resuming). Default 10 (the paper
	// does not give its number of epochs).
	Epochs int
	// LR is the learning rate η_θ of the SGD optimizer of all W, b and V.
	// Default 0.02.
	LR float64
	// LROmega is the learning rate η_Ω of the SGD optimizer of Ω.
	// Default 0.05; a negative value freezes Ω at its initial value.
	LROmega float64
	// WeightDecay is added to every gradient as WeightDecay·p (PyTorch's
	// SGD convention), for θ and Ω alike. Default 2e-6; a negative value
	// means none.
	WeightDecay float64
	// Parameterization is Standard or NTK. Default Standard.
	Parameterization string
	// SigmaW2, SigmaB2 and SigmaV2 are σw², σb² and σv² of the NTK
	// parameterization. Defaults 2, 0 and 1 (DESIGN.md §1); a negative
	// SigmaB2 also means 0.
	SigmaW2, SigmaB2, SigmaV2 float64
	// Activation is φ. Default ntk.ReLU{}.
	Activation ntk.Activation
	// Plain trains an ordinary MLP (Table 1's "MLP" rows): only the last
	// readout is used, Ω stays fixed, and the other readouts are never
	// touched. Default false.
	Plain bool
	// MeanOutputs averages the loss over the d outputs as well as over the
	// batch (torch.nn.MSELoss). Default false: the loss is the squared
	// error summed over the outputs and averaged over the batch, which is
	// d times torch.nn.MSELoss.
	MeanOutputs bool
	// Seed seeds the initialisation (stream 0 of a PCG generator) and the
	// shuffle of epoch e (stream e). Default 0.
	Seed uint64
	// Workers is the number of goroutines that compute each matrix
	// product. Default runtime.GOMAXPROCS(0). The results are the same bit
	// for bit for every value. The Gonum path ignores it (gonum's Gemm
	// parallelises by itself). Where the logical CPUs share their
	// floating-point units (or the machine is busy), 1 can be faster.
	Workers int
	// Gonum makes every matrix product go through gonum's blas64.Gemm
	// instead of the package's AVX2/FMA assembly kernel (which is used
	// only where the CPU has both). Default false. The two paths differ in
	// rounding.
	Gonum bool
	// Progress, if not nil, is called after every epoch.
	Progress func(EpochStats)
	// Resume, if not nil, continues the training that State describes
	// instead of starting a new network: the architecture, Seed and
	// Plain come from it, and Width, Depth, Parameterization, Sigma*,
	// Activation, Plain, MeanOutputs and Seed above are ignored. With the
	// same Batch, rates and data, the result is bit for bit that of a run
	// that was never interrupted.
	Resume *State
}

// EpochStats describes one epoch of training.
type EpochStats struct {
	// Epoch counts from 1.
	Epoch int
	// Loss is the mean over the epoch's samples of the training loss,
	// each sample's taken at its mini-batch's forward pass (before that
	// step's update). An epoch resumed in its middle counts only the
	// samples of the steps taken after resuming (TrainAcc too).
	Loss float64
	// TrainAcc is the fraction of the epoch's samples that their
	// mini-batch's forward pass classified correctly (a running accuracy,
	// which costs nothing extra).
	TrainAcc float64
	// TestAcc is the accuracy on the test set after the epoch, NaN without
	// a test set.
	TestAcc float64
	// Seconds is the wall time of the epoch's SGD steps, without the test
	// evaluation.
	Seconds float64
}

// State is what a caller needs to resume training: the network, the seed
// of the shuffles, and the position in the schedule.
type State struct {
	Net  *Network
	Seed uint64
	// Epoch is the number of completed epochs.
	Epoch int
	// Step is the number of mini-batches of epoch Epoch+1 already taken
	// (zero at an epoch boundary).
	Step int
}

// Result is what Train returns.
type Result struct {
	// Omega is the learned d×L Ω (a copy of Net.Omega).
	Omega *mat.Dense
	// History holds the completed epochs of this call.
	History []EpochStats
	// Net is the trained network.
	Net *Network
	// State is where training stopped; pass it as Settings.Resume to go on.
	State State
	// Steps is the number of SGD steps this call took.
	Steps int
	// Runtime is the wall time of the call.
	Runtime time.Duration
	// Kernel names the matrix product path: "avx2-fma" or "gonum".
	Kernel string
}

// ErrDiverged is returned (wrapped, with the epoch and step) when the
// training loss stops being finite.
var ErrDiverged = errors.New("train: loss is not finite")

// withDefaults returns a copy of s with every zero field set to its
// default, or an error for an invalid setting.
func (s *Settings) withDefaults() (Settings, error) {
	var c Settings
	if s != nil {
		c = *s
	}
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	deff := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Width, 256)
	def(&c.Depth, 10)
	def(&c.Batch, 50)
	def(&c.Epochs, 10)
	deff(&c.LR, 0.02)
	deff(&c.LROmega, 0.05)
	if c.LROmega < 0 {
		c.LROmega = 0 // Ω frozen
	}
	deff(&c.WeightDecay, 2e-6)
	if c.WeightDecay < 0 {
		c.WeightDecay = 0
	}
	deff(&c.SigmaW2, 2)
	deff(&c.SigmaV2, 1)
	if c.SigmaB2 < 0 {
		c.SigmaB2 = 0
	}
	if c.Parameterization == "" {
		c.Parameterization = Standard
	}
	if c.Activation == nil {
		c.Activation = ntk.ReLU{}
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case c.Width < 1 || c.Depth < 1 || c.Batch < 1 || c.Epochs < 0:
		return c, fmt.Errorf("train: Width %d, Depth %d, Batch %d and Epochs %d must be positive", c.Width, c.Depth, c.Batch, c.Epochs)
	case c.Parameterization != Standard && c.Parameterization != NTK:
		return c, fmt.Errorf("train: unknown Parameterization %q (known: %s, %s)", c.Parameterization, Standard, NTK)
	case !(c.LR > 0) || !(c.LROmega >= 0) || math.IsInf(c.LR, 0) || math.IsInf(c.LROmega, 0):
		return c, fmt.Errorf("train: learning rates %v and %v must be positive and finite", c.LR, c.LROmega)
	case !(c.SigmaW2 > 0) || !(c.SigmaV2 > 0):
		return c, fmt.Errorf("train: SigmaW2 %v and SigmaV2 %v must be positive", c.SigmaW2, c.SigmaV2)
	}
	return c, nil
}
