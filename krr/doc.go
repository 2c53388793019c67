// Package krr solves kernel ridge regression by Cholesky factorization:
// the linear algebra of the paper's Eq. 14, whose inverse the paper's
// typesetting drops,
//
//	α = (K + λI)⁻¹ Y,   f(x) = K(x, X) α,
//
// with the ridge λ added literally to the diagonal (DESIGN.md §3). Nothing
// is jittered: a K + λI that is not positive definite is reported as a
// *NotPositiveDefiniteError that names λ and suggests a larger one.
//
// Factor is the building block. It factors a symmetric matrix plus λI in
// place, in the caller's buffer (lapack64.Potrf), so that a solver that
// refactors many kernels of one size allocates nothing per factorization,
// and it estimates the condition number (lapack64.Pocon) so that callers
// can warn about an ill-conditioned solve. Fit and Model are the
// multi-output regression built on it: one factorization for all columns
// of Y, predictions for new points from their cross-kernel, and the
// training-set fitted values K α = Y − λα.
package krr
