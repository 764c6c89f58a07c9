package sender

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"consultd/internal/testutil"
)

// overlap counts the DATA phases a connServer has open at once. With wait
// set, the first DATA waits (up to a few seconds) until a second one is
// open: a Loop that sends one at a time then shows most == 1.
type overlap struct {
	mu         sync.Mutex
	open, most int
}

func (o *overlap) hook(wait bool) func() (done func()) {
	return func() func() {
		o.mu.Lock()
		o.open++
		o.most = max(o.most, o.open)
		o.mu.Unlock()
		if wait {
			testutil.WaitFor(3*time.Second, func() bool { return o.max() >= 2 })
		}
		return func() { o.mu.Lock(); o.open--; o.mu.Unlock() }
	}
}

func (o *overlap) max() int { o.mu.Lock(); defer o.mu.Unlock(); return o.most }

// passOver runs one pass of l over n numbered items on a fake outbox.
func passOver(t *testing.T, l *Loop, n int) *fakeOutbox {
	t.Helper()
	var items []Item
	for i := 1; i <= n; i++ {
		items = append(items, Item{ID: int64(i), Mail: numbered(i)})
	}
	ob := newFakeOutbox(items...)
	ob.changed = make(chan struct{}, 4*n) // Pass runs here: nobody reads them
	l.Outbox = ob
	if err := l.Pass(context.Background()); err != nil {
		t.Fatalf("Pass: %v", err)
	}
	return ob
}

// twoConnections is a Sender to b that keeps two connections.
func twoConnections(t *testing.T, b *connServer) *Sender {
	t.Helper()
	cfg := startConnServer(t, b)
	cfg.Connections = 2
	s := New(cfg)
	t.Cleanup(func() { s.Close() })
	return s
}

// With Connections 2 a fan-out runs two transactions at once, on two kept
// connections, and every member gets the message exactly once.
func TestTwoConnectionsSendAtOnceAndEachMessageOnce(t *testing.T) {
	b, o := &connServer{}, &overlap{}
	b.inData = o.hook(true)
	s := twoConnections(t, b)
	const n = 40
	ob := passOver(t, &Loop{Transport: s, Connections: 2, Batch: 7}, n)
	for i := int64(1); i <= n; i++ {
		if it := ob.get(i); it.state != "sent" {
			t.Errorf("item %d: %s (%s)", i, it.state, it.reason)
		}
	}
	conns, delivered, perConn := b.counts()
	if delivered != n {
		t.Errorf("the server took %d messages, want %d", delivered, n)
	}
	if o.max() != 2 {
		t.Errorf("at most %d transactions at once, want 2", o.max())
	}
	if conns != 2 || perConn[0] == 0 || perConn[1] == 0 {
		t.Errorf("%d connections carrying %v, want 2 kept ones, both used", conns, perConn)
	}
}

// Under a sending limit the outbox sends one at a time, whatever
// Connections says, so that the limit's counts stay exact.
func TestARateLimitSendsOneAtATime(t *testing.T) {
	b, o := &connServer{}, &overlap{}
	b.inData = o.hook(false)
	s := twoConnections(t, b)
	const n = 12
	ob := passOver(t, &Loop{Transport: s, Connections: 2, Batch: 5, Rate: Rate{PerMinute: 1000}}, n)
	for i := int64(1); i <= n; i++ {
		if it := ob.get(i); it.state != "sent" {
			t.Errorf("item %d: %s (%s)", i, it.state, it.reason)
		}
	}
	if conns, _, _ := b.counts(); o.max() != 1 || conns != 1 {
		t.Errorf("%d transactions at once over %d connections, want 1 over 1", o.max(), conns)
	}
}

// A server's "slow down" on one connection stops the batch: nothing more
// is handed to either connection, and the refused message keeps its place.
func TestSlowDownOnOneConnectionStopsBoth(t *testing.T) {
	b := &connServer{}
	var mu sync.Mutex
	b.rcptAnswer = func(to string) *smtp.SMTPError {
		mu.Lock()
		defer mu.Unlock()
		if to == numbered(3).To[0].Addr {
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Too many recipients"}
		}
		return nil
	}
	s := twoConnections(t, b)
	const n = 30
	ob := passOver(t, &Loop{Transport: s, Connections: 2, Batch: 10}, n)
	if it := ob.get(3); it.state != "pending" {
		t.Errorf("the refused item is %s, want pending (%s)", it.state, it.reason)
	}
	// The other connection may finish what it had started; no more.
	_, delivered, _ := b.counts()
	if delivered > 5 || delivered < 2 {
		t.Errorf("%d of %d messages sent after a slow-down answer to the 3rd, want the 2 before it and at most 3 the other connection had begun", delivered, n)
	}
	pending := 0
	for i := int64(1); i <= n; i++ {
		if ob.get(i).state == "pending" {
			pending++
		}
	}
	if pending != n-delivered {
		t.Errorf("%d items pending, want the %d not sent", pending, n-delivered)
	}
}
