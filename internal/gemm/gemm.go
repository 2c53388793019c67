package gemm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Tile and block sizes. An A panel (mr×kc) and a B panel (kc×nr) fill half
// of the first-level cache, an A block (mc×kc, 192 KB) sits in the second
// level and a B block (kc×nc, 4 MB) in the third.
const (
	mr = 6
	nr = 8
	kc = 256
	mc = 96
	nc = 2048
	// minWork is the number of multiply-adds below which gonum's own
	// Dgemm is faster than packing.
	minWork = 1 << 15
	// parWork is the number of multiply-adds of one B block below which
	// it is computed by the calling goroutine alone.
	parWork = 1 << 20
)

var threads atomic.Int32

// SetThreads sets the number of goroutines one Dgemm may use; n ≤ 0 means
// runtime.GOMAXPROCS(0), the default.
func SetThreads(n int) { threads.Store(int32(max(n, 0))) }

func nThreads() int {
	if n := int(threads.Load()); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// Implementation is gonum's BLAS with Dgemm computed by the blocked kernel
// where the CPU has it. Install it with blas64.Use.
type Implementation struct{ gonum.Implementation }

// Dgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, as
// blas.Float64 specifies (C is not read when beta is zero).
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if !Have || m*n*k < minWork || alpha == 0 {
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	transA, transB := tA != blas.NoTrans, tB != blas.NoTrans
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	Dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkGemm panics, as gonum does, when a slice is too short for its
// matrix or a leading dimension too small.
func checkGemm(tA, tB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	need := func(name string, rows, cols int, s []float64, ld int) {
		if ld < max(1, cols) {
			panic(fmt.Sprintf("gemm: bad leading dimension %d of %s (%d columns)", ld, name, cols))
		}
		if len(s) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("gemm: %s has %d elements, a %d×%d matrix with stride %d needs %d", name, len(s), rows, cols, ld, (rows-1)*ld+cols))
		}
	}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	need("A", ar, ac, a, lda)
	need("B", br, bc, b, ldb)
	need("C", m, n, c, ldc)
}

// buffers is one goroutine's packing space.
type buffers struct {
	a    []float64 // an A block: mc/mr panels of kc×mr
	tile []float64 // an edge tile of C
}

var bufPool = sync.Pool{New: func() any {
	return &buffers{a: make([]float64, mc*kc), tile: make([]float64, mr*nr)}
}}

var bPool = sync.Pool{New: func() any { s := make([]float64, kc*nc); return &s }}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C, with op(A) m×k and op(B)
// k×n, row-major with leading dimensions lda, ldb, ldc; tA and tB select
// the transposes. It needs Have; callers check shapes (Implementation
// does).
func Dgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	dgemm(nThreads(), tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// DgemmSerial is Dgemm on the calling goroutine alone, for callers that
// run products in parallel themselves; the result is the same.
func DgemmSerial(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	dgemm(1, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func dgemm(threads int, tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	scale(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	bp := bPool.Get().(*[]float64)
	defer bPool.Put(bp)
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			packB(*bp, tB, b, ldb, pc, kb, jc, nb)
			blockProduct(threads, tA, m, alpha, a, lda, pc, kb, (*bp)[:kb*roundUp(nb, nr)], nb, c[jc:], ldc)
		}
	}
}

// scale sets C = beta·C, or zero when beta is zero (NaNs included).
func scale(m, n int, beta float64, c []float64, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// packB copies op(B)[pc:pc+kb, jc:jc+nb] into dst as panels of nr columns
// (panel q at q·kb·nr, element (p, j) at p·nr+j), zero past column nb.
func packB(dst []float64, tB bool, b []float64, ldb, pc, kb, jc, nb int) {
	for q := 0; q*nr < nb; q++ {
		j0 := jc + q*nr
		w := min(nr, nb-q*nr)
		d := dst[q*kb*nr : (q+1)*kb*nr]
		if !tB {
			// op(B)(p, j) = b[p·ldb + j]
			if w == nr {
				_ = b[(pc+kb-1)*ldb+j0+nr-1] // the last row PackN8 reads
				PackN8(&d[0], &b[pc*ldb+j0], ldb, kb)
				continue
			}
			for p := 0; p < kb; p++ {
				row := d[p*nr : p*nr+nr]
				copy(row, b[(pc+p)*ldb+j0:(pc+p)*ldb+j0+w])
				clear(row[w:])
			}
			continue
		}
		// op(B)(p, j) = b[j·ldb + p]: rows j of b are columns of op(B).
		p0 := 0
		if w == nr && kb >= 4 {
			_ = b[(j0+nr-1)*ldb+pc+kb-1] // the rows PackT8 reads
			PackT8(&d[0], &b[j0*ldb+pc], ldb, kb)
			p0 = kb &^ 3
		}
		for jj := 0; jj < nr; jj++ {
			if jj >= w {
				for p := p0; p < kb; p++ {
					d[p*nr+jj] = 0
				}
				continue
			}
			src := b[(j0+jj)*ldb+pc+p0 : (j0+jj)*ldb+pc+kb]
			for p, v := range src {
				d[(p0+p)*nr+jj] = v
			}
		}
	}
}

// packA copies op(A)[i0:i0+mb, pc:pc+kb] into dst as panels of mr rows
// (panel r at r·kb·mr, element (i, p) at p·mr+i), zero past row mb.
func packA(dst []float64, tA bool, a []float64, lda, i0, mb, pc, kb int) {
	for r := 0; r*mr < mb; r++ {
		d := dst[r*kb*mr : (r+1)*kb*mr]
		h := min(mr, mb-r*mr)
		for i := 0; i < mr; i++ {
			if i >= h {
				for p := 0; p < kb; p++ {
					d[p*mr+i] = 0
				}
				continue
			}
			row := i0 + r*mr + i
			if !tA {
				src := a[row*lda+pc : row*lda+pc+kb]
				for p, v := range src {
					d[p*mr+i] = v
				}
				continue
			}
			for p := 0; p < kb; p++ {
				d[p*mr+i] = a[(pc+p)*lda+row]
			}
		}
	}
}

// blockProduct adds alpha·op(A)[:, pc:pc+kb]·Bblock to the m×nb block of C
// at c, with the B block packed in bp. The work is cut into items (a block
// of mc rows times a range of B panels) that the goroutines take in turn;
// every item computes its tiles with the same kernel calls whoever runs it.
func blockProduct(threads int, tA bool, m int, alpha float64, a []float64, lda, pc, kb int, bp []float64, nb int, c []float64, ldc int) {
	panels := (nb + nr - 1) / nr
	rowBlocks := (m + mc - 1) / mc
	workers := threads
	if m*nb*kb < parWork {
		workers = 1
	}
	groups := 1
	if rowBlocks < 2*workers {
		groups = min(panels, (2*workers+rowBlocks-1)/rowBlocks)
	}
	items := rowBlocks * groups
	workers = min(workers, items)
	var next atomic.Int64
	run := func() {
		buf := bufPool.Get().(*buffers)
		defer bufPool.Put(buf)
		for {
			t := int(next.Add(1) - 1)
			if t >= items {
				return
			}
			i0 := (t / groups) * mc
			mb := min(mc, m-i0)
			g := t % groups
			packA(buf.a, tA, a, lda, i0, mb, pc, kb)
			tiles(buf, mb, kb, alpha, bp, g*panels/groups, (g+1)*panels/groups, nb, c[i0*ldc:], ldc)
		}
	}
	if workers == 1 {
		run()
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run()
		}()
	}
	run()
	wg.Wait()
}

// tiles runs the kernel over B panels [q0, q1) and the A panels of one
// packed A block of mb rows, adding into C (row 0 of the block at c).
func tiles(buf *buffers, mb, kb int, alpha float64, bp []float64, q0, q1, nb int, c []float64, ldc int) {
	for q := q0; q < q1; q++ {
		j0 := q * nr
		w := min(nr, nb-j0)
		bq := &bp[q*kb*nr]
		for r := 0; r*mr < mb; r++ {
			ap := &buf.a[r*kb*mr]
			h := min(mr, mb-r*mr)
			ct := c[r*mr*ldc+j0:]
			switch w {
			case nr:
				Kernel6x8(kb, ap, 1, mr, bq, &ct[0], ldc, alpha, 1, h)
			case nr / 2:
				Kernel6x4(kb, ap, 1, mr, bq, &ct[0], ldc, alpha, 1, h)
			default:
				// An edge tile: the same kernel on a copy, so nothing
				// past column nb is written.
				tile := buf.tile
				clear(tile)
				for i := 0; i < h; i++ {
					copy(tile[i*nr:i*nr+w], ct[i*ldc:i*ldc+w])
				}
				Kernel6x8(kb, ap, 1, mr, bq, &tile[0], nr, alpha, 1, mr)
				for i := 0; i < h; i++ {
					copy(ct[i*ldc:i*ldc+w], tile[i*nr:i*nr+w])
				}
			}
		}
	}
}

// PackedB is a k×n matrix op(B) packed once in the layout the kernel
// reads, for many products with it or with its trailing columns: a Gram
// stack multiplies every row block of X by the same Zᵀ.
type PackedB struct {
	k, n   int
	panels int       // ⌈n/nr⌉
	data   []float64 // kc-row blocks; in each, panel q at q·kb·nr
}

// PackB packs op(B) (k×n; tB selects the transpose, as for Dgemm). It
// needs Have.
func PackB(tB bool, k, n int, b []float64, ldb int) *PackedB {
	p := &PackedB{k: k, n: n, panels: (n + nr - 1) / nr}
	p.data = make([]float64, k*p.panels*nr)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		packB(p.data[pc*p.panels*nr:], tB, b, ldb, pc, kb, 0, n)
	}
	return p
}

// MulPacked sets C = alpha·op(A)·B[:, from:] + beta·C on the calling
// goroutine, with B packed by PackB and C m×(n−from); from must be a
// multiple of 8. The result is the one Dgemm gives, bit for bit.
func MulPacked(tA bool, m int, alpha float64, a []float64, lda int, b *PackedB, from int, beta float64, c []float64, ldc int) {
	if from%nr != 0 || from < 0 || from > b.n {
		panic(fmt.Sprintf("gemm: MulPacked from column %d of %d: want a multiple of %d", from, b.n, nr))
	}
	n := b.n - from
	scale(m, n, beta, c, ldc)
	if m == 0 || n == 0 || b.k == 0 || alpha == 0 {
		return
	}
	buf := bufPool.Get().(*buffers)
	defer bufPool.Put(buf)
	q0, panels := from/nr, b.panels-from/nr
	for pc := 0; pc < b.k; pc += kc {
		kb := min(kc, b.k-pc)
		bp := b.data[pc*b.panels*nr+q0*kb*nr:]
		for i0 := 0; i0 < m; i0 += mc {
			mb := min(mc, m-i0)
			packA(buf.a, tA, a, lda, i0, mb, pc, kb)
			tiles(buf, mb, kb, alpha, bp, 0, panels, n, c[i0*ldc:], ldc)
		}
	}
}
