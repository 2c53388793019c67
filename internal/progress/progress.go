package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Default settings.
const (
	DefaultInterval = 30 * time.Second
	DefaultWidth    = 100
)

// ttyRefresh is how often bars are redrawn on a terminal.
const ttyRefresh = 150 * time.Millisecond

// Settings configures a Progress. A nil *Settings, or a zero field, means
// the default.
type Settings struct {
	// Quiet suppresses all output. The default is false.
	Quiet bool

	// Interval is the period of the plain progress lines printed when the
	// output is not a terminal. The default is DefaultInterval, 30s.
	Interval time.Duration

	// Width is the most columns the bar itself ([===>---]) takes on a
	// terminal; the text around it comes on top, and mpb shortens the bar
	// so that a line never exceeds the terminal's width. The default is
	// DefaultWidth, 100.
	Width int
}

// Progress prints the progress of stages to one writer. Its methods are
// safe for concurrent use. A nil *Progress is valid: it prints nothing and
// its Stage method returns a nil *Stage.
type Progress struct {
	w     io.Writer
	quiet bool

	// bars draws the live bars; it is nil unless w is a terminal.
	bars *mpb.Progress

	// stop ends the ticker goroutine of plain mode; tickerDone is
	// closed when it has ended. Both are nil in terminal and quiet mode.
	stop       chan struct{}
	tickerDone chan struct{}

	mu     sync.Mutex // guards the fields below and plain writes to w
	stages []*Stage
	// closing is set when Wait starts: no more bars are made.
	closing bool
	// waited is set when Wait has stopped mpb: lines go straight to w.
	waited  bool
	lastLog time.Time // time of the last line handed to bars
}

// New returns a Progress writing to w, which is os.Stderr in the command
// line tool. A nil s means the default Settings. When w is an *os.File
// connected to a terminal the stages are drawn as live bars, otherwise
// they are reported by plain periodic lines; see the package
// documentation.
func New(w io.Writer, s *Settings) *Progress {
	return newProgress(w, s, isTerminal(w))
}

// newProgress is New with the choice of terminal bars (tty) made by the
// caller; tests use it to draw bars into a buffer.
func newProgress(w io.Writer, s *Settings, tty bool) *Progress {
	var set Settings
	if s != nil {
		set = *s
	}
	if set.Interval <= 0 {
		set.Interval = DefaultInterval
	}
	if set.Width <= 0 {
		set.Width = DefaultWidth
	}
	p := &Progress{w: w, quiet: set.Quiet}
	switch {
	case set.Quiet:
	case tty:
		opts := []mpb.ContainerOption{
			mpb.WithOutput(w),
			mpb.WithWidth(set.Width),
			mpb.WithRefreshRate(ttyRefresh),
		}
		if !isTerminal(w) {
			// Only tests get here, with a buffer they want drawn as a
			// terminal would be.
			opts = append(opts, mpb.ForceTTY(), mpb.WithAutoRefresh())
		}
		p.bars = mpb.New(opts...)
	default:
		p.stop = make(chan struct{})
		p.tickerDone = make(chan struct{})
		go p.tick(set.Interval)
	}
	return p
}

// tick prints a line for every running stage once per interval until
// p.stop is closed.
func (p *Progress) tick(interval time.Duration) {
	defer close(p.tickerDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			running := p.stages[:0]
			for _, s := range p.stages {
				if line, ok := s.runningLine(now); ok {
					io.WriteString(p.w, line+"\n")
					running = append(running, s)
				}
			}
			clear(p.stages[len(running):])
			p.stages = running
			p.mu.Unlock()
		}
	}
}

// Stage starts a stage called name (printed at the start of each of its
// lines) with total units of work, named unit ("rows", "iterations",
// "epochs"). A total ≤ 0 means unknown: lines then show the count without
// a percentage or an estimate of the remaining time. The clock of the
// stage starts now.
func (p *Progress) Stage(name string, total int64, unit string) *Stage {
	if p == nil {
		return nil
	}
	s := &Stage{p: p, name: name, unit: unit, total: total, start: time.Now()}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bars != nil && !p.closing {
		bar, err := p.bars.Add(0, mpb.BarStyle().Build(),
			mpb.PrependDecorators(decor.Any(s.barLeft)),
			mpb.AppendDecorators(decor.Any(s.barRight)),
			// mpb draws a removed bar once more: let that frame be
			// an empty line (see barLeft).
			mpb.BarFillerClearOnAbort(),
			// The decorators bring their own spaces.
			mpb.BarFillerTrim(),
		)
		if err == nil {
			// Created with total 0, mpb never completes the bar by
			// itself (the total may still grow); finish removes it.
			// SetTotal only sets the total the filler shows.
			bar.SetTotal(max(total, 0), false)
			s.bar = bar
		}
	}
	p.stages = append(p.stages, s)
	return s
}

// Logf prints one line, formatted as by fmt.Sprintf, above the bars on a
// terminal and between the progress lines elsewhere. A trailing newline
// is added if missing. Logf prints nothing when the Progress is quiet or
// nil.
func (p *Progress) Logf(format string, args ...any) {
	if p == nil {
		return
	}
	p.println(fmt.Sprintf(format, args...))
}

// println writes line and a newline to the output, through mpb while bars
// are drawn so that they are not garbled.
func (p *Progress) println(line string) {
	if p.quiet {
		return
	}
	b := []byte(strings.TrimSuffix(line, "\n") + "\n")
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bars != nil && !p.waited {
		// mpb prints the line above the bars at its next refresh. The
		// lock is not needed by mpb; holding it orders this write
		// against Wait.
		if _, err := p.bars.Write(b); err == nil {
			p.lastLog = time.Now()
			return
		}
	}
	p.w.Write(b)
}

// Wait stops every stage that is not done, printing a "stopped" line for
// it, flushes the output and stops the Progress. Call it once, at the end
// of the run; later calls do nothing. Stages started after Wait print only
// their final line.
func (p *Progress) Wait() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return
	}
	p.closing = true
	stages := p.stages
	p.stages = nil
	p.mu.Unlock()

	if p.stop != nil {
		close(p.stop)
		<-p.tickerDone
	}
	for _, s := range stages {
		s.finish(false)
	}

	if p.bars != nil {
		// Lines given to mpb's Write are printed at its next refresh,
		// and mpb does not refresh once more when it shuts down; give
		// it time for two refreshes after the last one.
		p.mu.Lock()
		last := p.lastLog
		p.mu.Unlock()
		if d := 2*ttyRefresh - time.Since(last); d > 0 {
			time.Sleep(d)
		}
		p.bars.Wait()
	}
	p.mu.Lock()
	p.waited = true
	p.mu.Unlock()
}

// Stage is one named, counted piece of work of a Progress. Its methods are
// safe for concurrent use. A nil *Stage is valid and does nothing.
type Stage struct {
	p     *Progress
	name  string
	unit  string
	start time.Time
	bar   *mpb.Bar // nil unless drawn as a terminal bar

	cur atomic.Int64

	mu     sync.Mutex // guards the fields below
	total  int64
	status string
	done   bool
	end    time.Time
}

// Add records n more units of work done. It is safe for concurrent use by
// worker goroutines, and cheap enough to call once per row.
func (s *Stage) Add(n int64) {
	if s == nil {
		return
	}
	s.cur.Add(n)
	if s.bar != nil {
		s.bar.IncrInt64(n)
	}
}

// SetStatus sets a short status, such as "J=0.123 gap=4e-7", shown after
// " | " at the end of the stage's lines, the final line included.
func (s *Stage) SetStatus(msg string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.status = msg
	s.mu.Unlock()
}

// SetTotal changes the total, for stages whose amount of work grows.
func (s *Stage) SetTotal(total int64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.total = total
	s.mu.Unlock()
	if s.bar != nil {
		s.bar.SetTotal(max(total, 0), false)
	}
}

// Done marks the stage complete, stops its clock and prints its final
// line, "name: done cur/total in elapsed". Only the first call has an
// effect. Work added after Done is counted but not shown.
func (s *Stage) Done() {
	if s == nil {
		return
	}
	s.finish(true)
}

// Elapsed returns the time since the stage started, or the time the stage
// took once it is done (or stopped by Wait).
func (s *Stage) Elapsed() time.Duration {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return s.end.Sub(s.start)
	}
	return time.Since(s.start)
}

// finish ends the stage once: complete reports Done, otherwise the stage
// was stopped by Wait before it was done.
func (s *Stage) finish(complete bool) {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return
	}
	s.done = true
	s.end = time.Now()
	elapsed := fmtDuration(s.end.Sub(s.start))
	counts := s.counts(s.cur.Load())
	var final string
	if complete {
		final = s.name + ": done " + counts + " in " + elapsed
	} else {
		final = s.name + ": stopped at " + counts + " after " + elapsed
	}
	final += s.statusSuffix()
	s.mu.Unlock()

	if s.bar != nil {
		// A bar is only for a running stage. The final line goes
		// through the same channel as Logf's lines, above the bars,
		// so that all permanent lines keep their order.
		s.bar.Abort(true)
	}
	s.p.println(final)
}

// runningLine returns the periodic line of a stage that is not done.
func (s *Stage) runningLine(now time.Time) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return "", false
	}
	cur := s.cur.Load()
	return s.left(cur) + " " + s.right(cur, now.Sub(s.start)), true
}

// barLeft and barRight are the decorators on either side of a terminal
// bar. Once the stage is done both are empty: the final line has been
// printed above the bars, and mpb draws a removed bar only once more.
func (s *Stage) barLeft(decor.Statistics) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return ""
	}
	return s.left(s.cur.Load()) + " "
}

func (s *Stage) barRight(decor.Statistics) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return ""
	}
	return " " + s.right(s.cur.Load(), time.Since(s.start))
}

// left returns "name: cur/total unit"; s.mu must be held.
func (s *Stage) left(cur int64) string {
	l := s.name + ": " + s.counts(cur)
	if s.unit != "" {
		l += " " + s.unit
	}
	return l
}

// right returns "(pct%) elapsed elapsed, eta remaining | status"; s.mu must
// be held. The remaining time assumes the average rate so far.
func (s *Stage) right(cur int64, elapsed time.Duration) string {
	var b strings.Builder
	if s.total > 0 {
		fmt.Fprintf(&b, "(%.1f%%) ", 100*float64(cur)/float64(s.total))
	}
	b.WriteString(fmtDuration(elapsed) + " elapsed")
	if s.total > 0 {
		b.WriteString(", eta ")
		if cur > 0 {
			eta := time.Duration(float64(elapsed) * float64(max(s.total-cur, 0)) / float64(cur))
			b.WriteString(fmtDuration(eta))
		} else {
			b.WriteString("?")
		}
	}
	b.WriteString(s.statusSuffix())
	return b.String()
}

// counts returns "cur/total", or "cur" when the total is unknown; s.mu
// must be held.
func (s *Stage) counts(cur int64) string {
	if s.total > 0 {
		return fmt.Sprintf("%d/%d", cur, s.total)
	}
	return fmt.Sprintf("%d", cur)
}

// statusSuffix returns " | status", or "" without a status; s.mu must be
// held.
func (s *Stage) statusSuffix() string {
	if s.status == "" {
		return ""
	}
	return " | " + s.status
}

// fmtDuration formats d as seconds with one decimal below a minute
// ("3.1s", "12.6s") and as whole seconds in Go's notation above it
// ("1m23s", "2h0m5s").
func fmtDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}
