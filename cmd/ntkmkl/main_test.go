package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ntkmkl/ntkmkl/internal/dataset"
	"github.com/ntkmkl/ntkmkl/internal/prep"
	"github.com/ntkmkl/ntkmkl/internal/report"
	"github.com/ntkmkl/ntkmkl/mkl"
	"github.com/ntkmkl/ntkmkl/ntk"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// runCLI runs the command line in-process and returns the exit status and
// both outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"ntkmkl"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writeBlobs writes a small classification problem as .npy files: three
// Gaussian blobs in 5 dimensions, n training and 30 test points.
func writeBlobs(t *testing.T, dir string, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(42, 0))
	centres := [][]float64{{2, 0, 0, 1, 0}, {0, 2, 0, -1, 0}, {0, 0, 2, 0, 1}}
	write := func(name string, count int) {
		x := make([]float64, 0, count*5)
		y := make([]float64, 0, count)
		for i := 0; i < count; i++ {
			c := i % 3
			for j := 0; j < 5; j++ {
				x = append(x, centres[c][j]+rng.NormFloat64())
			}
			y = append(y, float64(c))
		}
		if err := dataset.WriteNPY(filepath.Join(dir, name+"_x.npy"), []int{count, 5}, x); err != nil {
			t.Fatal(err)
		}
		if err := dataset.WriteNPY(filepath.Join(dir, name+"_y.npy"), []int{count}, y); err != nil {
			t.Fatal(err)
		}
	}
	write("train", n)
	write("test", 30)
}

// TestFitCertificateRecomputed runs fit on .npy data and checks its outputs
// the way a user's checker would: Ω from omega.csv is feasible, and the
// objective and Frank–Wolfe gap recomputed from scratch (a new stack, new
// scales, mkl.Evaluate at that Ω) match report.json and meet the tolerance.
func TestFitCertificateRecomputed(t *testing.T) {
	dir := t.TempDir()
	writeBlobs(t, dir, 90)
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"newton", nil},
		{"gradient", []string{"--solver", "gradient"}},
		{"centered-erf", []string{"--targets", "centered", "--activation", "erf", "--sigma-b2", "0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"fit", "--quiet", "--depth", "4", "--lambda", "1e-2", "--tol", "1e-7", "--normalize", "standardize",
				"--train-x", filepath.Join(dir, "train_x.npy"), "--train-y", filepath.Join(dir, "train_y.npy"),
				"--test-x", filepath.Join(dir, "test_x.npy"), "--test-y", filepath.Join(dir, "test_y.npy"), "--out", out}, tc.extra...)
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			var rep struct {
				Objective     []float64 `json:"objective"`
				FWGap         []float64 `json:"fw_gap"`
				KernelScale   []float64 `json:"kernel_scale"`
				TestAccuracy  *float64  `json:"test_accuracy"`
				TrainAccuracy *float64  `json:"train_accuracy"`
			}
			js, _ := os.ReadFile(filepath.Join(out, "report.json"))
			if err := json.Unmarshal(js, &rep); err != nil {
				t.Fatal(err)
			}
			classes, omega, err := report.ReadOmegaCSV(filepath.Join(out, "omega.csv"))
			if err != nil {
				t.Fatal(err)
			}
			// Recompute the problem from the raw files.
			set, err := dataset.Join(filepath.Join(dir, "train_x.npy"), filepath.Join(dir, "train_y.npy"))
			if err != nil {
				t.Fatal(err)
			}
			prep.Fit(prep.Standardize, set.X).Apply(set.X)
			act, _ := ntk.ParseActivation(map[bool]string{true: "erf", false: "relu"}[tc.name == "centered-erf"])
			sb2 := map[bool]float64{true: 0.1, false: 0}[tc.name == "centered-erf"]
			cfg := ntk.Config{Depth: 4, Activation: act, SigmaB2: sb2}
			stack := cfg.Stack(nil, set.X, nil, nil)
			scales := mkl.KernelScales(cfg.Diag(nil, set.X))
			for l := range stack {
				stack[l].Scale(1/scales[l], stack[l])
				if math.Abs(scales[l]-rep.KernelScale[l]) > 1e-14*scales[l] {
					t.Errorf("scale %d: report %v, recomputed %v", l+1, rep.KernelScale[l], scales[l])
				}
			}
			p := &mkl.Problem{Kernels: stack, Targets: prep.Targets(set.Labels, classes, tc.name == "centered-erf"), Lambda: 1e-2}
			for c := range classes {
				mu := omega.RawRowView(c)
				if math.Abs(floats.Sum(mu)-1) > 1e-12 || floats.Min(mu) < 0 {
					t.Errorf("class %d: Ω row %v is not on the simplex", c, mu)
				}
				j, g, err := mkl.Evaluate(p, c, mu, 0)
				if err != nil {
					t.Fatal(err)
				}
				gap := mkl.FrankWolfeGap(g, mu)
				if gap > 1e-7*math.Abs(j) {
					t.Errorf("class %d: recomputed gap %g above tol·|J| = %g", c, gap, 1e-7*math.Abs(j))
				}
				if math.Abs(j-rep.Objective[c]) > 1e-10*math.Abs(j) {
					t.Errorf("class %d: report J %v, recomputed %v", c, rep.Objective[c], j)
				}
				if math.Abs(gap-rep.FWGap[c]) > 1e-9*math.Abs(j) {
					t.Errorf("class %d: report gap %v, recomputed %v", c, rep.FWGap[c], gap)
				}
			}
			if rep.TestAccuracy == nil || *rep.TestAccuracy < 0.8 {
				t.Errorf("test accuracy %v on well-separated blobs", rep.TestAccuracy)
			}
			for _, f := range []string{"heatmaps.png", "model/model.json", "model/alpha.npy", "model/train_x.npy"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Errorf("missing output %s", f)
				}
			}

			// predict on the test set reproduces fit's test accuracy.
			pred := filepath.Join(dir, "pred.csv")
			code, stdout, stderr = runCLI(t, "predict", "--quiet", "--model", filepath.Join(out, "model"),
				"--x", filepath.Join(dir, "test_x.npy"), "--y", filepath.Join(dir, "test_y.npy"), "--out", pred)
			if code != 0 {
				t.Fatalf("predict exit %d: %s", code, stderr)
			}
			if want := "accuracy " + strconv.FormatFloat(*rep.TestAccuracy, 'f', 4, 64); !strings.Contains(stdout, want) {
				t.Errorf("predict says %q, fit reported %s", stdout, want)
			}
			b, _ := os.ReadFile(pred)
			if lines := strings.Count(string(b), "\n"); lines != 31 {
				t.Errorf("predictions have %d lines, want header + 30", lines)
			}
		})
	}
}

// TestGramLayout: gram writes (L, n, n₂) with entry [ℓ−1, i, j] =
// Θ^(ℓ)(x_i, z_j) of the raw inputs, for X ≠ Z and for Z omitted.
func TestGramLayout(t *testing.T) {
	dir := t.TempDir()
	writeBlobs(t, dir, 12)
	x, _ := dataset.ReadFeatures(filepath.Join(dir, "train_x.npy"))
	z, _ := dataset.ReadFeatures(filepath.Join(dir, "test_x.npy"))
	cfg := ntk.Config{Depth: 3, Activation: ntk.Erf{}, SigmaB2: 0.2, Kind: ntk.NNGP}
	for _, withZ := range []bool{false, true} {
		out := filepath.Join(dir, "g.npy")
		args := []string{"gram", "--quiet", "--x", filepath.Join(dir, "train_x.npy"), "--depth", "3", "--activation", "erf", "--sigma-b2", "0.2", "--kind", "nngp", "--out", out}
		want := cfg.Stack(nil, x, x, nil)
		if withZ {
			args = append(args, "--z", filepath.Join(dir, "test_x.npy"))
			want = cfg.Stack(nil, x, z, nil)
		}
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		data, shape, err := dataset.ReadNPY(out)
		if err != nil {
			t.Fatal(err)
		}
		n2 := want[0].RawMatrix().Cols
		if len(shape) != 3 || shape[0] != 3 || shape[1] != 12 || shape[2] != n2 {
			t.Fatalf("shape %v", shape)
		}
		for l := range want {
			got := mat.NewDense(12, n2, data[l*12*n2:(l+1)*12*n2])
			if !mat.EqualApprox(got, want[l], 1e-13*mat.Norm(want[l], math.Inf(1))) {
				t.Errorf("withZ=%v layer %d differs", withZ, l+1)
			}
		}
	}
}

// TestBadUsage: every bad flag or input exits 2 with one line naming it,
// and leaves no output behind.
func TestBadUsage(t *testing.T) {
	dir := t.TempDir()
	writeBlobs(t, dir, 12)
	tx, ty := filepath.Join(dir, "train_x.npy"), filepath.Join(dir, "train_y.npy")
	file := filepath.Join(dir, "afile")
	os.WriteFile(file, []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.csv"), []byte("1,2\n3\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "one_y.csv"), []byte(strings.Repeat("1\n", 12)), 0o644)
	out := filepath.Join(dir, "never")
	data := []string{"--train-x", tx, "--train-y", ty}
	for _, tc := range []struct {
		args []string
		want string // must appear in the message
	}{
		{append([]string{"fit", "--depth", "0"}, data...), "--depth"},
		{append([]string{"fit", "--lambda", "0"}, data...), "--lambda"},
		{append([]string{"fit", "--lambda", "NaN"}, data...), "--lambda"},
		{append([]string{"fit", "--lambda", "-1"}, data...), "--lambda"},
		{append([]string{"fit", "--constraint", "positive"}, data...), "--omega-decay"},
		{append([]string{"fit", "--activation", "nosuch"}, data...), "--activation"},
		{append([]string{"fit", "--workers", "-3"}, data...), "--workers"},
		{append([]string{"fit", "--n-train", "100"}, data...), "--n-train"},
		{append([]string{"fit", "--normalize", "zca"}, data...), "--normalize"},
		{append([]string{"fit", "--max-memory", "100kB"}, data...), "--max-memory"},
		{append([]string{"fit", "--max-memory", "lots"}, data...), "--max-memory"},
		{append([]string{"fit", "--method", "nystrom", "--centers", "50"}, data...), "--centers"},
		{append([]string{"fit", "--method", "nystrom", "--max-memory", "1MB"}, data...), "--centers"},
		{append([]string{"fit", "--sketch", "x*"}, data...), "--method nystrom"},
		{append([]string{"sketch", "--centers", "5", "--out", filepath.Join(dir, "p")}, data...), "--shard"},
		{append([]string{"sketch", "--centers", "5"}, data...), "out"},
		{append([]string{"sketch", "--centers", "5", "--shard", "3/3", "--out", filepath.Join(dir, "p")}, data...), "--shard"},
		{append([]string{"fit", "--out", file}, data...), "--out"},
		{[]string{"fit", "--train-x", filepath.Join(dir, "missing.npy"), "--train-y", ty}, "missing.npy"},
		{[]string{"fit", "--train-x", filepath.Join(dir, "bad.csv"), "--train-y", ty}, "bad.csv"},
		{[]string{"fit", "--train-x", tx, "--train-y", filepath.Join(dir, "test_y.npy")}, "test_y.npy"},
		{[]string{"fit", "--train-x", tx, "--train-y", filepath.Join(dir, "one_y.csv")}, "single class"},
		{[]string{"fit", "--no-such-flag"}, "no-such-flag"},
		{[]string{"gram", "--x", tx, "--out", filepath.Join(dir, "nodir", "g.npy")}, "--out"},
		{[]string{"predict", "--model", dir, "--x", tx, "--out", filepath.Join(dir, "p.csv")}, "model"},
	} {
		tc.args = append(tc.args[:1], append([]string{"--quiet"}, tc.args[1:]...)...)
		if tc.args[0] == "fit" && !contains(tc.args, "--out") {
			tc.args = append(tc.args, "--out", out)
		}
		code, _, stderr := runCLI(t, tc.args...)
		msg := strings.TrimSpace(stderr)
		if code != 2 || strings.Count(msg, "\n") != 0 || !strings.Contains(msg, tc.want) {
			t.Errorf("%v: exit %d, message %q; want exit 2 and one line naming %q", tc.args, code, msg, tc.want)
		}
		if entries, _ := os.ReadDir(out); len(entries) > 0 {
			t.Errorf("%v: left %d entries in the output folder", tc.args, len(entries))
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestDefaultRunEmbedded runs fit with no data flags on the embedded MNIST
// digits. The default test uses 500 training digits and depth 5 to stay
// fast; NTKMKL_LONG=1 runs the README's command itself (2000 digits, depth
// 10, λ = 1e-3) and demands the issue's ≥ 0.90 test accuracy.
func TestDefaultRunEmbedded(t *testing.T) {
	out := t.TempDir()
	args := []string{"fit", "--out", out}
	minAcc := 0.85
	if os.Getenv("NTKMKL_LONG") == "" {
		args = append(args, "--n-train", "500", "--depth", "5")
	} else {
		args = append(args, "--depth", "10", "--lambda", "1e-3")
		minAcc = 0.90
	}
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "gram: done") || !strings.Contains(stderr, "mkl: done") {
		t.Errorf("no progress lines on stderr:\n%s", stderr)
	}
	var rep struct {
		TestAccuracy float64  `json:"test_accuracy"`
		Status       []string `json:"status"`
	}
	js, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", stdout)
	if rep.TestAccuracy < minAcc {
		t.Errorf("test accuracy %.4f < %.2f", rep.TestAccuracy, minAcc)
	}
	for c, s := range rep.Status {
		if s != "converged" {
			t.Errorf("class %d: %s", c, s)
		}
	}
}

// TestWorkersByteIdentical: --workers 1 and --workers 2 give byte-identical
// omega.csv and predictions: every class is one goroutine's sequential
// computation, and the stack's blocks are written, not reduced.
func TestWorkersByteIdentical(t *testing.T) {
	dir := t.TempDir()
	writeBlobs(t, dir, 60)
	var files [][]byte
	for _, w := range []string{"1", "2"} {
		out := filepath.Join(dir, "w"+w)
		code, _, stderr := runCLI(t, "fit", "--quiet", "--depth", "5", "--workers", w, "--solver", "gradient",
			"--train-x", filepath.Join(dir, "train_x.npy"), "--train-y", filepath.Join(dir, "train_y.npy"), "--out", out)
		if code != 0 {
			t.Fatalf("workers %s: exit %d: %s", w, code, stderr)
		}
		pred := filepath.Join(out, "pred.csv")
		if code, _, stderr := runCLI(t, "predict", "--quiet", "--workers", w, "--model", filepath.Join(out, "model"), "--x", filepath.Join(dir, "test_x.npy"), "--out", pred); code != 0 {
			t.Fatalf("predict: %s", stderr)
		}
		o, _ := os.ReadFile(filepath.Join(out, "omega.csv"))
		p, _ := os.ReadFile(pred)
		files = append(files, o, p)
	}
	if !bytes.Equal(files[0], files[2]) || !bytes.Equal(files[1], files[3]) {
		t.Error("--workers changed omega.csv or the predictions")
	}
}

// TestFitValidationAndLambdaAuto: --objective val holds out the requested
// stratified fraction and says so in the report; --lambda auto picks the
// grid point of least leave-one-out error and draws the curve.
func TestFitValidationAndLambdaAuto(t *testing.T) {
	dir := t.TempDir()
	writeBlobs(t, dir, 90)
	data := []string{"--train-x", filepath.Join(dir, "train_x.npy"), "--train-y", filepath.Join(dir, "train_y.npy"),
		"--test-x", filepath.Join(dir, "test_x.npy"), "--test-y", filepath.Join(dir, "test_y.npy")}
	out := filepath.Join(dir, "val")
	code, _, stderr := runCLI(t, append([]string{"fit", "--quiet", "--depth", "4", "--objective", "val", "--val-fraction", "0.2", "--out", out}, data...)...)
	if code != 0 {
		t.Fatalf("val: exit %d: %s", code, stderr)
	}
	var rep struct {
		Data struct {
			NTrain int `json:"n_train"`
			NVal   int `json:"n_val"`
		} `json:"data"`
		Splits map[string]string `json:"splits"`
		Kind   string            `json:"objective_kind"`
		Lambda *struct {
			Grid     []float64  `json:"grid"`
			LOOError []*float64 `json:"loo_error"`
			Chosen   float64    `json:"chosen"`
		} `json:"lambda_selection"`
		Config struct{ Lambda float64 } `json:"config"`
	}
	js, _ := os.ReadFile(filepath.Join(out, "report.json"))
	json.Unmarshal(js, &rep)
	// 90 points, 30 per class: 6 of each class to validation.
	if rep.Data.NVal != 18 || rep.Data.NTrain != 72 || !strings.HasPrefix(rep.Kind, "validation") || !strings.Contains(rep.Splits["omega"], "validation") {
		t.Errorf("val report: n_train %d n_val %d kind %q splits %v", rep.Data.NTrain, rep.Data.NVal, rep.Kind, rep.Splits)
	}

	out = filepath.Join(dir, "auto")
	code, _, stderr = runCLI(t, append([]string{"fit", "--quiet", "--depth", "4", "--lambda", "auto", "--lambda-grid", "1e-4,1e-2,1", "--out", out}, data...)...)
	if code != 0 {
		t.Fatalf("auto: exit %d: %s", code, stderr)
	}
	js, _ = os.ReadFile(filepath.Join(out, "report.json"))
	json.Unmarshal(js, &rep)
	if rep.Lambda == nil || len(rep.Lambda.Grid) != 3 {
		t.Fatalf("no lambda_selection: %s", js)
	}
	best := 0
	for i, e := range rep.Lambda.LOOError {
		if e != nil && *e < *rep.Lambda.LOOError[best] {
			best = i
		}
	}
	if rep.Lambda.Chosen != rep.Lambda.Grid[best] || rep.Config.Lambda != rep.Lambda.Chosen {
		t.Errorf("chose λ = %v (config %v), least LOO error at %v", rep.Lambda.Chosen, rep.Config.Lambda, rep.Lambda.Grid[best])
	}
	if _, err := os.Stat(filepath.Join(out, "loo.png")); err != nil {
		t.Error("no loo.png")
	}
}

// readOmega reads omega.csv of a run.
func readOmega(t *testing.T, dir string) *mat.Dense {
	t.Helper()
	_, o, err := report.ReadOmegaCSV(filepath.Join(dir, "omega.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestNystromCommandLine: with as many centres as training points the
// Nyström fit equals the exact fit (DESIGN.md §7); three sketch shards
// added by fit --sketch equal the single-process Nyström fit; and parts
// that do not belong together are refused with exit 2.
func TestNystromCommandLine(t *testing.T) {
	dir := t.TempDir()
	writeBlobs(t, dir, 60)
	data := []string{"--quiet", "--depth", "4", "--lambda", "1e-2", "--tol", "1e-9", "--normalize", "standardize",
		"--train-x", filepath.Join(dir, "train_x.npy"), "--train-y", filepath.Join(dir, "train_y.npy"),
		"--test-x", filepath.Join(dir, "test_x.npy"), "--test-y", filepath.Join(dir, "test_y.npy")}
	fit := func(out string, extra ...string) {
		t.Helper()
		if code, _, stderr := runCLI(t, append(append([]string{"fit", "--out", out}, data...), extra...)...); code != 0 {
			t.Fatalf("fit %v: exit %d: %s", extra, code, stderr)
		}
	}
	fit(filepath.Join(dir, "exact"))
	fit(filepath.Join(dir, "full"), "--method", "nystrom", "--centers", "60")
	if a, b := readOmega(t, filepath.Join(dir, "exact")), readOmega(t, filepath.Join(dir, "full")); !mat.EqualApprox(a, b, 1e-5) {
		t.Errorf("Nyström with m = n differs from exact:\n%v\n%v", mat.Formatted(a), mat.Formatted(b))
	}
	fit(filepath.Join(dir, "single"), "--method", "nystrom", "--centers", "20")
	parts := filepath.Join(dir, "parts")
	os.MkdirAll(parts, 0o755)
	for i := 0; i < 3; i++ {
		args := []string{"sketch", "--quiet", "--depth", "4", "--normalize", "standardize", "--centers", "20",
			"--train-x", filepath.Join(dir, "train_x.npy"), "--train-y", filepath.Join(dir, "train_y.npy"),
			"--shard", strconv.Itoa(i) + "/3", "--out", filepath.Join(parts, "part-"+strconv.Itoa(i))}
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("sketch %d: exit %d: %s", i, code, stderr)
		}
	}
	fit(filepath.Join(dir, "sharded"), "--method", "nystrom", "--centers", "20", "--sketch", filepath.Join(parts, "part-*"))
	if a, b := readOmega(t, filepath.Join(dir, "single")), readOmega(t, filepath.Join(dir, "sharded")); !mat.EqualApprox(a, b, 1e-9) {
		t.Errorf("sharded sketch differs from the single-process fit")
	}
	// A missing shard, and a part made with other settings, are refused.
	os.Rename(filepath.Join(parts, "part-1"), filepath.Join(dir, "part-1"))
	code, _, stderr := runCLI(t, append([]string{"fit", "--out", filepath.Join(dir, "bad"), "--method", "nystrom", "--centers", "20", "--sketch", filepath.Join(parts, "part-*")}, data...)...)
	if code != 2 || !strings.Contains(stderr, "missing") {
		t.Errorf("missing shard: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, append([]string{"fit", "--out", filepath.Join(dir, "bad"), "--method", "nystrom", "--centers", "20", "--seed", "9", "--sketch", filepath.Join(parts, "part-*")}, data...)...)
	if code != 2 || !strings.Contains(stderr, "fingerprint") {
		t.Errorf("other seed: exit %d, %q", code, stderr)
	}
}
