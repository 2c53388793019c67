package progress

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that the ticker or mpb goroutine may write
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// lines splits output into lines, dropping the empty one after the final
// newline.
func lines(out string) []string {
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// sec matches a duration as fmtDuration prints one below a minute.
const sec = `\d+\.\ds`

func TestPlainFinalLines(t *testing.T) {
	for _, test := range []struct {
		name string
		// run drives the Progress; Wait is called after it.
		run func(p *Progress)
		// want holds one regular expression per output line, in order.
		// The formats are those of the package documentation.
		want []string
	}{
		{
			name: "one stage",
			run: func(p *Progress) {
				s := p.Stage("gram", 5000, "rows")
				s.Add(5000)
				s.Done()
			},
			want: []string{`^gram: done 5000/5000 in ` + sec + `$`},
		},
		{
			name: "two stages and a summary",
			run: func(p *Progress) {
				g := p.Stage("gram", 10, "rows")
				g.Add(10)
				g.Done()
				m := p.Stage("mkl", 40, "iterations")
				m.Add(12)
				m.SetStatus("J=0.123 gap=4e-7")
				m.Done() // early: converged before the iteration cap
				p.Logf("accuracy %.2f%%", 97.25)
			},
			want: []string{
				`^gram: done 10/10 in ` + sec + `$`,
				`^mkl: done 12/40 in ` + sec + ` \| J=0\.123 gap=4e-7$`,
				`^accuracy 97\.25%$`,
			},
		},
		{
			name: "Done is idempotent",
			run: func(p *Progress) {
				s := p.Stage("gram", 3, "rows")
				s.Add(3)
				s.Done()
				s.Done()
				s.Add(1) // counted after Done, not shown
				s.Done()
			},
			want: []string{`^gram: done 3/3 in ` + sec + `$`},
		},
		{
			name: "unknown total",
			run: func(p *Progress) {
				s := p.Stage("epochs", 0, "epochs")
				s.Add(7)
				s.Done()
			},
			want: []string{`^epochs: done 7 in ` + sec + `$`},
		},
		{
			name: "growing total",
			run: func(p *Progress) {
				s := p.Stage("nystrom", 2, "shards")
				s.Add(2)
				s.SetTotal(5)
				s.Add(3)
				s.Done()
			},
			want: []string{`^nystrom: done 5/5 in ` + sec + `$`},
		},
		{
			name: "Wait stops an unfinished stage",
			run: func(p *Progress) {
				s := p.Stage("mkl", 10, "iterations")
				s.Add(3)
			},
			want: []string{`^mkl: stopped at 3/10 after ` + sec + `$`},
		},
		{
			name: "Logf adds one newline",
			run: func(p *Progress) {
				p.Logf("a\n")
				p.Logf("b")
			},
			want: []string{`^a$`, `^b$`},
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			var buf syncBuffer
			// A long interval: only final lines and Logf lines appear.
			p := New(&buf, &Settings{Interval: time.Hour})
			test.run(p)
			p.Wait()
			out := buf.String()
			if strings.ContainsAny(out, "\r\x1b") {
				t.Errorf("plain output holds \\r or ESC: %q", out)
			}
			got := lines(out)
			if len(got) != len(test.want) {
				t.Fatalf("got %d lines %q, want %d", len(got), got, len(test.want))
			}
			for i, re := range test.want {
				if !regexp.MustCompile(re).MatchString(got[i]) {
					t.Errorf("line %d = %q, want match for %s", i, got[i], re)
				}
			}
		})
	}
}

func TestLineFormat(t *testing.T) {
	for _, test := range []struct {
		name    string
		total   int64
		cur     int64
		unit    string
		status  string
		elapsed time.Duration
		want    string
	}{
		{
			// The example of the package documentation, which is
			// consistent: 1234/5000 = 24.68% and the remaining
			// 3766 rows at 1234 rows per 3.1s take 3.1·3766/1234 =
			// 9.461s.
			name: "doc example", total: 5000, cur: 1234, unit: "rows", elapsed: 3100 * time.Millisecond,
			want: "gram: 1234/5000 rows (24.7%) 3.1s elapsed, eta 9.5s",
		},
		{
			// Nothing done yet: no rate, so no estimate.
			name: "no work yet", total: 100, cur: 0, unit: "rows", elapsed: 2 * time.Second,
			want: "gram: 0/100 rows (0.0%) 2.0s elapsed, eta ?",
		},
		{
			// 30 of 40 after 90s: 10 more at 3s each is 30s.
			name: "status and minutes", total: 40, cur: 30, unit: "iterations", status: "J=0.5", elapsed: 90 * time.Second,
			want: "gram: 30/40 iterations (75.0%) 1m30s elapsed, eta 30.0s | J=0.5",
		},
		{
			name: "unknown total", total: 0, cur: 12, unit: "epochs", elapsed: 500 * time.Millisecond,
			want: "gram: 12 epochs 0.5s elapsed",
		},
		{
			name: "no unit", total: 4, cur: 2, elapsed: time.Second,
			want: "gram: 2/4 (50.0%) 1.0s elapsed, eta 1.0s",
		},
		{
			// More than the total (a caller's miscount): no negative
			// estimate.
			name: "overshoot", total: 4, cur: 6, unit: "rows", elapsed: time.Second,
			want: "gram: 6/4 rows (150.0%) 1.0s elapsed, eta 0.0s",
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			now := time.Now()
			s := &Stage{name: "gram", unit: test.unit, total: test.total, status: test.status, start: now.Add(-test.elapsed)}
			s.cur.Store(test.cur)
			got, ok := s.runningLine(now)
			if !ok || got != test.want {
				t.Errorf("line = %q (ok %v), want %q", got, ok, test.want)
			}
		})
	}
}

func TestFmtDuration(t *testing.T) {
	for _, test := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.0s"},
		{3140 * time.Millisecond, "3.1s"},
		{12560 * time.Millisecond, "12.6s"},
		{59940 * time.Millisecond, "59.9s"},
		// From a minute on, whole seconds in time.Duration notation.
		{83400 * time.Millisecond, "1m23s"},
		{2*time.Hour + 5400*time.Millisecond, "2h0m5s"},
	} {
		if got := fmtDuration(test.d); got != test.want {
			t.Errorf("fmtDuration(%v) = %q, want %q", test.d, got, test.want)
		}
	}
}

func TestQuiet(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var buf syncBuffer
		p := newProgress(&buf, &Settings{Quiet: true, Interval: time.Millisecond}, tty)
		s := p.Stage("gram", 10, "rows")
		s.Add(5)
		s.SetStatus("x")
		time.Sleep(20 * time.Millisecond)
		if s.Elapsed() < 20*time.Millisecond {
			t.Errorf("tty=%v: Elapsed = %v, want ≥ 20ms: a quiet stage still keeps time", tty, s.Elapsed())
		}
		s.Done()
		p.Stage("mkl", 3, "iterations") // stopped by Wait
		p.Logf("summary")
		p.Wait()
		if out := buf.String(); out != "" {
			t.Errorf("tty=%v: quiet output = %q, want nothing", tty, out)
		}
	}
}

func TestNil(t *testing.T) {
	var p *Progress
	s := p.Stage("gram", 10, "rows")
	if s != nil {
		t.Fatalf("nil Progress returned stage %v", s)
	}
	s.Add(1)
	s.SetStatus("x")
	s.SetTotal(20)
	s.Done()
	if e := s.Elapsed(); e != 0 {
		t.Errorf("nil Stage Elapsed = %v, want 0", e)
	}
	p.Logf("x %d", 1)
	p.Wait()
}

func TestConcurrentAdd(t *testing.T) {
	const (
		workers = 64
		adds    = 500
		n       = 3 // units per Add
	)
	for _, tty := range []bool{false, true} {
		t.Run(fmt.Sprintf("tty=%v", tty), func(t *testing.T) {
			var buf syncBuffer
			p := newProgress(&buf, &Settings{Interval: 5 * time.Millisecond}, tty)
			s := p.Stage("gram", workers*adds*n, "rows")
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for range adds {
						s.Add(n)
						if w == 0 {
							s.SetStatus("worker 0 running")
						}
					}
				})
			}
			wg.Wait()
			s.SetStatus("")
			s.Done()
			p.Wait()
			// workers·adds·n = 64·500·3 = 96000.
			if got := s.cur.Load(); got != 96000 {
				t.Errorf("count = %d, want 96000", got)
			}
			if !regexp.MustCompile(`gram: done 96000/96000 in ` + sec).MatchString(buf.String()) {
				t.Errorf("no final line for 96000 rows in %q", tail(buf.String()))
			}
		})
	}
}

// tail returns the end of a long output for an error message.
func tail(s string) string {
	if len(s) > 600 {
		return "…" + s[len(s)-600:]
	}
	return s
}

func TestPeriodicLines(t *testing.T) {
	var buf syncBuffer
	p := New(&buf, &Settings{Interval: 20 * time.Millisecond})
	s := p.Stage("gram", 100, "rows")
	for range 10 {
		s.Add(5)
		time.Sleep(15 * time.Millisecond)
	}
	s.SetStatus("half")
	time.Sleep(50 * time.Millisecond)
	s.Add(50)
	s.Done()
	// After Done the stage gets no more periodic lines.
	time.Sleep(50 * time.Millisecond)
	p.Wait()

	out := buf.String()
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("plain output holds \\r or ESC: %q", out)
	}
	got := lines(out)
	running := regexp.MustCompile(`^gram: \d+/100 rows \(\d+\.\d%\) ` + sec + ` elapsed, eta (` + sec + `|\?)( \| half)?$`)
	final := regexp.MustCompile(`^gram: done 100/100 in ` + sec + ` \| half$`)
	// About 200ms of running at a 20ms period gives about 10 lines; on
	// a loaded machine ticks are dropped, so ask for 3.
	if len(got) < 4 {
		t.Fatalf("got %d lines, want ≥ 3 periodic and 1 final: %q", len(got), got)
	}
	for i, l := range got[:len(got)-1] {
		if !running.MatchString(l) {
			t.Errorf("line %d = %q, want a periodic line", i, l)
		}
	}
	if l := got[len(got)-1]; !final.MatchString(l) {
		t.Errorf("last line = %q, want the final line", l)
	}
}

// escape matches the ANSI sequences cupwriter writes (cursor up, erase
// down) so that terminal output can be read as text.
var escape = regexp.MustCompile("\x1b\\[[0-9]*[A-Za-z]")

func TestTerminalBars(t *testing.T) {
	var buf syncBuffer
	p := newProgress(&buf, nil, true)
	g := p.Stage("gram", 50, "rows")
	m := p.Stage("mkl", 20, "iterations")
	for range 50 {
		g.Add(1)
		time.Sleep(6 * time.Millisecond) // 300ms: two refreshes at least
	}
	g.Done()
	p.Logf("gram stack: %d kernels", 10)
	m.Add(4)
	m.SetStatus("J=0.9")
	time.Sleep(2 * ttyRefresh)
	m.Add(16)
	m.Done()
	s := p.Stage("eval", 5, "rows") // stopped by Wait
	s.Add(2)
	p.Wait()

	out := escape.ReplaceAllString(buf.String(), "")
	for _, re := range []string{
		`gram: \d+/50 rows \[`,              // a bar was drawn while running
		`gram: done 50/50 in ` + sec + `\n`, // no trailing spaces
		`gram stack: 10 kernels`,
		`mkl: \d+/20 iterations .*\| J=0\.9`,
		`mkl: done 20/20 in ` + sec + ` \| J=0\.9`,
		`eval: stopped at 2/5 after ` + sec,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("terminal output has no match for %s:\n%s", re, tail(out))
		}
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var nilFile *os.File
	for _, test := range []struct {
		name string
		w    any
	}{
		{"bytes.Buffer", new(bytes.Buffer)},
		{"regular file", f},
		{"pipe", w},
		// A character device, but not a terminal.
		{"/dev/null", null},
		{"nil *os.File", nilFile},
	} {
		if isTerminal(test.w.(interface{ Write([]byte) (int, error) })) {
			t.Errorf("%s taken for a terminal", test.name)
		}
	}
}
