package progress

import (
	"os"

	"golang.org/x/sys/unix"
)

// hasTermios reports whether f answers the terminal-attributes ioctl.
func hasTermios(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
