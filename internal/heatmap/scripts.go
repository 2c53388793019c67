package heatmap

import (
	"math"
	"strings"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// Script geometry, as fractions of the base font size.
const (
	scriptScale = 0.7  // size of a sub- or superscript
	supRise     = 0.38 // baseline of a superscript above the base line
	subDrop     = 0.2  // baseline of a subscript below it
)

// scripts is a text.Handler that draws "_{…}" as a subscript and "^{…}"
// as a superscript and everything else as text.Plain does. Text with a
// newline, or without scripts, is left to text.Plain.
type scripts struct {
	text.Plain
}

// span is a piece of text at one level: 0 on the base line, -1 a
// subscript, +1 a superscript.
type span struct {
	s     string
	level int
}

// spans splits txt at its scripts. A "_{" or "^{" without a closing brace
// is plain text.
func spans(txt string) []span {
	var out []span
	var plain strings.Builder
	for i := 0; i < len(txt); {
		if (txt[i] == '_' || txt[i] == '^') && i+1 < len(txt) && txt[i+1] == '{' {
			if end := strings.IndexByte(txt[i+2:], '}'); end >= 0 {
				if plain.Len() > 0 {
					out = append(out, span{plain.String(), 0})
					plain.Reset()
				}
				level := -1
				if txt[i] == '^' {
					level = 1
				}
				out = append(out, span{txt[i+2 : i+2+end], level})
				i += 2 + end + 1
				continue
			}
		}
		plain.WriteByte(txt[i])
		i++
	}
	if plain.Len() > 0 {
		out = append(out, span{plain.String(), 0})
	}
	return out
}

// simple reports whether txt is for text.Plain.
func simple(txt string) bool {
	return strings.Contains(txt, "\n") || (!strings.Contains(txt, "_{") && !strings.Contains(txt, "^{"))
}

// Box returns the width of txt and its height above and depth below the
// base line, scripts included.
func (h scripts) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	if simple(txt) {
		return h.Plain.Box(txt, fnt)
	}
	base, small := h.faces(fnt)
	height, depth = base.Extents().Ascent, base.Extents().Descent
	for _, sp := range spans(txt) {
		switch sp.level {
		case 1:
			height = max(height, supRise*fnt.Size+small.Extents().Ascent)
		case -1:
			depth = max(depth, subDrop*fnt.Size+small.Extents().Descent)
		}
	}
	width = layout(spans(txt), base, small, nil)
	return width, height, depth
}

// layout returns the width of sps and, with a non-nil draw, calls it with
// the offset from the start of the text of each span. A superscript right
// after a subscript (or the reverse) is stacked over it, as in Ω_{n}^{T}.
func layout(sps []span, base, small font.Face, draw func(sp span, x vg.Length)) vg.Length {
	var x, scriptX, scriptW vg.Length
	prev := 0
	for _, sp := range sps {
		f := base
		if sp.level != 0 {
			f = small
		}
		w := f.Width(sp.s)
		if sp.level != 0 && prev == -sp.level {
			// Stack: go back to where the previous script began.
			x = scriptX
			if draw != nil {
				draw(sp, x)
			}
			scriptW = max(scriptW, w)
			x += scriptW
			prev = 2 // a third script is not stacked
			continue
		}
		if draw != nil {
			draw(sp, x)
		}
		scriptX, scriptW = x, w
		x += w
		prev = sp.level
	}
	return x
}

// Draw draws txt at pt, aligned and rotated as text.Plain would.
func (h scripts) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	if simple(txt) {
		h.Plain.Draw(c, txt, sty, pt)
		return
	}
	base, small := h.faces(sty.Font)
	c.SetColor(sty.Color)
	if sty.Rotation != 0 {
		c.Push()
		c.Rotate(sty.Rotation)
		sin64, cos64 := math.Sincos(sty.Rotation)
		sin, cos := vg.Length(sin64), vg.Length(cos64)
		pt.X, pt.Y = pt.Y*sin+pt.X*cos, pt.Y*cos-pt.X*sin
		defer c.Pop()
	}
	// The base line is placed by text.Plain's rule for one line, so that
	// the text sits where text.Style.Rectangle says it does.
	w, ht, d := h.Box(txt, sty.Font)
	x := pt.X + vg.Length(sty.XAlign)*w
	y := pt.Y + (ht+d)*vg.Length(sty.YAlign) - base.Extents().Ascent + sty.Font.Size
	layout(spans(txt), base, small, func(sp span, dx vg.Length) {
		switch sp.level {
		case 0:
			c.FillString(base, vg.Point{X: x + dx, Y: y}, sp.s)
		case 1:
			c.FillString(small, vg.Point{X: x + dx, Y: y + supRise*sty.Font.Size}, sp.s)
		case -1:
			c.FillString(small, vg.Point{X: x + dx, Y: y - subDrop*sty.Font.Size}, sp.s)
		}
	})
}

// faces returns the faces for the base text and for scripts.
func (h scripts) faces(fnt font.Font) (base, small font.Face) {
	return h.Fonts.Lookup(fnt, fnt.Size), h.Fonts.Lookup(fnt, fnt.Size*scriptScale)
}
