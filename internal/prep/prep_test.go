package prep

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// TestNormalizers: unit rows have norm 1 (zero stays zero); standardized
// training columns have mean 0 and standard deviation 1, computed here
// with gonum/stat-free sums; a constant column is only centred.
func TestNormalizers(t *testing.T) {
	x := mat.NewDense(3, 3, []float64{3, 4, 1, 0, 0, 1, 1, 2, 1})
	u := mat.DenseCopyOf(x)
	Fit(Unit, u).Apply(u)
	for i, want := range []float64{1, 1, 1} {
		if got := floats.Norm(u.RawRowView(i), 2); math.Abs(got-want) > 1e-15 {
			t.Errorf("unit row %d norm %v", i, got)
		}
	}
	s := mat.DenseCopyOf(x)
	nz := Fit(Standardize, s)
	nz.Apply(s)
	for j := 0; j < 3; j++ {
		col := mat.Col(nil, j, s)
		mean := floats.Sum(col) / 3
		var ss float64
		for _, v := range col {
			ss += v * v
		}
		wantSS := 3.0
		if j == 2 {
			wantSS = 0 // constant column: centred only
		}
		if math.Abs(mean) > 1e-15 || math.Abs(ss-wantSS) > 1e-12 {
			t.Errorf("column %d: mean %v, sum of squares %v", j, mean, ss)
		}
	}
}

// TestTargetsAndSubset: one-hot and centred rows sum to 1 and 0; a subset
// is sorted, distinct, seeded and of the requested size.
func TestTargetsAndSubset(t *testing.T) {
	classes := Classes([]int{7, 3, 3, 9, 7})
	if !floats.Equal([]float64{3, 7, 9}, []float64{float64(classes[0]), float64(classes[1]), float64(classes[2])}) {
		t.Fatalf("classes %v", classes)
	}
	for _, centered := range []bool{false, true} {
		y := Targets([]int{9, 3}, classes, centered)
		want := 1.0
		if centered {
			want = 0
		}
		for i := 0; i < 2; i++ {
			if s := floats.Sum(y.RawRowView(i)); math.Abs(s-want) > 1e-15 {
				t.Errorf("centered=%v row %d sums to %v", centered, i, s)
			}
		}
		if y.At(0, 2) < y.At(0, 0) {
			t.Errorf("label 9 is not the hot class")
		}
	}
	a, b := Subset(100, 10, 1), Subset(100, 10, 1)
	if len(a) != 10 || !equalInts(a, b) {
		t.Errorf("subset %v, again %v", a, b)
	}
	for i := 1; i < len(a); i++ {
		if a[i] <= a[i-1] {
			t.Errorf("subset not increasing: %v", a)
		}
	}
	if c := Subset(100, 10, 2); equalInts(a, c) {
		t.Errorf("different seeds gave the same subset")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStratifiedSplit: every class is split in the requested proportion,
// the parts are disjoint and cover the indices, and the seed fixes them.
func TestStratifiedSplit(t *testing.T) {
	labels := make([]int, 100)
	for i := range labels {
		labels[i] = i % 4 // 25 per class
		if i >= 80 {
			labels[i] = 4 // plus a class of 20
		}
	}
	tr, va := StratifiedSplit(labels, 0.2, 3)
	if len(tr)+len(va) != 100 {
		t.Fatalf("parts of %d and %d", len(tr), len(va))
	}
	seen := map[int]bool{}
	perClass := map[int]int{}
	for _, i := range append(append([]int(nil), tr...), va...) {
		if seen[i] {
			t.Fatalf("index %d in both parts", i)
		}
		seen[i] = true
	}
	for _, i := range va {
		perClass[labels[i]]++
	}
	for c, want := range map[int]int{0: 4, 1: 4, 2: 4, 3: 4, 4: 4} {
		if perClass[c] != want {
			t.Errorf("class %d: %d validation points, want %d", c, perClass[c], want)
		}
	}
	tr2, va2 := StratifiedSplit(labels, 0.2, 3)
	if !equalInts(tr, tr2) || !equalInts(va, va2) {
		t.Error("same seed, different split")
	}
}
