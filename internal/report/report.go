package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/ntkmkl/ntkmkl/internal/atomicfile"
	"gonum.org/v1/gonum/mat"
)

// WriteOmegaCSV writes omega (d×L) to path with the header
// class,layer1,…,layerL and one row per class label, every weight with the
// shortest representation that reads back to the same float64.
func WriteOmegaCSV(path string, classes []int, omega mat.Matrix) error {
	d, L := omega.Dims()
	if len(classes) != d {
		panic(fmt.Sprintf("report: %d class labels for %d rows of Ω", len(classes), d))
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		head := []string{"class"}
		for l := 1; l <= L; l++ {
			head = append(head, "layer"+strconv.Itoa(l))
		}
		if err := cw.Write(head); err != nil {
			return err
		}
		for c := 0; c < d; c++ {
			row := []string{strconv.Itoa(classes[c])}
			for l := 0; l < L; l++ {
				row = append(row, strconv.FormatFloat(omega.At(c, l), 'g', -1, 64))
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// ReadOmegaCSV reads a file written by WriteOmegaCSV.
func ReadOmegaCSV(path string) (classes []int, omega *mat.Dense, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) < 2 || len(rows[0]) < 2 || rows[0][0] != "class" {
		return nil, nil, fmt.Errorf("%s: not an omega.csv (want a header class,layer1,… and one row per class)", path)
	}
	L := len(rows[0]) - 1
	omega = mat.NewDense(len(rows)-1, L, nil)
	for i, row := range rows[1:] {
		c, err := strconv.Atoi(strings.TrimSpace(row[0]))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: line %d: class label %q is not an integer", path, i+2, row[0])
		}
		classes = append(classes, c)
		for l := 0; l < L; l++ {
			v, err := strconv.ParseFloat(strings.TrimSpace(row[l+1]), 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: line %d, column %d: %q is not a number", path, i+2, l+2, row[l+1])
			}
			omega.Set(i, l, v)
		}
	}
	return classes, omega, nil
}

// WriteJSON writes v to path as indented JSON, whole or not at all.
func WriteJSON(path string, v any) error {
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(js, '\n'))
}

// Build describes the program that made a result.
type Build struct {
	Version   string `json:"version"` // module version or VCS revision
	Modified  bool   `json:"vcs_modified,omitempty"`
	GoVersion string `json:"go_version"`
	Backend   string `json:"blas_backend"`
	OS        string `json:"os_arch"`
	CPUs      int    `json:"cpus"`
}

// BuildInfo returns the Build of this binary, with the given BLAS backend
// name.
func BuildInfo(backend string) Build {
	b := Build{Version: "unknown", GoVersion: runtime.Version(), Backend: backend, OS: runtime.GOOS + "/" + runtime.GOARCH, CPUs: runtime.NumCPU()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			b.Version = v
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Version = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	return b
}
