package sender

import (
	"context"
	"fmt"
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

// A server's "slow down" answer on one connection stops the pass: the
// batch in hand is not handed out further and no later batch is fetched.
// The server refuses every message from the 3rd on, as a rate-limited one
// does; only the first batch (5) may have been tried, whatever the timing.
func TestSlowDownOnOneConnectionStopsThePass(t *testing.T) {
	b := &connServer{}
	var mu sync.Mutex
	tried := map[string]bool{}
	b.rcptAnswer = func(to string) *smtp.SMTPError {
		mu.Lock()
		defer mu.Unlock()
		tried[to] = true
		var i int
		if _, err := fmt.Sscanf(to, "member%d@", &i); err == nil && i >= 3 {
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Too many recipients"}
		}
		return nil
	}
	s := twoConnections(t, b)
	const n, batch = 30, 5
	ob := passOver(t, &Loop{Transport: s, Connections: 2, Batch: batch}, n)
	if _, delivered, _ := b.counts(); delivered != 2 {
		t.Errorf("%d messages delivered, want the 2 before the slow-down", delivered)
	}
	mu.Lock()
	for i := batch + 1; i <= n; i++ {
		if tried[numbered(i).To[0].Addr] {
			t.Errorf("message %d, beyond the batch in hand, was tried after the slow-down", i)
		}
	}
	mu.Unlock()
	for i := int64(3); i <= n; i++ {
		if it := ob.get(i); it.state != "pending" || it.Attempts != 0 {
			t.Errorf("item %d: %s after %d attempts, want pending with none counted", i, it.state, it.Attempts)
		}
	}
}
