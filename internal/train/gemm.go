package train

import (
	"github.com/ntkmkl/ntkmkl/internal/gemm"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// view is a dense row-major block of a float64 slice, seen as an r×c
// matrix: element (i, j) is data[i·stride+j], or data[j·stride+i] when t is
// set (then the stored block is c×r). It lets the network address its
// buffers, its parameters and a caller's mat.Dense without copying.
type view struct {
	data         []float64
	r, c, stride int
	t            bool
	// wide, when larger than c, says that columns c..wide-1 of every row
	// are scratch space: a product into v may write anything finite there,
	// which spares it the copy of an edge tile. Zero means c.
	wide int
}

// rowMajor returns the r×c view of data with the given stride.
func rowMajor(data []float64, r, c, stride int) view {
	return view{data: data, r: r, c: c, stride: stride}
}

// T returns the transpose of v (no copy).
func (v view) T() view { return view{data: v.data, r: v.c, c: v.r, stride: v.stride, t: !v.t} }

// width returns the number of columns of each row that may be written.
func (v view) width() int { return max(v.c, v.wide) }

// at returns element (i, j).
func (v view) at(i, j int) float64 {
	if v.t {
		return v.data[j*v.stride+i]
	}
	return v.data[i*v.stride+j]
}

// general returns v as the blas64 matrix it is stored as, and whether that
// matrix must be transposed to give v.
func (v view) general() (blas64.General, blas.Transpose) {
	rows, cols, tr := v.r, v.c, blas.NoTrans
	if v.t {
		rows, cols, tr = v.c, v.r, blas.Trans
	}
	n := 0
	if rows > 0 && cols > 0 {
		n = (rows-1)*v.stride + cols
	}
	return blas64.General{Rows: rows, Cols: cols, Stride: v.stride, Data: v.data[:n]}, tr
}

// Tile sizes of the assembly kernel, and the depth of one pass over K.
const (
	mr = 6
	nr = 8
	// kc is the number of terms of the inner products that one kernel
	// call sums. It is a fixed constant (not derived from the number of
	// workers) so that every entry of a product is summed in the same
	// order whatever the parallelism.
	kc = 512
	// parMin is the number of multiply-adds below which a product runs on
	// the calling goroutine alone.
	parMin = 1 << 16
)

// gemmer computes the network's matrix products C = alpha·A·B + beta·C.
// With the assembly kernel it packs B into panels of nr columns, reads A
// in place, and splits the rows of C into contiguous ranges of mr-row
// panels, one range per worker; each entry of C is computed by exactly one
// kernel call per kc-block of K, in a fixed order, so the result is the
// same bit for bit for any number of workers. Without the kernel it calls
// gonum's blas64.Gemm (which parallelises by itself, also without
// splitting sums).
//
// A gemmer is not safe for concurrent use.
type gemmer struct {
	workers   int
	useKernel bool

	packed []float64   // B in panels: panel q holds B[:, q·nr:(q+1)·nr] as k×nr
	edge   [][]float64 // per worker: mr×kc padded rows of A, then an mr×nr tile of C

	// The product being computed, read by the workers.
	alpha, beta float64
	a, b, c     view

	crew *crew // started on the first parallel product
}

// crew is the gemmer's pool of workers-1 goroutines. They hold no
// reference to the gemmer between jobs, so a gemmer that is no longer
// used is collected, and its cleanup closes jobs, which ends them.
type crew struct {
	jobs chan span
	wg   sync.WaitGroup
}

// span is one worker's share of a product: row panels [p0, p1).
type span struct {
	g         *gemmer
	w, p0, p1 int
}

func (c *crew) work() {
	for s := range c.jobs {
		s.g.rows(s.w, s.p0, s.p1)
		s.g = nil
		c.wg.Done()
	}
}

// newGemmer returns a gemmer with the given number of workers (≤ 0 means
// runtime.GOMAXPROCS(0)); useKernel selects the assembly kernel and is
// ignored where the CPU lacks it.
func newGemmer(workers int, useKernel bool) *gemmer {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	g := &gemmer{workers: workers, useKernel: useKernel && haveKernel}
	g.edge = make([][]float64, workers)
	for i := range g.edge {
		g.edge[i] = make([]float64, mr*kc+mr*nr)
	}
	return g
}

// mul sets c = alpha·a·b + beta·c. c must not be transposed; when beta is
// zero c is overwritten without being read.
func (g *gemmer) mul(alpha float64, a, b view, beta float64, c view) {
	if a.r != c.r || b.c != c.c || a.c != b.r || c.t {
		panic("train: bad matrix product shapes")
	}
	m, n, k := c.r, c.c, a.c
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if beta != 1 {
			for i := 0; i < m; i++ {
				row := c.data[i*c.stride : i*c.stride+n]
				if beta == 0 {
					clear(row)
					continue
				}
				for j := range row {
					row[j] *= beta
				}
			}
		}
		return
	}
	if !g.useKernel {
		ag, ta := a.general()
		bg, tb := b.general()
		cg, _ := c.general()
		blas64.Gemm(ta, tb, alpha, ag, bg, beta, cg)
		return
	}
	if beta == 0 {
		for i := 0; i < m; i++ {
			clear(c.data[i*c.stride : i*c.stride+c.width()])
		}
	}
	g.pack(b)
	g.alpha, g.beta, g.a, g.b, g.c = alpha, beta, a, b, c
	panels := (m + mr - 1) / mr
	w := g.workers
	if w > panels {
		w = panels
	}
	if m*n*k < parMin {
		w = 1
	}
	if w == 1 {
		g.rows(0, 0, panels)
	} else {
		if g.crew == nil {
			g.crew = &crew{jobs: make(chan span, g.workers)}
			for i := 1; i < g.workers; i++ {
				go g.crew.work()
			}
			runtime.AddCleanup(g, func(c *crew) { close(c.jobs) }, g.crew)
		}
		g.crew.wg.Add(w - 1)
		for i := 1; i < w; i++ {
			g.crew.jobs <- span{g: g, w: i, p0: i * panels / w, p1: (i + 1) * panels / w}
		}
		g.rows(0, 0, panels/w)
		g.crew.wg.Wait()
	}
	g.a, g.b, g.c = view{}, view{}, view{}
}

// pack copies b (k×n) into g.packed, panel after panel, each panel k×nr
// with zeros past column n.
func (g *gemmer) pack(b view) {
	k, n := b.r, b.c
	panels := (n + nr - 1) / nr
	size := panels * k * nr
	if cap(g.packed) < size {
		g.packed = make([]float64, size)
	}
	p := g.packed[:size]
	for q := 0; q < panels; q++ {
		j0 := q * nr
		w := min(nr, n-j0)
		dst := p[q*k*nr : (q+1)*k*nr]
		if !b.t {
			if w == nr {
				_ = b.data[(k-1)*b.stride+j0+nr-1] // the rows packN8 reads
				gemm.PackN8(&dst[0], &b.data[j0], b.stride, k)
				continue
			}
			for i := 0; i < k; i++ {
				d := dst[i*nr : i*nr+nr]
				copy(d, b.data[i*b.stride+j0:i*b.stride+j0+w])
				clear(d[w:])
			}
			continue
		}
		// Stored block is n×k: column j of b is row j of data.
		i0 := 0
		if w == nr && k >= 4 {
			_ = b.data[(j0+nr-1)*b.stride+k-1] // the rows packT8 reads
			gemm.PackT8(&dst[0], &b.data[j0*b.stride], b.stride, k)
			i0 = k &^ 3
		}
		for jj := 0; jj < w; jj++ {
			src := b.data[(j0+jj)*b.stride+i0 : (j0+jj)*b.stride+k]
			for i, v := range src {
				dst[(i0+i)*nr+jj] = v
			}
		}
		for jj := w; jj < nr; jj++ {
			for i := 0; i < k; i++ {
				dst[i*nr+jj] = 0
			}
		}
	}
}

// rows computes the row panels [p0, p1) of the current product on
// worker w's scratch space.
func (g *gemmer) rows(w, p0, p1 int) {
	a, c := g.a, g.c
	m, n, k := c.r, c.c, a.c
	rsa, csa := a.stride, 1
	if a.t {
		rsa, csa = 1, a.stride
	}
	ncol := (n + nr - 1) / nr
	wide := c.width()
	edgeA := g.edge[w][:mr*kc]
	tile := g.edge[w][mr*kc:]
	for k0 := 0; k0 < k; k0 += kc {
		kb := min(kc, k-k0)
		beta := g.beta
		if k0 > 0 {
			beta = 1
		}
		for p := p0; p < p1; p++ {
			i0 := p * mr
			full := i0+mr <= m
			var ap *float64
			ra, ca := rsa, csa
			if full {
				ap = &a.data[i0*rsa+k0*csa]
			} else {
				// Copy the last rows of A, padded with zero rows, so the
				// kernel reads nothing past the matrix.
				ra, ca = 1, mr
				for kk := 0; kk < kb; kk++ {
					for ii := 0; ii < mr; ii++ {
						v := 0.0
						if i0+ii < m {
							v = a.data[(i0+ii)*rsa+(k0+kk)*csa]
						}
						edgeA[kk*mr+ii] = v
					}
				}
				ap = &edgeA[0]
			}
			h := min(mr, m-i0)
			for q := 0; q < ncol; q++ {
				j0 := q * nr
				bp := &g.packed[q*k*nr+k0*nr]
				if n-j0 <= nr/2 && j0+nr/2 <= wide {
					// At most 4 columns left: half the work, same sums.
					gemm.Kernel6x4(kb, ap, ra, ca, bp, &c.data[i0*c.stride+j0], c.stride, g.alpha, beta, h)
					continue
				}
				if j0+nr <= wide {
					// The kernel stores only the h rows of C that exist.
					gemm.Kernel6x8(kb, ap, ra, ca, bp, &c.data[i0*c.stride+j0], c.stride, g.alpha, beta, h)
					continue
				}
				// Edge tile: run the same kernel on a copy, so that every
				// entry gets the same arithmetic wherever it lies.
				wd := min(nr, n-j0)
				clear(tile)
				for ii := 0; ii < h; ii++ {
					copy(tile[ii*nr:ii*nr+wd], c.data[(i0+ii)*c.stride+j0:])
				}
				gemm.Kernel6x8(kb, ap, ra, ca, bp, &tile[0], nr, g.alpha, beta, mr)
				for ii := 0; ii < h; ii++ {
					copy(c.data[(i0+ii)*c.stride+j0:(i0+ii)*c.stride+j0+wd], tile[ii*nr:ii*nr+wd])
				}
			}
		}
	}
}
