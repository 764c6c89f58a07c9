package testutil

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLogBufferTakesConcurrentWritesWhileRead: goroutines log while the test
// reads, as the daemon does under a test; -race checks the locking, the count
// checks that no line is lost or torn.
func TestLogBufferTakesConcurrentWritesWhileRead(t *testing.T) {
	var buf LogBuffer
	log := buf.Logger(nil)
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				log.Debug("handled", "writer", w, "line", i)
			}
		}()
	}
	for range 20 {
		_ = buf.Contains("handled") // reads interleaved with the writes
	}
	wg.Wait()
	got := strings.Count(buf.String(), "level=DEBUG msg=handled writer=")
	if got != writers*lines {
		t.Fatalf("%d complete debug lines in the buffer, want %d:\n%s", got, writers*lines, buf.String())
	}
	if buf.Len() != len(buf.String()) {
		t.Errorf("Len %d, String has %d bytes", buf.Len(), len(buf.String()))
	}
}

func TestLoggerWritesDebugLinesIntoItsBuffer(t *testing.T) {
	log, buf := Logger(t)
	log.Debug("moved", "folder", "Processed")
	if !buf.Contains(`msg=moved folder=Processed`) {
		t.Errorf("the debug line is missing: %q", buf.String())
	}
}

func TestWaitForReturnsOnceTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	start := time.Now()
	if !WaitFor(10*time.Second, func() bool { return calls.Add(1) >= 3 }) {
		t.Fatal("WaitFor gave up on a condition that held at the 3rd call")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("WaitFor took %s for a condition that held at the 3rd call", d)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("cond called %d times, want 3 (no call after it held)", n)
	}
}

func TestWaitForGivesUpAtTheDeadline(t *testing.T) {
	calls := 0
	start := time.Now()
	if WaitFor(50*time.Millisecond, func() bool { calls++; return false }) {
		t.Fatal("WaitFor reported a condition that never held")
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("gave up after %s, before the 50ms timeout", d)
	}
	if calls < 2 {
		t.Errorf("cond called %d times in 50ms, want it checked again before giving up", calls)
	}
}

// fakeTB records a Fatalf and ends the goroutine as testing.T does.
type fakeTB struct {
	testing.TB
	fatal string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestEventuallyFailureNamesWhatWasAwaited(t *testing.T) {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Eventually(f, 20*time.Millisecond, "the reply in Processed", func() bool { return false })
	}()
	<-done
	want := "timed out after 20ms waiting for: the reply in Processed"
	if f.fatal != want {
		t.Errorf("failure %q, want %q", f.fatal, want)
	}

	f = &fakeTB{TB: t}
	done = make(chan struct{})
	go func() {
		defer close(done)
		Eventually(f, time.Second, "a condition that holds", func() bool { return true })
	}()
	<-done
	if f.fatal != "" {
		t.Errorf("Eventually failed on a condition that held: %q", f.fatal)
	}
}

func TestPollIntervalFollowsTheTimeout(t *testing.T) {
	for _, c := range []struct {
		timeout, want time.Duration
	}{
		{time.Second, 5 * time.Millisecond},       // short waits keep polling fast
		{10 * time.Second, 20 * time.Millisecond}, // a unit test's wait
		{45 * time.Second, 90 * time.Millisecond}, // an integration test's IMAP fetch
		{15 * time.Minute, time.Second},           // a flood draining: at most once a second
	} {
		if got := pollCap(c.timeout); got != c.want {
			t.Errorf("timeout %s: polls at most every %s, want %s", c.timeout, got, c.want)
		}
	}
}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.fatal = "skip: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestSkipUnderRaceSkipsOnlyARaceBuild(t *testing.T) {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		SkipUnderRace(f, "1 s of CPU")
	}()
	<-done
	skipped := strings.HasPrefix(f.fatal, "skip: ") && strings.Contains(f.fatal, "1 s of CPU")
	if skipped != RaceEnabled {
		t.Errorf("race build %v: skip message %q", RaceEnabled, f.fatal)
	}
}
