//go:build openblas

package krr

/*
#cgo LDFLAGS: -lopenblas
#include <stddef.h>

// Fortran LAPACK as OpenBLAS exports it. Fortran is column-major, so the
// row-major upper triangle gonum stores is Fortran's lower triangle.
extern void openblas_set_num_threads(int n);
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b, const int *ldb, int *info);
extern void dpocon_(const char *uplo, const int *n, const double *a, const int *lda, const double *anorm, double *rcond, double *work, int *iwork, int *info);
*/
import "C"

import (
	"unsafe"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// Backend names the BLAS and LAPACK implementation of this build.
var Backend = "OpenBLAS (cgo: BLAS through gonum/netlib, dpotrf/dpotrs/dpocon direct)"

func init() {
	// Route every gonum BLAS call (mat.Mul and friends, in all packages)
	// to OpenBLAS.
	blas64.Use(netlib.Implementation{})
}

var lower = C.char('L')

func potrf(a blas64.Symmetric) bool {
	if a.N == 0 {
		return true
	}
	n, lda := C.int(a.N), C.int(a.Stride)
	var info C.int
	C.dpotrf_(&lower, &n, (*C.double)(unsafe.Pointer(&a.Data[0])), &lda, &info)
	return info == 0
}

func potrs(u blas64.Triangular, b blas64.General) {
	if u.N == 0 || b.Cols == 0 {
		return
	}
	// b is row-major n×k; Fortran sees it as k×n (its transpose), so solve
	// for the transpose instead: Xᵀ (UᵀU) = Bᵀ is the same system because
	// UᵀU is symmetric, but dpotrs wants the right-hand sides as columns.
	// Copy to column-major, solve, copy back.
	n, k := u.N, b.Cols
	col := make([]float64, n*k)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			col[j*n+i] = b.Data[i*b.Stride+j]
		}
	}
	cn, ck, lda, ldb := C.int(n), C.int(k), C.int(u.Stride), C.int(n)
	var info C.int
	C.dpotrs_(&lower, &cn, &ck, (*C.double)(unsafe.Pointer(&u.Data[0])), &lda, (*C.double)(unsafe.Pointer(&col[0])), &ldb, &info)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			b.Data[i*b.Stride+j] = col[j*n+i]
		}
	}
}

func pocon(u blas64.Symmetric, anorm float64, work []float64, iwork []int) float64 {
	n, lda := C.int(u.N), C.int(u.Stride)
	an := C.double(anorm)
	var rcond C.double
	var info C.int
	w := make([]C.double, 3*u.N)
	iw := make([]C.int, u.N)
	C.dpocon_(&lower, &n, (*C.double)(unsafe.Pointer(&u.Data[0])), &lda, &an, &rcond, &w[0], &iw[0], &info)
	return float64(rcond)
}

// SetThreads sets the number of OpenBLAS threads. Callers that run several
// factorizations at once set it to cores/workers, so that the threads do not
// compete for the cores.
func SetThreads(n int) { C.openblas_set_num_threads(C.int(max(n, 1))) }
