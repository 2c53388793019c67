package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fileError is an error about one file. Its message starts with the file's
// path.
type fileError struct {
	path string
	err  error
}

func (e *fileError) Error() string { return e.path + ": " + e.err.Error() }

func (e *fileError) Unwrap() error { return e.err }

// wrap returns err as an error about the file at path. A *fs.PathError is
// unwrapped so that its path is not repeated. wrap returns nil when err is
// nil.
func wrap(path string, err error) error {
	if err == nil {
		return nil
	}
	var fe *fileError
	if errors.As(err, &fe) && fe.path == path {
		return err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = fmt.Errorf("cannot %s: %w", pe.Op, pe.Err)
	}
	return &fileError{path: path, err: err}
}

// errorf returns an error about the file at path with the formatted message.
func errorf(path, format string, args ...any) error {
	return &fileError{path: path, err: fmt.Errorf(format, args...)}
}

// humanBytes formats a byte count with SI units, such as "6.3 TB".
func humanBytes(n float64) string {
	if n < 1000 {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%.0f bytes", n)
	}
	for _, unit := range []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"} {
		n /= 1000
		if n < 999.95 {
			return fmt.Sprintf("%.1f %s", n, unit)
		}
	}
	return fmt.Sprintf("%.3g YB", n)
}

// sizes formats a claimed and an actual byte count for a message, exactly
// when the rounded forms would look equal.
func sizes(claimed float64, actual int64) (string, string) {
	c, a := humanBytes(claimed), humanBytes(float64(actual))
	if c == a {
		return fmt.Sprintf("%.0f bytes", claimed), fmt.Sprintf("%d bytes", actual)
	}
	return c, a
}

// shapeString formats a shape as NumPy does: (), (3,), (3, 4).
func shapeString(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// indexString formats a 0-based element index as NumPy does: [3, 7].
func indexString(idx []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range idx {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte(']')
	return b.String()
}

// unravel returns the C-order index of the flat offset off in an array of
// the given shape.
func unravel(off int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		if shape[k] > 0 {
			idx[k] = off % shape[k]
			off /= shape[k]
		}
	}
	return idx
}

// quote quotes s for a message, cutting it short when it is long.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
