package checkpoint

import (
	"errors"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestSaveLoad: a state round-trips; another fingerprint or command is
// refused with ErrMismatch or a message; a missing file is an error.
func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoint.json")
	fp := NewHasher().JSON(map[string]int{"depth": 3}).Matrix(mat.NewDense(2, 2, []float64{1, 2, 3, 4})).Ints([]int{0, 1}).Sum()
	type state struct{ Weights []float64 }
	if err := Save(path, "fit", fp, state{[]float64{0.25, 0.75}}); err != nil {
		t.Fatal(err)
	}
	var got state
	if _, err := Load(path, "fit", fp, &got); err != nil || got.Weights[1] != 0.75 {
		t.Fatalf("load: %v %v", got, err)
	}
	other := NewHasher().JSON(map[string]int{"depth": 4}).Matrix(mat.NewDense(2, 2, []float64{1, 2, 3, 4})).Ints([]int{0, 1}).Sum()
	if _, err := Load(path, "fit", other, &got); !errors.Is(err, ErrMismatch) {
		t.Errorf("other fingerprint: %v", err)
	}
	if _, err := Load(path, "train", fp, &got); err == nil {
		t.Error("other command accepted")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none"), "fit", fp, &got); err == nil {
		t.Error("missing file accepted")
	}
}

// TestFingerprintSensitivity: one bit of data or one setting changes it.
func TestFingerprintSensitivity(t *testing.T) {
	a := mat.NewDense(1, 2, []float64{1, 2})
	b := mat.NewDense(1, 2, []float64{1, 2.0000000000000004})
	base := NewHasher().JSON("x").Matrix(a).Sum()
	for name, fp := range map[string]string{
		"data":   NewHasher().JSON("x").Matrix(b).Sum(),
		"config": NewHasher().JSON("y").Matrix(a).Sum(),
		"shape":  NewHasher().JSON("x").Matrix(mat.NewDense(2, 1, []float64{1, 2})).Sum(),
	} {
		if fp == base {
			t.Errorf("changing the %s left the fingerprint unchanged", name)
		}
	}
	if NewHasher().JSON("x").Matrix(a).Sum() != base {
		t.Error("fingerprint not deterministic")
	}
}
