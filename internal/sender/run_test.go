package sender

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOutbox is an in-memory Outbox that records every outcome.
type fakeOutbox struct {
	mu       sync.Mutex
	items    map[int64]*fakeItem
	changed  chan struct{} // signalled on every recorded outcome
	failSent int           // this many Sent calls fail (database busy)
}

type fakeItem struct {
	Item
	state    string // pending | sending | sent | failed
	next     time.Time
	reason   string
	proof    string
	rejected []Rejection
}

func newFakeOutbox(items ...Item) *fakeOutbox {
	ob := &fakeOutbox{items: map[int64]*fakeItem{}, changed: make(chan struct{}, 100)}
	for _, it := range items {
		ob.items[it.ID] = &fakeItem{Item: it, state: "pending"}
	}
	return ob
}

func (ob *fakeOutbox) Due(_ context.Context, now time.Time, limit int) ([]Item, error) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	var out []Item
	for id := int64(1); id <= int64(len(ob.items)) && len(out) < limit; id++ {
		if it := ob.items[id]; it != nil && (it.state == "pending" || it.state == "sending") && !it.next.After(now) {
			i := it.Item
			i.InFlight = it.state == "sending"
			out = append(out, i)
		}
	}
	return out, nil
}

func (ob *fakeOutbox) NextDue(context.Context) (time.Time, error) { return time.Time{}, nil }

func (ob *fakeOutbox) record(id int64, f func(it *fakeItem)) error {
	ob.mu.Lock()
	f(ob.items[id])
	ob.mu.Unlock()
	ob.changed <- struct{}{}
	return nil
}

func (ob *fakeOutbox) Sending(_ context.Context, id int64, _, check time.Time) error {
	return ob.record(id, func(it *fakeItem) { it.state, it.next = "sending", check })
}

func (ob *fakeOutbox) Unknown(_ context.Context, id int64, check time.Time, reason string) error {
	return ob.record(id, func(it *fakeItem) { it.next, it.reason = check, reason })
}

func (ob *fakeOutbox) Sent(_ context.Context, id int64, _ time.Time, proof string, rejected []Rejection) error {
	ob.mu.Lock()
	if ob.failSent > 0 {
		ob.failSent--
		ob.mu.Unlock()
		return errors.New("database is locked (5)")
	}
	ob.mu.Unlock()
	return ob.record(id, func(it *fakeItem) { it.state, it.proof, it.rejected = "sent", proof, rejected })
}

func (ob *fakeOutbox) Retry(_ context.Context, id int64, attempts int, next time.Time, reason string) error {
	return ob.record(id, func(it *fakeItem) { it.state, it.Attempts, it.next, it.reason = "pending", attempts, next, reason })
}

func (ob *fakeOutbox) Failed(_ context.Context, id int64, reason string, rejected []Rejection) error {
	return ob.record(id, func(it *fakeItem) { it.state, it.reason, it.rejected = "failed", reason, rejected })
}

func (ob *fakeOutbox) get(id int64) fakeItem {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	return *ob.items[id]
}

// waitFor waits until cond holds, re-checking on every recorded outcome.
func (ob *fakeOutbox) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-ob.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// fakeClock is a settable clock for the loop.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// startLoop runs l until the test ends and returns its wake channel.
func startLoop(t *testing.T, l *Loop) chan struct{} {
	t.Helper()
	wake := make(chan struct{}, 1)
	l.Wake = wake
	if l.Poll == 0 {
		l.Poll = time.Hour // passes happen only on wake-ups in these tests
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	return wake
}

func TestRunDeliversAndMarksSent(t *testing.T) {
	e := newEnv(t)
	ob := newFakeOutbox(Item{ID: 1, Mail: consultation()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Loop{Transport: e.sender, Outbox: ob}).Run(ctx) }()

	ob.waitFor(t, "item 1 sent", func() bool { return ob.get(1).state == "sent" })
	if n := len(e.inbox(t, "amal@ngo-amal.example")); n != 1 {
		t.Errorf("amal got %d messages, want 1", n)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

func TestRetryAfterTemporaryFailureThenSuccess(t *testing.T) {
	e := newEnv(t)
	clock := &fakeClock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	ob := newFakeOutbox(Item{ID: 1, Queued: clock.Now(), Mail: consultation()})
	e.srv.SMTPFailNext(1, true)
	var backoffs []int
	wake := startLoop(t, &Loop{Transport: e.sender, Outbox: ob, Now: clock.Now,
		Backoff: func(n int) time.Duration { backoffs = append(backoffs, n); return time.Minute }})

	ob.waitFor(t, "a retry to be scheduled", func() bool { return ob.get(1).Attempts == 1 })
	it := ob.get(1)
	if it.state != "pending" || !it.next.Equal(clock.Now().Add(time.Minute)) || !strings.Contains(it.reason, "451") {
		t.Fatalf("after the 451: state=%s next=%v reason=%q", it.state, it.next, it.reason)
	}
	if n := len(e.inbox(t, "amal@ngo-amal.example")); n != 0 {
		t.Fatalf("delivered %d messages despite the failure", n)
	}

	clock.Advance(time.Minute)
	wake <- struct{}{}
	ob.waitFor(t, "item 1 sent", func() bool { return ob.get(1).state == "sent" })
	if n := len(e.inbox(t, "amal@ngo-amal.example")); n != 1 {
		t.Errorf("amal got %d messages, want exactly 1", n)
	}
	if len(backoffs) != 1 || backoffs[0] != 1 {
		t.Errorf("backoff called with %v, want [1]", backoffs)
	}
}

func TestPermanentRejectionIsFailedWithTheReason(t *testing.T) {
	e := newEnv(t)
	m := consultation()
	m.To = []Address{{Name: "Old contact", Addr: "left@ngo-amal.example"}}
	m.Cc = nil
	ob := newFakeOutbox(Item{ID: 1, Mail: m})
	startLoop(t, &Loop{Transport: e.sender, Outbox: ob})

	ob.waitFor(t, "item 1 failed", func() bool { return ob.get(1).state == "failed" })
	it := ob.get(1)
	if !strings.Contains(it.reason, "left@ngo-amal.example") || !strings.Contains(it.reason, "550") || !strings.Contains(it.reason, "5.1.1") {
		t.Errorf("reason = %q, want the address and 550 5.1.1", it.reason)
	}
	if len(it.rejected) != 1 || it.rejected[0].Addr != "left@ngo-amal.example" {
		t.Errorf("rejected = %+v", it.rejected)
	}
}

func TestPartialRejectionIsSentWithTheRejectedList(t *testing.T) {
	e := newEnv(t)
	e.srv.RejectRecipient("sara@ngo-nour.example", 550, "5.2.1")
	ob := newFakeOutbox(Item{ID: 1, Mail: consultation()})
	startLoop(t, &Loop{Transport: e.sender, Outbox: ob})

	ob.waitFor(t, "item 1 sent", func() bool { return ob.get(1).state == "sent" })
	if it := ob.get(1); len(it.rejected) != 1 || it.rejected[0].Enhanced != "5.2.1" {
		t.Errorf("rejected = %+v, want sara with 5.2.1", it.rejected)
	}
}

// scriptedTransport answers Send from a list of errors.
type scriptedTransport struct {
	mu    sync.Mutex
	errs  []error
	calls int
}

func (s *scriptedTransport) SendWith(_ context.Context, _ Mail, h Hooks) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	var err error
	if len(s.errs) > 0 {
		err = s.errs[0]
		s.errs = s.errs[1:]
	}
	if err != nil && !IsUncertain(err) {
		return Report{}, err
	}
	if h.BeforeData != nil {
		if err := h.BeforeData(); err != nil {
			return Report{}, &Error{Stage: StageRecord, Err: err}
		}
	}
	if err != nil {
		return Report{}, err
	}
	rep := Report{Accepted: []string{"x@y.example"}}
	if h.Accepted != nil {
		h.Accepted(rep)
	}
	return rep, nil
}

func TestGivingUp(t *testing.T) {
	temp := &Error{Stage: StageMail, Code: 421, Err: errors.New("421 4.3.2 service not available")}
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		item      Item
		now       time.Time
		wantState string
	}{
		{"early failure is retried", Item{ID: 1, Attempts: 0, Queued: start}, start.Add(time.Minute), "pending"},
		{"30th failure gives up", Item{ID: 1, Attempts: 29, Queued: start}, start.Add(time.Hour), "failed"},
		{"24h after queueing gives up", Item{ID: 1, Attempts: 3, Queued: start}, start.Add(24 * time.Hour), "failed"},
		{"unknown queue time: only attempts count", Item{ID: 1, Attempts: 3}, start.Add(48 * time.Hour), "pending"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ob := newFakeOutbox(tc.item)
			l := &Loop{Transport: &scriptedTransport{errs: []error{temp}}, Outbox: ob, Now: func() time.Time { return tc.now }}
			if err := l.Pass(context.Background()); err != nil {
				t.Fatal(err)
			}
			it := ob.get(1)
			if it.state != tc.wantState {
				t.Fatalf("state = %s (reason %q), want %s", it.state, it.reason, tc.wantState)
			}
			if tc.wantState == "failed" && !strings.Contains(it.reason, "gave up") {
				t.Errorf("reason = %q, want it to say it gave up", it.reason)
			}
		})
	}
}

func TestPassDrainsMoreThanOneBatch(t *testing.T) {
	var items []Item
	for i := int64(1); i <= 7; i++ {
		items = append(items, Item{ID: i})
	}
	ob := newFakeOutbox(items...)
	tr := &scriptedTransport{}
	if err := (&Loop{Transport: tr, Outbox: ob, Batch: 3}).Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 7; i++ {
		if ob.get(i).state != "sent" {
			t.Errorf("item %d: %s", i, ob.get(i).state)
		}
	}
	if tr.calls != 7 {
		t.Errorf("%d sends, want 7", tr.calls)
	}
}

func TestDefaultBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		base     time.Duration
	}{{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {6, 32 * time.Minute}, {7, time.Hour}, {40, time.Hour}} {
		for range 50 {
			d := DefaultBackoff(tc.attempts)
			if d > tc.base || d < tc.base*8/10 {
				t.Fatalf("DefaultBackoff(%d) = %v, want within [80%%, 100%%] of %v", tc.attempts, d, tc.base)
			}
		}
	}
}

func TestDeliveredButUnrecordedIsNotSentAgain(t *testing.T) {
	ob := newFakeOutbox(Item{ID: 1, Mail: consultation()})
	ob.failSent = 1
	tr := &scriptedTransport{}
	l := &Loop{Transport: tr, Outbox: ob}
	if err := l.Pass(context.Background()); err == nil {
		t.Fatal("Pass hid the failure to record the delivery")
	}
	if err := l.Pass(context.Background()); err != nil {
		t.Fatalf("second pass: %v", err)
	}
	if st := ob.get(1).state; st != "sent" || tr.calls != 1 {
		t.Errorf("state %s after %d sends; want sent after exactly 1", st, tr.calls)
	}
}

func TestLogsCarryNoReplyToken(t *testing.T) {
	const token = "k9xq2mZtQ7"
	var logs bytes.Buffer
	m := consultation()
	m.MessageID = "r42." + token + "@coalition.example"
	m.ReplyTo = &Address{Addr: "coalition+r42." + token + "@coalition.example"}
	ob := newFakeOutbox(Item{ID: 1, Mail: m}, Item{ID: 2, Mail: m}, Item{ID: 3, Mail: m})
	tr := &scriptedTransport{errs: []error{
		nil,
		&Error{Stage: StageMail, Code: 451, Err: errors.New("451 4.3.0 try later")},
		&Error{Stage: StageRcpt, Code: 550, Permanent: true, Err: errors.New("550 5.1.1 unknown")},
	}}
	l := &Loop{Transport: tr, Outbox: ob, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if err := l.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if logs.Len() == 0 || strings.Contains(logs.String(), token) {
		t.Errorf("logs (%d bytes) leak the token or are empty:\n%s", logs.Len(), logs.String())
	}
}

// TestAPassOfMoreThanOneBatchSaysItIsBusy: a fan-out (a whole batch and more
// due) is reported busy while it is sent, and not busy once the pass ends;
// a few messages (less than a batch) are no fan-out and report nothing.
func TestAPassOfMoreThanOneBatchSaysItIsBusy(t *testing.T) {
	for _, tc := range []struct {
		items int
		want  []bool
	}{
		{items: 7, want: []bool{true, false}},
		{items: 2, want: nil},
	} {
		var items []Item
		for i := int64(1); i <= int64(tc.items); i++ {
			items = append(items, Item{ID: i})
		}
		ob := newFakeOutbox(items...)
		var told []bool
		sentWhenBusy := -1
		l := &Loop{Transport: &scriptedTransport{}, Outbox: ob, Batch: 3, Busy: func(b bool) {
			told = append(told, b)
			if b {
				ob.mu.Lock()
				sentWhenBusy = 0
				for _, it := range ob.items {
					if it.state == "sent" {
						sentWhenBusy++
					}
				}
				ob.mu.Unlock()
			}
		}}
		if err := l.Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(told, tc.want) {
			t.Errorf("%d items due: Busy told %v, want %v", tc.items, told, tc.want)
		}
		if tc.want != nil && sentWhenBusy != 0 {
			t.Errorf("%d items due: Busy(true) came after %d were sent, want before the first", tc.items, sentWhenBusy)
		}
	}
}
