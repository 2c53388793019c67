package heatmap

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	imgdraw "image/draw"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/ntkmkl/ntkmkl/internal/atomicfile"
)

// Figure geometry. Fig2's three panels make a 15 in × 5 in figure.
const (
	panelWidth  = 5 * vg.Inch
	panelHeight = 5 * vg.Inch
	dpi         = 150

	titleSize     = 15 // points, figure title
	panelTitleSz  = 13 // points, panel titles
	axisLabelSize = 11 // points
	maxTickSize   = 9  // points; smaller when there are many rows or columns
	minTickSize   = 4

	barGap   = 0.12 * vg.Inch // between a heatmap and its colour bar
	barWidth = 0.18 * vg.Inch
	barTick  = 0.05 * vg.Inch

	// Cells are square unless that leaves the heatmap less than
	// minFill of the panel's height or width: a 3 × 20 matrix gets
	// cells taller than wide rather than a strip a few pixels high.
	minFill = 0.4
)

// ErrNonFinite is returned, wrapped with the panel and the position, when
// a matrix to draw holds a NaN or an infinity.
var ErrNonFinite = errors.New("heatmap: non-finite entry")

// Panel is one heatmap of a figure.
type Panel struct {
	// Title is printed above the heatmap. In Title, RowAxis, ColAxis
	// and the figure's title "_{…}" and "^{…}" are a subscript and a
	// superscript, as in "μ_{solver} − ω^{2}".
	Title string

	// M is the matrix to draw; row 0 is the top row.
	M mat.Matrix

	// RowLabels and ColLabels label each row (top to bottom) and each
	// column (left to right). A nil slice means "1", "2", … . A non-nil
	// slice must have one label per row or column.
	RowLabels, ColLabels []string

	// RowAxis and ColAxis name the vertical and the horizontal axis.
	RowAxis, ColAxis string
}

// Fig2 writes the paper's Fig. 2 for the layer weights omega into one PNG
// at path: Ω_nᵀΩ_n (layer × layer), Ω_nΩ_nᵀ (class × class) and Ω_n
// (class × layer), side by side, each with a title, labelled axes, a tick
// label for every row and column, and a colour bar. title, if not empty,
// is printed above the three panels.
//
// omega is the d × L matrix of weights, not normalized: Fig2 divides each
// row by its Euclidean norm itself (a zero row stays zero). classLabels
// names the d classes, top to bottom; nil means "0", …, "d-1", the class
// indices of the data. Layers are labelled "1", …, "L".
//
// The file is written atomically. Fig2 panics if omega is empty or
// classLabels is not nil and has a length other than d; it returns an
// error wrapping ErrNonFinite if omega has a NaN or infinite entry.
func Fig2(path string, omega mat.Matrix, classLabels []string, title string) error {
	d, l := omega.Dims()
	if d == 0 || l == 0 {
		panic("heatmap: empty omega")
	}
	if classLabels == nil {
		classLabels = make([]string, d)
		for i := range classLabels {
			classLabels[i] = strconv.Itoa(i)
		}
	}
	if len(classLabels) != d {
		panic(fmt.Sprintf("heatmap: %d class labels for %d rows of omega", len(classLabels), d))
	}
	if err := checkFinite(omega, "omega"); err != nil {
		return err
	}
	layers := indexLabels(l)

	var on, lay, cls mat.Dense
	rowNormalize(&on, omega)
	lay.Mul(on.T(), &on) // L × L
	cls.Mul(&on, on.T()) // d × d

	return Panels(path, []Panel{
		{
			Title: `Ω_{n}^{T}Ω_{n} (layer × layer)`,
			M:     &lay, RowLabels: layers, ColLabels: layers,
			RowAxis: "layer", ColAxis: "layer",
		},
		{
			Title: `Ω_{n}Ω_{n}^{T} (class × class)`,
			M:     &cls, RowLabels: classLabels, ColLabels: classLabels,
			RowAxis: "class", ColAxis: "class",
		},
		{
			Title: `Ω_{n} (class × layer)`,
			M:     &on, RowLabels: classLabels, ColLabels: layers,
			RowAxis: "class", ColAxis: "layer",
		},
	}, title)
}

// Panels writes panels side by side into one PNG at path, each heatmap
// with its own colour bar, under title (none if empty). Each panel takes
// 5 in × 5 in at 150 dpi. The file is written atomically.
//
// Panels panics if there are no panels, if a matrix is empty, or if a
// non-nil label slice does not match its matrix; it returns an error
// wrapping ErrNonFinite if a matrix has a NaN or infinite entry.
func Panels(path string, panels []Panel, title string) error {
	if len(panels) == 0 {
		panic("heatmap: no panels")
	}
	for i, pn := range panels {
		r, c := pn.M.Dims()
		if r == 0 || c == 0 {
			panic(fmt.Sprintf("heatmap: panel %d: empty matrix", i))
		}
		if pn.RowLabels != nil && len(pn.RowLabels) != r {
			panic(fmt.Sprintf("heatmap: panel %d: %d row labels for %d rows", i, len(pn.RowLabels), r))
		}
		if pn.ColLabels != nil && len(pn.ColLabels) != c {
			panic(fmt.Sprintf("heatmap: panel %d: %d column labels for %d columns", i, len(pn.ColLabels), c))
		}
		if err := checkFinite(pn.M, fmt.Sprintf("panel %d (%q)", i, pn.Title)); err != nil {
			return err
		}
	}

	img := render(panels, title)
	err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	return nil
}

// render draws the figure on an image canvas.
func render(panels []Panel, title string) *vgimg.Canvas {
	w := panelWidth * vg.Length(len(panels))
	h := panelHeight
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)

	if title != "" {
		sty := textStyle(titleSize)
		sty.XAlign = draw.XCenter
		sty.YAlign = draw.YTop
		pad := 0.08 * vg.Inch
		dc.FillText(sty, vg.Point{X: w / 2, Y: h - pad}, title)
		dc = draw.Crop(dc, 0, 0, 0, -(sty.Height(title) + 2*pad))
	}
	tiles := draw.Tiles{
		Rows: 1, Cols: len(panels),
		PadTop: 0.05 * vg.Inch, PadBottom: 0.1 * vg.Inch,
		PadLeft: 0.1 * vg.Inch, PadRight: 0.1 * vg.Inch,
		PadX: 0.25 * vg.Inch,
	}
	for i, pn := range panels {
		drawPanel(tiles.At(dc, i, 0), pn)
	}
	return img
}

// drawPanel draws one heatmap and its colour bar into tile.
func drawPanel(tile draw.Canvas, pn Panel) {
	r, c := pn.M.Dims()
	rowLabels := pn.RowLabels
	if rowLabels == nil {
		rowLabels = indexLabels(r)
	}
	colLabels := pn.ColLabels
	if colLabels == nil {
		colLabels = indexLabels(c)
	}

	lo, hi := colourRange(pn.M)
	var cmap palette.ColorMap
	if lo < 0 && hi > 0 {
		cmap = moreland.SmoothBlueRed()
	} else {
		cmap = sequential()
	}
	cmap.SetMin(lo)
	cmap.SetMax(hi)

	p := plot.New()
	p.Title.Text = pn.Title
	p.Title.TextStyle = textStyle(panelTitleSz)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = 0.08 * vg.Inch
	p.X.Padding, p.Y.Padding = 0, 0
	// The cells span -0.5…c-0.5 and -0.5…r-0.5, so that cell (i, j) is
	// centred on its tick; the image is added once its resolution is
	// known.
	p.X.Min, p.X.Max = -0.5, float64(c)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(r)-0.5

	// Tick labels shrink so that neighbours do not overlap in a panel
	// about 3.5 in (252 pt) across.
	tickSize := func(n int) vg.Length {
		return vg.Length(math.Max(minTickSize, math.Min(maxTickSize, 0.75*252/float64(n))))
	}
	setAxis(&p.X, pn.ColAxis, colLabels, tickSize(c), func(j int) float64 { return float64(j) })
	setAxis(&p.Y, pn.RowAxis, rowLabels, tickSize(r), func(i int) float64 { return float64(r - 1 - i) })
	if longest(colLabels) > 2 {
		// Long column labels (class names) slant so they do not collide.
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}

	// Colour bar tick labels and the room they need on the right.
	barTicks := colourTicks(lo, hi)
	barSty := textStyle(maxTickSize)
	barSty.XAlign = draw.XLeft
	barSty.YAlign = draw.YCenter
	var labelW vg.Length
	for _, t := range barTicks {
		labelW = max(labelW, barSty.Width(t.Label))
	}
	right := barGap + barWidth + barTick + 0.04*vg.Inch + labelW

	// Make the cells square (see minFill) by shrinking the canvas around
	// the data area, keeping the heatmap and its bar together and
	// centred in the tile.
	heat := draw.Crop(tile, 0, -right, 0, 0)
	da := p.DataCanvas(heat)
	dw, dh := da.Max.X-da.Min.X, da.Max.Y-da.Min.Y
	side := min(dw/vg.Length(c), dh/vg.Length(r))
	cw := min(dw/vg.Length(c), max(side, minFill*dw/vg.Length(c)))
	ch := min(dh/vg.Length(r), max(side, minFill*dh/vg.Length(r)))
	extraW := dw - cw*vg.Length(c)
	extraH := dh - ch*vg.Length(r)
	heat = draw.Crop(heat, extraW/2, -extraW/2, extraH/2, -extraH/2)
	// About one image pixel per output pixel: vgimg scales images
	// bilinearly, which at this scale blurs only the cell edges.
	pxW := int(math.Ceil(cw.Dots(dpi)))
	pxH := int(math.Ceil(ch.Dots(dpi)))
	p.Add(plotter.NewImage(cells(pn.M, cmap, pxW, pxH), -0.5, -0.5, float64(c)-0.5, float64(r)-0.5))
	p.Draw(heat)

	da = p.DataCanvas(heat)
	frame := draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}
	da.StrokeLines(frame, []vg.Point{
		da.Min, {X: da.Max.X, Y: da.Min.Y}, da.Max, {X: da.Min.X, Y: da.Max.Y}, da.Min,
	})
	bar := draw.Canvas{
		Canvas: tile.Canvas,
		Rectangle: vg.Rectangle{
			Min: vg.Point{X: da.Max.X + barGap, Y: da.Min.Y},
			Max: vg.Point{X: da.Max.X + barGap + barWidth, Y: da.Max.Y},
		},
	}
	drawColourBar(bar, cmap, thin(barTicks, lo, hi, bar.Max.Y-bar.Min.Y, 1.3*barSty.Height("0")), barSty)
}

// drawColourBar fills bar with the colours of cmap from its minimum
// (bottom) to its maximum (top), frames it, and marks ticks on its right.
func drawColourBar(bar draw.Canvas, cmap palette.ColorMap, ticks []plot.Tick, sty text.Style) {
	cp := plot.New()
	cp.HideAxes()
	cp.X.Padding, cp.Y.Padding = 0, 0
	cp.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true, Colors: 256})
	cp.Draw(bar)

	line := draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}
	bar.StrokeLines(line, []vg.Point{
		bar.Min, {X: bar.Max.X, Y: bar.Min.Y}, bar.Max, {X: bar.Min.X, Y: bar.Max.Y}, bar.Min,
	})
	lo, hi := cmap.Min(), cmap.Max()
	for _, t := range ticks {
		y := bar.Min.Y + vg.Length((t.Value-lo)/(hi-lo))*(bar.Max.Y-bar.Min.Y)
		bar.StrokeLine2(line, bar.Max.X, y, bar.Max.X+barTick, y)
		bar.FillText(sty, vg.Point{X: bar.Max.X + barTick + 0.04*vg.Inch, Y: y}, t.Label)
	}
}

// sequentialControls are five colours of increasing lightness, from dark
// purple through blue, teal and green to yellow: the look of matplotlib's
// viridis, which many papers' heatmaps use.
var sequentialControls = []color.Color{
	color.NRGBA{0x44, 0x01, 0x54, 0xff},
	color.NRGBA{0x3b, 0x52, 0x8b, 0xff},
	color.NRGBA{0x21, 0x91, 0x8c, 0xff},
	color.NRGBA{0x5e, 0xc9, 0x62, 0xff},
	color.NRGBA{0xfd, 0xe7, 0x25, 0xff},
}

// sequential returns a new colour map for non-negative data: the
// sequentialControls interpolated by moreland.NewLuminance, so that
// lightness grows linearly with the value.
func sequential() palette.ColorMap {
	cm, err := moreland.NewLuminance(sequentialControls)
	if err != nil {
		panic("heatmap: " + err.Error()) // the controls are fixed
	}
	return cm
}

// colourTicks returns the labelled ticks of gonum/plot's default ticker
// that fall in [lo, hi].
func colourTicks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Label == "" || t.Value < lo-1e-12*(hi-lo) || t.Value > hi+1e-12*(hi-lo) {
			continue
		}
		ts = append(ts, t)
	}
	return ts
}

// thin drops ticks from ts, which mark values in [lo, hi] along a bar of
// the given height, until neighbouring labels are at least gap apart,
// keeping every other tick in each pass; the lowest tick is kept.
func thin(ts []plot.Tick, lo, hi float64, height, gap vg.Length) []plot.Tick {
	for len(ts) > 2 {
		step := vg.Length((ts[1].Value-ts[0].Value)/(hi-lo)) * height
		if step >= gap {
			break
		}
		var kept []plot.Tick
		for i := 0; i < len(ts); i += 2 {
			kept = append(kept, ts[i])
		}
		ts = kept
	}
	if len(ts) == 2 && vg.Length((ts[1].Value-ts[0].Value)/(hi-lo))*height < gap {
		ts = ts[:1]
	}
	return ts
}

// setAxis labels axis a with name and puts the tick label labels[i] at
// the data value at(i).
func setAxis(a *plot.Axis, name string, labels []string, size vg.Length, at func(int) float64) {
	a.Label.Text = name
	a.Label.TextStyle = textStyle(axisLabelSize)
	ticks := make([]plot.Tick, len(labels))
	for i, l := range labels {
		ticks[i] = plot.Tick{Value: at(i), Label: l}
	}
	a.Tick.Marker = plot.ConstantTicks(ticks)
	a.Tick.Label.Font.Size = size
	a.Tick.Length = 0.04 * vg.Inch
}

// textStyle returns a black text style of the given size in points that
// draws _{…} and ^{…} as scripts.
func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, size),
		Handler: scripts{text.Plain{Fonts: font.DefaultCache}},
	}
}

// colourRange returns the range of the colour map for m: [0, max] for
// non-negative data, [min, 0] for non-positive data, [-a, a] with a the
// largest magnitude for data of both signs, and [0, 1] for all zeros.
// m must be finite.
func colourRange(m mat.Matrix) (lo, hi float64) {
	r, c := m.Dims()
	lo, hi = math.Inf(1), math.Inf(-1)
	for i := range r {
		for j := range c {
			v := m.At(i, j)
			lo = math.Min(lo, v)
			hi = math.Max(hi, v)
		}
	}
	switch {
	case lo >= 0:
		lo = 0
	case hi <= 0:
		hi = 0
	default:
		a := math.Max(-lo, hi)
		lo, hi = -a, a
	}
	if !(hi > lo) {
		// Only an all-zero matrix gets here. ColorBar panics on an
		// empty range.
		lo, hi = 0, 1
	}
	return lo, hi
}

// cells returns an image of m with each entry a pxW × pxH rectangle
// coloured by cmap, row 0 at the top (as plotter.Image draws an image's first row
// at the top of its rectangle). gonum/plot's HeatMap is not used: drawn as
// vectors its cells show seams where anti-aliased edges meet, and
// rasterized it is one pixel per cell, which vgimg blurs when it scales
// the image up.
func cells(m mat.Matrix, cmap palette.ColorMap, pxW, pxH int) *image.NRGBA {
	r, c := m.Dims()
	pxW, pxH = max(pxW, 1), max(pxH, 1)
	img := image.NewNRGBA(image.Rect(0, 0, c*pxW, r*pxH))
	lo, hi := cmap.Min(), cmap.Max()
	for i := range r {
		for j := range c {
			v := math.Min(math.Max(m.At(i, j), lo), hi)
			col, err := cmap.At(v)
			if err != nil {
				panic("heatmap: " + err.Error()) // v is in range
			}
			cell := image.Rect(j*pxW, i*pxH, (j+1)*pxW, (i+1)*pxH)
			imgdraw.Draw(img, cell, image.NewUniform(col), image.Point{}, imgdraw.Src)
		}
	}
	return img
}

// rowNormalize sets dst to omega with each row divided by its Euclidean
// norm; a zero row stays zero. An empty dst is sized for the result, and
// one of the wrong size panics. The mkl package owns the canonical row
// normalization; this one only serves the figure.
func rowNormalize(dst *mat.Dense, omega mat.Matrix) {
	r, c := omega.Dims()
	if dst.IsEmpty() {
		dst.ReuseAs(r, c)
	} else if dr, dc := dst.Dims(); dr != r || dc != c {
		panic(fmt.Sprintf("heatmap: rowNormalize: dst is %d×%d, omega %d×%d", dr, dc, r, c))
	}
	dst.Copy(omega)
	for i := range r {
		row := dst.RawRowView(i)
		// mat.Norm of the row view scales to avoid overflow.
		n := mat.Norm(mat.NewVecDense(c, row), 2)
		if n == 0 {
			continue
		}
		for j := range row {
			row[j] /= n
		}
	}
}

// checkFinite returns an error naming what and the position of the first
// NaN or infinite entry of m.
func checkFinite(m mat.Matrix, what string) error {
	r, c := m.Dims()
	for i := range r {
		for j := range c {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: %s has %v at (%d, %d)", ErrNonFinite, what, v, i, j)
			}
		}
	}
	return nil
}

// indexLabels returns "1", …, "n".
func indexLabels(n int) []string {
	l := make([]string, n)
	for i := range l {
		l[i] = strconv.Itoa(i + 1)
	}
	return l
}

// longest returns the length in runes of the longest label.
func longest(labels []string) int {
	n := 0
	for _, l := range labels {
		n = max(n, len([]rune(l)))
	}
	return n
}
