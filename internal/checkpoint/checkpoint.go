// Package checkpoint saves and restores the state of a long run, so that a
// job preempted by its scheduler (SIGTERM at the time limit) or killed
// outright loses at most the work since the last checkpoint. A checkpoint
// carries a fingerprint of the inputs and the configuration that determine
// the result; Load refuses one whose fingerprint differs, so a resumed run
// cannot silently mix two problems.
package checkpoint

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/ntkmkl/ntkmkl/internal/atomicfile"
	"gonum.org/v1/gonum/mat"
)

// Format identifies the checkpoint layout.
const Format = "ntkmkl-checkpoint/1"

// File is a checkpoint: a fingerprint, what wrote it, and the state
// itself, which each command defines (for fit, the per-class mkl.State).
type File struct {
	Format      string          `json:"format"`
	Command     string          `json:"command"`
	Fingerprint string          `json:"fingerprint"`
	Written     time.Time       `json:"written"`
	State       json.RawMessage `json:"state"`
}

// ErrMismatch reports a checkpoint made for other inputs or settings.
var ErrMismatch = errors.New("checkpoint was written for other inputs or settings")

// Save writes the state v under the fingerprint into path, whole or not at
// all.
func Save(path, command, fingerprint string, v any) error {
	state, err := json.Marshal(v)
	if err != nil {
		return err
	}
	js, err := json.Marshal(File{Format: Format, Command: command, Fingerprint: fingerprint, Written: time.Now().UTC(), State: state})
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(js, '\n'))
}

// Load reads the checkpoint at path into v after checking its format,
// command and fingerprint.
func Load(path, command, fingerprint string, v any) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: not a checkpoint: %v", path, err)
	}
	switch {
	case f.Format != Format:
		return nil, fmt.Errorf("%s: format %q, want %q", path, f.Format, Format)
	case f.Command != command:
		return nil, fmt.Errorf("%s: written by %q, not %q", path, f.Command, command)
	case f.Fingerprint != fingerprint:
		return nil, fmt.Errorf("%s: %w (fingerprint %.12s…, this run %.12s…); start afresh without --resume, or use another --out", path, ErrMismatch, f.Fingerprint, fingerprint)
	}
	if err := json.Unmarshal(f.State, v); err != nil {
		return nil, fmt.Errorf("%s: state: %v", path, err)
	}
	return &f, nil
}

// Hasher builds a fingerprint from configuration and data.
type Hasher struct{ parts [][]byte }

// NewHasher starts a fingerprint.
func NewHasher() *Hasher { return &Hasher{} }

// JSON adds the canonical JSON encoding of v (struct fields in order).
func (h *Hasher) JSON(v any) *Hasher {
	b, err := json.Marshal(v)
	if err != nil {
		panic("checkpoint: fingerprint of an unencodable value: " + err.Error())
	}
	h.parts = append(h.parts, b)
	return h
}

// Matrix adds the exact bits of a matrix and its shape.
func (h *Hasher) Matrix(m mat.Matrix) *Hasher {
	r, c := m.Dims()
	b := make([]byte, 16, 16+8*r*c)
	binary.LittleEndian.PutUint64(b, uint64(r))
	binary.LittleEndian.PutUint64(b[8:], uint64(c))
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.At(i, j)))
		}
	}
	h.parts = append(h.parts, b)
	return h
}

// Ints adds a list of integers.
func (h *Hasher) Ints(v []int) *Hasher {
	b := make([]byte, 0, 8*len(v)+8)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(v)))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	h.parts = append(h.parts, b)
	return h
}

// Sum returns the hex SHA-256 of everything added, each part
// length-prefixed so that no two sequences of parts collide.
func (h *Hasher) Sum() string {
	s := sha256.New()
	for _, p := range h.parts {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		s.Write(n[:])
		s.Write(p)
	}
	return hex.EncodeToString(s.Sum(nil))
}
