//go:build !openblas

package main

// blasInfo names the BLAS of this build.
func blasInfo() string { return "pure Go (gonum)" }
