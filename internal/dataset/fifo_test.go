//go:build linux || darwin

package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadFIFO reads from a named pipe, whose size is not known in advance:
// a header that claims a huge array must fail when the data run out, after
// allocating only what was really sent.
func TestReadFIFO(t *testing.T) {
	for _, test := range []struct {
		name    string
		content []byte
		want    string // "" for success
	}{
		// A valid file through a pipe.
		{"valid", rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", f8le(1, 2)), ""},
		// 6.3 PB claimed, 16 bytes sent.
		{"huge claim", rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 784), }", f8le(1, 2)),
			"truncated: header claims shape (1000000000000, 784) of float64 = 6.3 PB but the file holds 16 bytes of array data"},
		// More data than claimed.
		{"trailing", rawNPY(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", f8le(1, 2)),
			"but more data follow: trailing data or wrong shape"},
	} {
		t.Run(test.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "pipe.npy")
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			go func() {
				f, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				f.Write(test.content)
				f.Close()
			}()
			x, err := ReadFeatures(path)
			switch {
			case test.want == "" && err != nil:
				t.Fatal(err)
			case test.want == "":
				if r, c := x.Dims(); r != 2 || c != 1 || x.At(1, 0) != 2 {
					t.Errorf("got %d×%d", r, c)
				}
			case err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), test.want):
				t.Errorf("got %v, want %q", err, test.want)
			}
		})
	}
}
