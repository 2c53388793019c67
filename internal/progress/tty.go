package progress

import (
	"io"
	"os"
)

// isTerminal reports whether w is an *os.File open on a terminal: a
// character device (which excludes regular files and pipes) that also
// answers the terminal ioctl where the platform has one (which excludes
// /dev/null).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	return hasTermios(f)
}
