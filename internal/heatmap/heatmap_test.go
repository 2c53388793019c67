package heatmap

import (
	"errors"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

func TestRowNormalize(t *testing.T) {
	for _, test := range []struct {
		name  string
		omega *mat.Dense
		want  *mat.Dense
		tol   float64
	}{
		{
			// 3-4-5 and 5-12-13 right triangles.
			name:  "integer norms",
			omega: mat.NewDense(2, 3, []float64{3, 4, 0, 0, 5, 12}),
			want:  mat.NewDense(2, 3, []float64{0.6, 0.8, 0, 0, 5.0 / 13, 12.0 / 13}),
			tol:   1e-15,
		},
		{
			// DESIGN.md §5: a zero row stays zero, and not NaN.
			name:  "zero row",
			omega: mat.NewDense(2, 2, []float64{0, 0, 1, 1}),
			want:  mat.NewDense(2, 2, []float64{0, 0, 1 / math.Sqrt2, 1 / math.Sqrt2}),
			tol:   1e-15,
		},
		{
			// The squares overflow float64; mat.Norm scales first, so
			// the result is still 1/√2 each.
			name:  "huge entries",
			omega: mat.NewDense(1, 2, []float64{1e200, 1e200}),
			want:  mat.NewDense(1, 2, []float64{1 / math.Sqrt2, 1 / math.Sqrt2}),
			tol:   1e-15,
		},
		{
			name:  "signs kept",
			omega: mat.NewDense(1, 2, []float64{-2, 0}),
			want:  mat.NewDense(1, 2, []float64{-1, 0}),
			tol:   0,
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			var got mat.Dense
			rowNormalize(&got, test.omega)
			if !mat.EqualApprox(&got, test.want, test.tol) {
				t.Errorf("got\n%v\nwant\n%v", mat.Formatted(&got), mat.Formatted(test.want))
			}
			// A dst of the right size is reused.
			r, c := test.omega.Dims()
			dst := mat.NewDense(r, c, nil)
			rowNormalize(dst, test.omega)
			if !mat.EqualApprox(dst, test.want, test.tol) {
				t.Errorf("sized dst: got\n%v", mat.Formatted(dst))
			}
		})
	}
	t.Run("wrong dst panics", func(t *testing.T) {
		defer func() {
			if r := recover(); r == nil || !strings.HasPrefix(r.(string), "heatmap:") {
				t.Errorf("recover() = %v, want a heatmap: panic", r)
			}
		}()
		rowNormalize(mat.NewDense(3, 3, nil), mat.NewDense(2, 2, nil))
	})
}

func TestColourRange(t *testing.T) {
	// The rules of the package documentation.
	for _, test := range []struct {
		name   string
		data   []float64
		lo, hi float64
	}{
		{"non-negative starts at 0", []float64{0.2, 0.5, 0.3, 0.4}, 0, 0.5},
		{"non-positive ends at 0", []float64{-2, -1, -1.5, -1}, -2, 0},
		{"both signs symmetric", []float64{-0.3, 0.5, 0, 0.1}, -0.5, 0.5},
		{"positive constant", []float64{2, 2, 2, 2}, 0, 2},
		{"zeros widened", []float64{0, 0, 0, 0}, 0, 1},
	} {
		lo, hi := colourRange(mat.NewDense(2, 2, test.data))
		if lo != test.lo || hi != test.hi {
			t.Errorf("%s: range [%g, %g], want [%g, %g]", test.name, lo, hi, test.lo, test.hi)
		}
	}
}

func TestSpans(t *testing.T) {
	for _, test := range []struct {
		txt  string
		want []span
	}{
		{"Ω_{n}^{T}Ω_{n}", []span{{"Ω", 0}, {"n", -1}, {"T", 1}, {"Ω", 0}, {"n", -1}}},
		{"μ_{solver} − ω^{2}", []span{{"μ", 0}, {"solver", -1}, {" − ω", 0}, {"2", 1}}},
		// Without braces an underscore is text.
		{"mu_solver", []span{{"mu_solver", 0}}},
		{"a_{b", []span{{"a_{b", 0}}},
		{"", nil},
	} {
		if got := spans(test.txt); !reflect.DeepEqual(got, test.want) {
			t.Errorf("spans(%q) = %v, want %v", test.txt, got, test.want)
		}
	}
}

func TestThin(t *testing.T) {
	ticks := func(vs ...float64) []plot.Tick {
		var ts []plot.Tick
		for _, v := range vs {
			ts = append(ts, plot.Tick{Value: v, Label: "x"})
		}
		return ts
	}
	for _, test := range []struct {
		name   string
		ts     []plot.Tick
		height float64
		want   []plot.Tick
	}{
		// Ticks 0.1 apart on [0, 1]: a 100-long bar spaces them by 10.
		{"room for all", ticks(0, 0.1, 0.2, 0.3, 0.4), 100, ticks(0, 0.1, 0.2, 0.3, 0.4)},
		{"every other", ticks(0, 0.1, 0.2, 0.3, 0.4), 70, ticks(0, 0.2, 0.4)},
		{"every fourth", ticks(0, 0.1, 0.2, 0.3, 0.4), 30, ticks(0, 0.4)},
		{"only the lowest", ticks(0, 0.1, 0.2, 0.3, 0.4), 10, ticks(0)},
	} {
		// The gap asked for is 10.
		got := thin(test.ts, 0, 1, vgLen(test.height), 10)
		if !reflect.DeepEqual(got, test.want) {
			t.Errorf("%s: got %v, want %v", test.name, got, test.want)
		}
	}
}

// decode reads the PNG at path and checks its size in pixels, that the
// file has at least minBytes, and that it is not blank.
func decode(t *testing.T, path string, wantW, wantH int, minBytes int64) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	if fi.Size() < minBytes {
		t.Errorf("%s is only %d bytes", path, fi.Size())
	}
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Errorf("%s is %d×%d px, want %d×%d", path, b.Dx(), b.Dy(), wantW, wantH)
	}
	colours := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	// White, black text, anti-aliasing and the colour bars.
	if len(colours) < 50 {
		t.Errorf("%s has only %d colours", path, len(colours))
	}
	return img
}

func TestFig2(t *testing.T) {
	random := mat.NewDense(10, 10, nil)
	// A fixed pseudo-random matrix (a linear congruential sequence), so
	// the test needs no seed.
	x := uint32(1)
	for i := range 10 {
		for j := range 10 {
			x = x*1664525 + 1013904223
			random.Set(i, j, float64(x>>8)/(1<<24))
		}
	}
	for _, test := range []struct {
		name   string
		omega  *mat.Dense
		labels []string
	}{
		{"10×10", random, nil},
		{"3×20", func() *mat.Dense {
			m := mat.NewDense(3, 20, nil)
			for j := range 20 {
				m.Set(0, j, float64(j%4))
				m.Set(1, j, 1)
				m.Set(2, j, float64(20-j))
			}
			return m
		}(), []string{"T-shirt/top", "Trouser", "Pullover"}},
		// Ω_n is 1/√L everywhere and both Gram panels are constant:
		// the ColorBar must not see min == max.
		{"constant", mat.NewDense(4, 5, []float64{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}), nil},
		{"zero row", mat.NewDense(3, 4, []float64{1, 0, 0, 0, 0, 0, 0, 0, 0.2, 0.3, 0.5, 0}), []string{"a", "b", "c"}},
		{"all zero", mat.NewDense(2, 3, nil), nil},
		{"1×1", mat.NewDense(1, 1, []float64{0.5}), nil},
	} {
		t.Run(test.name, func(t *testing.T) {
			// In parallel: figures are drawn concurrently, which
			// -race checks, and the slow race build takes less time.
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "fig2.png")
			if err := Fig2(path, test.omega, test.labels, "Fig. 2 test: "+test.name); err != nil {
				t.Fatal(err)
			}
			// Three 5 in × 5 in panels at 150 dpi. A blank white
			// PNG of this size is about 10 KB; text alone makes a
			// figure several times that.
			decode(t, path, 3*5*150, 5*150, 30_000)
			if names := dirNames(t, dir); len(names) != 1 {
				t.Errorf("directory holds %q, want only fig2.png", names)
			}
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// TestRowZeroOnTop checks the orientation of a drawn matrix: the pixels of
// the colour of the maximum (the last control colour, #fde725) lie in the
// half of the figure where the maximal entry is. The colour bar adds a
// sliver of that colour at its top, much smaller than one of the four
// cells.
func TestRowZeroOnTop(t *testing.T) {
	for _, test := range []struct {
		name string
		data []float64
		top  bool
	}{
		{"entry (0,0) is top left", []float64{1, 0, 0, 0}, true},
		{"entry (1,0) is bottom left", []float64{0, 0, 1, 0}, false},
	} {
		t.Run(test.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.png")
			err := Panels(path, []Panel{{Title: "orientation", M: mat.NewDense(2, 2, test.data)}}, "")
			if err != nil {
				t.Fatal(err)
			}
			// One panel of four flat cells compresses well.
			img := decode(t, path, 5*150, 5*150, 5_000)
			b := img.Bounds()
			var upper, lower int
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r, g, bl, _ := img.At(x, y).RGBA()
					if near(r>>8, 0xfd) && near(g>>8, 0xe7) && near(bl>>8, 0x25) {
						if y < b.Dy()/2 {
							upper++
						} else {
							lower++
						}
					}
				}
			}
			if (upper > 4*lower) != test.top || (lower > 4*upper) == test.top {
				t.Errorf("max-colour pixels: %d in the upper half, %d in the lower", upper, lower)
			}
		})
	}
}

func near(a, b uint32) bool { return a+8 >= b && b+8 >= a }

func TestPanelsErrors(t *testing.T) {
	base := t.TempDir()
	good := []Panel{{Title: "m", M: mat.NewDense(2, 2, []float64{1, 2, 3, 4})}}
	for _, test := range []struct {
		name    string
		path    string
		panels  []Panel
		wantErr error // nil: any error that names the path
	}{
		{name: "missing directory", path: filepath.Join(base, "no", "such", "dir", "f.png"), panels: good},
		{name: "path is a directory", path: base, panels: good},
		{
			name:    "NaN entry",
			path:    filepath.Join(base, "nan.png"),
			panels:  []Panel{{Title: "m", M: mat.NewDense(1, 2, []float64{1, math.NaN()})}},
			wantErr: ErrNonFinite,
		},
		{
			name:    "infinite entry",
			path:    filepath.Join(base, "inf.png"),
			panels:  []Panel{{Title: "m", M: mat.NewDense(1, 2, []float64{math.Inf(-1), 1})}},
			wantErr: ErrNonFinite,
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			before := dirNames(t, base)
			err := Panels(test.path, test.panels, "t")
			switch {
			case err == nil:
				t.Fatal("no error")
			case test.wantErr != nil && !errors.Is(err, test.wantErr):
				t.Errorf("error %v, want one wrapping %v", err, test.wantErr)
			case test.wantErr == nil && !strings.Contains(err.Error(), test.path):
				t.Errorf("error %q does not name %s", err, test.path)
			}
			if after := dirNames(t, base); !reflect.DeepEqual(before, after) {
				t.Errorf("directory changed from %q to %q", before, after)
			}
		})
	}
	t.Run("Fig2 NaN", func(t *testing.T) {
		path := filepath.Join(base, "fig2.png")
		err := Fig2(path, mat.NewDense(1, 2, []float64{math.NaN(), 1}), nil, "")
		if !errors.Is(err, ErrNonFinite) {
			t.Errorf("error %v, want ErrNonFinite", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("file written despite NaN (stat error %v)", err)
		}
	})
}

func TestMisusePanics(t *testing.T) {
	m := mat.NewDense(2, 3, nil)
	path := filepath.Join(t.TempDir(), "x.png")
	for _, test := range []struct {
		name string
		f    func()
	}{
		{"no panels", func() { Panels(path, nil, "") }},
		{"row labels", func() { Panels(path, []Panel{{M: m, RowLabels: []string{"a"}}}, "") }},
		{"column labels", func() { Panels(path, []Panel{{M: m, ColLabels: []string{"a", "b"}}}, "") }},
		{"empty matrix", func() { Panels(path, []Panel{{M: &mat.Dense{}}}, "") }},
		{"class labels", func() { Fig2(path, m, []string{"a", "b", "c"}, "") }},
		{"empty omega", func() { Fig2(path, &mat.Dense{}, nil, "") }},
	} {
		t.Run(test.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "heatmap:") {
					t.Errorf("recover() = %v, want a panic starting with heatmap:", r)
				}
			}()
			test.f()
		})
	}
}

func vgLen(v float64) vg.Length { return vg.Length(v) }
