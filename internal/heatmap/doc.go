// Package heatmap draws matrices as PNG heatmaps, chiefly the three panels
// of the paper's Fig. 2 that show the learned layer weights Ω.
//
// Ω is the d × L matrix of kernel weights μ: one row per class, one column
// per layer (DESIGN.md §5). Fig2 divides each row by its Euclidean norm,
// giving Ω_n (a zero row stays zero), and draws side by side
//
//	Ω_nᵀΩ_n  (L × L)  which layers are used together,
//	Ω_nΩ_nᵀ  (d × d)  which classes use the same layers,
//	Ω_n      (d × L)  the normalized weights themselves.
//
// Panels draws any list of matrices the same way, for side-by-side
// comparisons such as the solver's μ against a finite network's ω².
//
// Conventions of every panel:
//   - row 0 of a matrix is the top row of its heatmap, as in a printed
//     matrix, and column 0 is on the left. (The cells are drawn as an
//     image, whose first row plotter.Image puts at the top, rather than
//     with plotter.HeatMap, whose GridXYZ has row 0 at the bottom and
//     whose cells show seams or blur; see cells in heatmap.go.)
//   - every row and column has a tick label; labels longer than two
//     characters under the columns are slanted;
//   - cells are square where the panel has room for it, and otherwise
//     stretched so that the heatmap fills at least 40% of the panel's
//     height and width;
//   - each heatmap has its own colour bar on its right. Non-negative data
//     (all of Fig. 2) use a sequential map from dark purple to yellow
//     (the look of viridis, built with moreland.NewLuminance so that
//     lightness grows linearly with the value) on [0, max], so that an
//     exact zero, a layer a class has dropped, is always the darkest
//     colour; data of both signs use moreland's diverging SmoothBlueRed
//     on [-a, a] with a the largest magnitude, so that grey is zero; data
//     of one negative sign use [min, 0]. A matrix whose range is empty
//     (all zeros) gets the range [0, 1], because gonum/plot's ColorBar
//     panics when its minimum equals its maximum.
//
// In titles and axis names, "_{…}" and "^{…}" are drawn as a subscript
// and a superscript (Fig2's titles read Ω_{n}^{T}Ω_{n}); all other text is
// plain. gonum/plot's LaTeX handler cannot be used for this: go-latex
// v0.2.0 has no sub- or superscripts and panics on non-ASCII text.
//
// Files are written through internal/atomicfile: a figure is either
// complete or absent. Shape mistakes (labels that do not match the matrix,
// an empty matrix, no panels) panic with a message that starts with
// "heatmap:"; non-finite entries and I/O failures are returned as errors.
package heatmap
