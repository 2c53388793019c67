package dataset

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npy/float16"
)

// The .npy format is described at
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html.
// Its header is parsed here rather than by npyio, so that the size the header
// claims can be checked against the file before anything is allocated, and
// so that truncated or corrupt files give clear errors.

const (
	npyMagic = "\x93NUMPY"

	// maxNPYHeader bounds the header dictionary. NumPy itself refuses
	// headers over 10000 bytes unless told otherwise; the arrays read here
	// have headers of well under 200 bytes.
	maxNPYHeader = 1 << 20

	// chunkBytes is how much array data is decoded at a time.
	chunkBytes = 1 << 16
)

// dtype is a NumPy scalar type that converts to float64.
type dtype struct {
	descr string // as written in the header, such as "<f8"
	kind  byte   // 'f' float, 'i' signed, 'u' unsigned integer, 'b' bool
	size  int    // bytes per element
	big   bool   // whether the data are big-endian
}

// bigEndianHost reports whether this machine is big-endian, which is the
// byte order of NumPy's '=' (native) dtypes.
var bigEndianHost = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// kindNames names the NumPy type kinds for messages.
var kindNames = map[byte]string{
	'b': "bool", 'i': "signed integer", 'u': "unsigned integer", 'f': "float",
	'c': "complex", 'm': "timedelta", 'M': "datetime", 'O': "Python object",
	'S': "byte string", 'a': "byte string", 'U': "unicode string", 'V': "raw data",
}

// parseDtype parses a NumPy dtype string such as "<f8".
func parseDtype(descr string) (dtype, error) {
	dt := dtype{descr: descr, big: bigEndianHost}
	s := descr
	order := byte('=')
	if s != "" && strings.IndexByte("<>|=", s[0]) >= 0 {
		order, s = s[0], s[1:]
	}
	switch order {
	case '<':
		dt.big = false
	case '>':
		dt.big = true
	}
	if s == "" {
		return dt, fmt.Errorf("dtype %q is not understood", descr)
	}
	dt.kind = s[0]
	size, err := strconv.Atoi(s[1:])
	if err != nil || size <= 0 {
		if name, ok := kindNames[dt.kind]; ok {
			return dt, fmt.Errorf("dtype %q (%s) is not supported; want a float, integer or bool dtype", descr, name)
		}
		return dt, fmt.Errorf("dtype %q is not understood", descr)
	}
	dt.size = size
	ok := false
	switch dt.kind {
	case 'f':
		ok = size == 2 || size == 4 || size == 8
	case 'i', 'u':
		ok = size == 1 || size == 2 || size == 4 || size == 8
	case 'b':
		ok = size == 1
	}
	if !ok {
		name, known := kindNames[dt.kind]
		if !known {
			return dt, fmt.Errorf("dtype %q is not understood", descr)
		}
		return dt, fmt.Errorf("dtype %q (%d-byte %s) is not supported; want a float (2, 4 or 8 bytes), integer (1, 2, 4 or 8 bytes) or bool dtype", descr, size, name)
	}
	if order == '|' && size != 1 {
		return dt, fmt.Errorf("dtype %q has no byte order but %d-byte elements", descr, size)
	}
	if size == 1 {
		dt.big = false
	}
	return dt, nil
}

// name returns the Go name of the dtype, such as "float64", for messages.
func (dt dtype) name() string {
	if t := npy.TypeFrom(dt.descr); t != nil {
		return t.String()
	}
	return dt.descr
}

// toLittle converts the elements in b to little-endian order, in place.
func (dt dtype) toLittle(b []byte) {
	if !dt.big {
		return
	}
	for i := 0; i+dt.size <= len(b); i += dt.size {
		slices.Reverse(b[i : i+dt.size])
	}
}

// putFloats decodes len(dst) little-endian elements from src into dst.
func (dt dtype) putFloats(dst []float64, src []byte) {
	o := binary.LittleEndian
	switch {
	case dt.kind == 'f' && dt.size == 8:
		for i := range dst {
			dst[i] = math.Float64frombits(o.Uint64(src[8*i:]))
		}
	case dt.kind == 'f' && dt.size == 4:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(o.Uint32(src[4*i:])))
		}
	case dt.kind == 'f' && dt.size == 2:
		for i := range dst {
			dst[i] = float64(float16.Float16Frombits(o.Uint16(src[2*i:])).Float32())
		}
	case dt.kind == 'i' && dt.size == 8:
		for i := range dst {
			dst[i] = float64(int64(o.Uint64(src[8*i:])))
		}
	case dt.kind == 'i' && dt.size == 4:
		for i := range dst {
			dst[i] = float64(int32(o.Uint32(src[4*i:])))
		}
	case dt.kind == 'i' && dt.size == 2:
		for i := range dst {
			dst[i] = float64(int16(o.Uint16(src[2*i:])))
		}
	case dt.kind == 'i' && dt.size == 1:
		for i := range dst {
			dst[i] = float64(int8(src[i]))
		}
	case dt.kind == 'u' && dt.size == 8:
		for i := range dst {
			dst[i] = float64(o.Uint64(src[8*i:]))
		}
	case dt.kind == 'u' && dt.size == 4:
		for i := range dst {
			dst[i] = float64(o.Uint32(src[4*i:]))
		}
	case dt.kind == 'u' && dt.size == 2:
		for i := range dst {
			dst[i] = float64(o.Uint16(src[2*i:]))
		}
	case dt.kind == 'u' && dt.size == 1:
		for i := range dst {
			dst[i] = float64(src[i])
		}
	case dt.kind == 'b':
		for i := range dst {
			dst[i] = 0
			if src[i] != 0 {
				dst[i] = 1
			}
		}
	default:
		panic("dataset: unreachable dtype " + dt.descr)
	}
}

// label decodes the little-endian element at the start of b as a class
// label.
func (dt dtype) label(b []byte) (int, error) {
	o := binary.LittleEndian
	var v int64
	switch {
	case dt.kind == 'f':
		var f [1]float64
		dt.putFloats(f[:], b)
		return floatLabel(f[0])
	case dt.kind == 'u' && dt.size == 8:
		u := o.Uint64(b)
		if u > math.MaxInt64 {
			return 0, fmt.Errorf("label %d is too large", u)
		}
		v = int64(u)
	case dt.kind == 'i' && dt.size == 8:
		v = int64(o.Uint64(b))
	default:
		var f [1]float64
		dt.putFloats(f[:], b) // exact for integers of up to 4 bytes and bools
		v = int64(f[0])
	}
	if v < 0 {
		return 0, fmt.Errorf("label %d is negative", v)
	}
	if v > math.MaxInt {
		return 0, fmt.Errorf("label %d is too large", v)
	}
	return int(v), nil
}

// floatLabel converts a float label to an int, if it is a non-negative
// integer.
func floatLabel(f float64) (int, error) {
	switch {
	case math.IsNaN(f):
		return 0, errors.New("label is NaN")
	case math.IsInf(f, 0):
		return 0, fmt.Errorf("label %v is infinite", f)
	case f != math.Trunc(f):
		return 0, fmt.Errorf("label %v is not an integer", f)
	case f < 0:
		return 0, fmt.Errorf("label %v is negative", f)
	case f >= math.MaxInt:
		return 0, fmt.Errorf("label %v is too large", f)
	}
	return int(f), nil
}

// npyHeader is the parsed header of a .npy file.
type npyHeader struct {
	major, minor int
	dtype        dtype
	fortran      bool
	shape        []int
	n            int  // number of elements
	dataLen      int  // bytes of array data
	checked      bool // whether the file is known to hold dataLen bytes of data
}

// readNPYHeader reads the header of a .npy file from r, leaving r at the
// start of the array data. size is the size of the whole file, or -1 when it
// is not known; when it is known, readNPYHeader checks that the file holds
// exactly the data the header claims.
func readNPYHeader(r io.Reader, size int64) (*npyHeader, error) {
	var pre [12]byte
	if k, err := io.ReadFull(r, pre[:8]); err != nil {
		switch {
		case k == 0 && err == io.EOF:
			return nil, errors.New("file is empty")
		case k > 0 && !strings.HasPrefix(npyMagic, string(pre[:min(k, 6)])):
			return nil, errors.New(`not a .npy file: it does not start with "\x93NUMPY"`)
		case err == io.ErrUnexpectedEOF:
			return nil, fmt.Errorf("truncated: the file ends after %d bytes, inside the .npy preamble", k)
		}
		return nil, err
	}
	if string(pre[:6]) != npyMagic {
		return nil, errors.New(`not a .npy file: it does not start with "\x93NUMPY"`)
	}
	h := &npyHeader{major: int(pre[6]), minor: int(pre[7])}
	var hlen, preLen int
	switch h.major {
	case 1:
		preLen = 10
	case 2, 3:
		preLen = 12
	default:
		return nil, fmt.Errorf(".npy format version %d.%d is not supported; want 1.x, 2.x or 3.x", h.major, h.minor)
	}
	if k, err := io.ReadFull(r, pre[8:preLen]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("truncated: the file ends after %d bytes, inside the .npy preamble", 8+k)
		}
		return nil, err
	}
	if h.major == 1 {
		hlen = int(binary.LittleEndian.Uint16(pre[8:]))
	} else {
		hlen = int(binary.LittleEndian.Uint32(pre[8:]))
	}
	if hlen > maxNPYHeader {
		return nil, fmt.Errorf("header length %d is implausibly large (more than %d)", hlen, maxNPYHeader)
	}
	if size >= 0 && int64(preLen+hlen) > size {
		return nil, fmt.Errorf("truncated: the header is %d bytes long but only %d bytes of it are in the file", hlen, size-int64(preLen))
	}
	buf := make([]byte, hlen)
	if k, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("truncated: the header is %d bytes long but only %d bytes of it are in the file", hlen, k)
		}
		return nil, err
	}
	if err := h.parseDict(string(buf)); err != nil {
		return nil, err
	}

	// Count elements and bytes, guarding against overflow.
	// An array with a zero dimension is empty, however large the others.
	n := 1
	claimed := float64(h.dtype.size) // for messages
	overflow := false
	if !slices.Contains(h.shape, 0) {
		for _, d := range h.shape {
			claimed *= float64(d)
			if n > math.MaxInt/d {
				overflow = true
				break
			}
			n *= d
		}
	} else {
		n, claimed = 0, 0
	}
	if !overflow && n > math.MaxInt/h.dtype.size {
		overflow = true
	}
	if overflow || n*h.dtype.size > math.MaxInt64-(preLen+hlen) {
		if size >= 0 {
			return nil, fmt.Errorf("header claims shape %s of %s = more than %s but the file holds %s of array data",
				shapeString(h.shape), h.dtype.name(), humanBytes(math.MaxInt64), humanBytes(float64(size-int64(preLen+hlen))))
		}
		return nil, fmt.Errorf("header claims shape %s of %s = more than %s, which is too large to read",
			shapeString(h.shape), h.dtype.name(), humanBytes(math.MaxInt64))
	}
	h.n = n
	h.dataLen = n * h.dtype.size
	h.checked = size >= 0
	if size >= 0 {
		if have := size - int64(preLen+hlen); have != int64(h.dataLen) {
			c, a := sizes(claimed, have)
			if have < int64(h.dataLen) {
				return nil, fmt.Errorf("header claims shape %s of %s = %s but the file holds %s of array data",
					shapeString(h.shape), h.dtype.name(), c, a)
			}
			return nil, fmt.Errorf("header claims shape %s of %s = %s but the file holds %s of array data: trailing data or wrong shape",
				shapeString(h.shape), h.dtype.name(), c, a)
		}
	}
	return h, nil
}

// parseDict parses the header dictionary s into h.
func (h *npyHeader) parseDict(s string) error {
	v, err := parsePyLiteral(s)
	if err != nil {
		return fmt.Errorf("invalid header %s: %v", quote(strings.TrimSpace(s)), err)
	}
	d, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("invalid header %s: not a dictionary", quote(strings.TrimSpace(s)))
	}
	for k := range d {
		if k != "descr" && k != "fortran_order" && k != "shape" {
			return fmt.Errorf("invalid header: unexpected key %q", k)
		}
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := d[k]; !ok {
			return fmt.Errorf("invalid header: no %q key", k)
		}
	}

	switch descr := d["descr"].(type) {
	case string:
		if h.dtype, err = parseDtype(descr); err != nil {
			return err
		}
	case pySeq:
		return errors.New("structured (record) dtypes are not supported; want a float, integer or bool dtype")
	default:
		return fmt.Errorf("invalid header: descr is %v, not a string", descr)
	}

	fortran, ok := d["fortran_order"].(bool)
	if !ok {
		return fmt.Errorf("invalid header: fortran_order is %v, not True or False", d["fortran_order"])
	}
	h.fortran = fortran

	shape, ok := d["shape"].(pySeq)
	if !ok {
		return fmt.Errorf("invalid header: shape is %v, not a tuple", d["shape"])
	}
	h.shape = make([]int, len(shape))
	for i, v := range shape {
		dim, ok := v.(int64)
		if !ok || dim < 0 || dim > math.MaxInt {
			return fmt.Errorf("invalid header: shape %v has an invalid dimension %v", shape, v)
		}
		h.shape[i] = int(dim)
	}
	return nil
}

// readFloats reads the array data described by h from r, converting it to
// float64 in C order. The memory it allocates grows with the data actually
// read, so a header that lies cannot make it allocate more than the file
// holds.
func (h *npyHeader) readFloats(r io.Reader) ([]float64, error) {
	var data []float64
	if h.checked {
		data = make([]float64, 0, h.n)
	}
	err := h.readData(r, func(chunk []byte) {
		k := len(chunk) / h.dtype.size
		data = slices.Grow(data, k)
		m := len(data)
		data = data[:m+k]
		h.dtype.putFloats(data[m:], chunk)
	})
	if err != nil {
		return nil, err
	}
	if data == nil {
		data = []float64{}
	}
	if h.fortran {
		data = fortranToC(data, h.shape)
	}
	return data, nil
}

// readLabels reads the array data described by h from r as class labels.
func (h *npyHeader) readLabels(r io.Reader) ([]int, error) {
	var labels []int
	var bad error
	sz := h.dtype.size
	err := h.readData(r, func(chunk []byte) {
		for i := 0; i < len(chunk) && bad == nil; i += sz {
			l, err := h.dtype.label(chunk[i:])
			if err != nil {
				bad = fmt.Errorf("element [%d]: %v", len(labels), err)
			}
			labels = append(labels, l)
		}
	})
	if err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, bad
	}
	return labels, nil
}

// readData reads the h.dataLen bytes of array data from r, passing them to
// fn in chunks of whole elements. It checks that nothing follows the data.
func (h *npyHeader) readData(r io.Reader, fn func(chunk []byte)) error {
	sz := h.dtype.size
	per := max(1, chunkBytes/sz)
	buf := make([]byte, min(h.n, per)*sz)
	done := 0
	for left := h.n; left > 0; {
		k := min(left, per)
		got, err := io.ReadFull(r, buf[:k*sz])
		if err == nil {
			h.dtype.toLittle(buf[:k*sz])
		}
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				c, a := sizes(float64(h.dataLen), int64(done+got))
				return fmt.Errorf("truncated: header claims shape %s of %s = %s but the file holds %s of array data",
					shapeString(h.shape), h.dtype.name(), c, a)
			}
			return err
		}
		fn(buf[:k*sz])
		done += k * sz
		left -= k
	}
	var one [1]byte
	switch _, err := io.ReadFull(r, one[:]); err {
	case io.EOF:
		return nil
	case nil:
		return fmt.Errorf("header claims shape %s of %s = %s but more data follow: trailing data or wrong shape",
			shapeString(h.shape), h.dtype.name(), humanBytes(float64(h.dataLen)))
	default:
		return err
	}
}

// fortranToC returns the Fortran-order array src of the given shape in C
// order.
func fortranToC(src []float64, shape []int) []float64 {
	if len(shape) < 2 || len(src) == 0 {
		return src
	}
	k := len(shape)
	stride := make([]int, k) // Fortran strides in elements
	stride[0] = 1
	for i := 1; i < k; i++ {
		stride[i] = stride[i-1] * shape[i-1]
	}
	dst := make([]float64, len(src))
	idx := make([]int, k)
	off := 0
	for c := range dst {
		dst[c] = src[off]
		// Advance the C-order index, last dimension fastest.
		for j := k - 1; j >= 0; j-- {
			idx[j]++
			off += stride[j]
			if idx[j] < shape[j] {
				break
			}
			off -= idx[j] * stride[j]
			idx[j] = 0
		}
	}
	return dst
}

// openFile opens the file at path for reading. It returns the size of the
// file, or -1 when the file is not a regular file (a pipe, say).
func openFile(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, wrap(path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, wrap(path, err)
	}
	if fi.IsDir() {
		f.Close()
		return nil, 0, errorf(path, "is a directory, not a file")
	}
	size := int64(-1)
	if fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return f, size, nil
}

// openNPY opens the .npy file at path and reads its header.
func openNPY(path string) (*os.File, *bufio.Reader, *npyHeader, error) {
	f, size, err := openFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	r := bufio.NewReaderSize(f, chunkBytes)
	h, err := readNPYHeader(r, size)
	if err != nil {
		f.Close()
		return nil, nil, nil, wrap(path, err)
	}
	return f, r, h, nil
}

// ReadNPY reads a .npy file holding an array of any rank whose dtype
// converts to float64: float (2, 4 or 8 bytes), signed or unsigned integer
// (1, 2, 4 or 8 bytes) or bool, of either byte order. It returns the data
// in C order, transposing arrays stored in Fortran order, and the shape.
//
// Unlike ReadFeatures, ReadNPY accepts NaN and infinite values and arrays
// with no elements.
func ReadNPY(path string) (data []float64, shape []int, err error) {
	f, r, h, err := openNPY(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err = h.readFloats(r)
	if err != nil {
		return nil, nil, wrap(path, err)
	}
	return data, h.shape, nil
}

// WriteNPY writes data, an array of the given shape in C order, to a .npy
// file at path with dtype float64 ('<f8').
//
// The file is replaced atomically: the data are written to a temporary file
// in the same directory, synced to disk and renamed to path, so that readers
// see either the old file or the complete new one. On error the temporary
// file is removed. A new file gets mode 0644, a replaced one keeps its mode.
//
// WriteNPY panics if a dimension is negative or the shape does not hold
// len(data) elements.
func WriteNPY(path string, shape []int, data []float64) error {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("dataset: WriteNPY: negative dimension in shape %v", shape))
		}
		if d != 0 && n > math.MaxInt/d {
			panic(fmt.Sprintf("dataset: WriteNPY: shape %v overflows int", shape))
		}
		n *= d
	}
	if n != len(data) {
		panic(fmt.Sprintf("dataset: WriteNPY: shape %v holds %d elements but len(data) is %d", shape, n, len(data)))
	}

	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		mode = fi.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return wrap(path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()

	w := bufio.NewWriterSize(f, chunkBytes)
	w.Write(npyHeaderBytes(shape))
	buf := make([]byte, 0, chunkBytes)
	for len(data) > 0 {
		k := min(len(data), chunkBytes/8)
		buf = buf[:0]
		for _, v := range data[:k] {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
		if _, err := w.Write(buf); err != nil {
			break // w keeps the error for Flush
		}
		data = data[k:]
	}
	if err := w.Flush(); err != nil {
		return wrap(path, fmt.Errorf("cannot write: %w", err))
	}
	if err := f.Chmod(mode); err != nil {
		return wrap(path, err)
	}
	if err := f.Sync(); err != nil {
		return wrap(path, err)
	}
	if err := f.Close(); err != nil {
		return wrap(path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return wrap(path, err)
	}
	ok = true

	// Make the rename itself durable. Not all file systems can sync a
	// directory, and the file is in place already, so errors are ignored.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// npyHeaderBytes returns the preamble and header of a float64 .npy file of
// the given shape, padded with spaces so that the data start at a multiple
// of 64 bytes, as NumPy writes them.
func npyHeaderBytes(shape []int) []byte {
	dict := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': %s, }", shapeString(shape))
	preLen, major := 10, byte(1)
	if len(dict)+1+preLen+63 > math.MaxUint16 {
		preLen, major = 12, 2
	}
	hlen := (preLen+len(dict)+1+63)/64*64 - preLen
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.WriteByte(major)
	b.WriteByte(0)
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(hlen))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(hlen))
	}
	b.WriteString(dict)
	b.WriteString(strings.Repeat(" ", hlen-len(dict)-1))
	b.WriteByte('\n')
	return b.Bytes()
}
