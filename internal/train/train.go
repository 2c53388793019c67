package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/mat"
)

// Train trains the NFT-K MLP of DESIGN.md §1 on (xTrain, yTrain) as the
// paper does (DESIGN.md §6): xTrain is N×m, one sample per row, yTrain
// holds N class indices in [0, d), and the targets are their one-hot
// vectors. Each epoch shuffles the samples (with stream e of Seed for
// epoch e) and takes one step of both SGD optimizers per mini-batch; Ω is
// projected onto Ω ≥ 0 after each step. When xTest is not nil the
// accuracy on (xTest, yTest) is measured after every epoch.
//
// Train checks ctx before every step. When ctx is done it returns the
// partial result (whose State resumes exactly where it stopped) together
// with ctx.Err(). Data errors (shapes, labels out of range) and a
// diverging loss (ErrDiverged, with the partial result) are errors.
func Train(ctx context.Context, xTrain *mat.Dense, yTrain []int, xTest *mat.Dense, yTest []int, d int, s *Settings) (*Result, error) {
	start := time.Now()
	c, err := s.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkData("training", xTrain, yTrain, d); err != nil {
		return nil, err
	}
	N, m := xTrain.Dims()
	if xTest != nil {
		if err := checkData("test", xTest, yTest, d); err != nil {
			return nil, err
		}
		if _, mt := xTest.Dims(); mt != m {
			return nil, fmt.Errorf("train: test inputs have %d features, training inputs %d", mt, m)
		}
	}

	var net *Network
	state := State{Seed: c.Seed}
	if c.Resume != nil {
		if c.Resume.Net == nil {
			return nil, fmt.Errorf("train: Resume without a network")
		}
		state = *c.Resume
		net = c.Resume.Net.Clone()
		net.check()
		if nm, _, _, nd := net.Dims(); nm != m || nd != d {
			return nil, fmt.Errorf("train: resumed network has %d inputs and %d outputs, the data %d and %d", nm, nd, m, d)
		}
		if state.Epoch < 0 || state.Step < 0 || state.Step*c.Batch >= N && state.Step > 0 {
			return nil, fmt.Errorf("train: cannot resume at epoch %d, step %d with %d samples in batches of %d", state.Epoch, state.Step, N, c.Batch)
		}
	} else {
		net = New(m, d, &c)
	}
	net.SetCompute(c.Workers, c.Gonum)

	res := &Result{Net: net, Kernel: net.Kernel()}
	finish := func(err error) (*Result, error) {
		state.Net = net
		res.State = state
		res.Omega = mat.DenseCopyOf(net.Omega)
		res.Runtime = time.Since(start)
		return res, err
	}

	step := &sgd{lr: c.LR, lrOmega: c.LROmega, wd: c.WeightDecay}
	perm := make([]int, N)
	labels := make([]int, c.Batch)
	net.ensure(c.Batch)
	raw := xTrain.RawMatrix()
	for state.Epoch < c.Epochs {
		e := state.Epoch + 1
		shuffle(perm, state.Seed, e)
		t0 := time.Now()
		var lossSum float64
		correct, seen := 0, 0
		for i0 := state.Step * c.Batch; i0 < N; i0 += c.Batch {
			if err := ctx.Err(); err != nil {
				return finish(err)
			}
			b := min(c.Batch, N-i0)
			xb := net.ws.xb[:b*m]
			for j, p := range perm[i0 : i0+b] {
				copy(xb[j*m:(j+1)*m], raw.Data[p*raw.Stride:p*raw.Stride+m])
				labels[j] = yTrain[p]
			}
			xv := rowMajor(xb, b, m, m)
			net.forward(xv)
			loss, ok := net.backward(xv, labels[:b], nil, step)
			res.Steps++
			state.Step++
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return finish(fmt.Errorf("%w (epoch %d, step %d)", ErrDiverged, e, state.Step))
			}
			lossSum += loss * float64(b)
			correct += ok
			seen += b
		}
		state.Epoch, state.Step = e, 0
		st := EpochStats{Epoch: e, Seconds: time.Since(t0).Seconds(), TestAcc: math.NaN()}
		if seen > 0 {
			st.Loss = lossSum / float64(seen)
			st.TrainAcc = float64(correct) / float64(seen)
		}
		if xTest != nil {
			st.TestAcc = net.Accuracy(xTest, yTest)
		}
		res.History = append(res.History, st)
		if c.Progress != nil {
			c.Progress(st)
		}
	}
	return finish(nil)
}

// shuffle sets perm to the permutation of epoch e: a Fisher–Yates shuffle
// driven by stream e of seed.
func shuffle(perm []int, seed uint64, e int) {
	for i := range perm {
		perm[i] = i
	}
	rng := rand.New(rand.NewPCG(seed, uint64(e)))
	for i := len(perm) - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
}

func checkData(what string, x *mat.Dense, y []int, d int) error {
	if d < 1 {
		return fmt.Errorf("train: %d classes", d)
	}
	if x == nil || x.IsEmpty() {
		return fmt.Errorf("train: no %s inputs", what)
	}
	r, _ := x.Dims()
	if len(y) != r {
		return fmt.Errorf("train: %d %s inputs but %d labels", r, what, len(y))
	}
	for i, c := range y {
		if c < 0 || c >= d {
			return fmt.Errorf("train: %s label %d of sample %d is outside [0, %d)", what, c, i, d)
		}
	}
	return nil
}
