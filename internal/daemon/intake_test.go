package daemon

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"consultd/internal/mailbox"
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

// A backlog of the coalition's own copies (a fan-out faster than its copies
// are read) holds nothing back; replies behind them hold sending again.
func TestABacklogOfOwnCopiesDoesNotHoldTheFanOut(t *testing.T) {
	w := newIntakeWorld()
	w.g.Backlog(500)
	if !w.g.Hold() {
		t.Fatal("not held before anything is known about the backlog")
	}
	w.g.Read(50, 50) // the first batch: all proof copies
	if w.g.Hold() {
		t.Fatal("held while the backlog is the fan-out's own copies")
	}
	if w.kicks.Load() != 1 || w.lines("sending resumes: the inbox backlog is the coalition's own copies") != 1 {
		t.Fatalf("the sender was woken %d times; log:\n%s", w.kicks.Load(), w.log)
	}
	w.g.Read(10, 50) // mostly replies now
	w.g.Backlog(450)
	if !w.g.Hold() {
		t.Fatal("not held while a backlog of mostly replies is read")
	}
}

func TestOwnCopiesAreToldByTheirFrom(t *testing.T) {
	mk := func(from string) mailbox.Message {
		return mailbox.Message{Raw: []byte("From: " + from + "\r\nSubject: x\r\n\r\nbody\r\n")}
	}
	ms := []mailbox.Message{
		mk(`"Test Coalition" <Coalition@Example.org>`), // as the sender writes it
		mk("coalition@example.org"),
		mk("member@ngo.example"),
		mk("<coalition@example.org.evil.example>"),
		{Raw: []byte("not a header at all")},
	}
	if got := ownCopies(ms, "coalition@example.org"); got != 2 {
		t.Errorf("ownCopies = %d, want 2", got)
	}
}
