package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/ntkmkl/ntkmkl/internal/atomicfile"
	"github.com/ntkmkl/ntkmkl/internal/dataset"
	"github.com/ntkmkl/ntkmkl/internal/model"
	"github.com/ntkmkl/ntkmkl/internal/prep"
	"github.com/ntkmkl/ntkmkl/internal/progress"
	"github.com/urfave/cli/v2"
	"gonum.org/v1/gonum/mat"
)

func predictCommand() *cli.Command {
	return &cli.Command{
		Name:  "predict",
		Usage: "score new inputs with a model written by fit",
		Description: "predict reads --model (the model/ folder inside a fit's --out), applies the model's input\n" +
			"normalization to --x, and writes a CSV with the predicted label and the score f_c(x) of every class\n" +
			"(Eq. 14), one row per input. With --y it also prints the accuracy.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "model folder (FIT-OUT/model)", Required: true},
			&cli.StringFlag{Name: "x", Usage: "inputs (.npy or .csv), in the same raw units as the training inputs", Required: true},
			&cli.StringFlag{Name: "y", Usage: "optional labels of --x, to report accuracy"},
			&cli.StringFlag{Name: "out", Usage: "output .csv: predicted,score_<label>,…", Required: true},
			workersFlag,
			&cli.BoolFlag{Name: "quiet", Usage: "no progress on stderr"},
		},
		Action: runPredict,
	}
}

func runPredict(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("predict takes no arguments, got %q", c.Args().First())
	}
	w, err := workers(c)
	if err != nil {
		return err
	}
	out := c.String("out")
	if err := prepareOutFile("out", out); err != nil {
		return err
	}
	m, err := model.Load(c.String("model"))
	if err != nil {
		return badInput(err)
	}
	x, err := dataset.ReadFeatures(c.String("x"))
	if err != nil {
		return badInput(err)
	}
	var labels []int
	if c.IsSet("y") {
		if labels, err = dataset.ReadLabels(c.String("y")); err != nil {
			return badInput(err)
		}
		if n, _ := x.Dims(); len(labels) != n {
			return usagef("--y %s has %d labels, --x %s has %d rows", c.String("y"), len(labels), c.String("x"), n)
		}
	}
	if _, f := x.Dims(); f != m.Features {
		return usagef("--x %s has %d features, the model was fitted on %d", c.String("x"), f, m.Features)
	}
	n, _ := x.Dims()
	prog := progress.New(c.App.ErrWriter, &progress.Settings{Quiet: c.Bool("quiet")})
	stage := prog.Stage("predict", int64(n), "points")
	scores, err := m.Predict(x, &model.Settings{Workers: w, Progress: func(r int) { stage.Add(int64(r)) }})
	stage.Done()
	prog.Wait()
	if err != nil {
		return err
	}
	pred := prep.Argmax(scores, m.Classes)
	if err := writePredictions(out, m.Classes, pred, scores); err != nil {
		return err
	}
	if labels != nil {
		fmt.Fprintf(c.App.Writer, "accuracy %.4f on %d points\n", prep.Accuracy(pred, labels), n)
	}
	return nil
}

func writePredictions(path string, classes, pred []int, scores *mat.Dense) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		head := []string{"predicted"}
		for _, cl := range classes {
			head = append(head, "score_"+strconv.Itoa(cl))
		}
		if err := cw.Write(head); err != nil {
			return err
		}
		for i, p := range pred {
			row := []string{strconv.Itoa(p)}
			for _, v := range scores.RawRowView(i) {
				row = append(row, strconv.FormatFloat(v, 'g', -1, 64))
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}
