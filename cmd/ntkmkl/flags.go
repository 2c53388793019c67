package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"

	"github.com/ntkmkl/ntkmkl/ntk"
	"github.com/urfave/cli/v2"
)

// kernelFlags are the flags of the kernel configuration (DESIGN.md §1–2).
func kernelFlags(defaultDepth int) []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "depth", Value: defaultDepth, Usage: "number of hidden layers L (one kernel per depth 1..L)", Category: "kernel"},
		&cli.StringFlag{Name: "activation", Value: "relu", Usage: "activation φ: closed forms relu, erf, gelu, sin, cos, abs, leaky_relu[:α], abrelu:a,b; by quadrature tanh, sigmoid, softplus, swish, elu[:α] (see ntk.ActivationSyntax)", Category: "kernel"},
		&cli.IntFlag{Name: "quadrature-degree", Value: 32, Usage: "quadrature degree for activations without a closed form", Category: "kernel"},
		&cli.Float64Flag{Name: "sigma-w2", Value: 2, Usage: "weight variance σw²", Category: "kernel"},
		&cli.Float64Flag{Name: "sigma-b2", Value: 0, Usage: "bias variance σb²", Category: "kernel"},
		&cli.Float64Flag{Name: "sigma-v2", Value: 1, Usage: "readout variance σv²", Category: "kernel"},
		&cli.StringFlag{Name: "kind", Value: "ntk", Usage: "kernel: ntk (tangent kernel) or nngp (Gaussian-process kernel)", Category: "kernel"},
	}
}

// kernelConfig reads the kernel flags into a validated ntk.Config.
func kernelConfig(c *cli.Context) (ntk.Config, error) {
	deg := c.Int("quadrature-degree")
	if deg < 1 || deg > 1000 {
		return ntk.Config{}, usagef("--quadrature-degree %d: must be in 1..1000", deg)
	}
	if !c.IsSet("quadrature-degree") {
		deg = 0
	}
	act, err := ntk.ParseActivationDegree(c.String("activation"), deg)
	if err != nil {
		return ntk.Config{}, usagef("--activation: %v", trimPrefix(err))
	}
	kindName := c.String("kind")
	if kindName == "" {
		kindName = "ntk" // commands without --kind (train)
	}
	kind, err := ntk.ParseKind(kindName)
	if err != nil {
		return ntk.Config{}, usagef("--kind: %v", trimPrefix(err))
	}
	if d := c.Int("depth"); d < 1 {
		return ntk.Config{}, usagef("--depth %d: need at least 1 hidden layer", d)
	}
	for _, name := range []string{"sigma-w2", "sigma-v2"} {
		if v := c.Float64(name); !(v > 0) || math.IsInf(v, 0) {
			return ntk.Config{}, usagef("--%s %v: must be a positive finite number", name, v)
		}
	}
	if v := c.Float64("sigma-b2"); !(v >= 0) || math.IsInf(v, 0) {
		return ntk.Config{}, usagef("--sigma-b2 %v: must be a finite number ≥ 0", v)
	}
	cfg := ntk.Config{
		Depth: c.Int("depth"), Activation: act, Kind: kind,
		SigmaW2: c.Float64("sigma-w2"), SigmaB2: c.Float64("sigma-b2"), SigmaV2: c.Float64("sigma-v2"),
	}
	if err := cfg.Validate(); err != nil {
		return ntk.Config{}, usagef("%v", trimPrefix(err))
	}
	return cfg, nil
}

// workersFlag is the --workers flag.
var workersFlag = &cli.IntFlag{Name: "workers", Value: 0, Usage: "goroutines for the Gram stack and classes solved at once (0: all cores)", Category: "run"}

// workers returns the validated worker count.
func workers(c *cli.Context) (int, error) {
	w := c.Int("workers")
	switch {
	case w < 0:
		return 0, usagef("--workers %d: must be ≥ 1, or 0 for all cores", w)
	case w == 0:
		return runtime.GOMAXPROCS(0), nil
	case w > 4096:
		return 0, usagef("--workers %d: more goroutines than makes sense (this machine has %d cores)", w, runtime.NumCPU())
	}
	return w, nil
}

// prepareOutDir creates dir if needed and checks that files can be
// written in it, before any long computation starts.
func prepareOutDir(flag, dir string) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return usagef("--%s %s: exists and is not a folder", flag, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usagef("--%s %s: cannot create the folder: %v", flag, dir, err)
	}
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return usagef("--%s %s: folder is not writable: %v", flag, dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// prepareOutFile checks that a file can be created at path.
func prepareOutFile(flag, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usagef("--%s %s: is a folder, want a file name", flag, path)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usagef("--%s %s: folder %s does not exist", flag, path, dir)
	}
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return usagef("--%s %s: folder %s is not writable", flag, path, dir)
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// trimPrefix drops a "pkg: " prefix from library errors shown after a flag.
func trimPrefix(err error) string {
	s := err.Error()
	for _, p := range []string{"ntk: ", "mkl: ", "krr: "} {
		if len(s) > len(p) && s[:len(p)] == p {
			return s[len(p):]
		}
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
