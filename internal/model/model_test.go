package model

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ntkmkl/ntkmkl/internal/prep"
	"github.com/ntkmkl/ntkmkl/mkl"
	"github.com/ntkmkl/ntkmkl/ntk"
	"gonum.org/v1/gonum/mat"
)

// sample returns a small model with random training inputs and weights.
func sample() *Model {
	rng := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(7, 3, nil)
	for i := range x.RawMatrix().Data {
		x.RawMatrix().Data[i] = rng.NormFloat64()
	}
	alpha := mat.NewDense(7, 2, nil)
	for i := range alpha.RawMatrix().Data {
		alpha.RawMatrix().Data[i] = rng.NormFloat64()
	}
	return &Model{
		Kernel: KernelOf(ntk.Config{Depth: 3, Activation: ntk.Erf{}, SigmaB2: 0.1}), KernelScale: "mean-diag",
		Scales: []float64{1.5, 2, 2.5}, Normalization: prep.Normalizer{Kind: prep.Unit}, Classes: []int{3, 8},
		Lambda: 1e-3, Omega: [][]float64{{0.2, 0.3, 0.5}, {1, 0, 0}}, Features: 3, TrainPoints: 7, TrainX: x, Alpha: alpha,
	}
}

// TestSaveLoadPredict: a saved model loads back equal, and its streamed
// prediction (blocks of 2 rows) equals Scores on the whole scaled
// cross-stack of the normalized inputs, computed here directly.
func TestSaveLoadPredict(t *testing.T) {
	m := sample()
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(dir); err != nil { // replacing an existing model
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(got.TrainX, m.TrainX) || !mat.Equal(got.Alpha, m.Alpha) || got.Kernel != m.Kernel {
		t.Fatal("round trip changed the model")
	}
	x := mat.NewDense(5, 3, []float64{1, 2, 3, 0, 1, 0, -1, 2, 0.5, 3, 3, 3, 0.1, 0, 0})
	scores, err := got.Predict(x, &Settings{BlockRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	xn := mat.DenseCopyOf(x)
	m.Normalization.Apply(xn)
	cfg, _ := m.Kernel.Config()
	cross := cfg.Stack(nil, xn, m.TrainX, nil)
	for l := range cross {
		cross[l].Scale(1/m.Scales[l], cross[l])
	}
	want := mkl.Scores(nil, cross, m.OmegaMatrix(), m.Alpha)
	if !mat.EqualApprox(scores, want, 1e-13) {
		t.Errorf("streamed prediction differs from the direct one")
	}
	if _, err := got.Predict(mat.NewDense(1, 4, nil), nil); err == nil {
		t.Error("wrong feature count accepted")
	}
}

// TestLoadRejects: inconsistent model folders are errors, not panics.
func TestLoadRejects(t *testing.T) {
	for name, edit := range map[string]func(m map[string]any){
		"format":  func(m map[string]any) { m["format"] = "other/9" },
		"depth":   func(m map[string]any) { m["kernel"].(map[string]any)["depth"] = 0 },
		"scales":  func(m map[string]any) { m["scales"] = []float64{1} },
		"omega":   func(m map[string]any) { m["omega"] = [][]float64{{1}} },
		"points":  func(m map[string]any) { m["train_points"] = 8 },
		"lambda":  func(m map[string]any) { m["lambda"] = -1 },
		"act":     func(m map[string]any) { m["kernel"].(map[string]any)["activation"] = "nope" },
		"classes": func(m map[string]any) { m["classes"] = []int{} },
	} {
		dir := filepath.Join(t.TempDir(), "model")
		if err := sample().Save(dir); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "model.json"))
		var js map[string]any
		json.Unmarshal(b, &js)
		edit(js)
		b, _ = json.Marshal(js)
		os.WriteFile(filepath.Join(dir, "model.json"), b, 0o644)
		if _, err := Load(dir); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzLoad feeds arbitrary model.json contents next to valid arrays: Load
// must return a model or an error, never panic, and a loaded model must
// predict without panicking.
func FuzzLoad(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "model")
	if err := sample().Save(dir); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, "model.json"))
	f.Add(good)
	f.Add([]byte(`{"format":"ntkmkl-model/1"}`))
	f.Add([]byte(`{"format":"ntkmkl-model/1","kernel":{"depth":1000000000,"activation":"relu","kind":"ntk"}}`))
	f.Fuzz(func(t *testing.T, js []byte) {
		if err := os.WriteFile(filepath.Join(dir, "model.json"), js, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := Load(dir)
		if err != nil {
			return
		}
		if m.Kernel.Depth > 64 {
			return // valid but slow to evaluate
		}
		if _, err := m.Predict(mat.NewDense(1, m.Features, nil), nil); err != nil && m.Features == 3 {
			t.Errorf("loaded model fails to predict: %v", err)
		}
	})
}
