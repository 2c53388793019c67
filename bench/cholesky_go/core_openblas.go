//go:build openblas

package main

/*
#cgo LDFLAGS: -lopenblas
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);
extern int openblas_get_num_threads(void);
*/
import "C"

import "fmt"

// blasInfo names the OpenBLAS build and the kernel it runs on this CPU.
func blasInfo() string {
	return fmt.Sprintf("%s | core %s | threads %d", C.GoString(C.openblas_get_config()),
		C.GoString(C.openblas_get_corename()), int(C.openblas_get_num_threads()))
}
