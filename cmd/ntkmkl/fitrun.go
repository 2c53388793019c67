package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/ntkmkl/ntkmkl/internal/prep"
	"github.com/ntkmkl/ntkmkl/internal/progress"
	"github.com/ntkmkl/ntkmkl/krr"
	"github.com/ntkmkl/ntkmkl/mkl"
	"github.com/ntkmkl/ntkmkl/ntk"
	"github.com/urfave/cli/v2"
	"gonum.org/v1/gonum/mat"
)

// fitRun carries what both paths of fit (exact and Nyström) share.
type fitRun struct {
	c       *cli.Context
	s       *fitSettings
	d       *data
	prog    *progress.Progress
	ck      *fitCheckpoint
	lap     func(string, time.Time)
	classes []int
	y       *mat.Dense
	scales  []float64
}

// fitOutcome is what a path hands back for evaluation and the report.
type fitOutcome struct {
	res          *mkl.Result
	loo          *krr.LOOResult
	modelX       *mat.Dense // the inputs the model's kernels are taken against: X, or the centres Z
	fitted       *mat.Dense // training scores, or nil
	fittedLabels []int
	nystromInfo  *nystromInfo
}

// scaledStack computes the stack of x against z (z nil: x itself) divided
// by the kernel scales, with a progress stage.
func (r *fitRun) scaledStack(name string, x, z *mat.Dense) []*mat.Dense {
	n, _ := x.Dims()
	stage := r.prog.Stage(name, int64(n), "rows")
	var zArg mat.Matrix
	if z != nil {
		zArg = z
	}
	stack := r.s.cfg.Stack(nil, x, zArg, &ntk.Settings{Workers: r.s.workers, Context: r.c.Context, Progress: func(k int) { stage.Add(int64(k)) }})
	if r.c.Context.Err() == nil {
		stage.Done()
	}
	for l, k := range stack {
		k.Scale(1/r.scales[l], k)
	}
	return stack
}

// exact is the exact path: the n×n stack, λ by leave-one-out if asked,
// and MKL on the full kernels.
func (r *fitRun) exact() (*fitOutcome, error) {
	s, d := r.s, r.d
	t0 := time.Now()
	stack := r.scaledStack("gram", d.train.X, nil)
	var valStack []*mat.Dense
	if d.val != nil {
		valStack = r.scaledStack("gram-val", d.val.X, d.train.X)
	}
	r.lap("gram", t0)
	if r.c.Context.Err() != nil {
		return nil, r.ck.interrupted(r.c, r.prog)
	}
	out := &fitOutcome{modelX: d.train.X}
	if s.LambdaAuto {
		t0 = time.Now()
		var err error
		if out.loo, err = chooseLambda(stack, r.y, s.LambdaGrid); err != nil {
			return nil, err
		}
		s.Lambda = out.loo.Best
		r.lap("lambda", t0)
	}
	problem := &mkl.Problem{Kernels: stack, Targets: r.y, Lambda: s.Lambda}
	if d.val != nil {
		problem.Validation = &mkl.Validation{Kernels: valStack, Targets: prep.Targets(d.val.Labels, r.classes, s.center)}
	}
	res, err := r.solve(func(set *mkl.Settings) (*mkl.Result, error) { return mkl.Solve(r.c.Context, problem, set) })
	if err != nil {
		return nil, err
	}
	out.res = res
	// Training scores from the identity K_c α_c = y_c − λα_c.
	var fitted mat.Dense
	fitted.Scale(-s.Lambda, res.Alpha)
	fitted.Add(&fitted, r.y)
	out.fitted, out.fittedLabels = &fitted, d.train.Labels
	return out, nil
}

// solve runs an MKL solver with progress, checkpoints and the BLAS threads
// shared among the classes.
func (r *fitRun) solve(run func(*mkl.Settings) (*mkl.Result, error)) (*mkl.Result, error) {
	t0 := time.Now()
	stage := r.prog.Stage("mkl", int64(len(r.classes)), "classes")
	set := r.s.mkl
	set.Resume = r.ck.start(len(r.classes))
	set.Progress = func(it mkl.Iteration) {
		r.ck.record(it)
		if it.State.Done {
			stage.Add(1)
			return
		}
		stage.SetStatus(fmt.Sprintf("class %d iter %d J=%.6g gap=%.2g", r.classes[it.Class], it.Iter, it.Objective, it.Gap))
	}
	krr.SetThreads(runtime.NumCPU() / min(r.s.workers, len(r.classes)))
	res, err := run(&set)
	krr.SetThreads(runtime.NumCPU())
	if err != nil {
		var npd *krr.NotPositiveDefiniteError
		var nf *krr.NotFiniteError
		switch {
		case errors.As(err, &npd), errors.As(err, &nf):
			return nil, usagef("--lambda %g: %v", r.s.Lambda, trimPrefix(err))
		case errors.Is(err, context.Canceled):
			return nil, r.ck.interrupted(r.c, r.prog)
		}
		return nil, err
	}
	stage.Done()
	r.lap("mkl", t0)
	if err := r.ck.saveErr(); err != nil {
		return nil, err
	}
	return res, nil
}
