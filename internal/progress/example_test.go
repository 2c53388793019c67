package progress_test

import (
	"os"
	"sync"

	"github.com/ntkmkl/ntkmkl/internal/progress"
)

// On anything but a terminal a stage that ends before the first periodic
// line prints just its final line.
func Example() {
	p := progress.New(os.Stdout, nil)
	defer p.Wait()

	rows := p.Stage("gram", 8, "rows")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			rows.Add(2)
		})
	}
	wg.Wait()
	rows.SetStatus("10 kernels")
	rows.Done()
	p.Logf("wrote %s", "gram.npy")

	// Output:
	// gram: done 8/8 in 0.0s | 10 kernels
	// wrote gram.npy
}
