package sender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	gosmtp "github.com/wneessen/go-mail/smtp"
	"golang.org/x/oauth2"

	"consultd/internal/oauth"
	"consultd/internal/testutil"
)

// connServer is a go-smtp server that counts connections and messages and
// can misbehave the way real servers do on a long session.
type connServer struct {
	mu        sync.Mutex
	conns     int           // connections that said EHLO
	live      []*smtp.Conn  // connections still open
	perConn   []int         // messages delivered on each connection, in order
	delivered int           // messages taken (250 to the dot, or dropped after it)
	changed   chan struct{} // signalled when a connection ends

	// Misbehaviour, by the number of the MAIL FROM on its connection (1 is
	// the first) or of the message overall.
	mailAnswer   func(nth int) *smtp.SMTPError   // answer this MAIL FROM with this, nil: accept
	closeOn421   bool                            // a 421 from mailAnswer also closes the connection
	rcptAnswer   func(to string) *smtp.SMTPError // answer this RCPT TO with this, nil: accept
	dropAfterDot int                             // the n-th message overall: read it, take it, close without answering
	inData       func() (done func())            // called as DATA begins; done as it ends
}

func (b *connServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.conns++
	b.live = append(b.live, c)
	b.perConn = append(b.perConn, 0)
	return &connSession{b: b, c: c, idx: len(b.perConn) - 1}, nil
}

type connSession struct {
	b    *connServer
	c    *smtp.Conn
	idx  int // in b.perConn
	mail int // MAIL FROMs on this connection
}

func (s *connSession) Mail(string, *smtp.MailOptions) error {
	s.mail++
	if s.b.mailAnswer == nil {
		return nil
	}
	e := s.b.mailAnswer(s.mail)
	if e != nil && e.Code == 421 && s.b.closeOn421 {
		// Say it and hang up, as a server shutting the session does.
		_, _ = fmt.Fprintf(s.c.Conn(), "421 %d.%d.%d %s\r\n", e.EnhancedCode[0], e.EnhancedCode[1], e.EnhancedCode[2], e.Message)
		_ = s.c.Conn().Close()
	}
	if e == nil {
		return nil
	}
	return e
}

func (s *connSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.b.rcptAnswer != nil {
		if e := s.b.rcptAnswer(to); e != nil {
			return e
		}
	}
	return nil
}

func (s *connSession) Data(r io.Reader) error {
	if s.b.inData != nil {
		defer s.b.inData()()
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	b := s.b
	b.mu.Lock()
	b.delivered++
	b.perConn[s.idx]++
	drop := b.delivered == b.dropAfterDot
	b.mu.Unlock()
	if drop {
		_ = s.c.Conn().Close() // taken, but the answer never leaves
	}
	return nil
}

func (s *connSession) Reset() {}

func (s *connSession) Logout() error {
	b := s.b
	b.mu.Lock()
	for i, c := range b.live {
		if c == s.c {
			b.live = append(b.live[:i], b.live[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default:
	}
	return nil
}

// dropIdle closes every open connection, as a server's idle timeout does;
// with say421 it first answers 421 4.4.2 as Postfix and go-smtp do.
func (b *connServer) dropIdle(t *testing.T, say421 bool) {
	t.Helper()
	b.mu.Lock()
	live := append([]*smtp.Conn(nil), b.live...)
	b.mu.Unlock()
	if len(live) == 0 {
		t.Fatal("no open connection to drop")
	}
	for _, c := range live {
		if say421 {
			_, _ = io.WriteString(c.Conn(), "421 4.4.2 Idle timeout, bye bye\r\n")
		}
		_ = c.Conn().Close()
	}
	b.waitLive(t, 0)
}

// waitLive waits until n connections are open.
func (b *connServer) waitLive(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		b.mu.Lock()
		live := len(b.live)
		b.mu.Unlock()
		if live == n {
			return
		}
		select {
		case <-b.changed:
		case <-deadline:
			t.Fatalf("%d connections open, want %d", live, n)
		}
	}
}

func (b *connServer) counts() (conns, delivered int, perConn []int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conns, b.delivered, append([]int(nil), b.perConn...)
}

func startConnServer(t *testing.T, b *connServer) Config {
	t.Helper()
	b.changed = make(chan struct{}, 1)
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	return Config{Host: host, Port: p, Security: "none", Timeout: 5 * time.Second}
}

func numbered(i int) Mail {
	return Mail{MessageID: fmt.Sprintf("m%d@coalition.example", i), From: Address{Addr: coalition},
		To: []Address{{Addr: fmt.Sprintf("member%d@ngo.example", i)}}, Subject: "s", Text: "t"}
}

// loopOver runs one pass of a Loop over n items through s.
func loopOver(t *testing.T, s *Sender, n int) *fakeOutbox {
	t.Helper()
	return passOver(t, &Loop{Transport: s}, n)
}

func TestAFanOutGoesOverOneConnection(t *testing.T) {
	b := &connServer{}
	s := New(startConnServer(t, b))
	const n = 40
	ob := loopOver(t, s, n)
	for i := int64(1); i <= n; i++ {
		if it := ob.get(i); it.state != "sent" || it.Attempts != 0 {
			t.Fatalf("item %d: %s after %d failed attempts (%s), want sent", i, it.state, it.Attempts, it.reason)
		}
	}
	if conns, delivered, _ := b.counts(); conns != 1 || delivered != n {
		t.Fatalf("%d messages over %d connections, want %d over 1", delivered, conns, n)
	}
	// The connection outlives the pass, for the next one; Close ends it.
	b.waitLive(t, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b.waitLive(t, 0)
}

func TestAConnectionCarriesAtMostItsLimit(t *testing.T) {
	b := &connServer{}
	cfg := startConnServer(t, b)
	cfg.MaxMessagesPerConn = 3
	loopOver(t, New(cfg), 10)
	conns, delivered, perConn := b.counts()
	if delivered != 10 || conns != 4 || fmt.Sprint(perConn) != "[3 3 3 1]" {
		t.Fatalf("%d messages over %d connections %v, want 10 over 4 [3 3 3 1]", delivered, conns, perConn)
	}
}

// A server that closed a kept connection (its idle timeout, a restart) costs
// a new connection, not a failed attempt.
func TestAConnectionTheServerDroppedIsReplacedAtOnce(t *testing.T) {
	for _, say421 := range []bool{false, true} {
		t.Run(fmt.Sprintf("421=%v", say421), func(t *testing.T) {
			b := &connServer{}
			s := New(startConnServer(t, b))
			defer s.Close()
			if _, err := s.Send(context.Background(), numbered(1)); err != nil {
				t.Fatal(err)
			}
			b.dropIdle(t, say421)
			ob := loopOver(t, s, 3)
			for i := int64(1); i <= 3; i++ {
				if it := ob.get(i); it.state != "sent" || it.Attempts != 0 {
					t.Fatalf("item %d: %s after %d failed attempts (%s), want sent at once", i, it.state, it.Attempts, it.reason)
				}
			}
			if conns, delivered, _ := b.counts(); conns != 2 || delivered != 4 {
				t.Fatalf("%d messages over %d connections, want 4 over 2", delivered, conns)
			}
		})
	}
}

// A server that ends a session mid-way (421, or "too many messages on this
// connection" as Exchange's receive connectors and qmail say it) is left for
// a new connection, and the fan-out goes on without a failed attempt.
func TestAServerEndingTheSessionMidWayCostsAReconnect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close bool
		err   *smtp.SMTPError
	}{
		{"421 and hang up", true, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service shutting down, closing transmission channel"}},
		{"421 left open", false, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many messages on this connection"}},
		{"451 too many messages per session", false, &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many messages per session, try a new connection"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &connServer{closeOn421: tc.close}
			b.mailAnswer = func(nth int) *smtp.SMTPError {
				if nth > 4 {
					return tc.err
				}
				return nil
			}
			loopOver(t, New(startConnServer(t, b)), 10)
			conns, delivered, perConn := b.counts()
			if delivered != 10 || conns != 3 || fmt.Sprint(perConn) != "[4 4 2]" {
				t.Fatalf("%d messages over %d connections %v, want 10 over 3 [4 4 2]", delivered, conns, perConn)
			}
		})
	}
}

// On a fresh connection the same answer is the Mail's own failure: a server
// that refuses every MAIL FROM does not make the sender reconnect forever.
func TestARefusalOnAFreshConnectionIsNotRetriedThere(t *testing.T) {
	b := &connServer{}
	b.mailAnswer = func(int) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many messages on this connection"}
	}
	s := New(startConnServer(t, b))
	_, err := s.Send(context.Background(), numbered(1))
	var e *Error
	if !errors.As(err, &e) || e.Stage != StageMail || e.Code != 421 || IsPermanent(err) {
		t.Fatalf("Send = %v, want a temporary 421 to MAIL FROM", err)
	}
	if conns, _, _ := b.counts(); conns != 1 {
		t.Fatalf("%d connections, want 1", conns)
	}
}

// A connection that breaks after the final dot on a reused connection is as
// uncertain as on a fresh one: the message is not sent again, and the next
// one goes on a new connection.
func TestADropAfterTheDotOnAReusedConnectionIsUncertain(t *testing.T) {
	b := &connServer{dropAfterDot: 2}
	ob := loopOver(t, New(startConnServer(t, b)), 3)
	if it := ob.get(2); it.state != "sending" || it.Attempts != 0 || it.reason == "" {
		t.Fatalf("item 2: %s (%s), want in flight awaiting proof", it.state, it.reason)
	}
	for _, id := range []int64{1, 3} {
		if it := ob.get(id); it.state != "sent" {
			t.Fatalf("item %d: %s (%s), want sent", id, it.state, it.reason)
		}
	}
	if conns, delivered, _ := b.counts(); conns != 2 || delivered != 3 {
		t.Fatalf("%d messages over %d connections, want 3 over 2 (item 2 once)", delivered, conns)
	}
}

// A token revoked while a connection was kept: the reconnect logs in again,
// once with a fresh token, and the mail goes.
func TestAKeptConnectionDroppedThenATokenRefusedIsReplacedOnce(t *testing.T) {
	b, c := startBearer(t, "tok-1")
	src, fetched := tokens()
	c.Auth = func(ctx context.Context) gosmtp.Auth { return oauth.NewSMTPAuth(ctx, src, coalition, c.Port) }
	s := New(c)
	defer s.Close()
	if _, err := s.Send(context.Background(), oauthMail()); err != nil {
		t.Fatalf("first mail: %v", err)
	}
	b.revoke(t, "tok-1", "tok-2")
	if _, err := s.Send(context.Background(), oauthMail()); err != nil {
		t.Fatalf("second mail: %v", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.attempts != 3 || b.delivered != 2 || *fetched != 2 || b.conns != 3 {
		t.Fatalf("AUTH attempts %d (want 3), delivered %d (want 2), tokens fetched %d (want 2), connections %d (want 3)",
			b.attempts, b.delivered, *fetched, b.conns)
	}
}

// A cancelled ctx interrupts a kept connection blocked on a silent server,
// and the connection is not kept after it.
func TestCancelInterruptsAKeptConnection(t *testing.T) {
	b := &connServer{}
	stall, stalled := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stall) })
	b.mailAnswer = func(nth int) *smtp.SMTPError {
		if nth == 2 {
			close(stalled)
			<-stall
			// The client is gone by now. Refusing keeps go-smtp from
			// handling its pipelined RCPTs on the closed session (a
			// recovered nil-pointer panic in the test log).
			return &smtp.SMTPError{Code: 451, Message: "too late"}
		}
		return nil
	}
	s := New(startConnServer(t, b))
	if _, err := s.Send(context.Background(), numbered(1)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := s.Send(ctx, numbered(2)); done <- err }()
	<-stalled // the kept connection waits for the answer to MAIL FROM
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Send succeeded on a stalled server")
		}
	case <-time.After(3 * time.Second): // the command timeout is 5 s
		t.Fatal("cancel did not interrupt the kept connection")
	}
	s.mu.Lock()
	kept := len(s.idle)
	s.mu.Unlock()
	if kept != 0 {
		t.Fatal("the interrupted connection was kept")
	}
}

// A refused transaction is aborted with RSET and the connection serves the
// next Mail; after a 421 (the server is closing) it is not used again.
func TestARefusedTransactionLeavesTheConnectionForTheNext(t *testing.T) {
	for _, tc := range []struct {
		name      string
		refusal   *smtp.SMTPError
		wantConns int
	}{
		{"550 unknown user", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, 1},
		{"450 mailbox busy", &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy"}, 1},
		{"421 closing", &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "closing transmission channel"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &connServer{}
			refused := numbered(1).To[0].Addr
			b.rcptAnswer = func(to string) *smtp.SMTPError {
				if to == refused {
					return tc.refusal
				}
				return nil
			}
			s := New(startConnServer(t, b))
			defer s.Close()
			_, err := s.Send(context.Background(), numbered(1))
			var e *Error
			if !errors.As(err, &e) || e.Stage != StageRcpt || len(e.Rejected) != 1 || e.Rejected[0].Code != tc.refusal.Code {
				t.Fatalf("first mail: %v, want its recipient refused with %d", err, tc.refusal.Code)
			}
			if _, err := s.Send(context.Background(), numbered(2)); err != nil {
				t.Fatalf("second mail: %v", err)
			}
			if conns, delivered, _ := b.counts(); conns != tc.wantConns || delivered != 1 {
				t.Fatalf("%d messages over %d connections, want 1 over %d", delivered, conns, tc.wantConns)
			}
		})
	}
}

// A kept connection is not reused once the token it logged in with has
// expired: providers end such sessions (Microsoft 365: AccessTokenExpired),
// and the next mail goes on a new connection with a new token.
func TestAKeptConnectionIsNotReusedPastItsTokensExpiry(t *testing.T) {
	b, c := startBearer(t, "tok-1", "tok-2")
	n := 0
	var mu sync.Mutex
	src := oauth.NewFunc("test", func(context.Context) (*oauth2.Token, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return &oauth2.Token{AccessToken: "tok-" + strconv.Itoa(n), Expiry: time.Now().Add(800 * time.Millisecond)}, nil
	})
	c.Auth = func(ctx context.Context) gosmtp.Auth { return oauth.NewSMTPAuth(ctx, src, coalition, c.Port) }
	s := New(c)
	defer s.Close()
	if _, err := s.Send(context.Background(), oauthMail()); err != nil {
		t.Fatalf("first mail: %v", err)
	}
	expired := time.Now().Add(time.Second)
	if !testutil.WaitFor(5*time.Second, func() bool { return time.Now().After(expired) }) {
		t.Fatal("the clock did not pass the token's expiry")
	}
	if _, err := s.Send(context.Background(), oauthMail()); err != nil {
		t.Fatalf("second mail: %v", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if b.conns != 2 || b.delivered != 2 || n != 2 {
		t.Fatalf("%d connections, %d delivered, %d tokens fetched; want 2, 2, 2", b.conns, b.delivered, n)
	}
}
