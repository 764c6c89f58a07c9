package itest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"
	"golang.org/x/oauth2"

	"consultd/internal/demo/story"
	"consultd/internal/mailstack"
	"consultd/internal/oauth"
	"consultd/internal/oauth/oauthtest"
)

// tokenServer runs the test's OAuth2 server where the stack's Dovecot asks
// about bearer tokens, issuing tokens for user.
func tokenServer(t *testing.T, ms *mailstack.Stack, user string) *oauthtest.Server {
	t.Helper()
	if ms.OAuth2Addr == "" {
		t.Fatal("the mail stack has no OAuth2 introspection address")
	}
	srv, err := oauthtest.Start(ms.OAuth2Addr, user)
	if err != nil {
		t.Fatalf("token server on %s: %v", ms.OAuth2Addr, err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// useOAuth2 rewrites the world's configuration: IMAP (and SMTP when smtp is
// set) log in with tokens instead of the password, from the oauth2 block.
func (w *world) useOAuth2(smtp bool, block string) {
	w.t.Helper()
	data, err := os.ReadFile(w.cfgPath)
	if err != nil {
		w.t.Fatal(err)
	}
	y := strings.Replace(string(data), "password: "+pass+", ", "auth: oauth2, ", 1)
	smtpAuth := "none"
	if smtp {
		smtpAuth = "oauth2"
	}
	y = regexp.MustCompile(`(?m)^(smtp: \{.*)\}$`).ReplaceAllString(y, "$1, auth: "+smtpAuth+"}")
	y += block
	if err := os.WriteFile(w.cfgPath, []byte(y), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) authenticatedSender(user string) bool {
	for _, raw := range w.ms.Messages(w.t, user, pass, "INBOX") {
		if bytes.Contains(raw, []byte("(Authenticated sender: "+w.coalition+")")) {
			return true
		}
	}
	return false
}

// noSecretInLogs fails when a token or secret reached consultd's log.
func (w *world) noSecretInLogs(srv *oauthtest.Server, secrets ...string) {
	w.t.Helper()
	logs := w.logs.String()
	for _, s := range append(srv.Issued(), secrets...) {
		if strings.Contains(logs, s) {
			w.t.Errorf("the log shows a secret or token (%.6s…)", s)
		}
	}
}

// TestOAuth2LoginsKeepARoundGoingAsTokensExpireAndAreRevoked runs a round
// with IMAP and SMTP logging in to the real Dovecot and Postfix with bearer
// tokens that live four seconds: tokens are refreshed as they expire, and a
// token revoked behind consultd's back is replaced after one refusal.
func TestOAuth2LoginsKeepARoundGoingAsTokensExpireAndAreRevoked(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria", "The Day After (TDA)"}, []string{"en", "ar"}, "")
	srv := tokenServer(t, ms, w.coalition)
	const lifetime = 4 * time.Second
	srv.Set(func(s *oauthtest.Server) { s.Lifetime = lifetime })
	w.useOAuth2(true, fmt.Sprintf(`oauth2:
  grant: client_credentials
  tenant: coalition.test
  client_id: consultd-test
  client_secret: s3cret-client
  token_url: %s/token
`, srv.URL))
	start := time.Now()
	w.Start()

	w.send(w.coord, []string{w.coalition}, story.Forward("Rania", w.coord, w.coalition, time.Now()))
	w.confirm(1)
	m1, m2 := w.members[0], w.members[1]
	c1 := w.inbox(m1.emails[0], "INBOX", "[Consultation ", 1)[0]
	c2 := w.inbox(m2.emails[0], "INBOX", "[Consultation ", 1)[0]
	if !w.authenticatedSender(m1.emails[0]) {
		t.Fatalf("the consultation was not submitted with SMTP AUTH as %s", w.coalition)
	}

	// Every token issued so far has expired: the answer is read and the
	// receipt sent with new ones.
	w.waitFor("the first tokens to expire", func() bool { return time.Since(start) > lifetime+time.Second })
	issued := srv.Stats().Issued
	answer := func(m member, replyTo, subject, inReplyTo, id, body string) {
		raw := "From: <" + m.emails[0] + ">\r\nTo: <" + replyTo + ">\r\nSubject: Re: " + subject + "\r\nMessage-ID: <" + id +
			">\r\nIn-Reply-To: <" + inReplyTo + ">\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
		w.send(m.emails[0], []string{replyTo}, []byte(raw))
	}
	answer(m1, c1.ReplyTo[0].Address, c1.Subject, c1.MessageID, "r1."+m1.emails[0], "DECLINE")
	w.inbox(m1.emails[0], "INBOX", "Re: [Consultation ", 1)
	if got := srv.Stats().Issued; got <= issued {
		t.Fatalf("no new token after the first ones expired (%d issued before, %d after)", issued, got)
	}

	// A token revoked at the provider while consultd still holds it: the
	// next IMAP login is refused once, then works with a fresh token.
	srv.Set(func(s *oauthtest.Server) { s.Lifetime = time.Hour })
	longFrom := time.Now()
	w.waitFor("the short tokens to expire", func() bool { return time.Since(longFrom) > lifetime+time.Second })
	issued = srv.Stats().Issued
	answer(m2, c2.ReplyTo[0].Address, c2.Subject, c2.MessageID, "r2."+m2.emails[0], "ABSTAIN")
	w.inbox(m2.emails[0], "INBOX", "Re: ", 1)
	if srv.Stats().Issued <= issued {
		t.Fatalf("the receipt was sent without a new (hour-long) token")
	}
	srv.RevokeAccessTokens()
	inactive := srv.Stats().Inactive
	ms.RestartDovecot(t)
	w.waitFor("consultd to log in again after the refusal", func() bool {
		return strings.Contains(w.logs.String(), "refused the access token; trying once more") && w.d.Status().Connected
	})
	if srv.Stats().Inactive <= inactive {
		t.Fatalf("Dovecot never saw the revoked token refused")
	}
	// The round goes on: both answered, so it closes and the statement goes
	// out (over SMTP with a token).
	w.waitFor("the joint statement to be sent", func() bool {
		return w.query(`SELECT COUNT(*) FROM outbox WHERE kind = 'statement' AND state = 'sent'`) > 0
	})
	rs := w.rounds()
	for _, p := range w.participants(rs[0].ID) {
		if p.Position == "" {
			t.Fatalf("answer of %s not counted", p.MemberID)
		}
	}
	st := srv.Stats()
	t.Logf("token server: %d tokens issued (%v), %d introspections: %d active, %d refused", st.Issued, st.Grants,
		st.Introspected, st.Active, st.Inactive)
	w.noSecretInLogs(srv, "s3cret-client")
}

// TestARevokedSignInIsReportedToTheCoordinatorsOnce: the refresh token that
// `consultd login` stored stops working; consultd keeps retrying, and the
// coordinators get one note that says which command fixes it.
func TestARevokedSignInIsReportedToTheCoordinatorsOnce(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria"}, nil, "")
	srv := tokenServer(t, ms, w.coalition)
	srv.Set(func(s *oauthtest.Server) { s.Lifetime = 2 * time.Second })
	rt := srv.AddRefreshToken("rt-" + w.prefix + "-do-not-log")
	tokenFile := filepath.Join(w.dir, "oauth2-token.json")
	if err := oauth.SaveToken(tokenFile, &oauth.StoredToken{Provider: "microsoft", RefreshToken: rt}); err != nil {
		t.Fatal(err)
	}
	// SMTP sends without AUTH here (loopback relay), so the note can go out.
	w.useOAuth2(false, fmt.Sprintf(`oauth2:
  grant: refresh_token
  provider: microsoft
  client_id: consultd-test
  token_url: %s/token
`, srv.URL))
	w.Start()
	w.waitFor("the first IMAP sync", func() bool { return !w.d.Status().LastSync.IsZero() })

	srv.RevokeRefreshTokens()
	srv.RevokeAccessTokens()
	ms.RestartDovecot(t)
	note := w.inbox(w.coord, "INBOX", "can no longer sign in", 1)[0]
	if !strings.Contains(note.Text, "consultd login --config "+w.cfgPath) {
		t.Fatalf("the note does not give the command that fixes it:\n%s", note.Text)
	}
	// consultd keeps trying (1 s, then 2 s later, …); the note is not repeated.
	refusals := func() int { return strings.Count(w.logs.String(), "refused consultd's sign-in") }
	w.waitFor("two more refused attempts", func() bool { return refusals() >= 3 })
	if n := w.query(`SELECT COUNT(*) FROM outbox WHERE kind = 'notice' AND payload LIKE '%can no longer sign in%'`); n != 1 {
		t.Fatalf("%d notes about the refused sign-in, want 1", n)
	}
	w.noSecretInLogs(srv, rt)
}

// TestBothSASLMechanismsWorkWithDovecotAndPostfix logs in with XOAUTH2 (what
// Microsoft and Google document) and OAUTHBEARER (RFC 7628) over IMAP and
// SMTP, and checks that a token the provider no longer vouches for is
// refused in the shape consultd retries on.
func TestBothSASLMechanismsWorkWithDovecotAndPostfix(t *testing.T) {
	ms := mailstack.Start(t)
	user, userPass := ms.NewUser(t, "box")
	srv := tokenServer(t, ms, user)
	src, err := oauth.New(oauth.Settings{Grant: oauth.GrantClientCredentials, ClientID: "consultd-test",
		ClientSecret: "s3cret-client", TokenURL: srv.URL + "/token"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	host, portS, _ := net.SplitHostPort(ms.IMAPAddr)
	port, _ := strconv.Atoi(portS)
	imapLogin := func(mech, tok string) error {
		c, err := imapclient.DialInsecure(ms.IMAPAddr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Authenticate(oauth.SASLClient(mech, user, tok, host, port)); err != nil {
			return err
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatalf("%s: logged in but SELECT INBOX failed: %v", mech, err)
		}
		return c.Logout().Wait()
	}
	shost, sportS, _ := net.SplitHostPort(ms.SMTPAddr)
	sport, _ := strconv.Atoi(sportS)
	smtpSend := func(auth gosmtp.Auth, subject string) error {
		c, err := gomail.NewClient(shost, gomail.WithPort(sport), gomail.WithTLSPolicy(gomail.NoTLS),
			gomail.WithSMTPAuthCustom(auth), gomail.WithTimeout(20*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		m := gomail.NewMsg()
		_ = m.From(user)
		_ = m.To(user)
		m.Subject(subject)
		m.SetBodyString(gomail.TypeTextPlain, "probe")
		return c.DialAndSendWithContext(ctx, m)
	}

	for _, mech := range []string{oauth.XOAuth2, oauth.OAuthBearer} {
		tok, err := src.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := imapLogin(mech, tok); err != nil {
			t.Fatalf("IMAP %s with a good token: %v", mech, err)
		}
		subject := "probe " + mech + " " + mailstack.Unique("s")
		if err := smtpSend(oauth.NewSMTPAuth(ctx, src, user, sport).WithMechanism(mech), subject); err != nil {
			t.Fatalf("SMTP %s with a good token: %v", mech, err)
		}
		got := ms.WaitMatch(t, user, userPass, "INBOX", subject, 30*time.Second)
		if !bytes.Contains(got, []byte("(Authenticated sender: "+user+")")) {
			t.Fatalf("SMTP %s: the message went through without AUTH:\n%s", mech, got)
		}

		srv.RevokeAccessTokens()
		var refused *oauth.RefusedError
		if err := imapLogin(mech, tok); !errors.As(err, &refused) {
			t.Fatalf("IMAP %s with a revoked token: %v, want a RefusedError", mech, err)
		}
		stale := oauth.NewFunc("test", func(context.Context) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: tok, Expiry: time.Now().Add(time.Hour)}, nil
		})
		err = smtpSend(oauth.NewSMTPAuth(ctx, stale, user, sport).WithMechanism(mech), "never")
		if err == nil || !strings.Contains(err.Error(), "535") {
			t.Fatalf("SMTP %s with a revoked token: %v, want 535", mech, err)
		}
		src.Invalidate(tok)
	}
}
