// Package testutil holds the scaffolding that tests of several packages
// need: a log buffer the code under test may write from its goroutines while
// the test reads it, and waiting for a condition with a deadline instead of
// sleeping for a guessed time. It is imported by tests only.
package testutil

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// LogBuffer is an io.Writer that is safe for concurrent writes and reads:
// the daemon's goroutines log into it while the test reads String. The zero
// value is ready to use.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Len returns the number of bytes written so far.
func (l *LogBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

// Contains reports whether s was written (within one String snapshot).
func (l *LogBuffer) Contains(s string) bool { return strings.Contains(l.String(), s) }

// Logger returns a text logger into l; nil opts means debug level, so tests
// can assert on every line the code writes.
func (l *LogBuffer) Logger(opts *slog.HandlerOptions) *slog.Logger {
	if opts == nil {
		opts = &slog.HandlerOptions{Level: slog.LevelDebug}
	}
	return slog.New(slog.NewTextHandler(l, opts))
}

// Logger returns a debug-level text logger and the buffer it writes to. When
// the test fails, the log is printed with the failure, so a timeout shows
// what the code was doing.
func Logger(t testing.TB) (*slog.Logger, *LogBuffer) {
	t.Helper()
	buf := &LogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", buf.String())
		}
	})
	return buf.Logger(nil), buf
}

// Poll intervals of WaitFor: the first checks come quickly (most conditions
// hold within milliseconds), later ones back off to about 1/500 of the
// timeout, at most a second: a long timeout means a slow condition, often an
// expensive check (an IMAP fetch) that must not load two busy cores.
const (
	firstPoll = 5 * time.Millisecond
	maxPoll   = time.Second
)

func pollCap(timeout time.Duration) time.Duration {
	return min(max(timeout/500, firstPoll), maxPoll)
}

// WaitFor calls cond until it returns true or timeout has passed, and
// reports whether it held. cond is always called at least once, and once more
// at the deadline. Use it when the failure message needs more than Eventually
// gives (the count found, the daemon's log).
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	wait, most := firstPoll, pollCap(timeout)
	for !cond() {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		time.Sleep(min(wait, left)) // polling the condition above, bounded by the deadline
		wait = min(2*wait, most)
	}
	return true
}

// Eventually waits until cond holds and fails the test (Fatal) when timeout
// passes first, naming what it waited for: "timed out after 10s waiting for:
// the message in Processed".
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !WaitFor(timeout, cond) {
		t.Fatalf("timed out after %s waiting for: %s", timeout, what)
	}
}

// SkipUnderRace skips a test that measures time or memory against a budget:
// the race detector makes code 5-25 times slower and allocate more, so the
// budget would either fail or have to be loosened until it proves nothing.
// scripts/test.sh runs these tests without -race.
func SkipUnderRace(t testing.TB, budget string) {
	t.Helper()
	if RaceEnabled {
		t.Skipf("the race detector distorts this budget (%s); checked without -race", budget)
	}
}
