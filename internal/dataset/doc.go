// Package dataset reads the feature matrices and class labels that ntkmkl
// works on, and writes arrays back as .npy files.
//
// # Formats
//
// Features are an n×m matrix, one sample per row. They are read by
// ReadFeatures from
//   - .npy files holding a 2-D array of a float (f2, f4, f8), signed or
//     unsigned integer (1, 2, 4 or 8 bytes) or bool dtype, either byte
//     order, in C or Fortran order (Fortran arrays are transposed on reading);
//   - .csv and .txt files of numbers, one sample per line, separated by
//     commas, or by blanks when the first line has no comma. The first line
//     may be a header of names; it is skipped when none of its fields is a
//     number.
//
// Labels are non-negative integers, one per sample. ReadLabels reads them
// from a .npy file of shape (n,) or (n, 1), of an integer or bool dtype or a
// float dtype whose values are all integers, or from a .csv or .txt file
// holding one label per line (with an optional header line). Join reads both
// and checks that they hold the same number of samples.
//
// MNIST-format IDX files (plain or gzipped) are read by ReadIDX, ReadIDXFS and
// ReadIDXDir; Embedded returns the 5000 training and 1000 test digits that
// are compiled into the binary (ntkmkl.MNIST). Pixels are scaled to [0, 1].
//
// ReadNPY and WriteNPY read and write float64 arrays of any rank. WriteNPY
// replaces its target atomically, so an interrupted batch job never leaves a
// half-written file behind.
//
// # Errors
//
// Bad input never panics. Every error message starts with the name of the
// file at fault and says what is wrong with it, with the line and column
// (counted from 1) for text files and the element index (counted from 0, as
// in NumPy) for .npy files. Sizes claimed by a file's header are checked
// against the real size of the file before any memory is allocated for the
// data; where the size cannot be known in advance (a pipe, a gzipped IDX
// file), memory grows only with the data actually read, so a lying header
// gives an error, not an out-of-memory crash. Errors from the file system wrap the underlying error, so
// errors.Is(err, fs.ErrNotExist) reports a missing file.
//
// Only misuse panics: WriteNPY with a shape that does not match its data.
package dataset
