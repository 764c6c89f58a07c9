package mailbox

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"golang.org/x/oauth2"

	"consultd/internal/oauth"
	"consultd/internal/testutil"
)

// xoauth2Session is an in-memory mailbox that logs in only by XOAUTH2, as
// Microsoft 365 does, with the tokens in good.
type xoauth2Session struct {
	*imapmemserver.UserSession
	srv *bearerIMAP
}

type bearerIMAP struct {
	mu       sync.Mutex
	good     map[string]bool
	attempts int
}

func (s xoauth2Session) AuthenticateMechanisms() []string { return []string{"XOAUTH2"} }

func (s xoauth2Session) Authenticate(string) (sasl.Server, error) {
	return &xoauth2IMAPServer{srv: s.srv}, nil
}

type xoauth2IMAPServer struct {
	srv     *bearerIMAP
	refused bool
}

func (x *xoauth2IMAPServer) Next(resp []byte) ([]byte, bool, error) {
	if x.refused {
		return nil, true, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "AUTHENTICATE failed."}
	}
	x.srv.mu.Lock()
	defer x.srv.mu.Unlock()
	x.srv.attempts++
	_, tok, _ := strings.Cut(string(resp), "auth=Bearer ")
	if strings.HasPrefix(string(resp), "user="+testUser+"\x01") && x.srv.good[strings.TrimRight(tok, "\x01")] {
		return nil, true, nil
	}
	x.refused = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://outlook.office365.com/.default"}`), false, nil
}

// A token the server no longer accepts (revoked, or the clocks disagree)
// costs one refused login: the watcher reconnects at once with a fresh token
// and watches the inbox, without counting a failed session.
func TestARefusedTokenIsReplacedAndTheWatcherConnects(t *testing.T) {
	user := imapmemserver.NewUser(testUser, testPass)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	bs := &bearerIMAP{good: map[string]bool{"tok-2": true}}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return xoauth2Session{imapmemserver.NewUserSession(user), bs}, nil, nil
		},
		Caps: capsFull, InsecureAuth: true, Logger: log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	var mu sync.Mutex
	n := 0
	src := oauth.NewFunc("test", func(context.Context) (*oauth2.Token, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return &oauth2.Token{AccessToken: "tok-" + strconv.Itoa(n), Expiry: time.Now().Add(time.Hour)}, nil
	})
	if tok, _ := src.Token(context.Background()); tok != "tok-1" { // held, but refused by the server
		t.Fatal(tok)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	cfg := testConfig(ln.Addr().String())
	cfg.Password = ""
	cfg.Login = func(ctx context.Context, c *imapclient.Client) error {
		return oauth.LoginIMAP(ctx, c, src, testUser, host, p)
	}
	rec := &recorder{}
	w := startWatcher(t, cfg, rec, NewMemCheckpoint())
	raw := gmailReply("<oauth-1@mail.gmail.com>")
	if _, err := user.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testTimeout, "the message handled after the token was replaced", func() bool { return rec.count("<oauth-1@mail.gmail.com>") == 1 })
	if st := w.Status(); st.Reconnects != 0 {
		t.Errorf("the refused token counted as %d failed sessions", st.Reconnects)
	}
	if bs.attempts != 2 || n != 2 {
		t.Errorf("AUTHENTICATE attempts %d, tokens fetched %d; want 2 and 2", bs.attempts, n)
	}
	if !strings.Contains(w.log.String(), "trying once more with a new one") || strings.Contains(w.log.String(), "tok-") {
		t.Errorf("log:\n%s", w.log.String())
	}
}
