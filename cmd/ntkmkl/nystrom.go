package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ntkmkl/ntkmkl/internal/checkpoint"
	"github.com/ntkmkl/ntkmkl/internal/model"
	"github.com/ntkmkl/ntkmkl/internal/prep"
	"github.com/ntkmkl/ntkmkl/internal/progress"
	"github.com/ntkmkl/ntkmkl/internal/sketchfile"
	"github.com/ntkmkl/ntkmkl/mkl"
	"github.com/ntkmkl/ntkmkl/ntk"
	"github.com/urfave/cli/v2"
	"gonum.org/v1/gonum/mat"
)

// nystromFlags choose the Nyström path (DESIGN.md §7) and its centres.
func nystromFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "centers", Value: 2000, Usage: "Nyström: number m of centres Z ⊂ X", Category: "nystrom"},
		&cli.StringFlag{Name: "center-sampling", Value: "uniform", Usage: "Nyström: uniform (seeded) or stratified (seeded, in proportion to the classes)", Category: "nystrom"},
	}
}

// nystromSpec is what the blocks of a sketch depend on; parts and the fit
// that adds them must agree on it (and on the data) exactly.
type nystromSpec struct {
	Kernel         model.Kernel `json:"kernel"`
	KernelScale    string       `json:"kernel_scale"`
	Normalize      string       `json:"normalize"`
	Targets        string       `json:"targets"`
	Seed           uint64       `json:"seed"`
	NTrain         int          `json:"n_train_flag"`
	Centers        int          `json:"centers"`
	CenterSampling string       `json:"center_sampling"`
}

func parseNystromSpec(c *cli.Context, cfg ntk.Config) (nystromSpec, error) {
	sp := nystromSpec{Kernel: model.KernelOf(cfg), KernelScale: c.String("kernel-scale"), Normalize: c.String("normalize"),
		Targets: c.String("targets"), Seed: c.Uint64("seed"), NTrain: c.Int("n-train"), Centers: c.Int("centers"), CenterSampling: c.String("center-sampling")}
	if sp.Centers < 1 {
		return sp, usagef("--centers %d: need at least one centre", sp.Centers)
	}
	if sp.CenterSampling != "uniform" && sp.CenterSampling != "stratified" {
		return sp, usagef("--center-sampling %q: want uniform or stratified", sp.CenterSampling)
	}
	if sp.KernelScale != "mean-diag" && sp.KernelScale != "none" {
		return sp, usagef("--kernel-scale %q: want mean-diag or none", sp.KernelScale)
	}
	if sp.Targets != "onehot" && sp.Targets != "centered" {
		return sp, usagef("--targets %q: want onehot or centered", sp.Targets)
	}
	return sp, nil
}

// fingerprint binds the spec to the prepared training data.
func (sp nystromSpec) fingerprint(d *data) string {
	return checkpoint.NewHasher().JSON(sp).Matrix(d.train.X).Ints(d.train.Labels).Sum()
}

// chooseCenters returns m row indices of the training set, seeded: uniform,
// or stratified with each class in proportion to its size.
func chooseCenters(labels []int, m int, sampling string, seed uint64) []int {
	n := len(labels)
	rng := rand.New(rand.NewPCG(seed, 0x6e7973))
	if sampling != "stratified" {
		idx := rng.Perm(n)[:m]
		sort.Ints(idx)
		return idx
	}
	var idx []int
	classes := prep.Classes(labels)
	for _, cl := range classes {
		var members []int
		for i, l := range labels {
			if l == cl {
				members = append(members, i)
			}
		}
		k := m * len(members) / n // rounded down; topped up below
		rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
		idx = append(idx, members[:min(k, len(members))]...)
	}
	// Top up (or trim) to exactly m from the points not yet chosen.
	chosen := map[int]bool{}
	for _, i := range idx {
		chosen[i] = true
	}
	for _, i := range rng.Perm(n) {
		if len(idx) >= m {
			break
		}
		if !chosen[i] {
			idx = append(idx, i)
		}
	}
	idx = idx[:m]
	sort.Ints(idx)
	return idx
}

// nystromInfo goes into report.json.
type nystromInfo struct {
	Centers        int      `json:"centers"`
	CenterSampling string   `json:"center_sampling"`
	SketchBytes    int64    `json:"sketch_bytes"`
	BlockRows      int      `json:"block_rows"`
	Parts          []string `json:"parts,omitempty"`
	Note           string   `json:"note"`
}

// blockRows is the number of training rows whose cross-kernels (L × nb × m)
// fit in the memory left after the sketch, at most 4096 and at least 16.
func blockRows(budget, fixed int64, L, m int) int {
	left := budget - fixed
	nb := int(left / (2 * 8 * int64(L) * int64(m)))
	return max(16, min(nb, 4096))
}

// accumulate adds the rows [r0, r1) of the training set into sk.
func accumulate(ctx context.Context, sk *mkl.Sketch, cfg ntk.Config, x, y, z *mat.Dense, scales []float64, r0, r1, nb, workers int, stage *progress.Stage) {
	_, m := x.Dims()
	_, d := y.Dims()
	var cross []*mat.Dense
	for i0 := r0; i0 < r1 && ctx.Err() == nil; i0 += nb {
		i1 := min(i0+nb, r1)
		if cross != nil && cross[0].RawMatrix().Rows != i1-i0 {
			cross = nil
		}
		cross = cfg.Stack(cross, x.Slice(i0, i1, 0, m), z, &ntk.Settings{Workers: workers, Context: ctx})
		if ctx.Err() != nil {
			return
		}
		for l, k := range cross {
			k.Scale(1/scales[l], k)
		}
		sk.Accumulate(cross, y.Slice(i0, i1, 0, d).(*mat.Dense))
		stage.Add(int64(i1 - i0))
	}
}

// nystrom is the Nyström path of fit: the centres, the sketch (accumulated
// here or added from --sketch parts), and MKL on the blocks.
func (r *fitRun) nystrom() (*fitOutcome, error) {
	s, d := r.s, r.d
	n := d.NTrain
	m := s.Centers
	if m > n {
		return nil, usagef("--centers %d: the training set has only %d points", m, n)
	}
	centers := chooseCenters(d.train.Labels, m, s.CenterSampling, s.Seed)
	z, _ := prep.Rows(d.train.X, nil, centers)
	L, dcls := s.cfg.Depth, len(r.classes)
	info := &nystromInfo{Centers: m, CenterSampling: s.CenterSampling, SketchBytes: mkl.SketchBytes(L, m, dcls),
		Note: "J need not be convex on the Nyström path: the gap certifies stationarity, not global optimality"}
	t0 := time.Now()
	sk := mkl.NewSketch(L, m, dcls)
	if s.Sketch != "" {
		parts, err := checkParts(s.Sketch, s.nystromSpec.fingerprint(d), n, L, m, dcls)
		if err != nil {
			return nil, err
		}
		stage := r.prog.Stage("sketch-parts", int64(len(parts)), "parts")
		for _, p := range parts {
			if err := sketchfile.AddTo(sk, p); err != nil {
				return nil, badInput(err)
			}
			stage.Add(1)
		}
		stage.Done()
		info.Parts = parts
	} else {
		info.BlockRows = blockRows(s.maxMemory, info.SketchBytes+nystromWorkBytes(L, m, s.workers), L, m)
		stage := r.prog.Stage("sketch", int64(n), "rows")
		accumulate(r.c.Context, sk, s.cfg, d.train.X, r.y, z, r.scales, 0, n, info.BlockRows, s.workers, stage)
		stage.Done()
	}
	w := r.scaledStack("gram-centres", z, nil)
	r.lap("sketch", t0)
	if r.c.Context.Err() != nil {
		return nil, r.ck.interrupted(r.c, r.prog)
	}
	res, err := r.solve(func(set *mkl.Settings) (*mkl.Result, error) {
		return mkl.SolveNystrom(r.c.Context, sk, w, s.Lambda, set)
	})
	if err != nil {
		return nil, err
	}
	out := &fitOutcome{res: res, modelX: z, nystromInfo: info}
	// Training accuracy on at most 2000 training points: each costs a
	// cross-kernel with the centres.
	sub := prep.Subset(n, min(n, 2000), s.Seed+3)
	xs, ls := prep.Rows(d.trainRaw, d.train.Labels, sub)
	fm := &model.Model{Kernel: s.Kernel, Scales: r.scales, Normalization: d.Normalizer, Classes: r.classes, Features: d.Features,
		TrainPoints: m, TrainX: z, Alpha: res.Alpha}
	for cl := range r.classes {
		fm.Omega = append(fm.Omega, res.Omega.RawRowView(cl))
	}
	scores, err := fm.Predict(xs, &model.Settings{Workers: s.workers})
	if err != nil {
		return nil, err
	}
	out.fitted, out.fittedLabels = scores, ls
	return out, nil
}

// nystromWorkBytes is the solver's memory per run: for each worker H and
// its off-diagonal scratch (2m²) and the L² products (L²m), plus the centre
// kernels W (Lm²).
func nystromWorkBytes(L, m, workers int) int64 {
	mm := int64(m) * int64(m)
	return 8 * (int64(workers)*(2*mm+int64(L*L*m)) + int64(L)*mm)
}

// checkParts expands the glob and checks that the parts belong together:
// the same fingerprint and shape, shards 0..N−1 each exactly once, and row
// ranges that are disjoint and cover the training set.
func checkParts(glob, fingerprint string, n, L, m, d int) ([]string, error) {
	paths, err := filepath.Glob(glob)
	if err != nil || len(paths) == 0 {
		return nil, usagef("--sketch %q: matches no files", glob)
	}
	type part struct {
		path string
		h    sketchfile.Header
	}
	var parts []part
	for _, p := range paths {
		h, _, err := sketchfile.ReadHeader(p)
		if err != nil {
			return nil, badInput(err)
		}
		switch {
		case h.Fingerprint != fingerprint:
			return nil, usagef("%s: made for other inputs or settings (fingerprint %.12s…, this fit %.12s…): give fit the same data, kernel, normalization, --n-train, --seed and --centers flags as sketch", p, h.Fingerprint, fingerprint)
		case h.Layers != L || h.Centers != m || h.Classes != d || h.TrainPoints != n:
			return nil, usagef("%s: shape (L=%d, m=%d, d=%d, n=%d) differs from this fit's (%d, %d, %d, %d)", p, h.Layers, h.Centers, h.Classes, h.TrainPoints, L, m, d, n)
		}
		parts = append(parts, part{p, h})
	}
	shards := parts[0].h.Shards
	seen := make([]string, shards)
	for _, p := range parts {
		if p.h.Shards != shards {
			return nil, usagef("%s: part of %d shards, %s of %d", p.path, p.h.Shards, parts[0].path, shards)
		}
		if seen[p.h.Shard] != "" {
			return nil, usagef("%s and %s are both shard %d/%d", seen[p.h.Shard], p.path, p.h.Shard, shards)
		}
		seen[p.h.Shard] = p.path
	}
	var missing []string
	for i, p := range seen {
		if p == "" {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 {
		return nil, usagef("--sketch %q: shards %s of %d are missing", glob, strings.Join(missing, ","), shards)
	}
	slices.SortFunc(parts, func(a, b part) int { return a.h.RowStart - b.h.RowStart })
	next := 0
	var out []string
	for _, p := range parts {
		if p.h.RowStart != next {
			return nil, usagef("%s: rows %d..%d, but the previous parts end at row %d: the parts overlap or leave a gap", p.path, p.h.RowStart, p.h.RowEnd, next)
		}
		next = p.h.RowEnd
		out = append(out, p.path)
	}
	if next != n {
		return nil, usagef("--sketch %q: the parts cover rows 0..%d of %d", glob, next, n)
	}
	return out, nil
}

func sketchCommand() *cli.Command {
	flags := append(kernelFlags(10),
		&cli.StringFlag{Name: "kernel-scale", Value: "mean-diag", Usage: "as for fit", Category: "kernel"},
		&cli.StringFlag{Name: "shard", Usage: "this part as i/N (0-based); default: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT", Category: "run"},
		&cli.StringFlag{Name: "out", Usage: "the part file to write", Required: true, Category: "run"},
		&cli.StringFlag{Name: "max-memory", Usage: "memory budget, e.g. 16GB (default: the memory available)", Category: "run"},
		workersFlag,
		&cli.BoolFlag{Name: "quiet", Usage: "no progress on stderr", Category: "run"},
	)
	flags = append(flags, nystromFlags()...)
	flags = append(flags, dataFlags()...)
	return &cli.Command{
		Name:  "sketch",
		Usage: "compute one shard of the Nyström blocks C_ℓᵀC_k, C_ℓᵀY, yᵀy (a batch-array task); fit --sketch adds them",
		Description: "Each shard takes a contiguous range of the training rows. All shards and the fit that reads them need\n" +
			"the same data, kernel, normalization, --n-train, --seed and --centers flags: the parts carry a fingerprint.",
		Flags:  flags,
		Action: runSketch,
	}
}

// parseShard reads --shard i/N, or the Slurm array variables.
func parseShard(c *cli.Context) (int, int, error) {
	spec := c.String("shard")
	if spec == "" {
		id, count := getenv("SLURM_ARRAY_TASK_ID"), getenv("SLURM_ARRAY_TASK_COUNT")
		if id == "" || count == "" {
			return 0, 0, usagef("--shard i/N is needed outside a Slurm job array")
		}
		spec = id + "/" + count
	}
	a, b, ok := strings.Cut(spec, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, usagef("--shard %q: want i/N with 0 ≤ i < N", spec)
	}
	return i, n, nil
}

func runSketch(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("sketch takes no arguments, got %q", c.Args().First())
	}
	cfg, err := kernelConfig(c)
	if err != nil {
		return err
	}
	spec, err := parseNystromSpec(c, cfg)
	if err != nil {
		return err
	}
	shard, shards, err := parseShard(c)
	if err != nil {
		return err
	}
	w, err := workers(c)
	if err != nil {
		return err
	}
	budget, err := memoryBudget(c)
	if err != nil {
		return err
	}
	out := c.String("out")
	if dir := filepath.Dir(out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return usagef("--out %s: cannot create folder %s: %v", out, dir, err)
		}
	}
	if err := prepareOutFile("out", out); err != nil {
		return err
	}
	d, err := loadData(c)
	if err != nil {
		return err
	}
	n := d.NTrain
	if spec.Centers > n {
		return usagef("--centers %d: the training set has only %d points", spec.Centers, n)
	}
	classes := prep.Classes(d.train.Labels)
	y := prep.Targets(d.train.Labels, classes, spec.Targets == "centered")
	scales := make([]float64, cfg.Depth)
	for l := range scales {
		scales[l] = 1
	}
	if spec.KernelScale == "mean-diag" {
		scales = mkl.KernelScales(cfg.Diag(nil, d.train.X))
	}
	z, _ := prep.Rows(d.train.X, nil, chooseCenters(d.train.Labels, spec.Centers, spec.CenterSampling, spec.Seed))
	L, m := cfg.Depth, spec.Centers
	need := mkl.SketchBytes(L, m, len(classes))
	if need+int64(16*8*L*m) > budget {
		return usagef("the sketch needs %s (L(L+1)/2·m²·8 bytes) but --max-memory is %s: use fewer --centers or a node with more memory", formatBytes(need), formatBytes(budget))
	}
	r0, r1 := shard*n/shards, (shard+1)*n/shards
	prog := progress.New(c.App.ErrWriter, &progress.Settings{Quiet: c.Bool("quiet")})
	stage := prog.Stage(fmt.Sprintf("sketch %d/%d", shard, shards), int64(r1-r0), "rows")
	sk := mkl.NewSketch(L, m, len(classes))
	accumulate(c.Context, sk, cfg, d.train.X, y, z, scales, r0, r1, blockRows(budget, need, L, m), w, stage)
	prog.Wait()
	if c.Context.Err() != nil {
		// Nothing is written: a part holds all of its rows or does not exist.
		return &interruptedError{fmt.Sprintf("%v; no part written (rerun this shard)", context.Cause(c.Context))}
	}
	stage.Done()
	h := sketchfile.Header{Fingerprint: spec.fingerprint(d), Shard: shard, Shards: shards, RowStart: r0, RowEnd: r1,
		TrainPoints: n, Layers: L, Centers: m, Classes: len(classes)}
	if err := sketchfile.Write(out, h, sk); err != nil {
		return err
	}
	if !c.Bool("quiet") {
		fmt.Fprintf(c.App.ErrWriter, "sketch: wrote %s (shard %d/%d, rows %d..%d of %d, %s)\n", out, shard, shards, r0, r1, n, formatBytes(need))
	}
	return nil
}
