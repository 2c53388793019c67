// Package lineplot draws the command line's curves: the leave-one-out error
// against λ, and kernel error against network width (log–log).
package lineplot

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"github.com/ntkmkl/ntkmkl/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Series is one curve.
type Series struct {
	Name string
	X, Y []float64
}

// Settings describes the axes.
type Settings struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	// Mark, if not NaN, draws a vertical line at this x (e.g. the chosen λ).
	Mark float64
}

// Write draws the series into a PNG at path, whole or not at all. Points
// that cannot be drawn on a log axis (≤ 0, NaN, Inf) are left out.
func Write(path string, s Settings, series ...Series) error {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = s.Title, s.XLabel, s.YLabel
	if s.LogX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if s.LogY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	palette := []color.Color{
		color.RGBA{R: 31, G: 119, B: 180, A: 255}, color.RGBA{R: 255, G: 127, B: 14, A: 255},
		color.RGBA{R: 44, G: 160, B: 44, A: 255}, color.RGBA{R: 214, G: 39, B: 40, A: 255},
		color.RGBA{R: 148, G: 103, B: 189, A: 255}, color.RGBA{R: 140, G: 86, B: 75, A: 255},
		color.RGBA{R: 227, G: 119, B: 194, A: 255}, color.RGBA{R: 127, G: 127, B: 127, A: 255},
		color.RGBA{R: 188, G: 189, B: 34, A: 255}, color.RGBA{R: 23, G: 190, B: 207, A: 255},
	}
	drawable := func(v float64, log bool) bool {
		return !math.IsNaN(v) && !math.IsInf(v, 0) && (!log || v > 0)
	}
	any := false
	for i, sr := range series {
		if len(sr.X) != len(sr.Y) {
			panic(fmt.Sprintf("lineplot: series %q has %d x and %d y values", sr.Name, len(sr.X), len(sr.Y)))
		}
		var pts plotter.XYs
		for j := range sr.X {
			if drawable(sr.X[j], s.LogX) && drawable(sr.Y[j], s.LogY) {
				pts = append(pts, plotter.XY{X: sr.X[j], Y: sr.Y[j]})
			}
		}
		if len(pts) == 0 {
			continue
		}
		any = true
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		c := palette[i%len(palette)]
		line.Color, points.Color = c, c
		p.Add(line, points)
		if sr.Name != "" {
			p.Legend.Add(sr.Name, line, points)
		}
	}
	if !any {
		return fmt.Errorf("lineplot: %s: nothing to draw", path)
	}
	if !math.IsNaN(s.Mark) && s.Mark != 0 {
		ymin, ymax := p.Y.Min, p.Y.Max
		mark, err := plotter.NewLine(plotter.XYs{{X: s.Mark, Y: ymin}, {X: s.Mark, Y: ymax}})
		if err == nil {
			mark.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			mark.Color = color.Gray{Y: 90}
			p.Add(mark)
		}
	}
	p.Legend.Top = true
	w, err := p.WriterTo(7*vg.Inch, 4.5*vg.Inch, "png")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}
