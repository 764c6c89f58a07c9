package daemon

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"consultd/internal/testutil"
)

type intakeWorld struct {
	g     *intake
	log   *testutil.LogBuffer
	kicks atomic.Int32
	now   time.Time
}

func newIntakeWorld() *intakeWorld {
	w := &intakeWorld{log: &testutil.LogBuffer{}, now: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	w.g = newIntake(slog.New(slog.NewTextHandler(w.log, nil)), func() { w.kicks.Add(1) })
	w.g.now = func() time.Time { return w.now }
	return w
}

func (w *intakeWorld) lines(s string) int { return strings.Count(w.log.String(), s) }

func TestSendingIsHeldWhileABacklogIsReadAndResumesAtOnce(t *testing.T) {
	w := newIntakeWorld()
	if w.g.Hold() {
		t.Fatal("held with no backlog: a reply in a quiet inbox would wait for its receipt")
	}
	w.g.Backlog(0) // the last (or only) batch: nothing waits behind it
	if w.g.Hold() {
		t.Fatal("held while the only batch is handled")
	}
	w.g.Backlog(minBacklog - 1) // proof copies arriving as a fan-out goes out
	if w.g.Hold() {
		t.Fatalf("held for %d messages waiting: a fan-out's proof copies would slow it", minBacklog-1)
	}
	w.g.Backlog(0)
	w.g.Backlog(1980)
	for range 3 {
		if !w.g.Hold() {
			t.Fatal("not held while 1,980 messages wait")
		}
		w.now = w.now.Add(10 * time.Second)
		w.g.Backlog(1960)
	}
	w.g.Backlog(20) // the end of the backlog, still read first
	if !w.g.Hold() {
		t.Fatal("sending resumed before the backlog was read")
	}
	if n := w.lines("sending held while the inbox backlog is read"); n != 1 {
		t.Fatalf("the hold was logged %d times, want once:\n%s", n, w.log)
	}
	w.g.Backlog(0)
	if w.g.Hold() {
		t.Fatal("still held once the backlog is read")
	}
	if w.kicks.Load() != 1 {
		t.Fatalf("the sender was woken %d times when the backlog ended, want once", w.kicks.Load())
	}
	if n := w.lines("sending resumes: the inbox backlog is read"); n != 1 {
		t.Fatalf("the resumption was logged %d times, want once:\n%s", n, w.log)
	}
}

func TestAnEndlessBacklogHoldsSendingOnlyForALimitedTime(t *testing.T) {
	w := newIntakeWorld()
	w.g.Backlog(100000)
	if !w.g.Hold() {
		t.Fatal("not held under a flood")
	}
	w.now = w.now.Add(maxIntakeHold)
	if w.g.Hold() {
		t.Fatalf("still held after %v in a row", maxIntakeHold)
	}
	if !strings.Contains(w.log.String(), "held as long as allowed") {
		t.Fatalf("no log line says why sending resumed:\n%s", w.log)
	}
	// Free sending for as long, then the flood may hold it again.
	w.now = w.now.Add(maxIntakeHold / 2)
	w.g.Backlog(90000)
	if w.g.Hold() {
		t.Fatal("held again right after the longest hold")
	}
	w.now = w.now.Add(maxIntakeHold / 2)
	if !w.g.Hold() {
		t.Fatal("not held again after the free period, with the flood still waiting")
	}
	w.now = w.now.Add(maxIntakeHold)
	if w.g.Hold() {
		t.Fatal("the second hold lasted longer than the limit")
	}
}
