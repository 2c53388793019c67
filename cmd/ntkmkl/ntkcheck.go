package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/ntkmkl/ntkmkl/internal/dataset"
	"github.com/ntkmkl/ntkmkl/internal/lineplot"
	"github.com/ntkmkl/ntkmkl/internal/model"
	"github.com/ntkmkl/ntkmkl/internal/prep"
	"github.com/ntkmkl/ntkmkl/internal/progress"
	"github.com/ntkmkl/ntkmkl/internal/report"
	"github.com/ntkmkl/ntkmkl/internal/train"
	"github.com/ntkmkl/ntkmkl/ntk"
	"github.com/urfave/cli/v2"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

func ntkCheckCommand() *cli.Command {
	flags := append(kernelFlags(5),
		&cli.StringFlag{Name: "widths", Value: "64,128,256,512,1024,2048,4096", Usage: "comma-separated hidden widths"},
		&cli.IntFlag{Name: "seeds", Value: 8, Usage: "random networks per width"},
		&cli.IntFlag{Name: "points", Value: 8, Usage: "inputs: the first embedded MNIST test digits, each scaled to unit norm"},
		&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the networks"},
		&cli.StringFlag{Name: "out", Value: "ntkmkl-ntkcheck", Usage: "output folder for ntk-check.json and ntk-check.png"},
		workersFlag,
		&cli.BoolFlag{Name: "quiet", Usage: "no progress on stderr"},
		&cli.StringFlag{Name: "fs-widths", Value: "64,256,1024", Usage: "function-space check: widths of the trained networks (empty: skip it)"},
		&cli.IntFlag{Name: "fs-steps", Value: 3000, Usage: "function-space check: full-batch gradient steps"},
		&cli.IntFlag{Name: "fs-seeds", Value: 3, Usage: "function-space check: networks per width"},
	)
	return &cli.Command{
		Name:  "ntk-check",
		Usage: "Theorem 1 made visible: empirical per-head NTKs of finite networks against the analytic Θ^(ℓ), by width",
		Description: "For every width and seed, a random network of DESIGN.md §1 is drawn and its per-head tangent kernel\n" +
			"⟨∇θ fℓ(x), ∇θ fℓ(x′)⟩ computed from exact gradients. Reported per depth: the relative Frobenius error of\n" +
			"one network's kernel (root mean square over seeds) and of the seed average, and the slope of log error\n" +
			"against log width, which should be near −1/2.",
		Flags:  flags,
		Action: runNTKCheck,
	}
}

// depthCheck is the result for one depth ℓ.
type depthCheck struct {
	Depth       int       `json:"depth"`
	OneError    []float64 `json:"one_network_error"` // per width: RMS over seeds of ‖Θ̂ − Θ‖_F/‖Θ‖_F
	MeanError   []float64 `json:"mean_error"`        // per width: ‖mean Θ̂ − Θ‖_F/‖Θ‖_F
	SlopeOne    float64   `json:"slope_one_network"`
	SlopeMean   float64   `json:"slope_mean"`
	AnalyticRMS float64   `json:"analytic_frobenius"`
}

type ntkCheckReport struct {
	Kernel  any          `json:"kernel"`
	Widths  []int        `json:"widths"`
	Seeds   int          `json:"seeds"`
	Points  int          `json:"points"`
	Depths  []depthCheck `json:"depths"`
	Summary string       `json:"summary"`
	// FunctionSpace is the trained-network check, nil when skipped.
	FunctionSpace *functionSpaceCheck `json:"function_space,omitempty"`
}

// functionSpaceCheck compares trained finite networks with kernel
// regression on the analytic kernel.
type functionSpaceCheck struct {
	Description string    `json:"description"`
	Widths      []int     `json:"widths"`
	RelError    []float64 `json:"relative_error"` // per width, RMS over seeds of ‖f_T − f_KRR‖/‖f_KRR − f_0‖ on the test inputs
	TrainLoss   []float64 `json:"final_train_loss"`
	Slope       float64   `json:"slope"`
	Steps       int       `json:"steps"`
	LR          float64   `json:"lr"`
	Train, Test int       `json:"-"`
}

func runNTKCheck(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("ntk-check takes no arguments, got %q", c.Args().First())
	}
	cfg, err := kernelConfig(c)
	if err != nil {
		return err
	}
	var widths []int
	for _, f := range strings.Split(c.String("widths"), ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || w < 1 || w > 1<<16 {
			return usagef("--widths %q: want comma-separated widths in 1..65536", c.String("widths"))
		}
		widths = append(widths, w)
	}
	if len(widths) < 2 {
		return usagef("--widths: need at least two widths for a slope")
	}
	seeds, points := c.Int("seeds"), c.Int("points")
	if seeds < 1 || points < 2 || points > 1000 {
		return usagef("--seeds ≥ 1 and --points in 2..1000")
	}
	nw, err := workers(c)
	if err != nil {
		return err
	}
	out := c.String("out")
	if err := prepareOutDir("out", out); err != nil {
		return err
	}
	_, test, err := dataset.Embedded()
	if err != nil {
		return err
	}
	x, _ := prep.Rows(test.X, nil, prep.Subset(points, points, 0))
	prep.Fit(prep.Unit, x).Apply(x)
	_, m := x.Dims()
	analytic := cfg.Stack(nil, x, nil, nil)
	L := cfg.Depth
	rep := &ntkCheckReport{Kernel: model.KernelOf(cfg), Widths: widths, Seeds: seeds, Points: points}
	for l := 0; l < L; l++ {
		rep.Depths = append(rep.Depths, depthCheck{Depth: l + 1, AnalyticRMS: mat.Norm(analytic[l], 2)})
	}
	prog := progress.New(c.App.ErrWriter, &progress.Settings{Quiet: c.Bool("quiet")})
	stage := prog.Stage("ntk-check", int64(len(widths)*seeds), "networks")
	for _, w := range widths {
		// One kernel per seed, computed in parallel and summed in seed
		// order, so the result does not depend on --workers.
		kernels := make([][]*mat.Dense, seeds)
		var wg sync.WaitGroup
		sem := make(chan struct{}, nw)
		for s := 0; s < seeds; s++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				net := ntk.NewNetwork(cfg, m, w, rand.New(rand.NewPCG(c.Uint64("seed"), uint64(w)<<20|uint64(s))))
				if cfg.Kind == ntk.NNGP {
					kernels[s] = net.EmpiricalNNGP(nil, x, x)
				} else {
					kernels[s] = net.EmpiricalNTK(nil, x, x)
				}
				stage.Add(1)
			}()
		}
		wg.Wait()
		if c.Context.Err() != nil {
			prog.Wait()
			return c.Context.Err()
		}
		for l := 0; l < L; l++ {
			var sum, diff mat.Dense
			var sq float64
			den := mat.Norm(analytic[l], 2)
			for s := 0; s < seeds; s++ {
				diff.Sub(kernels[s][l], analytic[l])
				sq += math.Pow(mat.Norm(&diff, 2)/den, 2)
				if s == 0 {
					sum.CloneFrom(kernels[s][l])
				} else {
					sum.Add(&sum, kernels[s][l])
				}
			}
			sum.Scale(1/float64(seeds), &sum)
			diff.Sub(&sum, analytic[l])
			d := &rep.Depths[l]
			d.OneError = append(d.OneError, math.Sqrt(sq/float64(seeds)))
			d.MeanError = append(d.MeanError, mat.Norm(&diff, 2)/den)
		}
	}
	stage.Done()
	prog.Wait()
	var slopes []float64
	var series []lineplot.Series
	ws := make([]float64, len(widths))
	for i, w := range widths {
		ws[i] = float64(w)
	}
	for l := range rep.Depths {
		d := &rep.Depths[l]
		d.SlopeOne, d.SlopeMean = logLogSlope(ws, d.OneError), logLogSlope(ws, d.MeanError)
		slopes = append(slopes, d.SlopeOne)
		series = append(series, lineplot.Series{Name: fmt.Sprintf("depth %d", d.Depth), X: ws, Y: d.OneError})
	}
	rep.Summary = fmt.Sprintf("slope of one network's error against width: %.3f to %.3f over depths 1..%d (theory: −1/2)", floats.Min(slopes), floats.Max(slopes), L)
	if fs := c.String("fs-widths"); fs != "" {
		var fsw []int
		for _, f := range strings.Split(fs, ",") {
			w, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || w < 1 || w > 1<<14 {
				return usagef("--fs-widths %q: want comma-separated widths in 1..16384", fs)
			}
			fsw = append(fsw, w)
		}
		if c.Int("fs-steps") < 1 || c.Int("fs-seeds") < 1 {
			return usagef("--fs-steps and --fs-seeds must be ≥ 1")
		}
		fsProg := progress.New(c.App.ErrWriter, &progress.Settings{Quiet: c.Bool("quiet")})
		fsStage := fsProg.Stage("function-space", int64(len(fsw)*c.Int("fs-seeds")), "networks")
		rep.FunctionSpace, err = functionSpace(c, cfg, fsw, c.Int("fs-steps"), c.Int("fs-seeds"), func() { fsStage.Add(1) })
		fsStage.Done()
		fsProg.Wait()
		if err != nil {
			return err
		}
	}
	if err := report.WriteJSON(filepath.Join(out, "ntk-check.json"), rep); err != nil {
		return err
	}
	if err := lineplot.Write(filepath.Join(out, "ntk-check.png"), lineplot.Settings{
		Title:  fmt.Sprintf("empirical vs analytic per-head %s (%s, %d seeds, %d inputs)", strings.ToUpper(cfg.Kind.String()), cfg.Resolved().Activation, seeds, points),
		XLabel: "width n", YLabel: "‖Θ̂ − Θ‖_F / ‖Θ‖_F (one network, RMS over seeds)", LogX: true, LogY: true, Mark: math.NaN(),
	}, series...); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', tabwriter.AlignRight)
	head := "depth\t"
	for _, w := range widths {
		head += fmt.Sprintf("n=%d\t", w)
	}
	fmt.Fprintln(tw, head+"slope\tslope (mean)\t")
	for _, d := range rep.Depths {
		row := fmt.Sprintf("%d\t", d.Depth)
		for _, e := range d.OneError {
			row += fmt.Sprintf("%.4f\t", e)
		}
		fmt.Fprintln(tw, row+fmt.Sprintf("%.3f\t%.3f\t", d.SlopeOne, d.SlopeMean))
	}
	tw.Flush()
	fmt.Fprintln(c.App.Writer, rep.Summary)
	if fs := rep.FunctionSpace; fs != nil {
		fmt.Fprintf(c.App.Writer, "function space (%d train, %d test digits, %d full-batch steps, Ω frozen at 1, μ = ω² = 1):\n", fs.Train, fs.Test, fs.Steps)
		for i, w := range fs.Widths {
			fmt.Fprintf(c.App.Writer, "  width %5d: ‖f_T − f_KRR‖/‖f_KRR − f_0‖ = %.4f (final train loss %.2g)\n", w, fs.RelError[i], fs.TrainLoss[i])
		}
		fmt.Fprintf(c.App.Writer, "  slope %.3f against width\n", fs.Slope)
	}
	fmt.Fprintf(c.App.Writer, "wrote %s/{ntk-check.json,ntk-check.png}\n", out)
	return nil
}

// logLogSlope is the least-squares slope of log y against log x.
func logLogSlope(x, y []float64) float64 {
	lx, ly := make([]float64, len(x)), make([]float64, len(y))
	for i := range x {
		lx[i], ly[i] = math.Log(x[i]), math.Log(y[i])
	}
	_, slope := stat.LinearRegression(lx, ly, nil, false)
	return slope
}

// functionSpace trains NTK-parameterized NFT-K networks with Ω frozen at
// all ones by full-batch gradient descent without weight decay on a few
// digits, and compares their test outputs with the limit Theorem 1
// predicts for gradient flow from the same initialization,
//
//	f_KRR(x) = f_0(x) + K(x, X) K(X, X)⁻¹ (Y − f_0(X)),  K = Σℓ ω²ℓ Θ^(ℓ) = Σℓ Θ^(ℓ),
//
// with the analytic Θ^(ℓ) and each network's own initial function f_0. The
// error relative to the learned part f_KRR − f_0 falls like 1/√width.
func functionSpace(c *cli.Context, cfg ntk.Config, widths []int, steps, seeds int, done func()) (*functionSpaceCheck, error) {
	trainSet, testSet, err := dataset.Embedded()
	if err != nil {
		return nil, err
	}
	const nTrain, nTest = 20, 10
	x, labels := prep.Rows(trainSet.X, trainSet.Labels, prep.Subset(nTrain, nTrain, 0))
	xt, _ := prep.Rows(testSet.X, nil, prep.Subset(nTest, nTest, 0))
	prep.Fit(prep.Unit, x).Apply(x)
	prep.Fit(prep.Unit, xt).Apply(xt)
	classes := prep.Classes(labels)
	d := len(classes)
	y := prep.Targets(labels, classes, false)
	idx := make([]int, nTrain)
	for i, l := range labels {
		idx[i] = slicesIndex(classes, l)
	}
	// K(X, X) and K(X*, X) summed over the depths (μ = 1).
	sum := func(stack []*mat.Dense) *mat.Dense {
		k := mat.DenseCopyOf(stack[0])
		for _, s := range stack[1:] {
			k.Add(k, s)
		}
		return k
	}
	ntkCfg := cfg
	ntkCfg.Kind = ntk.NTK
	kxx := sum(ntkCfg.Stack(nil, x, nil, nil))
	kxt := sum(ntkCfg.Stack(nil, xt, x, nil))
	var eig mat.EigenSym
	if !eig.Factorize(mat.NewSymDense(nTrain, kxx.RawMatrix().Data), false) {
		return nil, fmt.Errorf("ntk-check: eigendecomposition of the training kernel failed")
	}
	lmax := floats.Max(eig.Values(nil))
	// Gradient descent on (1/N)Σ‖f − y‖² moves f by −η(2/N)Θ̂(f − y); half
	// the stable step.
	lr := 0.5 * float64(nTrain) / lmax
	r := cfg.Resolved()
	res := &functionSpaceCheck{Widths: widths, Steps: steps, LR: lr, Train: nTrain, Test: nTest,
		Description: "NTK-parameterized NFT-K networks, Ω frozen at all ones, full-batch gradient descent without weight decay from initialization; compared with f_0 + K(x,X)K(X,X)⁻¹(Y − f_0(X)) for the analytic K = Σℓ Θ^(ℓ)"}
	for _, w := range widths {
		var sq, loss float64
		for s := 0; s < seeds; s++ {
			set := &train.Settings{Width: w, Depth: cfg.Depth, Batch: nTrain, Epochs: steps, LR: lr, LROmega: -1, WeightDecay: -1,
				Parameterization: train.NTK, SigmaW2: r.SigmaW2, SigmaB2: r.SigmaB2, SigmaV2: r.SigmaV2, Activation: r.Activation,
				Seed: c.Uint64("seed")*1000 + uint64(s), Workers: 1}
			if r.SigmaB2 == 0 {
				set.SigmaB2 = -1
			}
			net0 := train.New(784, d, set)
			f0x, f0t := mat.NewDense(nTrain, d, nil), mat.NewDense(nTest, d, nil)
			net0.Forward(f0x, x)
			net0.Forward(f0t, xt)
			out, err := train.Train(c.Context, x, idx, nil, nil, d, set)
			if err != nil {
				return nil, err
			}
			ft := mat.NewDense(nTest, d, nil)
			out.Net.Forward(ft, xt)
			// f_KRR = f_0 + K(X*,X) K⁻¹ (Y − f_0(X)).
			var resid, coef, learned, diff mat.Dense
			resid.Sub(y, f0x)
			if err := coef.Solve(kxx, &resid); err != nil {
				return nil, err
			}
			learned.Mul(kxt, &coef)
			var fk mat.Dense
			fk.Add(f0t, &learned)
			diff.Sub(ft, &fk)
			sq += math.Pow(mat.Norm(&diff, 2)/mat.Norm(&learned, 2), 2)
			loss += out.History[len(out.History)-1].Loss / float64(seeds)
			done()
		}
		res.RelError = append(res.RelError, math.Sqrt(sq/float64(seeds)))
		res.TrainLoss = append(res.TrainLoss, loss)
	}
	ws := make([]float64, len(widths))
	for i, w := range widths {
		ws[i] = float64(w)
	}
	res.Slope = logLogSlope(ws, res.RelError)
	return res, nil
}
