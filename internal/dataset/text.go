package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// maxLine bounds the length of one line of a text file.
const maxLine = 1 << 30

// lineReader returns the non-blank lines of a text file with their numbers,
// counted from 1. It strips a UTF-8 byte order mark, line endings and
// surrounding blanks, and refuses a blank line that is followed by more data
// (a missing row); blank lines at the end of the file are ignored.
type lineReader struct {
	sc    *bufio.Scanner
	line  int    // number of the current line
	text  string // the current line
	comma bool   // whether fields are separated by commas, rather than blanks
	blank int    // number of the first of the blank lines just read, or 0
	first bool   // whether a non-blank line has been read
	what  string // what a line holds, for messages: "row" or "label"
}

func newLineReader(r io.Reader, what string) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, chunkBytes), maxLine)
	return &lineReader{sc: sc, what: what}
}

// next advances to the next non-blank line. It returns false at the end of
// the file or on error.
func (lr *lineReader) next() (bool, error) {
	for lr.sc.Scan() {
		lr.line++
		s := lr.sc.Text()
		if lr.line == 1 {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		s = strings.TrimSpace(s)
		if s == "" {
			if lr.blank == 0 {
				lr.blank = lr.line
			}
			continue
		}
		if lr.blank != 0 && lr.first {
			return false, fmt.Errorf("line %d is blank: missing %s?", lr.blank, lr.what)
		}
		lr.blank = 0
		if !lr.first {
			lr.first = true
			lr.comma = strings.IndexByte(s, ',') >= 0
		}
		lr.text = s
		return true, nil
	}
	if err := lr.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return false, fmt.Errorf("line %d is longer than %s", lr.line+1, humanBytes(maxLine))
		}
		return false, err
	}
	return false, nil
}

// fields splits the current line into its fields, reusing dst. Double
// quotes around a field, as some spreadsheets write them, are removed;
// quoted fields cannot hold the separator.
func (lr *lineReader) fields(dst []string) []string {
	dst = dst[:0]
	if !lr.comma {
		for _, f := range strings.Fields(lr.text) {
			dst = append(dst, unquote(f))
		}
		return dst
	}
	s := lr.text
	for {
		i := strings.IndexByte(s, ',')
		if i < 0 {
			return append(dst, unquote(strings.TrimSpace(s)))
		}
		dst = append(dst, unquote(strings.TrimSpace(s[:i])))
		s = s[i+1:]
	}
}

// unquote removes double quotes around f.
func unquote(f string) string {
	if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
		return strings.TrimSpace(f[1 : len(f)-1])
	}
	return f
}

// isNumber reports whether s parses as a float64, NaN and infinities
// included.
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// isHeader reports whether fields, from the first line of a file, are a
// header of names: none of them is a number.
func isHeader(fields []string) bool {
	for _, f := range fields {
		if isNumber(f) {
			return false
		}
	}
	return true
}

// readTable reads a text table of finite numbers, returning its values in
// row-major order and its dimensions.
func readTable(r io.Reader) (data []float64, rows, cols int, err error) {
	lr := newLineReader(r, "row")
	var fields []string
	headerLine, headerCols := 0, 0
	colsLine := 0
	for {
		ok, err := lr.next()
		if err != nil {
			return nil, 0, 0, err
		}
		if !ok {
			break
		}
		fields = lr.fields(fields)
		if lr.line == 1 && isHeader(fields) {
			headerLine, headerCols = lr.line, len(fields)
			continue
		}
		if cols == 0 {
			cols, colsLine = len(fields), lr.line
			if headerLine != 0 && headerCols != cols {
				return nil, 0, 0, fmt.Errorf("line %d (header) has %d names but line %d has %d values", headerLine, headerCols, lr.line, cols)
			}
		} else if len(fields) != cols {
			return nil, 0, 0, fmt.Errorf("line %d has %d values but line %d has %d", lr.line, len(fields), colsLine, cols)
		}
		for j, f := range fields {
			v, err := parseValue(f)
			if err != nil {
				if lr.line == 1 && !isNumber(f) {
					err = fmt.Errorf("%v (a header line is skipped only if none of its names is a number)", err)
				}
				return nil, 0, 0, fmt.Errorf("line %d, column %d: %v", lr.line, j+1, err)
			}
			data = append(data, v)
		}
		rows++
	}
	switch {
	case rows == 0 && headerLine != 0:
		return nil, 0, 0, fmt.Errorf("no data after the header on line %d", headerLine)
	case rows == 0:
		return nil, 0, 0, errors.New("file is empty")
	}
	return data, rows, cols, nil
}

// parseValue parses one field of a table as a finite float64.
func parseValue(f string) (float64, error) {
	if f == "" {
		return 0, errors.New("empty value")
	}
	v, err := strconv.ParseFloat(f, 64)
	switch {
	case err == nil && (math.IsNaN(v) || math.IsInf(v, 0)):
		return 0, fmt.Errorf("value %s is not finite", quote(f))
	case errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0):
		return 0, fmt.Errorf("value %s is out of the float64 range", quote(f))
	case errors.Is(err, strconv.ErrRange):
		return v, nil // underflow, rounded towards zero
	case err != nil:
		return 0, fmt.Errorf("%s is not a number", quote(f))
	}
	return v, nil
}

// readLabelText reads one non-negative integer label per line.
func readLabelText(r io.Reader) ([]int, error) {
	lr := newLineReader(r, "label")
	var labels []int
	var fields []string
	headerLine := 0
	for {
		ok, err := lr.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		lr.comma = strings.IndexByte(lr.text, ',') >= 0 // decided line by line
		fields = lr.fields(fields)
		if lr.line == 1 && isHeader(fields) {
			headerLine = lr.line
			continue
		}
		if len(fields) != 1 {
			return nil, fmt.Errorf("line %d has %d values; want one label per line", lr.line, len(fields))
		}
		l, err := parseLabel(fields[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", lr.line, err)
		}
		labels = append(labels, l)
	}
	switch {
	case len(labels) == 0 && headerLine != 0:
		return nil, fmt.Errorf("no labels after the header on line %d", headerLine)
	case len(labels) == 0:
		return nil, errors.New("file is empty")
	}
	return labels, nil
}

// parseLabel parses a label: a non-negative integer, possibly written as a
// float such as 3.0.
func parseLabel(f string) (int, error) {
	if v, err := strconv.Atoi(f); err == nil {
		if v < 0 {
			return 0, fmt.Errorf("label %d is negative", v)
		}
		return v, nil
	}
	v, err := strconv.ParseFloat(f, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("label %s is not a number", quote(f))
	}
	return floatLabel(v)
}
