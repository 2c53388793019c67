package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entries returns the names in dir, so that a test can check that no
// temporary file was left behind.
func entries(t *testing.T, dir string) []string {
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

func TestWrite(t *testing.T) {
	errFill := errors.New("fill failed")
	for _, test := range []struct {
		name string
		// old is the content of path before Write; nil means no file.
		old []byte
		// fill is passed to Write.
		fill func(w io.Writer) error
		// wantErr is the error Write must wrap, or nil.
		wantErr error
		// want is the content of path after Write; nil means no file.
		// On error it equals old: path must be untouched.
		want []byte
	}{
		{
			name: "new file",
			fill: func(w io.Writer) error { _, err := io.WriteString(w, "hello\n"); return err },
			want: []byte("hello\n"),
		},
		{
			name: "empty file",
			fill: func(w io.Writer) error { return nil },
			want: []byte{},
		},
		{
			// 1 MiB is larger than the 64 KiB buffer, so the buffer is
			// flushed during fill as well as at the end.
			name: "large file",
			fill: func(w io.Writer) error {
				_, err := w.Write(bytes.Repeat([]byte("0123456789abcdef"), 1<<16))
				return err
			},
			want: bytes.Repeat([]byte("0123456789abcdef"), 1<<16),
		},
		{
			name: "replace on success",
			old:  []byte("old content"),
			fill: func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err },
			want: []byte("new"),
		},
		{
			name: "fill error leaves no file",
			fill: func(w io.Writer) error {
				io.WriteString(w, "partial")
				return errFill
			},
			wantErr: errFill,
		},
		{
			name: "fill error keeps old file",
			old:  []byte("old content"),
			fill: func(w io.Writer) error {
				// More than the buffer, so part of it reaches the
				// temporary file before the error.
				w.Write(make([]byte, 1<<17))
				return errFill
			},
			wantErr: errFill,
			want:    []byte("old content"),
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.bin")
			if test.old != nil {
				if err := os.WriteFile(path, test.old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := Write(path, test.fill)
			switch {
			case test.wantErr == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case test.wantErr != nil && !errors.Is(err, test.wantErr):
				t.Fatalf("error = %v, want one wrapping %v", err, test.wantErr)
			case err != nil && !strings.Contains(err.Error(), path):
				t.Errorf("error %q does not name %s", err, path)
			}
			got, rerr := os.ReadFile(path)
			if test.want == nil {
				if !errors.Is(rerr, os.ErrNotExist) {
					t.Errorf("path exists after failed Write (read error %v)", rerr)
				}
			} else if !bytes.Equal(got, test.want) {
				t.Errorf("content = %.40q (len %d), want %.40q (len %d)", got, len(got), test.want, len(test.want))
			}
			// Only path itself, if it should exist, may be in dir.
			names := entries(t, dir)
			wantNames := 0
			if test.want != nil {
				wantNames = 1
			}
			if len(names) != wantNames {
				t.Errorf("directory holds %q, want %d file(s)", names, wantNames)
			}
		})
	}
}

func TestWriteMode(t *testing.T) {
	dir := t.TempDir()
	// A new file gets Mode, 0644, whatever the umask: Write sets it with
	// Chmod, which the umask does not affect.
	path := filepath.Join(dir, "new")
	if err := WriteBytes(path, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != Mode {
		t.Errorf("new file mode = %v (err %v), want %v", fi.Mode().Perm(), err, Mode)
	}
	// A replaced file keeps its permission bits.
	old := filepath.Join(dir, "old")
	if err := os.WriteFile(old, []byte("o"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(old, []byte("n")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(old); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced file mode = %v (err %v), want 0600", fi.Mode().Perm(), err)
	}
}

func TestWriteUnwritable(t *testing.T) {
	base := t.TempDir()
	notDir := filepath.Join(base, "file")
	if err := os.WriteFile(notDir, []byte("a regular file"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, test := range []struct {
		name string
		path string
		// skipRoot marks cases that root can write anyway.
		skipRoot bool
	}{
		{name: "missing directory", path: filepath.Join(base, "missing", "out")},
		{name: "parent is a file", path: filepath.Join(notDir, "out")},
		{name: "path is a directory", path: base},
		{name: "read-only directory", path: filepath.Join(base, "ro", "out"), skipRoot: true},
	} {
		t.Run(test.name, func(t *testing.T) {
			if test.skipRoot {
				if os.Geteuid() == 0 {
					t.Skip("root can write into a read-only directory")
				}
				ro := filepath.Dir(test.path)
				if err := os.Mkdir(ro, 0o500); err != nil {
					t.Fatal(err)
				}
				defer os.Chmod(ro, 0o700)
			}
			before := entries(t, base)
			err := WriteBytes(test.path, []byte("data"))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), test.path) {
				t.Errorf("error %q does not name %s", err, test.path)
			}
			if after := entries(t, base); len(after) != len(before) {
				t.Errorf("directory changed from %q to %q", before, after)
			}
		})
	}
}

func TestWritePanicCleansUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic in fill did not propagate")
			}
		}()
		Write(path, func(w io.Writer) error { panic("boom") })
	}()
	if names := entries(t, dir); len(names) != 0 {
		t.Errorf("directory holds %q after a panic in fill", names)
	}
}

func TestWriteBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b")
	want := []byte{0, 1, 2, 255}
	if err := WriteBytes(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("read %v (err %v), want %v", got, err, want)
	}
}
