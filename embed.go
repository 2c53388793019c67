// Package ntkmkl is the root of the ntkmkl module. It holds only data that
// is compiled into the binary; the code lives in the packages below it.
package ntkmkl

import "embed"

// MNIST holds a subset of the MNIST handwritten digits as gzipped IDX files:
// the first 5000 training and the first 1000 test images with their labels,
// under testdata/mnist/ (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
// t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz).
// testdata/mnist/README.md gives their source, licence and how to regenerate them.
//
//go:embed testdata/mnist/*.gz
var MNIST embed.FS
