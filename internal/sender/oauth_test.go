package sender

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	gosmtp "github.com/wneessen/go-mail/smtp"
	"golang.org/x/oauth2"

	"consultd/internal/oauth"
)

// bearerServer is an SMTP server that offers only XOAUTH2 and accepts the
// tokens in good, answering others as Gmail does: a JSON error challenge,
// then 535 after the client's empty answer.
type bearerServer struct {
	mu        sync.Mutex
	good      map[string]bool
	attempts  int
	delivered int
	conns     int
	live      map[*smtp.Conn]bool
}

func (b *bearerServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.conns++
	b.live[c] = true
	return &bearerSession{b: b, c: c}, nil
}

// revoke makes the server accept only the token now and hang up on every
// open connection, as a provider does when it revokes a session.
func (b *bearerServer) revoke(t *testing.T, old, now string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.good, old)
	b.good[now] = true
	for c := range b.live {
		_ = c.Conn().Close()
	}
}

type bearerSession struct {
	b    *bearerServer
	c    *smtp.Conn
	auth bool
}

func (s *bearerSession) AuthMechanisms() []string { return []string{"XOAUTH2"} }

func (s *bearerSession) Auth(string) (sasl.Server, error) { return &xoauth2Server{s: s}, nil }

type xoauth2Server struct {
	s       *bearerSession
	refused bool
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.refused {
		return nil, true, &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Username and Password not accepted"}
	}
	b := x.s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempts++
	_, tok, _ := strings.Cut(string(resp), "auth=Bearer ")
	tok = strings.TrimRight(tok, "\x01")
	if strings.HasPrefix(string(resp), "user="+coalition+"\x01") && b.good[tok] {
		x.s.auth = true
		return nil, true, nil
	}
	x.refused = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
}

func (s *bearerSession) Mail(string, *smtp.MailOptions) error {
	if !s.auth {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	return nil
}
func (s *bearerSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *bearerSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	s.b.mu.Lock()
	s.b.delivered++
	s.b.mu.Unlock()
	return err
}
func (s *bearerSession) Reset() {}
func (s *bearerSession) Logout() error {
	s.b.mu.Lock()
	delete(s.b.live, s.c)
	s.b.mu.Unlock()
	return nil
}

func startBearer(t *testing.T, good ...string) (*bearerServer, Config) {
	t.Helper()
	b := &bearerServer{good: map[string]bool{}, live: map[*smtp.Conn]bool{}}
	for _, g := range good {
		b.good[g] = true
	}
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	return b, Config{Host: host, Port: p, Security: "none", Username: coalition, Timeout: 5 * time.Second}
}

// tokens hands out tok-1, tok-2, … as an OAuth2 token source would.
func tokens() (*oauth.Source, *int) {
	n := 0
	var mu sync.Mutex
	return oauth.NewFunc("test", func(context.Context) (*oauth2.Token, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return &oauth2.Token{AccessToken: "tok-" + strconv.Itoa(n), Expiry: time.Now().Add(time.Hour)}, nil
	}), &n
}

func oauthMail() Mail {
	return Mail{MessageID: "oauth-1@coalition.example", From: Address{Addr: coalition},
		To: []Address{{Addr: "amal@ngo-amal.example"}}, Subject: "s", Text: "t"}
}

func TestARefusedTokenIsReplacedOnceAndTheMailGoes(t *testing.T) {
	b, c := startBearer(t, "tok-2")
	src, fetched := tokens()
	c.Auth = func(ctx context.Context) gosmtp.Auth { return oauth.NewSMTPAuth(ctx, src, coalition, c.Port) }
	// The source holds tok-1, which the server no longer accepts.
	if tok, _ := src.Token(context.Background()); tok != "tok-1" {
		t.Fatal(tok)
	}
	if _, err := New(c).Send(context.Background(), oauthMail()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if b.attempts != 2 || b.delivered != 1 || *fetched != 2 {
		t.Fatalf("AUTH attempts %d (want 2), delivered %d (want 1), tokens fetched %d (want 2)", b.attempts, b.delivered, *fetched)
	}
	// The new token is kept for the next mail: no third fetch.
	if _, err := New(c).Send(context.Background(), oauthMail()); err != nil || *fetched != 2 || b.attempts != 3 {
		t.Fatalf("second mail: %v, fetched %d, attempts %d", err, *fetched, b.attempts)
	}
}

func TestATokenRefusedTwiceIsAnAuthFailureWithoutTheToken(t *testing.T) {
	b, c := startBearer(t)
	src, _ := tokens()
	c.Auth = func(ctx context.Context) gosmtp.Auth { return oauth.NewSMTPAuth(ctx, src, coalition, c.Port) }
	_, err := New(c).Send(context.Background(), oauthMail())
	var e *Error
	if !errors.As(err, &e) || e.Stage != StageAuth || e.Permanent || !IsAuthFailure(err) {
		t.Fatalf("Send = %v, want a retryable auth failure", err)
	}
	if b.attempts != 2 {
		t.Fatalf("%d AUTH attempts, want 2 (one retry with a fresh token)", b.attempts)
	}
	if strings.Contains(err.Error(), "tok-") {
		t.Fatalf("the error shows a token: %v", err)
	}
}
