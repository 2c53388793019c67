// Package mkl learns the per-class layer weights Ω of the NFT-K model in
// the infinite-width limit, as convex multiple kernel learning
// (DESIGN.md §4).
//
// For fixed Ω, Theorem 1 of the paper makes the trained network kernel
// ridge regression with one kernel per class c (Eq. 14, 15):
//
//	K_c = Σℓ μ_cℓ K̃ℓ,   α_c = (K_c + λI)⁻¹ y_c,
//
// where K̃ℓ = Θ^(ℓ)/sℓ are the depth-ℓ tangent kernels divided by their
// mean training diagonal (DESIGN.md §3; KernelScales). The weights μ are
// kernel weights: a finite-width readout weight ω enters as μ = ω².
// Eliminating θ in Eq. 9 leaves, per class, the convex objective
//
//	J_c(μ) = λ y_cᵀ (K_c + λI)⁻¹ y_c,   ∂J_c/∂μℓ = −λ α_cᵀ K̃ℓ α_c,
//	∂²J_c/∂μℓ∂μk = 2λ (K̃ℓα_c)ᵀ (K_c + λI)⁻¹ (K̃kα_c).
//
// J_c decreases in every weight, so the positivity constraint of Eq. 12
// alone is unbounded: the default feasible set is the simplex
// (Σℓ μℓ = 1, μ ≥ 0), and Positive keeps Eq. 12 with the paper's weight
// decay γ‖μ‖², γ > 0.
//
// Solve runs, per class and in parallel over classes (they share the
// kernels but nothing else), either projected gradient (Eq. 16, with a
// Euclidean projection and a backtracking line search so that no step size
// can diverge) or projected Newton (the Hessian above from the Cholesky
// factor already at hand, a small QP over the feasible set, and a line
// search). Every objective evaluation is one in-place Cholesky
// factorization (package krr).
//
// The stopping rule is a certificate. On the simplex the Frank–Wolfe gap
// gap = ∇Jᵀμ − minℓ ∂J/∂μℓ bounds J(μ) − J* from above, by convexity;
// Solve stops when gap ≤ Tol·|J| and reports the gap. On the positive set
// it reports the norm of the projected gradient ‖μ − P(μ − ∇J)‖, which is
// zero exactly at the optimum.
//
// RowNormalize, Sparsity and DroppedLayers read Ω as in DESIGN.md §5 (the
// paper's Fig. 2).
package mkl
