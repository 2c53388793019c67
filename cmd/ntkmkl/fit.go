package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ntkmkl/ntkmkl/internal/heatmap"
	"github.com/ntkmkl/ntkmkl/internal/lineplot"
	"github.com/ntkmkl/ntkmkl/internal/model"
	"github.com/ntkmkl/ntkmkl/internal/prep"
	"github.com/ntkmkl/ntkmkl/internal/progress"
	"github.com/ntkmkl/ntkmkl/internal/report"
	"github.com/ntkmkl/ntkmkl/krr"
	"github.com/ntkmkl/ntkmkl/mkl"
	"github.com/ntkmkl/ntkmkl/ntk"
	"github.com/urfave/cli/v2"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// condWarn is the condition number above which a solve is reported as
// ill-conditioned: about 1e-4 relative accuracy is left in α.
const condWarn = 1e12

func fitCommand() *cli.Command {
	flags := kernelFlags(10)
	flags = append(flags,
		&cli.StringFlag{Name: "lambda", Value: "1e-3", Usage: "ridge λ > 0, added literally to every K_c (Eq. 14), or auto: the λ of --lambda-grid with the least leave-one-out error on the uniform-Ω kernel", Category: "kernel"},
		&cli.StringFlag{Name: "lambda-grid", Value: "1e-6:1:13", Usage: "grid for --lambda auto: lo:hi:count (log-spaced) or a comma-separated list", Category: "kernel"},
		&cli.StringFlag{Name: "objective", Value: "dual", Usage: "what Ω minimizes: dual (J_c of Eq. 9 on the training set) or val (held-out squared error on a validation split)", Category: "omega"},
		&cli.StringFlag{Name: "kernel-scale", Value: "mean-diag", Usage: "divide each Θ^(ℓ) by the mean of its training diagonal (mean-diag) or not (none)", Category: "kernel"},
		&cli.StringFlag{Name: "constraint", Value: "simplex", Usage: "feasible set of each row of Ω: simplex (sums to 1) or positive (Eq. 12, needs --omega-decay > 0)", Category: "omega"},
		&cli.Float64Flag{Name: "omega-decay", Value: 0, Usage: "weight decay γ‖μ_c‖² of the positive constraint", Category: "omega"},
		&cli.StringFlag{Name: "solver", Value: "newton", Usage: "newton (projected Newton) or gradient (projected gradient, Eq. 16)", Category: "omega"},
		&cli.Float64Flag{Name: "lr", Value: 0, Usage: "initial step of projected gradient, halved by the line search (0: automatic, Barzilai–Borwein)", Category: "omega"},
		&cli.IntFlag{Name: "max-iter", Value: 1000, Usage: "iteration limit per class", Category: "omega"},
		&cli.Float64Flag{Name: "tol", Value: 1e-6, Usage: "stop a class when its certificate is at most tol·|J_c|", Category: "omega"},
		workersFlag,
		&cli.StringFlag{Name: "out", Value: "ntkmkl-out", Usage: "output folder", Category: "run"},
		&cli.BoolFlag{Name: "quiet", Usage: "no progress on stderr", Category: "run"},
		&cli.DurationFlag{Name: "checkpoint-every", Value: 5 * time.Minute, Usage: "write --out/checkpoint.json this often during the MKL iterations (0: only when interrupted)", Category: "run"},
		&cli.BoolFlag{Name: "resume", Usage: "continue from --out/checkpoint.json (refused if it was written for other inputs or settings)", Category: "run"},
		&cli.StringFlag{Name: "max-memory", Usage: "refuse to start when the estimated peak memory exceeds this size, e.g. 512MB or 16GB (default: the memory available)", Category: "run"},
		&cli.StringFlag{Name: "method", Value: "exact", Usage: "exact (n×n kernels) or nystrom (m centres, DESIGN.md §7)", Category: "nystrom"},
		&cli.StringFlag{Name: "sketch", Usage: "Nyström: add the parts written by sketch (a glob such as 'dir/part-*') instead of computing the blocks here", Category: "nystrom"},
	)
	flags = append(flags, nystromFlags()...)
	flags = append(flags, dataFlags()...)
	return &cli.Command{
		Name:  "fit",
		Usage: "learn Ω by certified multiple kernel learning on the per-layer NTKs, and evaluate it",
		Description: "fit computes the Gram stack Θ^(1..L) of the training inputs in one pass, divides each kernel by its\n" +
			"mean diagonal, learns the per-class layer weights μ (Ω) by minimizing J_c = λ y_cᵀ(K_c+λI)⁻¹y_c over\n" +
			"the simplex (or the positive set), and reports accuracy, the objective and its certificate per class.\n" +
			"Outputs in --out: omega.csv, report.json, heatmaps.png and model/ (read by predict).",
		Flags:  flags,
		Action: runFit,
	}
}

// fitSettings are the parsed and validated fit flags.
type fitSettings struct {
	Kernel      model.Kernel `json:"kernel"`
	Lambda      float64      `json:"lambda"`
	LambdaAuto  bool         `json:"lambda_auto,omitempty"`
	LambdaGrid  []float64    `json:"lambda_grid,omitempty"`
	Objective   string       `json:"objective"`
	KernelScale string       `json:"kernel_scale"`
	Constraint  string       `json:"constraint"`
	OmegaDecay  float64      `json:"omega_decay"`
	Solver      string       `json:"solver"`
	LR          float64      `json:"lr"`
	MaxIter     int          `json:"max_iter"`
	Tol         float64      `json:"tol"`
	Normalize   string       `json:"normalize"`
	Targets     string       `json:"targets"`
	Seed        uint64       `json:"seed"`
	NTrain      int          `json:"n_train_flag"`
	NTest       int          `json:"n_test_flag"`
	Workers     int          `json:"workers"`
	Out         string       `json:"out"`

	Method         string `json:"method"`
	Centers        int    `json:"centers,omitempty"`
	CenterSampling string `json:"center_sampling,omitempty"`
	Sketch         string `json:"sketch,omitempty"`

	cfg             ntk.Config
	nystrom         bool
	nystromSpec     nystromSpec
	maxMemory       int64
	mkl             mkl.Settings
	checkpointEvery time.Duration
	resume          bool
	scaled          bool
	center          bool
	quiet           bool
	workers         int
}

func parseFitFlags(c *cli.Context) (*fitSettings, error) {
	if c.Args().Present() {
		return nil, usagef("fit takes no arguments, got %q (flags start with --)", c.Args().First())
	}
	cfg, err := kernelConfig(c)
	if err != nil {
		return nil, err
	}
	var lambda float64
	var grid []float64
	auto := c.String("lambda") == "auto"
	if auto {
		if grid, err = parseGrid(c.String("lambda-grid")); err != nil {
			return nil, err
		}
	} else {
		lambda, err = strconv.ParseFloat(c.String("lambda"), 64)
		if err != nil || !(lambda > 0) || math.IsInf(lambda, 0) {
			return nil, usagef("--lambda %q: must be a positive finite number, or auto", c.String("lambda"))
		}
		if c.IsSet("lambda-grid") {
			return nil, usagef("--lambda-grid goes with --lambda auto")
		}
	}
	if o := c.String("objective"); o != "dual" && o != "val" {
		return nil, usagef("--objective %q: want dual or val", o)
	}
	s := &fitSettings{
		Kernel: model.KernelOf(cfg), Lambda: lambda, LambdaAuto: auto, LambdaGrid: grid, Objective: c.String("objective"),
		KernelScale: c.String("kernel-scale"),
		Constraint:  c.String("constraint"), OmegaDecay: c.Float64("omega-decay"), Solver: c.String("solver"),
		LR: c.Float64("lr"), MaxIter: c.Int("max-iter"), Tol: c.Float64("tol"),
		Normalize: c.String("normalize"), Targets: c.String("targets"), Seed: c.Uint64("seed"),
		NTrain: c.Int("n-train"), NTest: c.Int("n-test"), Workers: c.Int("workers"), Out: c.String("out"),
		cfg: cfg, quiet: c.Bool("quiet"), checkpointEvery: c.Duration("checkpoint-every"), resume: c.Bool("resume"),
	}
	if s.checkpointEvery < 0 {
		return nil, usagef("--checkpoint-every %v: must be ≥ 0", s.checkpointEvery)
	}
	switch s.KernelScale {
	case "mean-diag":
		s.scaled = true
	case "none":
	default:
		return nil, usagef("--kernel-scale %q: want mean-diag or none", s.KernelScale)
	}
	switch s.Targets {
	case "onehot":
	case "centered":
		s.center = true
	default:
		return nil, usagef("--targets %q: want onehot or centered", s.Targets)
	}
	cons, err := mkl.ParseConstraint(s.Constraint)
	if err != nil {
		return nil, usagef("--constraint: %v", trimPrefix(err))
	}
	method, err := mkl.ParseMethod(s.Solver)
	if err != nil {
		return nil, usagef("--solver: %v", trimPrefix(err))
	}
	switch {
	case math.IsNaN(s.OmegaDecay) || math.IsInf(s.OmegaDecay, 0) || s.OmegaDecay < 0:
		return nil, usagef("--omega-decay %v: must be a finite number ≥ 0", s.OmegaDecay)
	case cons == mkl.Positive && s.OmegaDecay == 0:
		return nil, usagef("--constraint positive needs --omega-decay γ > 0: J_c decreases in every weight, so without decay Ω grows without bound")
	case cons == mkl.Simplex && s.OmegaDecay != 0:
		return nil, usagef("--omega-decay applies to --constraint positive only; the simplex bounds Ω by itself")
	case !(s.LR >= 0) || math.IsInf(s.LR, 0):
		return nil, usagef("--lr %v: must be ≥ 0 (0: automatic)", s.LR)
	case s.MaxIter < 1:
		return nil, usagef("--max-iter %d: must be ≥ 1", s.MaxIter)
	case !(s.Tol > 0) || s.Tol >= 1:
		return nil, usagef("--tol %v: must be in (0, 1)", s.Tol)
	}
	if s.workers, err = workers(c); err != nil {
		return nil, err
	}
	if s.maxMemory, err = memoryBudget(c); err != nil {
		return nil, err
	}
	switch s.Method = c.String("method"); s.Method {
	case "exact":
		if c.IsSet("sketch") || c.IsSet("centers") || c.IsSet("center-sampling") {
			return nil, usagef("--sketch, --centers and --center-sampling go with --method nystrom")
		}
	case "nystrom":
		s.nystrom = true
		if s.nystromSpec, err = parseNystromSpec(c, cfg); err != nil {
			return nil, err
		}
		s.Centers, s.CenterSampling, s.Sketch = s.nystromSpec.Centers, s.nystromSpec.CenterSampling, c.String("sketch")
		if auto || c.String("objective") == "val" {
			return nil, usagef("--method nystrom supports neither --lambda auto nor --objective val yet")
		}
	default:
		return nil, usagef("--method %q: want exact or nystrom", s.Method)
	}
	s.mkl = mkl.Settings{Constraint: cons, Decay: s.OmegaDecay, Method: method, StepSize: s.LR, MaxIter: s.MaxIter, Tol: s.Tol, Workers: s.workers}
	if err := prepareOutDir("out", s.Out); err != nil {
		return nil, err
	}
	return s, nil
}

// fitReport is report.json.
type fitReport struct {
	Command          string             `json:"command"`
	Config           *fitSettings       `json:"config"`
	Build            report.Build       `json:"build"`
	Data             *data              `json:"data"`
	KernelScale      []float64          `json:"kernel_scale"`
	Classes          []int              `json:"classes"`
	Omega            [][]float64        `json:"omega"`
	Objective        []float64          `json:"objective"`
	Certificate      string             `json:"certificate"`
	FWGap            []float64          `json:"fw_gap"`
	PGNorm           []float64          `json:"projected_gradient_norm,omitempty"`
	Iterations       []int              `json:"iterations"`
	Factorizations   []int              `json:"factorizations"`
	Status           []string           `json:"status"`
	Condition        []float64          `json:"condition_number"`
	TrainAccuracy    *float64           `json:"train_accuracy"`
	TestAccuracy     *float64           `json:"test_accuracy"`
	UnseenTestLabels []int              `json:"unseen_test_labels,omitempty"`
	Sparsity         float64            `json:"sparsity"`
	DroppedLayers    []int              `json:"dropped_layers"`
	Timings          map[string]float64 `json:"timings"`
	Warnings         []string           `json:"warnings"`
	ObjectiveKind    string             `json:"objective_kind"`
	Method           string             `json:"method"`
	Nystrom          *nystromInfo       `json:"nystrom,omitempty"`
	Splits           map[string]string  `json:"splits"`
	LambdaSelection  *lambdaSelection   `json:"lambda_selection,omitempty"`
	Trace            [][]mkl.TracePoint `json:"trace"`
}

// lambdaSelection is the leave-one-out curve of --lambda auto.
type lambdaSelection struct {
	Grid     []float64  `json:"grid"`
	LOOError []*float64 `json:"loo_error"` // null where K + λI is not positive definite
	Chosen   float64    `json:"chosen"`
	Kernel   string     `json:"kernel"`
	Method   string     `json:"method"`
}

func runFit(c *cli.Context) error {
	start := time.Now()
	s, err := parseFitFlags(c)
	if err != nil {
		return err
	}
	d, err := loadData(c)
	if err != nil {
		return err
	}
	if err := preflight(s, d); err != nil {
		return err
	}
	log := logger(c)
	log.Info("fit start", "source", d.Source, "n_train", d.NTrain, "n_test", d.NTest, "features", d.Features,
		"depth", s.cfg.Depth, "activation", s.Kernel.Activation, "kind", s.Kernel.Kind, "method", s.Method,
		"lambda", c.String("lambda"), "constraint", s.Constraint, "solver", s.Solver, "objective", s.Objective, "out", s.Out)
	ck := newFitCheckpoint(s, d)
	ck.log = log
	if s.resume {
		if err := ck.load(); err != nil {
			return err
		}
	}
	prog := progress.New(c.App.ErrWriter, &progress.Settings{Quiet: s.quiet})
	defer prog.Wait()
	timings := map[string]float64{}
	lap := func(name string, t0 time.Time) { timings[name] = time.Since(t0).Seconds() }

	classes := prep.Classes(d.train.Labels)
	y := prep.Targets(d.train.Labels, classes, s.center)
	if d.val != nil {
		if u := unseenLabels(d.val.Labels, classes); len(u) > 0 {
			return usagef("validation labels %v do not occur in the training split", u)
		}
	}
	scales := make([]float64, s.cfg.Depth)
	for l := range scales {
		scales[l] = 1
	}
	if s.scaled {
		// sℓ from the diagonal of the whole training set: one recursion
		// per input with itself, also on the Nyström path.
		scales = mkl.KernelScales(s.cfg.Diag(nil, d.train.X))
	}
	run := &fitRun{c: c, s: s, d: d, prog: prog, ck: ck, lap: lap, classes: classes, y: y, scales: scales}
	var out *fitOutcome
	if s.nystrom {
		out, err = run.nystrom()
	} else {
		out, err = run.exact()
	}
	if err != nil {
		return err
	}
	res, loo := out.res, out.loo

	// Accuracy on the training and test sets.
	t0 := time.Now()
	fm := &model.Model{
		Kernel: s.Kernel, KernelScale: s.KernelScale, Scales: scales, Normalization: d.Normalizer,
		Classes: classes, Lambda: s.Lambda, Features: d.Features, Method: s.Method,
		TrainX: out.modelX, Alpha: res.Alpha,
	}
	fm.TrainPoints, _ = out.modelX.Dims()
	for cl := range classes {
		fm.Omega = append(fm.Omega, res.Omega.RawRowView(cl))
	}
	trainAcc := math.NaN()
	if out.fitted != nil {
		trainAcc = prep.Accuracy(prep.Argmax(out.fitted, classes), out.fittedLabels)
	}
	testAcc := math.NaN()
	var unseen []int
	if d.test != nil {
		stage := prog.Stage("predict", int64(d.NTest), "test points")
		scores, err := fm.Predict(d.test.X, &model.Settings{Workers: s.workers, Progress: func(r int) { stage.Add(int64(r)) }})
		stage.Done()
		if err != nil {
			return err
		}
		testAcc = prep.Accuracy(prep.Argmax(scores, classes), d.test.Labels)
		unseen = unseenLabels(d.test.Labels, classes)
	}
	lap("predict", t0)

	// Outputs.
	t0 = time.Now()
	rep := &fitReport{
		Command: "fit", Config: s, Build: report.BuildInfo(krr.Backend), Data: d,
		KernelScale: scales, Classes: classes, Omega: fm.Omega,
		TrainAccuracy: finiteOrNull(trainAcc), TestAccuracy: finiteOrNull(testAcc), UnseenTestLabels: unseen,
		Sparsity: mkl.Sparsity(res.Omega), DroppedLayers: mkl.DroppedLayers(res.Omega),
		Timings: timings, Warnings: []string{},
		Splits: map[string]string{"alpha": fmt.Sprintf("training split (%d points)", d.NTrain)},
	}
	if d.val != nil {
		rep.ObjectiveKind = "validation: held-out squared error ‖K_c(V,X)α_c − y_c(V)‖² (DESIGN.md §4); the gap measures stationarity"
		rep.Splits["omega"] = fmt.Sprintf("validation split (%d points, %s)", d.NVal, d.ValSource)
	} else {
		rep.ObjectiveKind = "dual: J_c = λ y_cᵀ(K_c+λI)⁻¹y_c (Eq. 9)"
		rep.Splits["omega"] = fmt.Sprintf("training split (%d points)", d.NTrain)
	}
	if loo != nil {
		rep.LambdaSelection = &lambdaSelection{Grid: loo.Lambdas, Chosen: loo.Best, Kernel: "uniform Ω: (1/L) Σℓ K̃ℓ", Method: loo.Method}
		for _, e := range loo.Errors {
			rep.LambdaSelection.LOOError = append(rep.LambdaSelection.LOOError, finiteOrNull(e))
		}
		rep.Splits["lambda"] = fmt.Sprintf("leave-one-out on the training split (%d points)", d.NTrain)
		if err := lineplot.Write(filepath.Join(s.Out, "loo.png"), lineplot.Settings{
			Title: "leave-one-out error of KRR on the uniform-Ω kernel", XLabel: "λ", YLabel: "Σᵢ ‖yᵢ − f₋ᵢ(xᵢ)‖²",
			LogX: true, LogY: true, Mark: loo.Best,
		}, lineplot.Series{Name: "LOO error", X: loo.Lambdas, Y: loo.Errors}); err != nil {
			return err
		}
	}
	if s.mkl.Constraint == mkl.Simplex {
		rep.Certificate = "frank-wolfe-gap"
	} else {
		rep.Certificate = "projected-gradient-norm"
	}
	for i, cr := range res.Classes {
		rep.Objective = append(rep.Objective, cr.Objective)
		if s.mkl.Constraint == mkl.Simplex {
			rep.FWGap = append(rep.FWGap, cr.Gap)
		} else {
			rep.PGNorm = append(rep.PGNorm, cr.Gap)
		}
		rep.Iterations = append(rep.Iterations, cr.Iterations)
		rep.Factorizations = append(rep.Factorizations, cr.Factorizations)
		rep.Status = append(rep.Status, cr.Status.String())
		rep.Condition = append(rep.Condition, cr.Cond)
		rep.Trace = append(rep.Trace, cr.Trace)
		if cr.Status != mkl.Converged {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("class %d: %s after %d iterations, gap %.3g > tol·|J| = %.3g", classes[i], cr.Status, cr.Iterations, cr.Gap, s.Tol*math.Abs(cr.Objective)))
		}
		if cr.Cond > condWarn {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("class %d: K_c + λI is ill-conditioned (estimated condition number %.3g); α has about %.0f correct digits — a larger --lambda helps", classes[i], cr.Cond, math.Max(0, 16-math.Log10(cr.Cond))))
		}
	}
	if len(unseen) > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("test labels %v do not occur in training; those test points count as errors", unseen))
	}
	rep.Method, rep.Nystrom = s.Method, out.nystromInfo
	// report.json is written last, so its timings include the other files.
	if err := writeFitOutputs(s.Out, rep, fm, res.Omega, classes); err != nil {
		return err
	}
	lap("write", t0)
	timings["total"] = time.Since(start).Seconds()
	if err := report.WriteJSON(filepath.Join(s.Out, "report.json"), rep); err != nil {
		return err
	}
	ck.remove()
	prog.Wait()
	printFitSummary(c.App.Writer, rep, s)
	for _, w := range rep.Warnings {
		log.Warn(w)
	}
	attrs := []any{"seconds", rep.Timings["total"], "sparsity", rep.Sparsity, "out", s.Out}
	if rep.TestAccuracy != nil {
		attrs = append(attrs, "test_accuracy", *rep.TestAccuracy)
	}
	if rep.TrainAccuracy != nil {
		attrs = append(attrs, "train_accuracy", *rep.TrainAccuracy)
	}
	log.Info("fit done", attrs...)
	return nil
}

func writeFitOutputs(out string, rep *fitReport, fm *model.Model, omega *mat.Dense, classes []int) error {
	labels := make([]string, len(classes))
	for i, cl := range classes {
		labels[i] = strconv.Itoa(cl)
	}
	if err := report.WriteOmegaCSV(filepath.Join(out, "omega.csv"), classes, omega); err != nil {
		return err
	}
	if err := heatmap.Fig2(filepath.Join(out, "heatmaps.png"), omega, labels,
		fmt.Sprintf("infinite-width NFT-K, depth %d, λ = %g (kernel weights μ)", rep.Config.Kernel.Depth, rep.Config.Lambda)); err != nil {
		return err
	}
	return fm.Save(filepath.Join(out, "model"))
}

func printFitSummary(w io.Writer, rep *fitReport, s *fitSettings) {
	fmt.Fprintf(w, "ntkmkl fit: %s, %d training and %d test points, %d features\n", rep.Data.Source, rep.Data.NTrain, rep.Data.NTest, rep.Data.Features)
	k := rep.Config.Kernel
	fmt.Fprintf(w, "kernel: %s %s, depth %d, σw²=%g σb²=%g σv²=%g, λ=%g, scale %s; Ω: %s, solver %s; BLAS %s\n",
		k.Activation, k.Kind, k.Depth, k.SigmaW2, k.SigmaB2, k.SigmaV2, s.Lambda, s.KernelScale, s.Constraint, s.Solver, rep.Build.Backend)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	cert := "FW gap"
	if rep.Certificate != "frank-wolfe-gap" {
		cert = "‖PG‖"
	}
	fmt.Fprintf(tw, "class\tJ_c\t%s\tgap/|J|\titers\tfactorizations\tstatus\ttop layers\t\n", cert)
	for i, cl := range rep.Classes {
		gap := 0.0
		if rep.FWGap != nil {
			gap = rep.FWGap[i]
		} else {
			gap = rep.PGNorm[i]
		}
		fmt.Fprintf(tw, "%d\t%.6g\t%.2e\t%.1e\t%d\t%d\t%s\t%s\t\n", cl, rep.Objective[i], gap, gap/math.Abs(rep.Objective[i]),
			rep.Iterations[i], rep.Factorizations[i], rep.Status[i], topLayers(rep.Omega[i]))
	}
	tw.Flush()
	fmt.Fprintf(w, "train accuracy %s, test accuracy %s\n", formatAccuracy(rep.TrainAccuracy), formatAccuracy(rep.TestAccuracy))
	fmt.Fprintf(w, "sparsity of Ω %.1f%%, dropped layers %v\n", 100*rep.Sparsity, rep.DroppedLayers)
	var parts []string
	for _, k := range []string{"gram", "sketch", "lambda", "mkl", "predict"} {
		if v, ok := rep.Timings[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %.1fs", k, v))
		}
	}
	fmt.Fprintf(w, "time %.1fs (%s)\n", rep.Timings["total"], strings.Join(parts, ", "))
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	fmt.Fprintf(w, "wrote %s/{omega.csv,report.json,heatmaps.png,model/}\n", rep.Config.Out)
}

// topLayers lists the layers with weight ≥ 0.1, largest first, e.g.
// "7:0.52 9:0.31 1:0.17".
func topLayers(mu []float64) string {
	type lw struct {
		l int
		w float64
	}
	var top []lw
	for l, w := range mu {
		if w >= 0.1 {
			top = append(top, lw{l + 1, w})
		}
	}
	for i := 1; i < len(top); i++ {
		for j := i; j > 0 && top[j].w > top[j-1].w; j-- {
			top[j], top[j-1] = top[j-1], top[j]
		}
	}
	var b strings.Builder
	for i, t := range top {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%.2f", t.l, t.w)
	}
	return b.String()
}

// parseGrid reads --lambda-grid: lo:hi:count or a comma-separated list.
func parseGrid(spec string) ([]float64, error) {
	bad := func() ([]float64, error) {
		return nil, usagef("--lambda-grid %q: want lo:hi:count (e.g. 1e-6:1:13) or a list of positive numbers (e.g. 1e-4,1e-3,1e-2)", spec)
	}
	var grid []float64
	if parts := strings.Split(spec, ":"); len(parts) == 3 {
		lo, err1 := strconv.ParseFloat(parts[0], 64)
		hi, err2 := strconv.ParseFloat(parts[1], 64)
		count, err3 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || err3 != nil || !(lo > 0) || !(hi >= lo) || count < 1 || count > 1000 || math.IsInf(hi, 0) {
			return bad()
		}
		grid = krr.LogGrid(lo, hi, count)
	} else {
		for _, f := range strings.Split(spec, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || !(v > 0) || math.IsInf(v, 0) {
				return bad()
			}
			grid = append(grid, v)
		}
	}
	return grid, nil
}

// chooseLambda returns the leave-one-out curve of KRR with the uniform-Ω
// kernel (1/L) Σℓ K̃ℓ over the grid.
func chooseLambda(stack []*mat.Dense, y *mat.Dense, grid []float64) (*krr.LOOResult, error) {
	n, _ := stack[0].Dims()
	k := mat.NewSymDense(n, nil)
	raw := k.RawSymmetric()
	w := 1 / float64(len(stack))
	for i := 0; i < n; i++ {
		row := raw.Data[i*raw.Stride+i : i*raw.Stride+n]
		for _, kl := range stack {
			floats.AddScaled(row, w, kl.RawRowView(i)[i:n])
		}
	}
	loo, err := krr.LeaveOneOut(k, y, grid)
	if err != nil {
		return nil, usagef("--lambda auto: %v", trimPrefix(err))
	}
	return loo, nil
}

// preflight refuses a fit whose estimated peak memory exceeds the budget,
// before anything large is allocated.
func preflight(s *fitSettings, d *data) error {
	L := s.cfg.Depth
	if s.nystrom {
		m := min(s.Centers, d.NTrain)
		need := mkl.SketchBytes(L, m, 64) + nystromWorkBytes(L, m, s.workers) + int64(16*8*L*m)
		if need > s.maxMemory {
			return usagef("the Nyström fit needs about %s (the blocks alone take L(L+1)/2·m²·8 = %s at m = %d) but --max-memory is %s: use fewer --centers or a node with more memory",
				formatBytes(need), formatBytes(mkl.SketchBytes(L, m, 0)), m, formatBytes(s.maxMemory))
		}
		return nil
	}
	need := exactFitBytes(d.NTrain, d.Features, L, min(s.workers, 64), d.NVal, s.LambdaAuto)
	if need > s.maxMemory {
		return usagef("an exact fit of %d points at depth %d needs about %s (L·n²·8 for the kernels plus n²·8 per worker) but --max-memory is %s: "+
			"use fewer training points (--n-train), fewer --workers, or --method nystrom", d.NTrain, L, formatBytes(need), formatBytes(s.maxMemory))
	}
	return nil
}

// formatAccuracy prints a fraction with four digits, or n/a without data.
func formatAccuracy(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", *p)
}
