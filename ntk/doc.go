// Package ntk computes the infinite-width kernels of the NFT-K network and,
// as their ground truth, the empirical kernels of finite random networks.
//
// The network (DESIGN.md §1) is an MLP in the NTK parameterization with a
// scalar linear readout fℓ = σv/√n · Vℓ hℓ on every hidden layer ℓ = 1..L
// (the paper's Eq. 1–3 and 7). Theorem 1 of the paper needs, for every ℓ,
// the neural tangent kernel Θ^(ℓ) of the depth-ℓ network with its own
// readout (Eq. 6 and 15). All L kernels come out of one pass of the
// layer recursion of DESIGN.md §2:
//
//	Σ¹ = σw² x·x′/m + σb²,  Θg¹ = Σ¹
//	E = E[φ(u)φ(v)],  Ė = E[φ′(u)φ′(v)],  (u, v) ~ N(0, [[q, Σ], [Σ, q′]])
//	Θ^(ℓ) = σv² (E + Ė Θgˡ),  K^(ℓ) = σv² E
//	Σˡ⁺¹ = σw² E + σb²,  Θgˡ⁺¹ = Σˡ⁺¹ + σw² Ė Θgˡ
//
// The recursion sees the data only through x·x′, ‖x‖² and ‖x′‖², so a Gram
// stack costs one product X·Zᵀ (through BLAS, in row blocks) plus O(n·n₂·L)
// scalar work, spread over row blocks on all cores. Config.Stack returns the
// stack; Config.Diag returns its diagonal, which kernel scaling needs
// (DESIGN.md §3). Stack runs the layers outermost over runs of 512 columns
// of one row, so the run stays in cache; for ReLU that loop is a vector
// kernel (AVX2 and FMA on amd64, four columns at a time, about 3 ns per
// entry and layer against 20 ns in Go) that repeats the Go code's
// operations and so its bits. The row blocks' X·Zᵀ go through
// internal/gemm on the worker's own goroutine.
//
// An Activation supplies the Gaussian moments (E, Ė). ReLU uses the
// arc-cosine closed form with θ = atan2(√max(qq′−Σ², 0), Σ), so no NaN can
// come from a correlation rounded above 1; an input of zero variance gives
// θ = π/2, E = 0, Ė = 1/4, the mean-subgradient convention of
// neural-tangents. The angle comes from an arctangent of the package's own
// (one division and a polynomial, within 2.1 ulp of π − θ; math.Atan2 is
// within 1.5 ulp) that a vector unit can evaluate without branches. The
// activations, by the name ParseActivation accepts:
//
//   - closed forms: relu; leaky_relu:α (LeakyReLU) and abrelu:A,B
//     (ABReLU, slope A below 0 and B above; abs is abrelu:-1,1), from the
//     arc-cosine pieces with the same θ and convention; erf (Williams);
//     gelu, x·Φ(x) (its NNGP form as in neural-tangents, Ė = dE/dΣ); sin
//     and cos (E = e^{−(q+q′)/2} sinh Σ and cosh Σ, and the other for Ė).
//   - by two-dimensional quadrature (Quadrature), φ′ in closed form:
//     tanh, sigmoid, softplus, swish (x·σ(x)) and elu[:α]; quad:NAME is a
//     closed form NAME by quadrature, which checks it. The default rule
//     integrates in polar coordinates split at the rays where u or v
//     vanishes, which is exact for the ReLU family, spectrally accurate
//     for elu and about 5e-6 for tanh at degree 32; gh:NAME selects the
//     Gauss–Hermite product rule of DESIGN.md §2 instead (see
//     QuadratureRule for the accuracies and costs). NAME@DEGREE, or
//     ParseActivationDegree, sets the degree (default 32). A quadrature
//     activation costs 10–20 µs per Gram entry and layer, a closed form
//     about 50 ns.
//
// Network is the finite-width network itself. Its EmpiricalNTK is the inner
// product of exact parameter gradients ⟨∇θ fℓ(x), ∇θ fℓ(x′)⟩, and its
// EmpiricalNNGP is σv²/n · hℓ(x)·hℓ(x′). Averaged over random seeds they
// converge to Θ^(ℓ) and K^(ℓ) at rate O(1/√n) in the width n, which is how
// the tests check the analytic kernels.
package ntk
