package prep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Normalization names the input transform.
type Normalization string

const (
	// None leaves the inputs as given.
	None Normalization = "none"
	// Unit scales every input to Euclidean norm 1 (a zero input stays zero).
	Unit Normalization = "unit"
	// Standardize subtracts the training mean of each feature and divides
	// by its training standard deviation (features of zero spread are only
	// centred).
	Standardize Normalization = "standardize"
)

// ParseNormalization checks a name.
func ParseNormalization(s string) (Normalization, error) {
	switch n := Normalization(s); n {
	case None, Unit, Standardize:
		return n, nil
	}
	return "", fmt.Errorf("unknown normalization %q (known: none, unit, standardize)", s)
}

// Normalizer is a fitted input transform. Its fields are saved with a
// model, so that predictions transform new inputs exactly as the training
// inputs were.
type Normalizer struct {
	Kind  Normalization `json:"kind"`
	Mean  []float64     `json:"mean,omitempty"`  // Standardize: per-feature training mean
	Scale []float64     `json:"scale,omitempty"` // Standardize: per-feature divisor
}

// Fit returns the Normalizer of the given kind for the training inputs x.
func Fit(kind Normalization, x *mat.Dense) Normalizer {
	nz := Normalizer{Kind: kind}
	if kind != Standardize {
		return nz
	}
	n, m := x.Dims()
	nz.Mean, nz.Scale = make([]float64, m), make([]float64, m)
	col := make([]float64, n)
	for j := 0; j < m; j++ {
		mat.Col(col, j, x)
		mean := floats.Sum(col) / float64(n)
		var ss float64
		for _, v := range col {
			ss += (v - mean) * (v - mean)
		}
		sd := math.Sqrt(ss / float64(n))
		if sd == 0 {
			sd = 1
		}
		nz.Mean[j], nz.Scale[j] = mean, sd
	}
	return nz
}

// Apply transforms the rows of x in place. It panics if a Standardize
// normalizer meets a different number of features.
func (nz Normalizer) Apply(x *mat.Dense) {
	n, m := x.Dims()
	switch nz.Kind {
	case Unit:
		for i := 0; i < n; i++ {
			row := x.RawRowView(i)
			if s := floats.Norm(row, 2); s > 0 {
				floats.Scale(1/s, row)
			}
		}
	case Standardize:
		if len(nz.Mean) != m {
			panic(fmt.Sprintf("prep: normalizer fitted on %d features applied to %d", len(nz.Mean), m))
		}
		for i := 0; i < n; i++ {
			row := x.RawRowView(i)
			for j := range row {
				row[j] = (row[j] - nz.Mean[j]) / nz.Scale[j]
			}
		}
	}
}

// Subset returns k of the indices 0..n−1, chosen uniformly at random with
// the seed and returned in increasing order; all of them when k ≥ n or
// k ≤ 0.
func Subset(n, k int, seed uint64) []int {
	if k <= 0 || k >= n {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	perm := rand.New(rand.NewPCG(seed, 0x6e746b6d6b6c)).Perm(n)[:k]
	sort.Ints(perm)
	return perm
}

// Rows returns the rows idx of x as a new matrix, and the matching labels.
func Rows(x *mat.Dense, labels []int, idx []int) (*mat.Dense, []int) {
	_, m := x.Dims()
	out := mat.NewDense(len(idx), m, nil)
	var lab []int
	if labels != nil {
		lab = make([]int, len(idx))
	}
	for k, i := range idx {
		out.SetRow(k, x.RawRowView(i))
		if labels != nil {
			lab[k] = labels[i]
		}
	}
	return out, lab
}

// Classes returns the distinct labels in increasing order: class c of the
// model is the c-th of them.
func Classes(labels []int) []int {
	c := slices.Clone(labels)
	slices.Sort(c)
	return slices.Compact(c)
}

// Targets returns the n×d target matrix: one-hot {0, 1} by default, or
// centred (1 − 1/d on the class, −1/d elsewhere, so each row sums to zero).
// Labels not among classes panic: the caller maps labels first.
func Targets(labels, classes []int, centered bool) *mat.Dense {
	d := len(classes)
	y := mat.NewDense(len(labels), d, nil)
	off, on := 0.0, 1.0
	if centered {
		off, on = -1/float64(d), 1-1/float64(d)
	}
	for i, l := range labels {
		c, ok := slices.BinarySearch(classes, l)
		if !ok {
			panic(fmt.Sprintf("prep: label %d is not a class", l))
		}
		for j := 0; j < d; j++ {
			y.Set(i, j, off)
		}
		y.Set(i, c, on)
	}
	return y
}

// Argmax returns, for every row of scores, the class label of its largest
// entry (the first on ties).
func Argmax(scores *mat.Dense, classes []int) []int {
	n, _ := scores.Dims()
	out := make([]int, n)
	for i := 0; i < n; i++ {
		out[i] = classes[floats.MaxIdx(scores.RawRowView(i))]
	}
	return out
}

// Accuracy returns the fraction of predicted equal to truth.
func Accuracy(predicted, truth []int) float64 {
	if len(predicted) != len(truth) {
		panic("prep: accuracy of label lists of different lengths")
	}
	if len(truth) == 0 {
		return math.NaN()
	}
	var ok int
	for i := range truth {
		if predicted[i] == truth[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(truth))
}

// StratifiedSplit splits the indices 0..len(labels)−1 into a training and
// a validation part, putting round(frac·count) of every class, chosen with
// the seed, into validation; both parts are in increasing order.
func StratifiedSplit(labels []int, frac float64, seed uint64) (train, val []int) {
	rng := rand.New(rand.NewPCG(seed, 0x76616c))
	for _, c := range Classes(labels) {
		var idx []int
		for i, l := range labels {
			if l == c {
				idx = append(idx, i)
			}
		}
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		k := int(math.Round(frac * float64(len(idx))))
		val = append(val, idx[:k]...)
		train = append(train, idx[k:]...)
	}
	sort.Ints(train)
	sort.Ints(val)
	return train, val
}
