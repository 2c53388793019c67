package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Mode is the permission of a newly created file; a file that replaces an
// existing regular file keeps that file's permission bits instead.
const Mode os.FileMode = 0o644

// Write creates path with the bytes that fill writes to w, whole or not at
// all.
//
// fill writes to a bufio-buffered temporary file in the directory of path
// (so that the final rename is atomic). Write then flushes the buffer,
// fsyncs and closes the file and renames it over path. On any error,
// including one returned by fill, and also when fill panics, the temporary
// file is removed and path is untouched. A returned error names path and
// wraps the underlying error, so errors.Is sees fill's error.
func Write(path string, fill func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if committed {
			return
		}
		// Runs on every early return and on a panic in fill. Close may
		// already have happened; its second error is irrelevant.
		f.Close()
		os.Remove(tmp)
	}()

	wrap := func(op string, e error) error {
		return fmt.Errorf("atomicfile: write %s: %s: %w", path, op, e)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := fill(bw); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return wrap("flush", err)
	}
	mode := Mode
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		mode = fi.Mode().Perm()
	}
	if err := f.Chmod(mode); err != nil {
		return wrap("chmod", err)
	}
	if err := f.Sync(); err != nil {
		return wrap("sync", err)
	}
	if err := f.Close(); err != nil {
		return wrap("close", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return wrap("rename", err)
	}
	committed = true
	syncDir(dir)
	return nil
}

// WriteBytes is Write for a byte slice: it creates path holding exactly b,
// whole or not at all.
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// syncDir fsyncs the directory so that the rename itself is durable. It is
// best effort: some file systems and platforms do not support syncing a
// directory, and the file's contents are already safe at this point.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
