// Command gram_go times the Gram stack computation alone, ntk.Config.Stack
// (X·Xᵀ plus the one-pass L-layer recursion, both triangles), on the rows of
// a .npy file as given, best of -repeat runs: the same call and the same
// quantity as ntkmkl fit's timings.gram, without reading data or writing the
// (L, n, n) result. Build it with and without -tags openblas (X·Xᵀ goes
// through gonum's BLAS, which the openblas build routes to OpenBLAS):
//
//	go build -o /tmp/gram-go ./bench/gram_go
//	/tmp/gram-go -x gram_x.npy -depth 10 -repeat 1
//
// It is part of the benchmark harness (bench/run.sh), not the product.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/ntkmkl/ntkmkl/internal/dataset"
	"github.com/ntkmkl/ntkmkl/krr"
	"github.com/ntkmkl/ntkmkl/ntk"
	"gonum.org/v1/gonum/mat"
)

func main() {
	xPath := flag.String("x", "", "inputs, .npy (n×m)")
	depth := flag.Int("depth", 10, "hidden layers L")
	repeat := flag.Int("repeat", 1, "runs; the best is reported")
	workers := flag.Int("workers", 0, "goroutines (0: GOMAXPROCS)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the stack computations to this file")
	flag.Parse()
	if *xPath == "" {
		fmt.Fprintln(os.Stderr, "gram_go: -x is required")
		os.Exit(2)
	}
	x, err := dataset.ReadFeatures(*xPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gram_go:", err)
		os.Exit(2)
	}
	n, m := x.Dims()
	cfg := ntk.Config{Depth: *depth}
	set := &ntk.Settings{Workers: *workers}
	fmt.Printf("gram_go: n=%d m=%d L=%d, krr.Backend %s, GOMAXPROCS %d, %s\n", n, m, *depth, krr.Backend, runtime.GOMAXPROCS(0), runtime.Version())
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gram_go:", err)
			os.Exit(2)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "gram_go:", err)
			os.Exit(2)
		}
	}
	var dst []*mat.Dense
	best := 0.0
	var times []string
	for r := 0; r < *repeat; r++ {
		runtime.GC()
		t0 := time.Now()
		dst = cfg.Stack(dst, x, nil, set)
		t := time.Since(t0).Seconds()
		times = append(times, fmt.Sprintf("%.3f", t))
		if best == 0 || t < best {
			best = t
		}
	}
	pprof.StopCPUProfile()
	// X·Xᵀ alone, for context.
	t0 := time.Now()
	var g mat.Dense
	g.Mul(x, x.T())
	tg := time.Since(t0).Seconds()
	var s float64
	for l := range dst {
		s += dst[l].At(n-1, 0)
	}
	fmt.Printf("X·Xᵀ alone (gonum mat.Mul): %.3f s (%.1f GFLOP/s counting 2n²m)\n", tg, 2*float64(n)*float64(n)*float64(m)/tg/1e9)
	fmt.Printf("RESULT gram go n=%d m=%d L=%d best=%.3f [%s] ns_per_entry_layer=%.2f backend=%q checksum=%.6g\n",
		n, m, *depth, best, strings.Join(times, " "), best/(float64(n)*float64(n+1)/2*float64(*depth))*1e9, krr.Backend, s)
}
