package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestKillAndResume kills the real binary at random moments, alternating
// SIGTERM (which must checkpoint and exit 143) and SIGKILL (which loses
// the work since the last checkpoint), resumes each time with --resume,
// and demands an omega.csv byte-identical to an uninterrupted run.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it several times")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ntkmkl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	t.Run("fit", func(t *testing.T) {
		killAndResume(t, bin, filepath.Join(dir, "fit"), func(out string) []string {
			return []string{"fit", "--quiet", "--n-train", "400", "--n-test", "100", "--depth", "8", "--solver", "gradient",
				"--tol", "1e-9", "--checkpoint-every", "1ns", "--out", out}
		})
	})
	t.Run("train", func(t *testing.T) {
		killAndResume(t, bin, filepath.Join(dir, "train"), func(out string) []string {
			return []string{"train", "--quiet", "--n-train", "1500", "--n-test", "100", "--depth", "4", "--width", "96",
				"--epochs", "12", "--checkpoint-every", "1s", "--workers", "1", "--out", out}
		})
	})
}

// killAndResume runs the command once uninterrupted, then again with
// interruptions until it finishes, and compares omega.csv byte for byte.
func killAndResume(t *testing.T, bin, dir string, args func(out string) []string) {
	ref := filepath.Join(dir, "ref")
	startRef := time.Now()
	if out, err := exec.Command(bin, args(ref)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	full := time.Since(startRef)
	want, _ := os.ReadFile(filepath.Join(ref, "omega.csv"))

	out := filepath.Join(dir, "run")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills := 0
	for attempt := 0; attempt < 20; attempt++ {
		a := args(out)
		if _, err := os.Stat(filepath.Join(out, "checkpoint.json")); err == nil {
			a = append(a, "--resume")
		}
		cmd := exec.Command(bin, a...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		sig := syscall.SIGTERM
		if attempt%2 == 1 {
			sig = syscall.SIGKILL
		}
		delay := time.Duration(rng.Float64() * float64(full) * 0.6)
		if kills >= 6 {
			delay = 10 * full // enough interruptions: let it finish
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("attempt %d: %v\n%s", attempt, err, stderr.String())
			}
			got, _ := os.ReadFile(filepath.Join(out, "omega.csv"))
			if !bytes.Equal(got, want) {
				t.Fatalf("after %d interruptions omega.csv differs from the uninterrupted run", kills)
			}
			if kills < 2 {
				t.Fatalf("only %d interruptions landed before the run finished", kills)
			}
			t.Logf("%d interruptions, identical omega.csv", kills)
			return
		case <-time.After(delay):
			cmd.Process.Signal(sig)
			err := <-done
			kills++
			code := cmd.ProcessState.ExitCode()
			if sig == syscall.SIGTERM && code != 143 && err != nil {
				t.Fatalf("SIGTERM: exit %d (want 143)\n%s", code, stderr.String())
			}
		}
	}
	t.Fatal("the run never finished")
}
