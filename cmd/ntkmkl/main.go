// Command ntkmkl solves the NFT-K model (Non-Fungible Tangent Kernels,
// ICASSP 2022) exactly in the infinite-width limit: it computes the
// per-layer neural tangent kernels analytically, learns the per-class layer
// weights Ω by certified multiple kernel learning, and predicts by kernel
// ridge regression (Theorem 1, Eq. 14–16).
//
// Usage:
//
//	ntkmkl fit [flags]      learn Ω on training data and evaluate it
//	ntkmkl gram [flags]     write the Gram stack Θ^(1..L)(X, Z) as .npy
//	ntkmkl predict [flags]  score new inputs with a fitted model
//
// Run "ntkmkl help COMMAND" for the flags of each command.
//
// Exit status: 0 on success, 2 for bad usage or bad input (one line names
// the flag or file and what is wrong), 1 for anything else.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	// The first SIGINT or SIGTERM cancels the run, which then finishes its
	// current step, writes a checkpoint where it has one, and exits with
	// 130 or 143. A second signal kills at once (the default action).
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		signal.Stop(sigs)
		cancel(signalError{s.(syscall.Signal)})
	}()
	os.Exit(run(ctx, os.Args, os.Stdout, os.Stderr))
}

// signalError is the cause of a run canceled by a signal.
type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string {
	switch e.sig {
	case syscall.SIGTERM:
		return "interrupted by SIGTERM"
	case syscall.SIGINT:
		return "interrupted by SIGINT"
	}
	return "interrupted by " + e.sig.String()
}

// run executes the command line args and returns the exit status; tests
// call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, args)
	if err == nil {
		return 0
	}
	msg := strings.TrimSpace(err.Error())
	var ue *usageError
	if errors.As(err, &ue) || strings.HasPrefix(msg, "Required flag") {
		fmt.Fprintln(stderr, "ntkmkl: "+msg)
		return 2
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "ntkmkl: "+msg)
		var se signalError
		if errors.As(context.Cause(ctx), &se) {
			return 128 + int(se.sig)
		}
		return 130
	}
	fmt.Fprintln(stderr, "ntkmkl: "+msg)
	return 1
}

// usageError marks bad usage or bad input: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// badInput marks err, from reading a file, as bad input.
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err}
}

// logger returns the structured logger of a command: --log-format's
// handler on stderr, at level Warn with --quiet (errors are printed by run).
func logger(c *cli.Context) *slog.Logger {
	level := slog.LevelInfo
	if c.Bool("quiet") {
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.String("log-format") == "json" {
		return slog.New(slog.NewJSONHandler(c.App.ErrWriter, opts))
	}
	return slog.New(slog.NewTextHandler(c.App.ErrWriter, opts))
}

// profileFile is the open --cpuprofile file, if any.
var profileFile *os.File

func newApp(stdout, stderr io.Writer) *cli.App {
	onUsage := func(_ *cli.Context, err error, _ bool) error {
		return &usageError{err}
	}
	app := &cli.App{
		Name:  "ntkmkl",
		Usage: "infinite-width NFT-K: analytic per-layer NTKs, certified multiple kernel learning, kernel ridge regression",
		Description: "ntkmkl solves the NFT-K model of Alemohammad et al. (ICASSP 2022) in the infinite-width limit.\n" +
			"With no data flags, fit runs on 2000 embedded MNIST training digits and 1000 test digits.",
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsage,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile (go tool pprof) of the whole run to this file"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "structured log lines on stderr: text or json (log/slog)"},
		},
		Before: func(c *cli.Context) error {
			if f := c.String("log-format"); f != "text" && f != "json" {
				return usagef("--log-format %q: want text or json", f)
			}
			path := c.String("cpuprofile")
			if path == "" {
				return nil
			}
			f, err := os.Create(path)
			if err != nil {
				return usagef("--cpuprofile %s: %v", path, err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				f.Close()
				return usagef("--cpuprofile %s: %v", path, err)
			}
			profileFile = f
			return nil
		},
		After: func(*cli.Context) error {
			if profileFile != nil {
				pprof.StopCPUProfile()
				return profileFile.Close()
			}
			return nil
		},
		Commands: []*cli.Command{
			fitCommand(),
			gramCommand(),
			predictCommand(),
			sketchCommand(),
			trainCommand(),
			compareCommand(),
			ntkCheckCommand(),
		},
	}
	for _, c := range app.Commands {
		c.OnUsageError = onUsage
	}
	return app
}
