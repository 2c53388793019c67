package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// getenv is os.Getenv, a variable so tests can replace it.
var getenv = os.Getenv

// parseBytes reads a size such as 512MB, 16GB, 1.5GiB or 1000000 (bytes).
// Decimal (kB, MB, GB, TB) and binary (KiB, MiB, GiB, TiB) units are both
// accepted; case does not matter.
func parseBytes(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	units := []struct {
		suffix string
		mult   float64
	}{
		{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10},
		{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"T", 1e12}, {"G", 1e9}, {"M", 1e6}, {"K", 1e3}, {"B", 1},
	}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) || v*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size (examples: 512MB, 16GB, 1.5GiB)", s)
	}
	return int64(v * mult), nil
}

// formatBytes writes a size in GB or MB (decimal), as memory is sold.
func formatBytes(b int64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(b)/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(b)/1e6)
	}
	return fmt.Sprintf("%d bytes", b)
}

// availableMemory returns MemAvailable from /proc/meminfo, or 0 when it
// cannot be read.
func availableMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			fields := strings.Fields(rest)
			if len(fields) >= 1 {
				kb, err := strconv.ParseInt(fields[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}

// memoryBudget returns --max-memory, or the memory available (1 TB when
// that cannot be read, so that the preflight never refuses by accident).
func memoryBudget(c *cli.Context) (int64, error) {
	if v := c.String("max-memory"); v != "" {
		b, err := parseBytes(v)
		if err != nil {
			return 0, usagef("--max-memory: %v", err)
		}
		return b, nil
	}
	if a := availableMemory(); a > 0 {
		return a, nil
	}
	return 1e12, nil
}

// exactFitBytes estimates the peak memory of an exact fit: the stack
// (L·n²), one n×n work matrix per worker, the leave-one-out matrices
// (3n²) with --lambda auto, the validation cross-kernels, the data (three
// copies of n×m) and a prediction block of 256 rows against X.
func exactFitBytes(n, m, L, workers, nVal int, auto bool) int64 {
	nn := int64(n) * int64(n)
	b := int64(L)*nn + int64(workers)*nn + int64(L)*int64(nVal)*int64(n) + 3*int64(n)*int64(m) + int64(L)*256*int64(n)
	if auto {
		b += 3 * nn
	}
	return 8 * b
}
