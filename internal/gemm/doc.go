// Package gemm is a cache-blocked matrix product on an AVX2/FMA kernel,
// for the pure-Go build: Implementation is gonum's BLAS with Dgemm
// replaced, which krr installs with blas64.Use, so that every product of
// the program (X·Zᵀ of a Gram stack, the blocks of a Nyström sketch) and
// the trailing updates of gonum's blocked Cholesky run near the
// hardware's speed. gonum's own dgemm is pure Go without SIMD, about 5
// GFLOP/s per core here.
//
// Dgemm packs B in kc×nc blocks (panels of 8 columns) and A in mc×kc
// blocks (panels of 6 rows), and runs Kernel6x8 over them, the 6×8 tile
// kernel that internal/train also uses. Each entry of C is summed in a
// fixed order, block of kc after block of kc, whatever the number of
// threads, so the result is the same bit for bit for any SetThreads.
package gemm
