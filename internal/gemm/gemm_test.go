package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// operand returns a random rows×cols matrix stored with a stride of cols+3
// (so that the padding must not be touched), and its element accessor.
func operand(rng *rand.Rand, rows, cols int) ([]float64, int) {
	ld := cols + 3
	s := make([]float64, (rows-1)*ld+cols)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s, ld
}

// naive returns alpha·op(A)·op(B) + beta·C by the defining triple loop,
// and for each entry the bound ε·(k+2)·(|alpha|·Σ|a||b| + |beta·c|) on
// the rounding error of any summation order (Higham, §3.1), which is the
// tolerance of the test.
func naive(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) (want, tol []float64) {
	want, tol = make([]float64, m*n), make([]float64, m*n)
	at := func(i, p int) float64 {
		if tA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	bt := func(p, j int) float64 {
		if tB {
			return b[j*ldb+p]
		}
		return b[p*ldb+j]
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				s += at(i, p) * bt(p, j)
				abs += math.Abs(at(i, p) * bt(p, j))
			}
			cij := 0.0
			if beta != 0 {
				cij = beta * c[i*ldc+j]
			}
			want[i*n+j] = alpha*s + cij
			tol[i*n+j] = 0x1p-52 * float64(k+2) * (math.Abs(alpha)*abs + math.Abs(cij))
		}
	}
	return want, tol
}

// TestDgemm checks the blocked product against the triple loop for every
// transpose, for shapes that leave edge tiles in both directions and
// cross the block sizes kc (k > 256), mc (m > 96) and nc (n > 2048), with
// alpha and beta generic, one, and zero over a C full of NaNs (which must
// not be read).
func TestDgemm(t *testing.T) {
	if !Have {
		t.Skip("no AVX2/FMA")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {5, 3, 2}, {6, 8, 4}, {7, 9, 5}, {13, 4, 300}, {97, 12, 257}, {100, 2100, 40}, {3, 2053, 7}}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, ab := range [][2]float64{{1, 0}, {-0.5, 1}, {1.3, 0.3}} {
				name := fmt.Sprintf("%dx%dx%d/tA=%v,tB=%v/alpha=%v,beta=%v", m, n, k, tr[0], tr[1], ab[0], ab[1])
				ar, ac := m, k
				if tr[0] {
					ar, ac = k, m
				}
				br, bc := k, n
				if tr[1] {
					br, bc = n, k
				}
				a, lda := operand(rng, ar, ac)
				b, ldb := operand(rng, br, bc)
				c, ldc := operand(rng, m, n)
				if ab[1] == 0 {
					for i := range c {
						c[i] = math.NaN()
					}
				}
				pad := make([]float64, len(c))
				copy(pad, c)
				want, tol := naive(tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
				Dgemm(tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
				for i := 0; i < m; i++ {
					for j := 0; j < ldc && i*ldc+j < len(c); j++ {
						got := c[i*ldc+j]
						if j >= n {
							if math.Float64bits(got) != math.Float64bits(pad[i*ldc+j]) {
								t.Fatalf("%s: padding (%d, %d) written", name, i, j)
							}
							continue
						}
						if d := math.Abs(got - want[i*n+j]); !(d <= tol[i*n+j]) {
							t.Fatalf("%s: C(%d, %d) = %v, want %v ± %.2g", name, i, j, got, want[i*n+j], tol[i*n+j])
						}
					}
				}
			}
		}
	}
}

// TestDgemmThreadsBitwise checks that the number of threads does not
// change a single bit: every entry is summed in the same order.
func TestDgemmThreadsBitwise(t *testing.T) {
	if !Have {
		t.Skip("no AVX2/FMA")
	}
	defer SetThreads(0)
	rng := rand.New(rand.NewPCG(3, 4))
	m, n, k := 200, 300, 600
	a, lda := operand(rng, k, m)
	b, ldb := operand(rng, k, n)
	var first []float64
	for _, th := range []int{1, 2, 3, 8} {
		SetThreads(th)
		c := make([]float64, m*n)
		Dgemm(true, false, m, n, k, 1, a, lda, b, ldb, 0, c, n)
		if first == nil {
			first = c
			continue
		}
		for i := range c {
			if math.Float64bits(c[i]) != math.Float64bits(first[i]) {
				t.Fatalf("threads %d: entry %d differs from one thread's", th, i)
			}
		}
	}
}

// TestImplementationMatchesGonum checks the blas.Float64 method against
// gonum's own Dgemm (same tolerance argument as TestDgemm), above and
// below the size where it hands over to gonum.
func TestImplementationMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sh := range [][3]int{{4, 4, 4}, {64, 300, 64}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, lda := operand(rng, m, k)
		b, ldb := operand(rng, n, k)
		c1 := make([]float64, m*n)
		c2 := make([]float64, m*n)
		Implementation{}.Dgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, lda, b, ldb, 0, c1, n)
		gonum.Implementation{}.Dgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, lda, b, ldb, 0, c2, n)
		_, tol := naive(false, true, m, n, k, 1, a, lda, b, ldb, 0, c1, n)
		for i := range c1 {
			if d := math.Abs(c1[i] - c2[i]); d > 2*tol[i] {
				t.Fatalf("%v: entry %d: %v against gonum's %v", sh, i, c1[i], c2[i])
			}
		}
	}
}

// TestImplementationPanics checks that a short slice is refused with a
// message, as gonum refuses it, rather than read past by the kernel.
func TestImplementationPanics(t *testing.T) {
	if !Have {
		t.Skip("no AVX2/FMA: gonum's checks apply")
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for a short B")
		}
	}()
	a := make([]float64, 64*64)
	Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, 64, 64, 64, 1, a, 64, a[:100], 64, 0, make([]float64, 64*64), 64)
}

// TestMulPackedMatchesDgemm checks that products with a packed B, and with
// its trailing columns, are Dgemm's bit for bit.
func TestMulPackedMatchesDgemm(t *testing.T) {
	if !Have {
		t.Skip("no AVX2/FMA")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sh := range [][3]int{{5, 3, 2}, {33, 45, 300}, {100, 2100, 40}} {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []bool{false, true} {
			ar, ac := m, k
			if tA {
				ar, ac = k, m
			}
			a, lda := operand(rng, ar, ac)
			b, ldb := operand(rng, n, k) // op(B) = bᵀ, as a Gram stack uses it
			pb := PackB(true, k, n, b, ldb)
			for from := 0; from <= n; from += 8 {
				w := n - from
				want := make([]float64, m*max(w, 1))
				got := make([]float64, m*max(w, 1))
				if w > 0 {
					Dgemm(tA, true, m, w, k, 1.5, a, lda, b[from*ldb:], ldb, 0, want, w)
				}
				MulPacked(tA, m, 1.5, a, lda, pb, from, 0, got, max(w, 1))
				for i := range want {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("%v tA=%v from %d: entry %d: %v, Dgemm %v", sh, tA, from, i, got[i], want[i])
					}
				}
			}
		}
	}
}
