// Command cholesky_go times krr.Factor.Factorize (the in-place Cholesky of
// K + λI that every ntkmkl fit evaluation runs) on a random symmetric,
// diagonally dominant matrix, best of -repeat runs, and prints GFLOP/s
// counting n³/3 flops. Build it with and without -tags openblas to compare
// the pure-Go (gonum) and OpenBLAS backends:
//
//	go build -o /tmp/chol-go ./bench/cholesky_go
//	go build -tags openblas -o /tmp/chol-ob ./bench/cholesky_go
//	/tmp/chol-ob -n 4000,8000 -repeat 3
//
// It is part of the benchmark harness (bench/run.sh), not the product.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ntkmkl/ntkmkl/krr"
	"gonum.org/v1/gonum/mat"
)

func main() {
	sizes := flag.String("n", "4000,8000", "comma-separated matrix orders")
	repeat := flag.Int("repeat", 3, "runs per size; the best is reported")
	threads := flag.Int("threads", runtime.NumCPU(), "BLAS threads (krr.SetThreads; no-op for pure Go)")
	seed := flag.Uint64("seed", 0, "seed of the random matrix")
	raw := flag.Bool("raw", false, "also time OpenBLAS dpotrf called directly with Fortran uplo 'L' (what krr uses on its row-major upper triangle) and 'U' (-tags openblas only)")
	flag.Parse()
	krr.SetThreads(*threads)
	fmt.Printf("krr.Backend: %s; GOMAXPROCS %d, threads %d, %s\n%s\n", krr.Backend, runtime.GOMAXPROCS(0), *threads, runtime.Version(), blasInfo())
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "cholesky_go: bad size %q\n", s)
			os.Exit(2)
		}
		rng := rand.New(rand.NewPCG(*seed, uint64(n)))
		base := mat.NewSymDense(n, nil)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				base.SetSym(i, j, rng.Float64())
			}
			base.SetSym(i, i, base.At(i, i)+float64(n)) // diagonally dominant: SPD
		}
		work := mat.NewSymDense(n, nil)
		var times []string
		best := 0.0
		for r := 0; r < *repeat; r++ {
			work.CopySym(base)
			runtime.GC()
			var f krr.Factor
			t0 := time.Now()
			if err := f.Factorize(work, 1e-3); err != nil {
				fmt.Fprintln(os.Stderr, "cholesky_go:", err)
				os.Exit(1)
			}
			t := time.Since(t0).Seconds()
			times = append(times, fmt.Sprintf("%.3f", t))
			if best == 0 || t < best {
				best = t
			}
		}
		flops := float64(n) * float64(n) * float64(n) / 3
		if *raw && haveRaw {
			for _, uplo := range []byte{'L', 'U'} {
				var rt []string
				rbest := 0.0
				for r := 0; r < *repeat; r++ {
					work.CopySym(base)
					a := work.RawSymmetric().Data
					for i := 0; i < n; i++ { // both triangles, so either uplo reads the matrix
						for j := i + 1; j < n; j++ {
							a[j*n+i] = a[i*n+j]
						}
					}
					t0 := time.Now()
					if !rawPotrf(a, n, uplo) {
						fmt.Fprintln(os.Stderr, "cholesky_go: raw dpotrf failed")
						os.Exit(1)
					}
					t := time.Since(t0).Seconds()
					rt = append(rt, fmt.Sprintf("%.3f", t))
					if rbest == 0 || t < rbest {
						rbest = t
					}
				}
				fmt.Printf("RAW dpotrf uplo=%c n=%d best=%.3f gflops=%.1f  [%s]\n", uplo, n, rbest, flops/rbest/1e9, strings.Join(rt, " "))
			}
		}
		fmt.Printf("RESULT cholesky go n=%d best=%.3f gflops=%.1f  [%s] backend=%q\n", n, best, flops/best/1e9, strings.Join(times, " "), krr.Backend)
	}
}
