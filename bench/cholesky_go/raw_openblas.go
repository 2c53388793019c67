//go:build openblas

package main

/*
#cgo LDFLAGS: -lopenblas
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
*/
import "C"

import "unsafe"

const haveRaw = true

// rawPotrf calls OpenBLAS's dpotrf directly on the n×n row-major buffer a,
// with Fortran's uplo ('U' or 'L'; Fortran's 'L' is the row-major upper
// triangle, which is what krr factors).
func rawPotrf(a []float64, n int, uplo byte) bool {
	u := C.char(uplo)
	cn := C.int(n)
	var info C.int
	C.dpotrf_(&u, &cn, (*C.double)(unsafe.Pointer(&a[0])), &cn, &info)
	return info == 0
}
