// Package atomicfile writes files whole or not at all.
//
// Every output of ntkmkl (Gram stacks, Ω, reports, figures) is written
// through Write, so that an interrupted or failed run never leaves a
// truncated file where a complete one is expected: a reader sees either the
// previous file or the new one. The bytes go to a temporary file in the
// destination's directory, are buffered, flushed, fsynced and closed, and
// the temporary file is then renamed over the destination. On any error the
// temporary file is removed and the destination is left untouched.
//
// Rename is atomic only within one file system, which is why the temporary
// file lives next to the destination. A symbolic link at the destination is
// replaced by a regular file, not followed.
package atomicfile
