//go:build !openblas

package main

const haveRaw = false

func rawPotrf(a []float64, n int, uplo byte) bool { panic("rawPotrf needs -tags openblas") }
