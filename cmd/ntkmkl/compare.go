package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"text/tabwriter"

	"github.com/ntkmkl/ntkmkl/internal/heatmap"
	"github.com/ntkmkl/ntkmkl/internal/report"
	"github.com/ntkmkl/ntkmkl/mkl"
	"github.com/urfave/cli/v2"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

func compareCommand() *cli.Command {
	return &cli.Command{
		Name:  "compare",
		Usage: "compare the Ω of two runs (e.g. infinite-width fit against finite-width train)",
		Description: "Both sides are read from omega.csv (a run's --out folder or the file itself). Finite-width readout\n" +
			"weights ω are squared to kernel weights μ = ω² (DESIGN.md §3) unless --finite-map identity; then each\n" +
			"row is divided by its Euclidean norm (Ω_n, the paper's Fig. 2) before anything is compared.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "infinite", Usage: "the reference run (fit): folder or omega.csv", Required: true},
			&cli.StringFlag{Name: "finite", Usage: "the other run (train, or another fit): folder or omega.csv", Required: true},
			&cli.StringFlag{Name: "finite-map", Value: "square", Usage: "map the finite side's weights: square (ω → ω², for train) or identity (for kernel weights, e.g. another fit)"},
			&cli.Float64Flag{Name: "threshold", Value: 0.05, Usage: "a layer is in a class's support when its row-normalized weight exceeds this"},
			&cli.StringFlag{Name: "out", Value: "ntkmkl-compare", Usage: "output folder for compare.json and compare.png"},
		},
		Action: runCompare,
	}
}

// classComparison holds the per-class metrics.
type classComparison struct {
	Class     int       `json:"class"`
	Cosine    jsonFloat `json:"cosine"`
	Spearman  jsonFloat `json:"spearman"` // null when a row is constant
	Precision float64   `json:"support_precision"`
	Recall    float64   `json:"support_recall"`
	F1        float64   `json:"support_f1"`
	TopInf    int       `json:"top_layer_infinite"`
	TopFin    int       `json:"top_layer_finite"`
	TopAgrees bool      `json:"top_layer_agrees"`
}

// comparison is compare.json.
type comparison struct {
	Infinite        string            `json:"infinite"`
	Finite          string            `json:"finite"`
	FiniteMap       string            `json:"finite_map"`
	Threshold       float64           `json:"support_threshold"`
	ThresholdNote   string            `json:"support_threshold_note"`
	Classes         []classComparison `json:"classes"`
	MeanCosine      jsonFloat         `json:"mean_cosine"`
	MeanSpearman    jsonFloat         `json:"mean_spearman"` // over the classes where it is defined
	Precision       float64           `json:"support_precision"`
	Recall          float64           `json:"support_recall"`
	F1              float64           `json:"support_f1"`
	TopAgreement    float64           `json:"top_layer_agreement"`
	ClassCorr       jsonFloat         `json:"class_by_class_correlation"`
	LayerCorr       jsonFloat         `json:"layer_by_layer_correlation"`
	SparsityInf     float64           `json:"sparsity_infinite"`
	SparsityFin     float64           `json:"sparsity_finite"`
	FiniteRowsOmega [][]float64       `json:"finite_normalized"`
	InfRowsOmega    [][]float64       `json:"infinite_normalized"`
}

// omegaPath accepts a folder holding omega.csv or the file itself.
func omegaPath(flag, p string) (string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", usagef("--%s %s: %v", flag, p, err)
	}
	if fi.IsDir() {
		p = filepath.Join(p, "omega.csv")
	}
	return p, nil
}

func runCompare(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("compare takes no arguments, got %q", c.Args().First())
	}
	mapping := c.String("finite-map")
	if mapping != "square" && mapping != "identity" {
		return usagef("--finite-map %q: want square or identity", mapping)
	}
	tau := c.Float64("threshold")
	if !(tau >= 0 && tau < 1) {
		return usagef("--threshold %v: must be in [0, 1)", tau)
	}
	infPath, err := omegaPath("infinite", c.String("infinite"))
	if err != nil {
		return err
	}
	finPath, err := omegaPath("finite", c.String("finite"))
	if err != nil {
		return err
	}
	out := c.String("out")
	if err := prepareOutDir("out", out); err != nil {
		return err
	}
	ci, oi, err := report.ReadOmegaCSV(infPath)
	if err != nil {
		return badInput(err)
	}
	cf, of, err := report.ReadOmegaCSV(finPath)
	if err != nil {
		return badInput(err)
	}
	if !slices.Equal(ci, cf) {
		return usagef("the runs have different classes: %v in %s, %v in %s", ci, infPath, cf, finPath)
	}
	if _, L := oi.Dims(); L != of.RawMatrix().Cols {
		return usagef("the runs have different depths: %d layers in %s, %d in %s", L, infPath, of.RawMatrix().Cols, finPath)
	}
	if mapping == "square" {
		of.MulElem(of, of)
	}
	res := compareOmega(oi, of, ci, tau)
	res.Infinite, res.Finite, res.FiniteMap = infPath, finPath, mapping
	if err := report.WriteJSON(filepath.Join(out, "compare.json"), res); err != nil {
		return err
	}
	ni, nf := mkl.RowNormalize(nil, oi), mkl.RowNormalize(nil, of)
	var diff mat.Dense
	diff.Sub(nf, ni)
	labels := make([]string, len(ci))
	for i, cl := range ci {
		labels[i] = strconv.Itoa(cl)
	}
	_, L := oi.Dims()
	layers := make([]string, L)
	for l := range layers {
		layers[l] = strconv.Itoa(l + 1)
	}
	panel := func(title string, m mat.Matrix) heatmap.Panel {
		return heatmap.Panel{Title: title, M: m, RowLabels: labels, ColLabels: layers, RowAxis: "class", ColAxis: "layer"}
	}
	if err := heatmap.Panels(filepath.Join(out, "compare.png"), []heatmap.Panel{
		panel("infinite Ω_{n}", ni), panel("finite Ω_{n} ("+mapping+")", nf), panel("finite − infinite", &diff),
	}, fmt.Sprintf("Ω_{n} compared: mean cosine %.3f, support F1 %.3f", res.MeanCosine, res.F1)); err != nil {
		return err
	}
	printComparison(c.App.Writer, res)
	fmt.Fprintf(c.App.Writer, "wrote %s/{compare.json,compare.png}\n", out)
	return nil
}

// compareOmega computes the metrics of two d×L weight matrices (kernel
// weights, not yet normalized).
func compareOmega(oi, of *mat.Dense, classes []int, tau float64) *comparison {
	ni, nf := mkl.RowNormalize(nil, oi), mkl.RowNormalize(nil, of)
	d, L := ni.Dims()
	res := &comparison{Threshold: tau, ThresholdNote: fmt.Sprintf("layer ℓ is in the support of class c when Ω_n[c,ℓ] > %g (rows of unit Euclidean norm); the infinite run is the reference for precision and recall", tau),
		SparsityInf: mkl.Sparsity(oi), SparsityFin: mkl.Sparsity(of)}
	var tp, fp, fn, agree int
	var cosines, rhos []float64
	for c := 0; c < d; c++ {
		a, b := ni.RawRowView(c), nf.RawRowView(c)
		cc := classComparison{Class: classes[c], Cosine: jsonFloat(cosine(a, b)), Spearman: jsonFloat(spearman(a, b)),
			TopInf: floats.MaxIdx(a) + 1, TopFin: floats.MaxIdx(b) + 1}
		cc.TopAgrees = cc.TopInf == cc.TopFin
		var ctp, cfp, cfn int
		for l := 0; l < L; l++ {
			inI, inF := a[l] > tau, b[l] > tau
			switch {
			case inI && inF:
				ctp++
			case inF:
				cfp++
			case inI:
				cfn++
			}
		}
		cc.Precision, cc.Recall, cc.F1 = prf(ctp, cfp, cfn)
		tp, fp, fn = tp+ctp, fp+cfp, fn+cfn
		if cc.TopAgrees {
			agree++
		}
		res.Classes = append(res.Classes, cc)
		cosines, rhos = append(cosines, float64(cc.Cosine)), append(rhos, float64(cc.Spearman))
		res.InfRowsOmega = append(res.InfRowsOmega, a)
		res.FiniteRowsOmega = append(res.FiniteRowsOmega, b)
	}
	res.MeanCosine, res.MeanSpearman = jsonFloat(meanDefined(cosines)), jsonFloat(meanDefined(rhos))
	res.Precision, res.Recall, res.F1 = prf(tp, fp, fn)
	res.TopAgreement = float64(agree) / float64(d)
	var gi, gf, hi, hf mat.Dense
	gi.Mul(ni, ni.T())
	gf.Mul(nf, nf.T())
	hi.Mul(ni.T(), ni)
	hf.Mul(nf.T(), nf)
	res.ClassCorr = jsonFloat(stat.Correlation(gi.RawMatrix().Data, gf.RawMatrix().Data, nil))
	res.LayerCorr = jsonFloat(stat.Correlation(hi.RawMatrix().Data, hf.RawMatrix().Data, nil))
	return res
}

// jsonFloat is a float64 that encodes NaN (an undefined metric) as null.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// meanDefined averages the values that are not NaN.
func meanDefined(v []float64) float64 {
	var s float64
	var n int
	for _, x := range v {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

func cosine(a, b []float64) float64 {
	na, nb := floats.Norm(a, 2), floats.Norm(b, 2)
	if na == 0 || nb == 0 {
		return math.NaN()
	}
	return floats.Dot(a, b) / (na * nb)
}

// spearman is the Pearson correlation of the ranks, ties given their
// average rank; NaN when either side is constant.
func spearman(a, b []float64) float64 {
	return stat.Correlation(ranks(a), ranks(b), nil)
}

func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return x[idx[i]] < x[idx[j]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

// prf returns precision, recall and F1; an empty denominator gives 1 when
// there was nothing to find and nothing was found.
func prf(tp, fp, fn int) (p, r, f float64) {
	ratio := func(a, b int) float64 {
		if b == 0 {
			return 1
		}
		return float64(a) / float64(b)
	}
	p, r = ratio(tp, tp+fp), ratio(tp, tp+fn)
	if p+r == 0 {
		return p, r, 0
	}
	return p, r, 2 * p * r / (p + r)
}

func printComparison(w io.Writer, r *comparison) {
	fmt.Fprintf(w, "infinite: %s\nfinite:   %s (weights mapped by %s)\nsupport: Ω_n > %g\n", r.Infinite, r.Finite, r.FiniteMap, r.Threshold)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\tcosine\tspearman\tprecision\trecall\tF1\ttop inf\ttop fin\t")
	for _, c := range r.Classes {
		fmt.Fprintf(tw, "%d\t%.3f\t%.3f\t%.2f\t%.2f\t%.2f\t%d\t%d\t\n", c.Class, c.Cosine, c.Spearman, c.Precision, c.Recall, c.F1, c.TopInf, c.TopFin)
	}
	fmt.Fprintf(tw, "all\t%.3f\t%.3f\t%.2f\t%.2f\t%.2f\t%.0f%%\tagree\t\n", r.MeanCosine, r.MeanSpearman, r.Precision, r.Recall, r.F1, 100*r.TopAgreement)
	tw.Flush()
	fmt.Fprintf(w, "correlation of Ω_nΩ_nᵀ (class × class) %.3f, of Ω_nᵀΩ_n (layer × layer) %.3f; sparsity %.1f%% infinite, %.1f%% finite\n",
		r.ClassCorr, r.LayerCorr, 100*r.SparsityInf, 100*r.SparsityFin)
}
