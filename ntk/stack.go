package ntk

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ntkmkl/ntkmkl/internal/gemm"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Settings controls how a stack is computed. The zero value means the
// defaults given with each field.
type Settings struct {
	// Workers is the number of goroutines sharing the row blocks.
	// Zero means runtime.GOMAXPROCS(0).
	Workers int
	// BlockRows is the number of rows of X in one unit of work.
	// Zero means 32.
	BlockRows int
	// Progress, if not nil, is called after each row block with the number
	// of rows it finished. It may be called from several goroutines at once.
	Progress func(rows int)
	// Context, if not nil, stops the computation at the next row block
	// once it is done; the stack is then incomplete and the caller, who
	// sees Context.Err(), must not use it.
	Context context.Context
}

// stackRun is the number of columns a layer kernel call takes: its four
// slices (16 KB) stay in the first-level cache through the L layers.
const stackRun = 512

func (s *Settings) withDefaults() Settings {
	var r Settings
	if s != nil {
		r = *s
	}
	if r.Workers <= 0 {
		r.Workers = runtime.GOMAXPROCS(0)
	}
	if r.BlockRows <= 0 {
		r.BlockRows = 32
	}
	return r
}

// Stack computes all L kernels between the rows of x (n×m) and the rows of
// z (n₂×m) in one pass of the recursion: dst[ℓ-1] is n×n₂ with entry (i, j)
// equal to Θ^(ℓ)(x_i, z_j), or K^(ℓ) for Kind NNGP. If z is nil the stack is
// Θ(X, X): each pair is computed once and written to both triangles, and
// the diagonal equals Diag exactly.
//
// If dst is nil a new stack is allocated; otherwise it must hold L
// matrices of the right shape, or be L empty matrices, which are sized.
// Stack panics on a shape mismatch or an invalid Config.
func (c Config) Stack(dst []*mat.Dense, x, z mat.Matrix, s *Settings) []*mat.Dense {
	c = c.mustValidate()
	set := s.withDefaults()
	xd := asDense(x)
	zd := xd
	symmetric := z == nil
	if !symmetric {
		zd = asDense(z)
	}
	n, m := xd.Dims()
	n2, m2 := zd.Dims()
	if m != m2 {
		panic(fmt.Sprintf("ntk: feature dimensions differ: x has %d columns, z has %d", m, m2))
	}
	dst, fresh := sizeStack(dst, c.Depth, n, n2)
	L := c.Depth
	populateAll(fresh, set.Workers)

	qx := c.allVariances(xd)
	qz := qx
	if !symmetric {
		qz = c.allVariances(zd)
	}
	// The variances of z per layer, contiguous along j for the layer kernel.
	qzByLayer := make([]float64, L*n2)
	for j := 0; j < n2; j++ {
		for l := 0; l < L; l++ {
			qzByLayer[l*n2+j] = qz[j*L+l]
		}
	}
	kernel := c.layerKernel()
	prods := newProducts(xd, zd)

	var next atomic.Int64
	nBlocks := (n + set.BlockRows - 1) / set.BlockRows
	var wg sync.WaitGroup
	for w := 0; w < min(set.Workers, nBlocks); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var g mat.Dense
			diag := make([]float64, L)
			sigma := make([]float64, stackRun)
			thetaG := make([]float64, stackRun)
			for {
				b := int(next.Add(1) - 1)
				if b >= nBlocks || set.Context != nil && set.Context.Err() != nil {
					return
				}
				i0 := b * set.BlockRows
				i1 := min(i0+set.BlockRows, n)
				// Columns j0.. of Z are needed: all of them, or j ≥ i0 when
				// only the upper triangle is computed.
				j0 := 0
				if symmetric {
					j0 = i0
				}
				g.Reset()
				from := prods.block(&g, i0, i1, j0)
				for i := i0; i < i1; i++ {
					grow := g.RawRowView(i - i0)
					qi := qx[i*L : (i+1)*L]
					jStart := j0
					if symmetric {
						// The diagonal uses the norm itself, so that it
						// equals Diag bit for bit.
						c.recurse(qi[0], qi, qi, diag)
						for l, v := range diag {
							dst[l].Set(i, i, v)
						}
						jStart = i + 1
					}
					for ja := jStart; ja < n2; ja += stackRun {
						jb := min(ja+stackRun, n2)
						sg, tg := sigma[:jb-ja], thetaG[:jb-ja]
						for j := ja; j < jb; j++ {
							sg[j-ja] = c.firstLayer(grow[j-from], m)
						}
						copy(tg, sg)
						for l := 0; l < L; l++ {
							p := c.layerOf(qi[l])
							kernel(dst[l].RawRowView(i)[ja:jb], sg, tg, qzByLayer[l*n2+ja:l*n2+jb], &p)
						}
					}
				}
				if set.Progress != nil {
					set.Progress(i1 - i0)
				}
			}
		}()
	}
	wg.Wait()
	if symmetric {
		mirrorUpper(dst, set.Workers)
	}
	return dst
}

// products computes the x·z_jᵀ of Stack's row blocks. Each worker computes
// its own block, so a product runs on the worker's goroutine: through the
// AVX2/FMA kernel of internal/gemm where the CPU has it, with Zᵀ packed
// once for all blocks (in every build, so that a BLAS library's threads do
// not compete with the workers), else through gonum.
type products struct {
	x, z   *mat.Dense
	packed *gemm.PackedB // Zᵀ, or nil
}

func newProducts(x, z *mat.Dense) *products {
	p := &products{x: x, z: z}
	if gemm.Have {
		n2, m := z.Dims()
		zr := z.RawMatrix()
		p.packed = gemm.PackB(true, m, n2, zr.Data, zr.Stride)
	}
	return p
}

// block sets g to the dots of rows [i0, i1) of x with rows from.. of z,
// for the smallest from ≤ j0 that the packed layout allows, and returns
// from: entry (i, j) is g(i−i0, j−from).
func (p *products) block(g *mat.Dense, i0, i1, j0 int) (from int) {
	n2, m := p.z.Dims()
	xb := p.x.Slice(i0, i1, 0, m).(*mat.Dense)
	if p.packed == nil {
		g.Mul(xb, p.z.Slice(j0, n2, 0, m).T())
		return j0
	}
	from = j0 &^ 7
	g.ReuseAs(i1-i0, n2-from)
	xr, gr := xb.RawMatrix(), g.RawMatrix()
	gemm.MulPacked(false, i1-i0, 1, xr.Data, xr.Stride, p.packed, from, 0, gr.Data, gr.Stride)
	return from
}

// Diag returns the diagonal of the stack Θ(X, X) as an n×L matrix: entry
// (i, ℓ-1) is Θ^(ℓ)(x_i, x_i). It costs O(n·(m+L)). If dst is empty it is
// sized; otherwise it must be n×L.
func (c Config) Diag(dst *mat.Dense, x mat.Matrix) *mat.Dense {
	c = c.mustValidate()
	xd := asDense(x)
	n, _ := xd.Dims()
	if dst == nil {
		dst = &mat.Dense{}
	}
	if dst.IsEmpty() {
		dst.ReuseAs(n, c.Depth)
	} else if r, k := dst.Dims(); r != n || k != c.Depth {
		panic(fmt.Sprintf("ntk: Diag destination is %d×%d, want %d×%d", r, k, n, c.Depth))
	}
	q := c.allVariances(xd)
	for i := 0; i < n; i++ {
		qi := q[i*c.Depth : (i+1)*c.Depth]
		c.recurse(qi[0], qi, qi, dst.RawRowView(i))
	}
	return dst
}

// allVariances returns the per-layer variances of every row of x, row-major
// n×L.
func (c *Config) allVariances(x *mat.Dense) []float64 {
	n, m := x.Dims()
	q := make([]float64, n*c.Depth)
	for i := 0; i < n; i++ {
		row := x.RawRowView(i)
		c.variances(q[i*c.Depth:(i+1)*c.Depth], floats.Dot(row, row), m)
	}
	return q
}

// mirrorUpper copies the strict upper triangle of each square matrix into
// its lower triangle, in cache-sized tiles.
func mirrorUpper(stack []*mat.Dense, workers int) {
	const tile = 64
	eachMatrix(stack, workers, func(m *mat.Dense) {
		n, _ := m.Dims()
		a := m.RawMatrix()
		for ib := 0; ib < n; ib += tile {
			for jb := ib; jb < n; jb += tile {
				for i := ib; i < min(ib+tile, n); i++ {
					for j := max(jb, i+1); j < min(jb+tile, n); j++ {
						a.Data[j*a.Stride+i] = a.Data[i*a.Stride+j]
					}
				}
			}
		}
	})
}

// populateAll maps the pages of freshly allocated matrices (see populate).
func populateAll(stack []*mat.Dense, workers int) {
	eachMatrix(stack, workers, func(m *mat.Dense) { populate(m.RawMatrix().Data) })
}

// eachMatrix calls f on every matrix of stack, one matrix per goroutine at
// a time, on up to workers goroutines.
func eachMatrix(stack []*mat.Dense, workers int, f func(*mat.Dense)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(stack)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := int(next.Add(1) - 1); l < len(stack); l = int(next.Add(1) - 1) {
				f(stack[l])
			}
		}()
	}
	wg.Wait()
}

// sizeStack returns dst checked or allocated as L matrices of n×n2, and
// the matrices it allocated.
func sizeStack(dst []*mat.Dense, L, n, n2 int) (stack, fresh []*mat.Dense) {
	if dst == nil {
		dst = make([]*mat.Dense, L)
	}
	if len(dst) != L {
		panic(fmt.Sprintf("ntk: stack destination holds %d matrices, want %d", len(dst), L))
	}
	for l := range dst {
		if dst[l] == nil {
			dst[l] = &mat.Dense{}
		}
		if dst[l].IsEmpty() {
			dst[l].ReuseAs(n, n2)
			fresh = append(fresh, dst[l])
			continue
		}
		if r, k := dst[l].Dims(); r != n || k != n2 {
			panic(fmt.Sprintf("ntk: stack destination %d is %d×%d, want %d×%d", l, r, k, n, n2))
		}
	}
	return dst, fresh
}

// asDense returns m as a *mat.Dense, copying only when it is not one.
func asDense(m mat.Matrix) *mat.Dense {
	if d, ok := m.(*mat.Dense); ok {
		return d
	}
	return mat.DenseCopyOf(m)
}
