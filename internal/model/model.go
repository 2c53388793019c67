package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/ntkmkl/ntkmkl/internal/atomicfile"
	"github.com/ntkmkl/ntkmkl/internal/dataset"
	"github.com/ntkmkl/ntkmkl/internal/prep"
	"github.com/ntkmkl/ntkmkl/mkl"
	"github.com/ntkmkl/ntkmkl/ntk"
	"gonum.org/v1/gonum/mat"
)

// Format identifies the model.json layout.
const Format = "ntkmkl-model/1"

// Kernel is the serializable form of an ntk.Config.
type Kernel struct {
	Depth      int     `json:"depth"`
	Activation string  `json:"activation"`
	SigmaW2    float64 `json:"sigma_w2"`
	SigmaB2    float64 `json:"sigma_b2"`
	SigmaV2    float64 `json:"sigma_v2"`
	Kind       string  `json:"kind"`
}

// KernelOf returns the serializable form of cfg, defaults resolved.
func KernelOf(cfg ntk.Config) Kernel {
	r := cfg.Resolved()
	return Kernel{Depth: r.Depth, Activation: r.Activation.String(), SigmaW2: r.SigmaW2, SigmaB2: r.SigmaB2, SigmaV2: r.SigmaV2, Kind: r.Kind.String()}
}

// Config returns the ntk.Config k describes.
func (k Kernel) Config() (ntk.Config, error) {
	act, err := ntk.ParseActivation(k.Activation)
	if err != nil {
		return ntk.Config{}, err
	}
	kind, err := ntk.ParseKind(k.Kind)
	if err != nil {
		return ntk.Config{}, err
	}
	cfg := ntk.Config{Depth: k.Depth, Activation: act, SigmaW2: k.SigmaW2, SigmaB2: k.SigmaB2, SigmaV2: k.SigmaV2, Kind: kind}
	return cfg, cfg.Validate()
}

// Model is a fitted model.
type Model struct {
	Format        string          `json:"format"`
	Kernel        Kernel          `json:"kernel"`
	KernelScale   string          `json:"kernel_scale"` // "mean-diag" or "none"
	Scales        []float64       `json:"scales"`       // sℓ, one per layer
	Normalization prep.Normalizer `json:"normalization"`
	Classes       []int           `json:"classes"` // label of class c
	Lambda        float64         `json:"lambda"`
	Omega         [][]float64     `json:"omega"` // d×L weights μ
	Features      int             `json:"features"`
	Method        string          `json:"method,omitempty"` // "exact", or "nystrom" (TrainX holds the centres)
	TrainPoints   int             `json:"train_points"`

	TrainX *mat.Dense `json:"-"` // normalized training inputs, n×m
	Alpha  *mat.Dense `json:"-"` // n×d
}

// Save writes m into the folder dir, replacing an earlier model there only
// once the new one is complete.
func (m *Model) Save(dir string) error {
	m.Format = Format
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".model-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(tmp, "model.json"), append(js, '\n')); err != nil {
		return err
	}
	for name, a := range map[string]*mat.Dense{"train_x.npy": m.TrainX, "alpha.npy": m.Alpha} {
		r, c := a.Dims()
		if err := dataset.WriteNPY(filepath.Join(tmp, name), []int{r, c}, mat.DenseCopyOf(a).RawMatrix().Data); err != nil {
			return err
		}
	}
	old := dir + ".old"
	os.RemoveAll(old)
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// Load reads a model folder written by Save and checks it.
func Load(dir string) (*Model, error) {
	js, err := os.ReadFile(filepath.Join(dir, "model.json"))
	if err != nil {
		return nil, fmt.Errorf("%s: not a model folder: %w", dir, err)
	}
	var m Model
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "model.json"), err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%s: format %q, want %q", filepath.Join(dir, "model.json"), m.Format, Format)
	}
	if _, err := m.Kernel.Config(); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "model.json"), err)
	}
	d, L := len(m.Classes), m.Kernel.Depth
	if d == 0 || len(m.Omega) != d || len(m.Scales) != L || !(m.Lambda > 0) {
		return nil, fmt.Errorf("%s: inconsistent model (%d classes, %d rows of Ω, %d scales for depth %d, λ = %v)",
			filepath.Join(dir, "model.json"), d, len(m.Omega), len(m.Scales), L, m.Lambda)
	}
	for _, row := range m.Omega {
		if len(row) != L {
			return nil, fmt.Errorf("%s: a row of Ω has %d weights for depth %d", filepath.Join(dir, "model.json"), len(row), L)
		}
	}
	if m.TrainX, err = readMatrix(filepath.Join(dir, "train_x.npy"), m.TrainPoints, m.Features); err != nil {
		return nil, err
	}
	if m.Alpha, err = readMatrix(filepath.Join(dir, "alpha.npy"), m.TrainPoints, d); err != nil {
		return nil, err
	}
	if m.Normalization.Kind == prep.Standardize && (len(m.Normalization.Mean) != m.Features || len(m.Normalization.Scale) != m.Features) {
		return nil, fmt.Errorf("%s: normalization does not match %d features", filepath.Join(dir, "model.json"), m.Features)
	}
	return &m, nil
}

func readMatrix(path string, r, c int) (*mat.Dense, error) {
	data, shape, err := dataset.ReadNPY(path)
	if err != nil {
		return nil, err
	}
	if len(shape) != 2 || shape[0] != r || shape[1] != c {
		return nil, fmt.Errorf("%s: shape %v, model.json says (%d, %d)", path, shape, r, c)
	}
	for _, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: contains NaN or Inf", path)
		}
	}
	return mat.NewDense(r, c, data), nil
}

// OmegaMatrix returns Ω as a d×L matrix.
func (m *Model) OmegaMatrix() *mat.Dense {
	d, L := len(m.Omega), m.Kernel.Depth
	o := mat.NewDense(d, L, nil)
	for c, row := range m.Omega {
		o.SetRow(c, row)
	}
	return o
}

// ErrFeatures reports inputs whose dimension differs from the model's.
var ErrFeatures = errors.New("inputs have a different number of features than the training inputs")

// Settings controls Predict. The zero value means the defaults.
type Settings struct {
	// BlockRows is the number of new inputs per cross-kernel block. Zero
	// means 256.
	BlockRows int
	// Workers is passed to ntk.Stack. Zero means all cores.
	Workers int
	// Progress, if not nil, is called with the number of rows finished.
	Progress func(rows int)
}

// Predict returns the class scores (n*×d) of the rows of x, given in the
// raw units of the training data: it applies the model's normalization to
// a copy, then computes the scaled cross-kernels block by block and
// combines them with Ω and α (mkl.Scores).
func (m *Model) Predict(x *mat.Dense, s *Settings) (*mat.Dense, error) {
	var set Settings
	if s != nil {
		set = *s
	}
	if set.BlockRows <= 0 {
		set.BlockRows = 256
	}
	n, f := x.Dims()
	if f != m.Features {
		return nil, fmt.Errorf("%w: %d, model has %d", ErrFeatures, f, m.Features)
	}
	cfg, err := m.Kernel.Config()
	if err != nil {
		return nil, err
	}
	xn := mat.DenseCopyOf(x)
	m.Normalization.Apply(xn)
	omega := m.OmegaMatrix()
	scores := mat.NewDense(n, len(m.Classes), nil)
	var cross []*mat.Dense
	for i0 := 0; i0 < n; i0 += set.BlockRows {
		i1 := min(i0+set.BlockRows, n)
		if cross == nil || i1-i0 != cross[0].RawMatrix().Rows {
			cross = nil
		}
		cross = cfg.Stack(cross, xn.Slice(i0, i1, 0, f), m.TrainX, &ntk.Settings{Workers: set.Workers})
		for l, k := range cross {
			k.Scale(1/m.Scales[l], k)
		}
		block := scores.Slice(i0, i1, 0, len(m.Classes)).(*mat.Dense)
		mkl.Scores(block, cross, omega, m.Alpha)
		if set.Progress != nil {
			set.Progress(i1 - i0)
		}
	}
	return scores, nil
}
