package ntk

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// populate asks Linux to map every page of data now, in one system call
// (MADV_POPULATE_WRITE, Linux ≥ 5.14; an error, as on older kernels, is
// ignored and the pages fault in as they are written). A fresh stack is
// gigabytes of untouched memory: page by page, the first writes fault about
// 300 000 times per GB, which on a virtual machine cost about as much as
// computing a ReLU stack; populating is about twice as cheap per page and
// runs on every worker.
func populate(data []float64) {
	if len(data) == 0 {
		return
	}
	_ = unix.Madvise(unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), len(data)*8), unix.MADV_POPULATE_WRITE)
}
