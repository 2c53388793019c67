package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ntkmkl/ntkmkl/internal/checkpoint"
	"github.com/ntkmkl/ntkmkl/internal/progress"
	"github.com/ntkmkl/ntkmkl/mkl"
	"github.com/urfave/cli/v2"
)

// fitCheckpoint keeps the latest state of every class and writes it to
// --out/checkpoint.json every --checkpoint-every and when interrupted.
type fitCheckpoint struct {
	path        string
	fingerprint string
	every       time.Duration

	log *slog.Logger

	mu     sync.Mutex
	states []mkl.State // latest state per class; nil before the MKL stage
	last   time.Time
	err    error // the first failed periodic write
}

// fitState is what a fit checkpoint holds.
type fitState struct {
	Classes []mkl.State `json:"classes"`
}

// newFitCheckpoint fingerprints what determines Ω: the settings (less the
// output folder and the worker count, which do not change the result) and
// the prepared training data, bit for bit.
func newFitCheckpoint(s *fitSettings, d *data) *fitCheckpoint {
	cfg := *s
	cfg.Out, cfg.Workers = "", 0
	fp := checkpoint.NewHasher().JSON(cfg).Matrix(d.train.X).Ints(d.train.Labels).Sum()
	return &fitCheckpoint{path: filepath.Join(s.Out, "checkpoint.json"), fingerprint: fp, every: s.checkpointEvery, last: time.Now()}
}

// load reads the checkpoint for --resume.
func (k *fitCheckpoint) load() error {
	var st fitState
	if _, err := checkpoint.Load(k.path, "fit", k.fingerprint, &st); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return usagef("--resume: no checkpoint at %s", k.path)
		}
		return usagef("--resume: %v", err)
	}
	if len(st.Classes) > 0 {
		k.states = st.Classes
	}
	return nil
}

// record keeps the state of one iteration and writes a checkpoint when one
// is due.
func (k *fitCheckpoint) record(it mkl.Iteration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.states == nil {
		return
	}
	k.states[it.Class] = it.State
	if k.every > 0 && time.Since(k.last) >= k.every && k.err == nil {
		k.err = k.saveLocked()
	}
}

// start sizes the state for d classes (unless resumed).
func (k *fitCheckpoint) start(d int) []mkl.State {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.states == nil {
		k.states = make([]mkl.State, d)
	}
	return append([]mkl.State(nil), k.states...)
}

func (k *fitCheckpoint) saveLocked() error {
	k.last = time.Now()
	err := checkpoint.Save(k.path, "fit", k.fingerprint, fitState{Classes: k.states})
	if err == nil && k.log != nil {
		k.log.Info("checkpoint written", "path", k.path)
	}
	return err
}

// saveErr reports a failed periodic checkpoint.
func (k *fitCheckpoint) saveErr() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return fmt.Errorf("writing checkpoint: %w", k.err)
	}
	return nil
}

// interrupted writes the checkpoint after a signal and returns the error
// that makes the process exit with 143 (SIGTERM) or 130 (SIGINT).
func (k *fitCheckpoint) interrupted(c *cli.Context, prog *progress.Progress) error {
	k.mu.Lock()
	err := k.saveLocked()
	k.mu.Unlock()
	prog.Wait()
	if err != nil {
		return fmt.Errorf("interrupted, and the checkpoint could not be written: %w", err)
	}
	return resumeHint(c, k.path)
}

// resumeHint is the error of a run stopped by a signal after writing its
// checkpoint at path.
func resumeHint(c *cli.Context, path string) error {
	return &interruptedError{fmt.Sprintf("%v; checkpoint written to %s: run the same command with --resume to continue", context.Cause(c.Context), path)}
}

// interruptedError is a run stopped by a signal; it matches
// context.Canceled, which sets the exit status.
type interruptedError struct{ msg string }

func (e *interruptedError) Error() string        { return e.msg }
func (e *interruptedError) Is(target error) bool { return target == context.Canceled }

// remove deletes the checkpoint of a finished run.
func (k *fitCheckpoint) remove() { os.Remove(k.path) }
