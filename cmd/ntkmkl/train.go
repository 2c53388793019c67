package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/ntkmkl/ntkmkl/internal/checkpoint"
	"github.com/ntkmkl/ntkmkl/internal/heatmap"
	"github.com/ntkmkl/ntkmkl/internal/prep"
	"github.com/ntkmkl/ntkmkl/internal/progress"
	"github.com/ntkmkl/ntkmkl/internal/report"
	"github.com/ntkmkl/ntkmkl/internal/train"
	"github.com/ntkmkl/ntkmkl/krr"
	"github.com/ntkmkl/ntkmkl/mkl"
	"github.com/urfave/cli/v2"
	"gonum.org/v1/gonum/mat"
)

func trainCommand() *cli.Command {
	flags := kernelFlags(10)[:5] // depth, activation, quadrature degree, σw², σb² (σv² below)
	flags = append(flags,
		&cli.Float64Flag{Name: "sigma-v2", Value: 1, Usage: "readout variance σv² (ntk parameterization)", Category: "kernel"},
		&cli.IntFlag{Name: "width", Value: 256, Usage: "hidden units per layer", Category: "network"},
		&cli.StringFlag{Name: "parameterization", Value: "standard", Usage: "standard (Xavier-normal init, the paper's runs) or ntk (DESIGN.md §1)", Category: "network"},
		&cli.BoolFlag{Name: "plain", Usage: "an ordinary MLP: only the last readout (Table 1's MLP rows)", Category: "network"},
		&cli.IntFlag{Name: "epochs", Value: 10, Usage: "passes over the training set", Category: "training"},
		&cli.IntFlag{Name: "batch", Value: 50, Usage: "mini-batch size", Category: "training"},
		&cli.Float64Flag{Name: "lr", Value: 0.02, Usage: "SGD learning rate η_θ of W, b and V", Category: "training"},
		&cli.Float64Flag{Name: "lr-omega", Value: 0.05, Usage: "SGD learning rate η_Ω of Ω (projected to be positive after each step; 0 freezes Ω)", Category: "training"},
		&cli.Float64Flag{Name: "weight-decay", Value: 2e-6, Usage: "weight decay of both optimizers", Category: "training"},
		&cli.BoolFlag{Name: "mean-outputs", Usage: "average the MSE over the outputs too (torch.nn.MSELoss); default: summed over outputs, averaged over the batch", Category: "training"},
		workersFlag,
		&cli.StringFlag{Name: "out", Value: "ntkmkl-train", Usage: "output folder", Category: "run"},
		&cli.BoolFlag{Name: "quiet", Usage: "no progress on stderr", Category: "run"},
		&cli.DurationFlag{Name: "checkpoint-every", Value: 5 * time.Minute, Usage: "write --out/checkpoint.json this often, at a step boundary (at least 1s; 0: only when interrupted)", Category: "run"},
		&cli.BoolFlag{Name: "resume", Usage: "continue from --out/checkpoint.json", Category: "run"},
	)
	for _, f := range dataFlags() {
		if sf, ok := f.(*cli.StringFlag); ok && sf.Name == "normalize" {
			g := *sf
			g.Value = string(prep.None) // the paper trains on pixels/255
			f = &g
		}
		switch f.Names()[0] {
		case "val-fraction", "val-x", "val-y":
			continue
		}
		flags = append(flags, f)
	}
	return &cli.Command{
		Name:  "train",
		Usage: "train the finite-width NFT-K MLP as in the paper (DESIGN.md §6) and write its ω",
		Description: "Two SGD optimizers (θ at --lr, Ω at --lr-omega, weight decay on both), batch 50, width 256,\n" +
			"Xavier-normal init, Ω projected to be positive after every step, MSE on one-hot targets. Outputs in\n" +
			"--out: omega.csv (the learned ω), report.json (with μ = ω², the kernel weights of DESIGN.md §3, and\n" +
			"the per-epoch history) and heatmaps.png. compare --finite reads them.",
		Flags:  flags,
		Action: runTrain,
	}
}

// trainConfig is the report's and the fingerprint's view of the flags.
type trainConfig struct {
	Depth            int     `json:"depth"`
	Width            int     `json:"width"`
	Activation       string  `json:"activation"`
	Parameterization string  `json:"parameterization"`
	SigmaW2          float64 `json:"sigma_w2"`
	SigmaB2          float64 `json:"sigma_b2"`
	SigmaV2          float64 `json:"sigma_v2"`
	Plain            bool    `json:"plain"`
	Epochs           int     `json:"epochs"`
	Batch            int     `json:"batch"`
	LR               float64 `json:"lr"`
	LROmega          float64 `json:"lr_omega"`
	WeightDecay      float64 `json:"weight_decay"`
	MeanOutputs      bool    `json:"mean_outputs"`
	Normalize        string  `json:"normalize"`
	Seed             uint64  `json:"seed"`
	NTrain           int     `json:"n_train_flag"`
	NTest            int     `json:"n_test_flag"`
}

type trainReport struct {
	Command          string             `json:"command"`
	Config           trainConfig        `json:"config"`
	Build            report.Build       `json:"build"`
	Kernel           string             `json:"gemm_kernel"`
	Data             *data              `json:"data"`
	Classes          []int              `json:"classes"`
	Omega            [][]float64        `json:"omega"`
	Mu               [][]float64        `json:"mu"`
	MuNote           string             `json:"mu_note"`
	History          []train.EpochStats `json:"history"`
	TrainAccuracy    *float64           `json:"train_accuracy"`
	TestAccuracy     *float64           `json:"test_accuracy"`
	UnseenTestLabels []int              `json:"unseen_test_labels,omitempty"`
	Sparsity         float64            `json:"sparsity"`
	DroppedLayers    []int              `json:"dropped_layers"`
	Timings          map[string]float64 `json:"timings"`
}

// savedNet is a checkpoint of a training run: the parameters and where
// the schedule stands.
type savedNet struct {
	W, V  [][]float64
	B     [][]float64
	Omega []float64
	Epoch int
	Step  int
}

func runTrain(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("train takes no arguments, got %q", c.Args().First())
	}
	start := time.Now()
	cfg, err := kernelConfig(c)
	if err != nil {
		return err
	}
	tc := trainConfig{Depth: cfg.Depth, Width: c.Int("width"), Activation: cfg.Resolved().Activation.String(), Parameterization: c.String("parameterization"),
		SigmaW2: cfg.Resolved().SigmaW2, SigmaB2: cfg.SigmaB2, SigmaV2: cfg.Resolved().SigmaV2, Plain: c.Bool("plain"),
		Epochs: c.Int("epochs"), Batch: c.Int("batch"), LR: c.Float64("lr"), LROmega: c.Float64("lr-omega"), WeightDecay: c.Float64("weight-decay"),
		MeanOutputs: c.Bool("mean-outputs"), Normalize: c.String("normalize"), Seed: c.Uint64("seed"), NTrain: c.Int("n-train"), NTest: c.Int("n-test")}
	switch {
	case tc.Width < 1 || tc.Width > 1<<16:
		return usagef("--width %d: must be in 1..65536", tc.Width)
	case tc.Parameterization != train.Standard && tc.Parameterization != train.NTK:
		return usagef("--parameterization %q: want standard or ntk", tc.Parameterization)
	case tc.Epochs < 1:
		return usagef("--epochs %d: must be ≥ 1", tc.Epochs)
	case tc.Batch < 1:
		return usagef("--batch %d: must be ≥ 1", tc.Batch)
	case !(tc.LR > 0) || math.IsInf(tc.LR, 0):
		return usagef("--lr %v: must be a positive finite number", tc.LR)
	case !(tc.LROmega >= 0) || math.IsInf(tc.LROmega, 0):
		return usagef("--lr-omega %v: must be a finite number ≥ 0", tc.LROmega)
	case !(tc.WeightDecay >= 0) || math.IsInf(tc.WeightDecay, 0):
		return usagef("--weight-decay %v: must be a finite number ≥ 0", tc.WeightDecay)
	}
	w, err := workers(c)
	if err != nil {
		return err
	}
	out := c.String("out")
	if err := prepareOutDir("out", out); err != nil {
		return err
	}
	d, err := loadData(c)
	if err != nil {
		return err
	}
	classes := prep.Classes(d.train.Labels)
	index := func(labels []int) []int {
		idx := make([]int, len(labels))
		for i, l := range labels {
			idx[i] = slicesIndex(classes, l)
		}
		return idx
	}
	// The trainer's per-epoch test accuracy sees the test points of known
	// classes; the final one counts points of unseen classes as errors.
	var xTest, xTestAll *mat.Dense
	var yTest []int
	var unseen []int
	if d.test != nil {
		xTestAll = mat.DenseCopyOf(d.test.X)
		d.Normalizer.Apply(xTestAll)
		unseen = unseenLabels(d.test.Labels, classes)
		var known []int
		for i, l := range d.test.Labels {
			if !slices.Contains(unseen, l) {
				known = append(known, i)
			}
		}
		var lab []int
		xTest, lab = prep.Rows(xTestAll, d.test.Labels, known)
		yTest = index(lab)
	}
	wd := tc.WeightDecay
	if wd == 0 {
		wd = -1 // the trainer's "none"
	}
	set := &train.Settings{Width: tc.Width, Depth: tc.Depth, Batch: tc.Batch, Epochs: tc.Epochs, LR: tc.LR, LROmega: tc.LROmega,
		WeightDecay: wd, Parameterization: tc.Parameterization, SigmaW2: tc.SigmaW2, SigmaB2: tc.SigmaB2, SigmaV2: tc.SigmaV2,
		Activation: cfg.Activation, Plain: tc.Plain, MeanOutputs: tc.MeanOutputs, Seed: tc.Seed, Workers: w}
	if tc.SigmaB2 == 0 {
		set.SigmaB2 = -1 // the trainer's explicit zero
	}
	if tc.LROmega == 0 {
		set.LROmega = -1 // the trainer's frozen Ω
	}
	_, m := d.train.X.Dims()
	ckPath := filepath.Join(out, "checkpoint.json")
	fp := checkpoint.NewHasher().JSON(tc).Matrix(d.train.X).Ints(d.train.Labels).Sum()
	if c.Bool("resume") {
		var sn savedNet
		if _, err := checkpoint.Load(ckPath, "train", fp, &sn); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return usagef("--resume: no checkpoint at %s", ckPath)
			}
			return usagef("--resume: %v", err)
		}
		net := train.New(m, len(classes), set)
		if err := restoreNet(net, &sn); err != nil {
			return usagef("--resume: %s: %v", ckPath, err)
		}
		set.Resume = &train.State{Net: net, Seed: tc.Seed, Epoch: sn.Epoch, Step: sn.Step}
	}
	log := logger(c)
	log.Info("train start", "n_train", d.NTrain, "n_test", d.NTest, "depth", tc.Depth, "width", tc.Width, "parameterization", tc.Parameterization, "plain", tc.Plain, "epochs", tc.Epochs, "out", out)
	prog := progress.New(c.App.ErrWriter, &progress.Settings{Quiet: c.Bool("quiet")})
	stage := prog.Stage("train", int64(tc.Epochs), "epochs")
	if set.Resume != nil {
		stage.Add(int64(set.Resume.Epoch))
	}
	set.Progress = func(e train.EpochStats) {
		stage.Add(1)
		stage.SetStatus(fmt.Sprintf("epoch %d loss %.4g test %.4f", e.Epoch, e.Loss, e.TestAcc))
		prog.Logf("epoch %d: loss %.5g, train accuracy %.4f (running), test accuracy %.4f, %.1fs", e.Epoch, e.Loss, e.TrainAcc, e.TestAcc, e.Seconds)
	}
	save := func(st train.State) error { return checkpoint.Save(ckPath, "train", fp, saveNet(st)) }
	// Periodic checkpoints: train for --checkpoint-every, stop at the next
	// step, save, and continue from the saved state (bit for bit the same
	// as not stopping).
	every := c.Duration("checkpoint-every")
	if every > 0 && every < time.Second {
		every = time.Second // each stretch must get some steps done
	}
	var history []train.EpochStats
	var res *train.Result
	var trainTime time.Duration
	for {
		ctx, cancel := c.Context, context.CancelFunc(func() {})
		if every > 0 {
			ctx, cancel = context.WithTimeout(c.Context, every)
		}
		res, err = train.Train(ctx, d.train.X, index(d.train.Labels), xTest, yTest, len(classes), set)
		cancel()
		if res != nil {
			history = append(history, res.History...)
			trainTime += res.Runtime
		}
		if err == nil {
			break
		}
		if res == nil || !(errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return err
		}
		if e := save(res.State); e != nil {
			return fmt.Errorf("writing checkpoint %s: %w", ckPath, e)
		}
		if c.Context.Err() != nil {
			prog.Wait()
			return resumeHint(c, ckPath)
		}
		log.Info("checkpoint written", "path", ckPath, "epoch", res.State.Epoch, "step", res.State.Step)
		st := res.State
		set.Resume = &st
	}
	stage.Done()
	prog.Wait()
	rep := &trainReport{Command: "train", Config: tc, Build: report.BuildInfo(krr.Backend), Kernel: res.Kernel, Data: d, Classes: classes,
		History: history, Sparsity: mkl.Sparsity(res.Omega), DroppedLayers: mkl.DroppedLayers(res.Omega), Timings: map[string]float64{},
		MuNote: "μ = ω²: the kernel weights of Eq. 15 that this network's readout weights correspond to at infinite width (DESIGN.md §3); compare reads omega.csv and squares it"}
	dcl, L := res.Omega.Dims()
	for i := 0; i < dcl; i++ {
		row := mat.Row(nil, i, res.Omega)
		rep.Omega = append(rep.Omega, row)
		mu := make([]float64, L)
		for l, v := range row {
			mu[l] = v * v
		}
		rep.Mu = append(rep.Mu, mu)
	}
	rep.TrainAccuracy = finiteOrNull(res.Net.Accuracy(d.train.X, index(d.train.Labels)))
	if xTestAll != nil {
		pred := res.Net.Predict(nil, xTestAll)
		for i, p := range pred {
			pred[i] = classes[p]
		}
		rep.TestAccuracy = finiteOrNull(prep.Accuracy(pred, d.test.Labels))
		rep.UnseenTestLabels = unseen
	}
	rep.Timings["train"] = trainTime.Seconds()
	labels := make([]string, len(classes))
	for i, cl := range classes {
		labels[i] = strconv.Itoa(cl)
	}
	if err := report.WriteOmegaCSV(filepath.Join(out, "omega.csv"), classes, res.Omega); err != nil {
		return err
	}
	if err := heatmap.Fig2(filepath.Join(out, "heatmaps.png"), res.Omega, labels,
		fmt.Sprintf("finite-width NFT-K, %d layers × %d, %s (readout weights ω)", tc.Depth, tc.Width, tc.Parameterization)); err != nil {
		return err
	}
	rep.Timings["total"] = time.Since(start).Seconds()
	if err := report.WriteJSON(filepath.Join(out, "report.json"), rep); err != nil {
		return err
	}
	removeFile(ckPath)
	fmt.Fprintf(c.App.Writer, "ntkmkl train: %d layers × %d (%s%s), %d epochs on %d points (%s)\n", tc.Depth, tc.Width, tc.Parameterization,
		map[bool]string{true: ", plain MLP", false: ", NFT-K"}[tc.Plain], tc.Epochs, d.NTrain, d.Source)
	fmt.Fprintf(c.App.Writer, "train accuracy %s, test accuracy %s; sparsity of ω %.1f%%, dropped layers %v; time %.1fs (gemm %s)\n",
		formatAccuracy(rep.TrainAccuracy), formatAccuracy(rep.TestAccuracy), 100*rep.Sparsity, rep.DroppedLayers, rep.Timings["total"], res.Kernel)
	fmt.Fprintf(c.App.Writer, "wrote %s/{omega.csv,report.json,heatmaps.png}\n", out)
	log.Info("train done", "seconds", rep.Timings["total"], "out", out)
	return nil
}

// saveNet copies a training state into its checkpoint form.
func saveNet(st train.State) savedNet {
	flat := func(m *mat.Dense) []float64 { return mat.DenseCopyOf(m).RawMatrix().Data }
	sn := savedNet{Omega: flat(st.Net.Omega), Epoch: st.Epoch, Step: st.Step}
	for l := range st.Net.W {
		sn.W = append(sn.W, flat(st.Net.W[l]))
		sn.V = append(sn.V, flat(st.Net.V[l]))
		sn.B = append(sn.B, append([]float64(nil), st.Net.B[l]...))
	}
	return sn
}

// restoreNet writes a checkpoint's parameters into a network of the same
// architecture.
func restoreNet(net *train.Network, sn *savedNet) error {
	if len(sn.W) != len(net.W) || len(sn.V) != len(net.V) || len(sn.B) != len(net.B) {
		return fmt.Errorf("checkpoint of a %d-layer network, this run has %d", len(sn.W), len(net.W))
	}
	fill := func(dst *mat.Dense, src []float64) error {
		raw := dst.RawMatrix()
		if raw.Rows*raw.Cols != len(src) {
			return fmt.Errorf("checkpoint holds %d parameters where the network has %d", len(src), raw.Rows*raw.Cols)
		}
		for i := 0; i < raw.Rows; i++ {
			copy(raw.Data[i*raw.Stride:i*raw.Stride+raw.Cols], src[i*raw.Cols:(i+1)*raw.Cols])
		}
		return nil
	}
	for l := range net.W {
		if err := fill(net.W[l], sn.W[l]); err != nil {
			return err
		}
		if err := fill(net.V[l], sn.V[l]); err != nil {
			return err
		}
		if len(sn.B[l]) != len(net.B[l]) {
			return fmt.Errorf("checkpoint bias of %d units, network has %d", len(sn.B[l]), len(net.B[l]))
		}
		copy(net.B[l], sn.B[l])
	}
	return fill(net.Omega, sn.Omega)
}

// slicesIndex returns the position of v in the sorted classes.
func slicesIndex(classes []int, v int) int {
	i, _ := slices.BinarySearch(classes, v)
	return i
}

func removeFile(path string) { os.Remove(path) }
