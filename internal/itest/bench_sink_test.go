package itest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"consultd/internal/mailstack"
	"consultd/internal/testutil"
)

// sinkSMTP is an SMTP server that reads each message whole and throws it
// away (keeping the first one): the fan-out of a 25 MB attachment to
// thousands of members cannot go through Postfix to Dovecot on this disk.
type sinkSMTP struct {
	addr  string
	count atomic.Int64
	mu    sync.Mutex
	first []byte
}

func startSink(t *testing.T) *sinkSMTP {
	t.Helper()
	s := &sinkSMTP{}
	srv := smtp.NewServer(s)
	srv.Domain, srv.AllowInsecureAuth = "sink.test", true
	srv.MaxMessageBytes, srv.MaxRecipients = 64<<20, 100
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Minute, 5*time.Minute
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *sinkSMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct{ s *sinkSMTP }

func (*sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (*sinkSession) Reset()                               {}
func (*sinkSession) Logout() error                        { return nil }
func (ss *sinkSession) Data(r io.Reader) error {
	ss.s.mu.Lock()
	keep := ss.s.first == nil
	ss.s.mu.Unlock()
	if keep {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("application/pdf")) { // a consultation, not the coordinators' note
			ss.s.mu.Lock()
			ss.s.first = b
			ss.s.mu.Unlock()
		}
	} else if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	ss.s.count.Add(1)
	return nil
}

// TestBenchAttachmentSink: a forward with a 25 MB PDF goes through the real
// Postfix and Dovecot and is read by consultd over IMAP; the fan-out to N
// members (CONSULTD_BENCH_MEMBERS, default 2,000) goes to a discarding SMTP
// server, against a bare SMTP loop sending the first consultation it
// received N times over one connection to the same server. Prints the
// fan-out ratio and consultd's peak RSS.
func TestBenchAttachmentSink(t *testing.T) {
	n := benchGate(t)
	ms := mailstack.Start(t)
	sink := startSink(t)
	pdf := fakePDF(rand.New(rand.NewPCG(25, 5)), 25<<20)
	w := newBenchWorld(t, ms, n)
	w.setSMTP(sink.addr, ", proof_copy: false")
	w.rewrite("poll_interval: 5s}", "poll_interval: 5s, max_message_size: 40MB}")
	db := benchDB(t, w)
	child, logPath := startConsultdProcess(t, w.cfgPath)
	benchReady(t, fmt.Sprintf("fanout-%d-pdf25mb-sink", n), child, logPath)
	// CONSULTD_BENCH_SINK_FIRST=K stops after the first K consultations
	// and prints only the peak RSS, of the forward's intake, the round's
	// opening with all N members and K deliveries: at 15,000 members the
	// whole fan-out of 34 MB messages takes hours, and its memory does not
	// grow with the messages sent (each is streamed from the database).
	want := n
	if s := os.Getenv("CONSULTD_BENCH_SINK_FIRST"); s != "" {
		k, err := strconv.Atoi(s)
		if err != nil || k < 1 || k > n {
			t.Fatalf("CONSULTD_BENCH_SINK_FIRST=%q: want 1 to %d", s, n)
		}
		want = k
	}
	start := time.Now()
	w.send(w.coord, []string{w.coalition}, benchForward(w, pdf))
	sent := func() int {
		return benchCount(t, db, `SELECT COUNT(*) FROM outbox WHERE kind='consultation' AND state='sent'`)
	}
	if !testutil.WaitFor(2*time.Hour, func() bool {
		if child.exited() {
			t.Fatalf("consultd exited during the fan-out\n%s", tail(logPath, 40))
		}
		return sent() >= want
	}) {
		t.Fatalf("%d of %d consultations sent (the sink got %d messages)\n%s", sent(), n, sink.count.Load(), tail(logPath, 40))
	}
	took := time.Since(start)
	peak := child.stop(t)
	if want < n {
		fmt.Printf("bench rss-%d-pdf25mb-first-%d: consultd %.1f MB over the forward's intake, the opening for %d members and the first %d consultations (%.0f s) (target 64 MB)\n",
			n, want, float64(peak)/(1<<20), n, want, took.Seconds())
		return
	}
	sink.mu.Lock()
	first := sink.first
	sink.mu.Unlock()
	if len(first) < len(pdf) {
		t.Fatalf("the sink kept no consultation with the PDF (%d bytes)", len(first))
	}
	floor := sinkLoop(t, sink.addr, w.coalition, memberAddrs(w), first)
	benchLine(fmt.Sprintf("fanout-%d-pdf25mb-sink", n), took.Seconds(), floor.Seconds(), "s")
	fmt.Printf("bench rss-%d-pdf25mb: consultd %.1f MB (target 64 MB)\n", n, float64(peak)/(1<<20))
}

// sinkLoop sends raw to each recipient over one connection.
func sinkLoop(t *testing.T, addr, from string, rcpts []string, raw []byte) time.Duration {
	t.Helper()
	start := time.Now()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, rcpt := range rcpts {
		if err := c.SendMail(from, []string{rcpt}, bytes.NewReader(raw)); err != nil {
			t.Fatalf("floor SMTP loop: %v", err)
		}
	}
	if err := c.Quit(); err != nil && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "closed") {
		t.Fatal(err)
	}
	return time.Since(start)
}
