// Package train trains the finite-width NFT-K MLP, the network whose
// infinite-width limit the rest of ntkmkl solves, the way the paper's
// finite runs do (DESIGN.md §1 and §6; the paper's Eq. 1–3, 7–8, 13 and
// 16). Its learned Ω compares with the solver's μ through μ = ω²
// (DESIGN.md §3).
//
// # The network
//
// Input x ∈ R^m, L hidden layers of width n, activation φ, one readout
// Vℓ ∈ R^{d×n} (no bias) per layer and
//
//	f(x) = Σℓ ωℓ ⊙ fℓ(x),   Ω = [ω1 … ωL] ∈ R^{d×L}   (Eq. 7–8)
//
// in one of two parameterizations (Network.Parameterization):
//
//   - Standard, the default for training (the paper's §4.2):
//     g¹ = W¹x + b¹, gˡ = Wˡhˡ⁻¹ + bˡ, fℓ = Vℓhℓ, Xavier-normal weights
//     (std √(2/(fan_in+fan_out))) and zero biases;
//   - NTK (DESIGN.md §1): g¹ = σw/√m·W¹x + σb·b¹, gˡ = σw/√n·Wˡhˡ⁻¹ + σb·bˡ,
//     fℓ = σv/√n·Vℓhℓ, every W, b, V entry N(0, 1), σw² = 2, σb² = 0,
//     σv² = 1 by default.
//
// Ω starts at all ones: every head starts with the same weight, so no
// layer is favoured before training and f starts as the plain sum of the L
// readouts (and μ = ω² starts uniform, like the solver's simplex start
// after normalization). Settings.Plain gives the ordinary MLP of the
// paper's Table 1 instead: Ω = [0 … 0 1] fixed, only the last readout
// used.
//
// # Training (DESIGN.md §6)
//
// The loss of a batch of B samples with one-hot targets yᵢ is
//
//	(1/B) Σᵢ ‖f(xᵢ) − yᵢ‖²
//
// (squared error summed over the d outputs, averaged over the batch; this
// is d times PyTorch's nn.MSELoss, which Settings.MeanOutputs selects).
// Two plain SGD optimizers (no momentum) take one step per mini-batch: θ
// (every W, b and V) with η_θ = 0.02 and Ω with η_Ω = 0.05, both with
// weight decay 2e-6 added to the gradient as wd·p (PyTorch's convention),
// so p ← p − η(∂L/∂p + wd·p); after each step Ω ← max(Ω, 0) (Eq. 16 with
// S = {Ω ≥ 0}). Batches of 50 from a fresh shuffle every epoch. Both
// gradients are taken at the parameters of the same forward pass.
//
// # Computation
//
// Forward and backward passes are hand-written and batched: a layer's
// activations are one n×B matrix (units × samples), every layer costs a
// few matrix products and no per-sample loops. The training step fuses
// the SGD update into the products that form the gradients
// (W ← (1 − η·wd)·W − η·δ·hᵀ), so gradients of θ are never stored;
// Network.Backward computes them explicitly (into a Grad) for testing and
// other uses. The products go through a register-blocked AVX2/FMA kernel
// written for this package (kernel_amd64.s), used where the CPU has
// both, and otherwise (or with Settings.Gonum) through gonum's
// blas64.Gemm. The kernel path splits the rows of every product over
// Settings.Workers goroutines without splitting any sum, so training is
// deterministic bit for bit given the seed, whatever the number of
// workers; the two paths differ only in rounding. On the kernel path no
// step allocates.
//
// # Reproducibility and checkpoints
//
// Settings.Seed seeds a PCG generator: stream 0 draws the initial
// parameters, stream e shuffles epoch e. Result.State (the network, the
// seed, the completed epochs and the steps taken in the current epoch)
// is therefore a complete checkpoint: Settings.Resume continues from it,
// and the result is the same bit for bit as that of an uninterrupted run.
// Train checks its context before every step and, when it is done,
// returns the partial result with ctx.Err().
package train
