package train

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// mnistShape returns n random images of MNIST's shape (784 pixels in
// [0, 1), each nonzero with probability 0.2, which gives squared norms
// near MNIST's) with random labels in [0, 10). Dense uniform pixels make
// the paper's learning rate diverge, on the PyTorch side as well.
func mnistShape(n int, seed uint64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	x := mat.NewDense(n, 784, nil)
	data := x.RawMatrix().Data
	for i := range data {
		if rng.Float64() < 0.2 {
			data[i] = rng.Float64()
		}
	}
	y := make([]int, n)
	for i := range y {
		y[i] = rng.IntN(10)
	}
	return x, y
}

// benchImages is the number of images of BenchmarkEpochMNISTShape:
// NTKMKL_BENCH_IMAGES, default 60000 (one MNIST epoch).
func benchImages(b *testing.B) int {
	n := 60000
	if s := os.Getenv("NTKMKL_BENCH_IMAGES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("NTKMKL_BENCH_IMAGES=%q is not a positive integer", s)
		}
		n = v
	}
	return n
}

// BenchmarkEpochMNISTShape times one epoch of the paper's setting (10
// layers × 256, ReLU, standard parameterization, batch 50, d = 10, both
// SGD optimizers) on random data of MNIST's shape. NTKMKL_BENCH_IMAGES
// sets the number of images (default 60000), NTKMKL_BENCH_GONUM=1 uses
// gonum's products instead of the assembly kernel; -cpu sets the number
// of workers. The images/s and epoch-s metrics count only the epoch's SGD
// steps (EpochStats.Seconds), not the initialisation, like
// bench/torch/nftk_epoch.py; cpu-s is the CPU time of the process during
// Train (all threads), which a busy machine disturbs less than the wall
// time. bench/torch/run.sh runs the two side by side.
func BenchmarkEpochMNISTShape(b *testing.B) {
	n := benchImages(b)
	x, y := mnistShape(n, 1)
	s := &Settings{Epochs: 1, Seed: 1, Gonum: os.Getenv("NTKMKL_BENCH_GONUM") == "1"}
	// Start from a network made outside the timed region, as the PyTorch
	// script does.
	s.Resume = &State{Net: New(784, 10, s), Seed: 1}
	b.ReportAllocs()
	var kernel string
	var loss float64
	wall, cpu := 0.0, 0.0 // seconds of the SGD steps
	for b.Loop() {
		c0 := cpuSeconds()
		res, err := Train(context.Background(), x, y, nil, nil, 10, s)
		cpu += cpuSeconds() - c0
		if err != nil {
			b.Fatal(err)
		}
		kernel = res.Kernel
		wall += res.History[0].Seconds
		loss = res.History[0].Loss
	}
	b.ReportMetric(float64(n)*float64(b.N)/wall, "images/s")
	b.ReportMetric(wall/float64(b.N), "epoch-s")
	b.ReportMetric(cpu/float64(b.N), "cpu-s")
	b.Logf("impl=go images=%d kernel=%s workers=%d loss=%.4f", n, kernel, runtime.GOMAXPROCS(0), loss)
}

// cpuSeconds returns the user and system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
