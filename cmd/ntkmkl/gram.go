package main

import (
	"fmt"

	"github.com/ntkmkl/ntkmkl/internal/dataset"
	"github.com/ntkmkl/ntkmkl/internal/progress"
	"github.com/ntkmkl/ntkmkl/ntk"
	"github.com/urfave/cli/v2"
	"gonum.org/v1/gonum/mat"
)

func gramCommand() *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "x", Usage: "inputs X (.npy or .csv, n×m)", Required: true, Category: "data"},
		&cli.StringFlag{Name: "z", Usage: "second inputs Z (n₂×m); omitted: Z = X, each pair computed once", Category: "data"},
		&cli.StringFlag{Name: "out", Usage: "output .npy file: float64 of shape (L, n, n₂)", Required: true, Category: "run"},
		workersFlag,
		&cli.BoolFlag{Name: "quiet", Usage: "no progress on stderr", Category: "run"},
	}
	return &cli.Command{
		Name:  "gram",
		Usage: "write the Gram stack Θ^(1..L)(X, Z) of all depths as one .npy",
		Description: "Entry [ℓ−1, i, j] of the output is Θ^(ℓ)(x_i, z_j) (or K^(ℓ) for --kind nngp) on the inputs exactly\n" +
			"as given: no normalization and no kernel scaling.",
		Flags:  append(kernelFlags(10), flags...),
		Action: runGram,
	}
}

func runGram(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("gram takes no arguments, got %q", c.Args().First())
	}
	cfg, err := kernelConfig(c)
	if err != nil {
		return err
	}
	w, err := workers(c)
	if err != nil {
		return err
	}
	out := c.String("out")
	if err := prepareOutFile("out", out); err != nil {
		return err
	}
	x, err := dataset.ReadFeatures(c.String("x"))
	if err != nil {
		return badInput(err)
	}
	z := x
	if c.IsSet("z") {
		if z, err = dataset.ReadFeatures(c.String("z")); err != nil {
			return badInput(err)
		}
		if _, mx := x.Dims(); mx != z.RawMatrix().Cols {
			return usagef("--z %s has %d columns, --x has %d: the inputs must have the same dimension", c.String("z"), z.RawMatrix().Cols, mx)
		}
	}
	n, _ := x.Dims()
	n2, _ := z.Dims()
	L := cfg.Depth
	// One buffer in the layout of the file; the stack is written into views.
	data := make([]float64, L*n*n2)
	dst := make([]*mat.Dense, L)
	for l := range dst {
		dst[l] = mat.NewDense(n, n2, data[l*n*n2:(l+1)*n*n2])
	}
	prog := progress.New(c.App.ErrWriter, &progress.Settings{Quiet: c.Bool("quiet")})
	stage := prog.Stage("gram", int64(n), "rows")
	var zArg mat.Matrix
	if c.IsSet("z") {
		zArg = z
	}
	cfg.Stack(dst, x, zArg, &ntk.Settings{Workers: w, Progress: func(r int) { stage.Add(int64(r)) }})
	stage.Done()
	prog.Wait()
	if err := dataset.WriteNPY(out, []int{L, n, n2}, data); err != nil {
		return err
	}
	if !c.Bool("quiet") {
		fmt.Fprintf(c.App.ErrWriter, "gram: wrote %s, shape (%d, %d, %d), %s %s\n", out, L, n, n2, cfg.Resolved().Activation, cfg.Kind)
	}
	return nil
}
