package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntkmkl/ntkmkl/internal/report"
	"gonum.org/v1/gonum/mat"
)

// TestCompareMetrics checks compareOmega on two 2×3 matrices whose
// metrics follow by hand. Class 0: (1, 0, 0) against (0.6, 0.8, 0)/1 after
// normalization: cosine 0.6; support {1} against {1, 2}: precision 1/2,
// recall 1; top layers 1 and 2. Class 1: (0, 3, 4)/5 against (0, 3, 4)/5:
// cosine 1, support identical, top layer 3 on both.
func TestCompareMetrics(t *testing.T) {
	inf := mat.NewDense(2, 3, []float64{1, 0, 0, 0, 3, 4})
	fin := mat.NewDense(2, 3, []float64{0.6, 0.8, 0, 0, 0.6, 0.8})
	r := compareOmega(inf, fin, []int{0, 1}, 0.05)
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"cosine 0", float64(r.Classes[0].Cosine), 0.6},
		{"cosine 1", float64(r.Classes[1].Cosine), 1},
		{"precision 0", r.Classes[0].Precision, 0.5},
		{"recall 0", r.Classes[0].Recall, 1},
		{"F1 0", r.Classes[0].F1, 2 * 0.5 / 1.5},
		{"pooled precision", r.Precision, 3.0 / 4}, // tp 3 (1 + 2), fp 1
		{"pooled recall", r.Recall, 1},
		{"top agreement", r.TopAgreement, 0.5},
		{"mean cosine", float64(r.MeanCosine), 0.8},
		// ranks of (1,0,0) are (3, 1.5, 1.5), of (0.6,0.8,0) (2, 3, 1);
		// centred, (1, −½, −½)·(0, 1, −1) = 0, so Spearman's ρ is 0.
		{"spearman 0", float64(r.Classes[0].Spearman), 0},
		{"spearman 1", float64(r.Classes[1].Spearman), 1},
	} {
		if math.Abs(tc.got-tc.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if r.Classes[0].TopAgrees || !r.Classes[1].TopAgrees {
		t.Error("top-layer agreement wrong")
	}
}

// TestCompareCommand: a run compared with itself (identity map) agrees
// perfectly; a square map of ω = √μ gives the same.
func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	omega := mat.NewDense(3, 4, []float64{0.5, 0.5, 0, 0, 0, 0.1, 0.9, 0, 0.25, 0.25, 0.25, 0.25})
	report.WriteOmegaCSV(filepath.Join(dir, "a.csv"), []int{0, 1, 2}, omega)
	var root mat.Dense
	root.Apply(func(_, _ int, v float64) float64 { return math.Sqrt(v) }, omega)
	report.WriteOmegaCSV(filepath.Join(dir, "b.csv"), []int{0, 1, 2}, &root)
	for _, tc := range []struct{ finite, mapping string }{{"a.csv", "identity"}, {"b.csv", "square"}} {
		code, stdout, stderr := runCLI(t, "compare", "--infinite", filepath.Join(dir, "a.csv"), "--finite", filepath.Join(dir, tc.finite),
			"--finite-map", tc.mapping, "--out", filepath.Join(dir, "cmp"))
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if want := "all   1.000"; !strings.Contains(stdout, want) {
			t.Errorf("%s/%s: %s", tc.finite, tc.mapping, stdout)
		}
	}
	report.WriteOmegaCSV(filepath.Join(dir, "c.csv"), []int{0, 1, 5}, omega)
	if code, _, _ := runCLI(t, "compare", "--infinite", filepath.Join(dir, "a.csv"), "--finite", filepath.Join(dir, "c.csv"), "--out", filepath.Join(dir, "cmp")); code != 2 {
		t.Errorf("different classes: exit %d", code)
	}
}

// TestNTKCheckCommand: the per-network error of the empirical NTK falls
// like width^(−1/2) at every depth (slopes in [−0.8, −0.25] at 16 seeds,
// widths 64–1024), and the files are written.
func TestNTKCheckCommand(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "ntk-check", "--quiet", "--depth", "3", "--widths", "64,256,1024", "--seeds", "16", "--points", "6", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep ntkCheckReport
	js, _ := os.ReadFile(filepath.Join(out, "ntk-check.json"))
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Depths {
		if d.SlopeOne < -0.8 || d.SlopeOne > -0.25 {
			t.Errorf("depth %d: slope %.3f, want about −1/2\n%s", d.Depth, d.SlopeOne, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "ntk-check.png")); err != nil {
		t.Error("no plot")
	}
}

// TestTrainCommand: train writes ω to omega.csv, μ = ω² to report.json,
// one history entry per epoch, and a plain MLP keeps only its last head.
func TestTrainCommand(t *testing.T) {
	dir := t.TempDir()
	writeBlobs(t, dir, 90)
	data := []string{"--train-x", filepath.Join(dir, "train_x.npy"), "--train-y", filepath.Join(dir, "train_y.npy"),
		"--test-x", filepath.Join(dir, "test_x.npy"), "--test-y", filepath.Join(dir, "test_y.npy")}
	for _, plain := range []bool{false, true} {
		out := filepath.Join(dir, map[bool]string{false: "nftk", true: "plain"}[plain])
		args := append([]string{"train", "--quiet", "--depth", "3", "--width", "32", "--epochs", "4", "--batch", "10", "--out", out}, data...)
		if plain {
			args = append(args, "--plain")
		}
		code, _, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("plain=%v: exit %d: %s", plain, code, stderr)
		}
		var rep trainReport
		js, _ := os.ReadFile(filepath.Join(out, "report.json"))
		if err := json.Unmarshal(js, &rep); err != nil {
			t.Fatal(err)
		}
		_, omega, err := report.ReadOmegaCSV(filepath.Join(out, "omega.csv"))
		if err != nil {
			t.Fatal(err)
		}
		for c := range rep.Mu {
			for l, mu := range rep.Mu[c] {
				if w := omega.At(c, l); mu != w*w || w < 0 {
					t.Errorf("plain=%v class %d layer %d: μ %v, ω %v", plain, c, l+1, mu, w)
				}
				if plain && l < 2 && omega.At(c, l) != 0 {
					t.Errorf("plain MLP uses head %d", l+1)
				}
			}
		}
		if len(rep.History) != 4 || rep.TestAccuracy == nil || *rep.TestAccuracy < 0.8 {
			t.Errorf("plain=%v: %d epochs of history, test accuracy %v", plain, len(rep.History), rep.TestAccuracy)
		}
	}
}

// TestFunctionSpaceCheck: trained networks with Ω frozen approach the
// kernel-regression limit of Theorem 1 as the width grows: the relative
// error at width 512 is well below that at width 32 (measured: about
// 0.55 → 0.29 at depth 3, slope ≈ −0.25), and training converged.
func TestFunctionSpaceCheck(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "ntk-check", "--quiet", "--depth", "2", "--widths", "32,64", "--seeds", "1",
		"--fs-widths", "32,512", "--fs-steps", "1500", "--fs-seeds", "2", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep ntkCheckReport
	js, _ := os.ReadFile(filepath.Join(out, "ntk-check.json"))
	if err := json.Unmarshal(js, &rep); err != nil || rep.FunctionSpace == nil {
		t.Fatalf("no function-space result: %v", err)
	}
	fs := rep.FunctionSpace
	if !(fs.RelError[1] < 0.8*fs.RelError[0]) {
		t.Errorf("function-space error %v does not fall with width\n%s", fs.RelError, stdout)
	}
	for i, l := range fs.TrainLoss {
		if l > 1e-4 {
			t.Errorf("width %d: training did not converge (loss %g)", fs.Widths[i], l)
		}
	}
}

// TestLogLogSlope checks the fitted exponent on exact power laws, whose
// slope is known by construction.
func TestLogLogSlope(t *testing.T) {
	for _, tc := range []struct {
		x, y []float64
		want float64
	}{
		{[]float64{1, 2, 4, 8}, []float64{1, 0.5, 0.25, 0.125}, -1}, // y = 1/x
		{[]float64{128, 512, 2048}, []float64{3, 1.5, 0.75}, -0.5},  // y ∝ x^(−1/2)
		{[]float64{1, 10}, []float64{2, 200}, 2},                    // y = 2x²
	} {
		if got := logLogSlope(tc.x, tc.y); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("logLogSlope(%v, %v) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}
