// Package progress reports the progress of long stages (Gram stacks, MKL
// iterations, training epochs) of a batch command on its standard error.
//
// A Progress owns the output; each long computation asks it for a Stage
// with a name, a total count and a unit, calls Add from any number of
// goroutines as work finishes, and calls Done at the end:
//
//	p := progress.New(os.Stderr, nil)
//	defer p.Wait()
//	st := p.Stage("gram", int64(n), "rows")
//	... st.Add(1) from the workers ...
//	st.Done()
//
// The output depends on where it goes.
//
//   - On a terminal the stages are live bars drawn with
//     github.com/vbauerster/mpb/v8, redrawn several times a second.
//   - Anywhere else (a log file, a pipe, a bytes.Buffer) the package prints
//     its own plain lines from a ticker, one line per running stage every
//     Settings.Interval:
//     gram: 1234/5000 rows (24.7%) 3.1s elapsed, eta 9.5s
//     The lines hold no carriage returns and no escape sequences. mpb is not
//     used here: with auto-refresh forced, mpb v8.16.2 writes every bar on
//     every refresh, completed ones included, and draws the bar's
//     [===>---] filler into the file, so a log would repeat each finished
//     stage every 30 seconds.
//
// In both modes a stage ends with one final line,
//
//	gram: done 5000/5000 in 12.6s
//
// printed when Done is called (on a terminal, above the bars at the next
// redraw), so even a run shorter than the refresh period shows what it
// did. Wait prints "name: stopped at cur/total after elapsed" for a stage
// that was never done. A status set with SetStatus (for
// example "J=0.123 gap=4e-7") follows " | " at the end of every line.
//
// A nil *Progress and a nil *Stage are valid and do nothing, so library
// code can take an optional progress without checking for nil; a Progress
// made with Settings.Quiet keeps time but prints nothing.
package progress
