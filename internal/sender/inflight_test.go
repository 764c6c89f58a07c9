package sender

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeFinder answers Find from a fixed set of Message-IDs.
type fakeFinder struct {
	mu    sync.Mutex
	ids   map[string]bool
	err   error
	calls int
}

func (f *fakeFinder) Find(_ context.Context, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.ids[id], f.err
}

// inFlight is an outbox whose item 1 was interrupted after DATA began, as
// a crashed process leaves it.
func inFlight(t *testing.T, now time.Time) *fakeOutbox {
	t.Helper()
	ob := newFakeOutbox(Item{ID: 1, Queued: now.Add(-time.Minute), Mail: consultation()})
	ob.items[1].state, ob.items[1].next = "sending", now
	return ob
}

func TestInterruptedDeliveryIsResolvedByTheCoalitionsCopy(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	m := consultation()

	t.Run("copy found: recorded, not sent again", func(t *testing.T) {
		ob, tr := inFlight(t, now), &scriptedTransport{}
		f := &fakeFinder{ids: map[string]bool{m.MessageID: true}}
		if err := (&Loop{Transport: tr, Outbox: ob, Finder: f, Now: clock}).Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
		if it := ob.get(1); it.state != "sent" || it.proof != ProofCopy || tr.calls != 0 {
			t.Errorf("state %s proof %q after %d sends; want sent by copy, no send", it.state, it.proof, tr.calls)
		}
	})
	t.Run("no copy: sent again exactly once", func(t *testing.T) {
		ob, tr := inFlight(t, now), &scriptedTransport{}
		f := &fakeFinder{ids: map[string]bool{}}
		if err := (&Loop{Transport: tr, Outbox: ob, Finder: f, Now: clock}).Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
		if it := ob.get(1); it.state != "sent" || it.proof != ProofSMTP || tr.calls != 1 || f.calls != 1 {
			t.Errorf("state %s proof %q after %d sends, %d looks; want sent once after one look", it.state, it.proof, tr.calls, f.calls)
		}
	})
	t.Run("mailbox unreachable: nothing sent, looked for again later", func(t *testing.T) {
		ob, tr := inFlight(t, now), &scriptedTransport{}
		f := &fakeFinder{err: errors.New("connect to imap: connection refused")}
		if err := (&Loop{Transport: tr, Outbox: ob, Finder: f, Now: clock, Backoff: func(int) time.Duration { return time.Minute }}).Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
		it := ob.get(1)
		if it.state != "sending" || tr.calls != 0 || !it.next.Equal(now.Add(time.Minute)) || !strings.Contains(it.reason, "connection refused") {
			t.Errorf("state %s next %v reason %q after %d sends; want still sending, checked in 1m, nothing sent", it.state, it.next, it.reason, tr.calls)
		}
	})
}

func TestNoAnswerAfterTheMessageWaitsForProof(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ob := newFakeOutbox(Item{ID: 1, Queued: now, Mail: consultation()})
	uncertain := &Error{Stage: StageData, Uncertain: true, Err: errors.New("read tcp: i/o timeout")}
	tr := &scriptedTransport{errs: []error{uncertain}}
	l := &Loop{Transport: tr, Outbox: ob, Now: func() time.Time { return now }, ProofWait: 5 * time.Minute}
	if err := l.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	it := ob.get(1)
	if it.state != "sending" || !it.next.Equal(now.Add(5*time.Minute)) || it.Attempts != 0 {
		t.Fatalf("state %s next %v attempts %d; want sending, looked for after the proof wait, no failed attempt", it.state, it.next, it.Attempts)
	}
	// Before the wait is over a second pass does nothing.
	if err := l.Pass(context.Background()); err != nil || tr.calls != 1 {
		t.Fatalf("second pass: err %v, %d sends; want nothing sent", err, tr.calls)
	}
}

// TestRealExchangeHooks runs the hooks against a real SMTP conversation: the
// delivery is recorded before QUIT, and a server that takes the message and
// never answers makes the error uncertain.
func TestRealExchangeHooks(t *testing.T) {
	for _, tc := range []struct {
		name          string
		answerDot     bool
		wantUncertain bool
	}{
		{"server answers 250", true, false},
		{"server goes silent after the message", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, quitSeen := rawSMTP(t, tc.answerDot)
			host, port, _ := net.SplitHostPort(addr)
			var p int
			for _, c := range port {
				p = p*10 + int(c-'0')
			}
			s := New(Config{Host: host, Port: p, Security: "none", Timeout: 2 * time.Second})
			var order []string
			var quitBeforeAccepted bool
			_, err := s.SendWith(context.Background(), consultation(), Hooks{
				BeforeData: func() error { order = append(order, "before-data"); return nil },
				Accepted: func(Report) {
					order = append(order, "accepted")
					select {
					case <-quitSeen:
						quitBeforeAccepted = true
					default:
					}
				},
			})
			if tc.wantUncertain {
				if !IsUncertain(err) || strings.Join(order, ",") != "before-data" {
					t.Fatalf("err %v (uncertain %v), hooks %v; want an uncertain error after before-data only", err, IsUncertain(err), order)
				}
				return
			}
			if err != nil || strings.Join(order, ",") != "before-data,accepted" || quitBeforeAccepted {
				t.Fatalf("err %v, hooks %v, QUIT before Accepted %v", err, order, quitBeforeAccepted)
			}
			// The connection stays open for the next Mail; Close says QUIT.
			_ = s.Close()
			select {
			case <-quitSeen:
			case <-time.After(5 * time.Second):
				t.Fatal("Close did not QUIT the kept connection")
			}
		})
	}
}

// rawSMTP is a minimal SMTP server on loopback for one connection. With
// answerDot false it reads the whole message and then never answers.
func rawSMTP(t *testing.T, answerDot bool) (string, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		say := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
		say("220 test ESMTP")
		for {
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				say("250 test")
			case cmd == "DATA":
				say("354 go ahead")
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
				}
				if !answerDot {
					_, _ = r.ReadString('\n') // silent until the client gives up
					return
				}
				say("250 2.0.0 queued")
			case cmd == "QUIT":
				close(quit)
				say("221 bye")
				return
			default:
				say("250 ok")
			}
		}
	}()
	return ln.Addr().String(), quit
}
