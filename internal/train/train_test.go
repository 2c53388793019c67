package train

import (
	"context"
	"errors"
	"math"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/ntkmkl/ntkmkl/internal/dataset"
	"github.com/ntkmkl/ntkmkl/ntk"
)

// TestTrainBlobs trains on three well separated Gaussian blobs (see blobs)
// in both parameterizations and as a plain MLP. A linear classifier
// separates them almost surely, so the expected outcome is a loss that
// falls to under a third of its first epoch and a test accuracy ≥ 0.95.
func TestTrainBlobs(t *testing.T) {
	xtr, ytr := blobs(600, 10, 3, 1)
	xte, yte := blobs(300, 10, 3, 2)
	for _, tc := range []struct {
		name string
		s    Settings
	}{
		{"standard", Settings{}},
		{"ntk", Settings{Parameterization: NTK}},
		{"plain", Settings{Plain: true}},
		{"erf", Settings{Activation: ntk.Erf{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			s.Width, s.Depth, s.Epochs, s.Seed = 32, 3, 8, 3
			res, err := Train(context.Background(), xtr, ytr, xte, yte, 3, &s)
			if err != nil {
				t.Fatal(err)
			}
			h := res.History
			if len(h) != 8 {
				t.Fatalf("%d epochs in History, want 8", len(h))
			}
			if first, last := h[0].Loss, h[len(h)-1].Loss; !(last < first/3) {
				t.Errorf("loss went from %v to %v, want a fall to under a third", first, last)
			}
			if acc := h[len(h)-1].TestAcc; acc < 0.95 {
				t.Errorf("test accuracy %v, want ≥ 0.95", acc)
			}
			if r, c := res.Omega.Dims(); r != 3 || c != 3 {
				t.Errorf("Omega is %d×%d, want 3×3", r, c)
			}
			if res.Steps != 8*12 || res.State.Epoch != 8 || res.State.Step != 0 {
				t.Errorf("Steps %d, State %+v; want 96 steps ending at epoch 8, step 0", res.Steps, res.State)
			}
		})
	}
}

// TestOmega checks the projection (every Ω entry ≥ 0, and a rate large
// enough to push some below zero leaves exact zeros) and that the plain
// MLP leaves Ω and the unused readouts as they were.
func TestOmega(t *testing.T) {
	x, y := blobs(400, 6, 4, 5)
	res, err := Train(context.Background(), x, y, nil, nil, 4, &Settings{Width: 16, Depth: 4, Epochs: 3, LROmega: 2})
	if err != nil {
		t.Fatal(err)
	}
	zeros := 0
	r, c := res.Omega.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			switch v := res.Omega.At(i, j); {
			case v < 0 || math.IsNaN(v):
				t.Errorf("Ω[%d,%d] = %v", i, j, v)
			case v == 0:
				zeros++
			}
		}
	}
	if zeros == 0 {
		t.Errorf("no Ω entry was projected to zero at LROmega = 2:\n%v", mat.Formatted(res.Omega))
	}

	s := &Settings{Width: 16, Depth: 4, Epochs: 2, Plain: true, Seed: 9}
	init := New(6, 4, s)
	res, err = Train(context.Background(), x, y, nil, nil, 4, s)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(res.Omega, init.Omega) {
		t.Errorf("plain training changed Ω")
	}
	for l := 0; l < 3; l++ {
		if !sameBits(res.Net.V[l], init.V[l]) {
			t.Errorf("plain training changed the unused readout V[%d]", l)
		}
	}
	if sameBits(res.Net.V[3], init.V[3]) {
		t.Errorf("plain training did not change the last readout")
	}
}

// TestDeterminism: the same seed gives the same network bit for bit,
// for any number of workers (each entry of every product is summed in a
// fixed order, see gemmer), and on the gonum path for repeated runs.
func TestDeterminism(t *testing.T) {
	x, y := blobs(230, 12, 3, 8) // 230 = 4·50 + 30: a short last batch
	run := func(workers int, gonum bool, seed uint64) *Result {
		res, err := Train(context.Background(), x, y, nil, nil, 3, &Settings{Width: 40, Depth: 3, Epochs: 2, Workers: workers, Gonum: gonum, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ref := run(1, false, 1)
	for _, w := range []int{2, 3, 5} {
		if got := run(w, false, 1); !sameNet(got.Net, ref.Net) {
			t.Errorf("Workers=%d: network differs from Workers=1", w)
		}
	}
	if !sameNet(run(1, true, 1).Net, run(2, true, 1).Net) {
		t.Errorf("gonum path: two runs with the same seed differ")
	}
	if sameNet(run(1, false, 2).Net, ref.Net) {
		t.Errorf("seeds 1 and 2 gave the same network")
	}
}

// cancelAfter is an activation that cancels a context after a number of
// calls, to interrupt Train at a reproducible point inside an epoch.
type cancelAfter struct {
	ntk.Activation
	n      *int
	cancel context.CancelFunc
}

func (c cancelAfter) Phi(x float64) float64 {
	if *c.n--; *c.n == 0 {
		c.cancel()
	}
	return c.Activation.Phi(x)
}

// TestResume interrupts training at an epoch boundary (from Progress) and
// inside an epoch (from the activation), resumes from Result.State, and
// expects the network of an uninterrupted run bit for bit.
func TestResume(t *testing.T) {
	x, y := blobs(230, 8, 3, 3)
	base := Settings{Width: 12, Depth: 3, Epochs: 3, Seed: 5, Activation: ntk.Erf{}}
	want, err := Train(context.Background(), x, y, nil, nil, 3, &base)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	s := base
	s.Progress = func(st EpochStats) {
		if st.Epoch == 1 {
			cancel()
		}
	}
	part, err := Train(ctx, x, y, nil, nil, 3, &s)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v, want context.Canceled", err)
	}
	if part.State.Epoch != 1 || part.State.Step != 0 || len(part.History) != 1 {
		t.Fatalf("interrupted at %+v with %d epochs of history, want epoch 1, step 0", part.State, len(part.History))
	}
	s = base
	s.Resume = &part.State
	got, err := Train(context.Background(), x, y, nil, nil, 3, &s)
	if err != nil {
		t.Fatal(err)
	}
	if !sameNet(got.Net, want.Net) {
		t.Errorf("resumed at an epoch boundary: network differs from the uninterrupted run")
	}

	// Inside epoch 2: a forward pass calls Phi width·depth times per
	// sample; epoch 1 has 230 samples, so the call below falls in the
	// third step of epoch 2, which completes before Train stops.
	ctx, cancel = context.WithCancel(context.Background())
	calls := 12*3*(230+2*50) + 1
	s = base
	s.Activation = cancelAfter{Activation: ntk.Erf{}, n: &calls, cancel: cancel}
	part, err = Train(ctx, x, y, nil, nil, 3, &s)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v, want context.Canceled", err)
	}
	if part.State.Epoch != 1 || part.State.Step != 3 {
		t.Fatalf("interrupted at %+v, want epoch 1, step 3", part.State)
	}
	part.State.Net.Activation = ntk.Erf{}
	s = base
	s.Resume = &part.State
	got, err = Train(context.Background(), x, y, nil, nil, 3, &s)
	if err != nil {
		t.Fatal(err)
	}
	if !sameNet(got.Net, want.Net) {
		t.Errorf("resumed inside an epoch: network differs from the uninterrupted run")
	}
}

// TestTrainErrors checks that bad data are errors, not panics.
func TestTrainErrors(t *testing.T) {
	x, y := blobs(20, 3, 2, 1)
	bad := append([]int(nil), y...)
	bad[3] = 2
	xt := mat.NewDense(4, 5, nil)
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"label out of range", func() error { _, err := Train(context.Background(), x, bad, nil, nil, 2, nil); return err }},
		{"label count", func() error { _, err := Train(context.Background(), x, y[:5], nil, nil, 2, nil); return err }},
		{"no inputs", func() error { _, err := Train(context.Background(), nil, nil, nil, nil, 2, nil); return err }},
		{"test features", func() error {
			_, err := Train(context.Background(), x, y, xt, []int{0, 0, 0, 0}, 2, &Settings{Width: 4, Depth: 1, Epochs: 1})
			return err
		}},
		{"parameterization", func() error {
			_, err := Train(context.Background(), x, y, nil, nil, 2, &Settings{Parameterization: "mup"})
			return err
		}},
	} {
		if err := tc.run(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	x.Set(0, 0, 1e200)
	_, err := Train(context.Background(), x, y, nil, nil, 2, &Settings{Width: 4, Depth: 2, Epochs: 1})
	if !errors.Is(err, ErrDiverged) {
		t.Errorf("huge input: error %v, want ErrDiverged", err)
	}
}

// TestMNISTLong trains the paper's 10 × 256 network on the embedded MNIST
// subset (5000 training, 1000 test digits) for 10 epochs, as NFT-K and as
// a plain MLP. The same setting in PyTorch (the network of
// bench/torch/nftk_epoch.py, one seed, run when this test was written)
// reached 89.6 % (NFT-K) and 89.0 % (plain) after 10 epochs, so 0.86 is the
// bar, with room for the seed. Set NTKMKL_LONG=1 to run it (about a
// minute).
func TestMNISTLong(t *testing.T) {
	if os.Getenv("NTKMKL_LONG") != "1" {
		t.Skip("set NTKMKL_LONG=1 to train on the MNIST subset")
	}
	train, test, err := dataset.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []bool{false, true} {
		res, err := Train(context.Background(), train.X, train.Labels, test.X, test.Labels, 10, &Settings{Epochs: 10, Seed: 1, Plain: plain,
			Progress: func(st EpochStats) { t.Logf("plain=%v %+v", plain, st) }})
		if err != nil {
			t.Fatal(err)
		}
		if acc := res.History[len(res.History)-1].TestAcc; acc < 0.86 {
			t.Errorf("plain=%v: test accuracy %v after 10 epochs, want ≥ 0.86", plain, acc)
		}
		if !plain {
			zeros := 0
			for _, v := range res.Omega.RawMatrix().Data {
				if v == 0 {
					zeros++
				}
			}
			t.Logf("Ω has %d zero entries of %d", zeros, len(res.Omega.RawMatrix().Data))
		}
	}
}
