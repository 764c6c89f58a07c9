package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// SASL mechanism names.
const (
	XOAuth2     = "XOAUTH2"     // Google's and Microsoft's
	OAuthBearer = "OAUTHBEARER" // RFC 7628
)

// RefusedError is a server's refusal of an access token: the caller should
// Invalidate it and try once more with a fresh one.
type RefusedError struct {
	Mech   string
	Status string // from the server's JSON challenge, when it sent one
	Reply  string // the server's final words, when no challenge came
}

func (e *RefusedError) Error() string {
	s := "the mail server refused the oauth2 access token (" + e.Mech
	if e.Status != "" {
		s += ", status " + e.Status
	}
	if e.Reply != "" {
		s += ": " + e.Reply
	}
	return s + ")"
}

// TokenRefused marks the error for callers that only check behaviour.
func (e *RefusedError) TokenRefused() bool { return true }

// initial is the client's first message for mech (RFC 7628 §3.1 for
// OAUTHBEARER; Google's XOAUTH2 format). host and port are informational.
func initial(mech, user, token, host string, port int) []byte {
	if mech == OAuthBearer {
		var b strings.Builder
		b.WriteString("n,a=" + strings.NewReplacer("=", "=3D", ",", "=2C").Replace(user) + ",\x01")
		if host != "" {
			b.WriteString("host=" + host + "\x01")
		}
		if port != 0 {
			b.WriteString("port=" + strconv.Itoa(port) + "\x01")
		}
		b.WriteString("auth=Bearer " + token + "\x01\x01")
		return []byte(b.String())
	}
	return []byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")
}

// challengeStatus reads the JSON error challenge ({"status":"401",...} or
// {"status":"invalid_token"}); its content is not secret.
func challengeStatus(ch []byte) string {
	var v struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(ch, &v)
	return shorten(v.Status, 40)
}

// ChooseIMAP picks the mechanism from an IMAP server's capabilities:
// OAUTHBEARER (the standard) when offered, else XOAUTH2.
func ChooseIMAP(caps imap.CapSet) (string, error) {
	switch {
	case caps.Has(imap.AuthCap(OAuthBearer)):
		return OAuthBearer, nil
	case caps.Has(imap.AuthCap(XOAuth2)):
		return XOAuth2, nil
	}
	return "", errors.New("the IMAP server offers neither AUTH=OAUTHBEARER nor AUTH=XOAUTH2")
}

// SASLClient is the go-sasl client of one IMAP login attempt with mech
// (XOAuth2 or OAuthBearer) and token. Its error challenge ends the attempt
// with a *RefusedError. LoginIMAP chooses the mechanism and the token; this
// is for a caller (a connection check) that wants one mechanism.
func SASLClient(mech, user, token, host string, port int) sasl.Client {
	return &imapClient{mech: mech, resp: initial(mech, user, token, host, port)}
}

// imapClient is a go-sasl client for one attempt.
type imapClient struct {
	mech string
	resp []byte
}

func (c *imapClient) Start() (string, []byte, error) { return c.mech, c.resp, nil }

// Next only ever sees the error challenge. go-imap cannot send the empty
// answer RFC 7628 expects (it sends "=", which Dovecot calls bad base64), so
// the attempt ends here and the caller closes the connection.
func (c *imapClient) Next(ch []byte) ([]byte, error) {
	return nil, &RefusedError{Mech: c.mech, Status: challengeStatus(ch)}
}

// LoginIMAP authenticates c as user with a token from src. A refused token
// is invalidated and the error is a *RefusedError: the connection is then
// unusable (closed or mid-exchange), so the caller reconnects and tries again
// once. host and port go into OAUTHBEARER's informational fields.
func LoginIMAP(ctx context.Context, c *imapclient.Client, src *Source, user, host string, port int) error {
	mech, err := ChooseIMAP(c.Caps())
	if err != nil {
		return err
	}
	tok, err := src.Token(ctx)
	if err != nil {
		return err
	}
	err = c.Authenticate(SASLClient(mech, user, tok, host, port))
	if err == nil {
		return nil
	}
	var refused *RefusedError
	var ie *imap.Error
	switch {
	case errors.As(err, &refused):
	case errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo && ie.Code != imap.ResponseCodeUnavailable:
		// Dovecot: NO [AUTHENTICATIONFAILED]; Microsoft: "NO AUTHENTICATE failed."
		refused = &RefusedError{Mech: mech, Reply: shorten(string(ie.Code)+" "+ie.Text, 120)}
	default:
		return fmt.Errorf("authenticate %s: %w", mech, err)
	}
	src.Invalidate(tok)
	return refused
}

// ChooseSMTP picks the mechanism from an SMTP server's AUTH list.
func ChooseSMTP(offered []string) (string, error) {
	has := func(m string) bool {
		for _, o := range offered {
			if strings.EqualFold(o, m) {
				return true
			}
		}
		return false
	}
	switch {
	case has(OAuthBearer):
		return OAuthBearer, nil
	case has(XOAuth2):
		return XOAuth2, nil
	}
	return "", errors.New("the SMTP server offers neither AUTH OAUTHBEARER nor XOAUTH2")
}

// SMTPAuth is a go-mail smtp.Auth for one connection: it takes a token from
// the Source when the server asks, choosing the mechanism from the server's
// EHLO. After a failed AUTH, call Invalidate before trying again.
type SMTPAuth struct {
	ctx   context.Context
	src   *Source
	user  string
	port  int
	force string // a mechanism to use whatever the server offers first

	mech, tok string
}

// NewSMTPAuth returns the Auth for one SMTP connection.
func NewSMTPAuth(ctx context.Context, src *Source, user string, port int) *SMTPAuth {
	return &SMTPAuth{ctx: ctx, src: src, user: user, port: port}
}

// WithMechanism makes a use mech (XOAuth2 or OAuthBearer) when the server
// offers it, instead of the preferred one (for connection checks and tests).
func (a *SMTPAuth) WithMechanism(mech string) *SMTPAuth {
	a.force = mech
	return a
}

// Start implements smtp.Auth.
func (a *SMTPAuth) Start(si *gosmtp.ServerInfo) (string, []byte, error) {
	offered := si.Auth
	if a.force != "" {
		offered = nil
		for _, m := range si.Auth {
			if strings.EqualFold(m, a.force) {
				offered = []string{m}
			}
		}
	}
	mech, err := ChooseSMTP(offered)
	if err != nil {
		return "", nil, err
	}
	tok, err := a.src.Token(a.ctx)
	if err != nil {
		return "", nil, err
	}
	a.mech, a.tok = mech, tok
	return mech, initial(mech, a.user, tok, si.Name, a.port), nil
}

// Next implements smtp.Auth: the only challenge is the error one, answered
// as RFC 7628 §3.2.3 says, so the server ends with its 535.
func (a *SMTPAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	if a.mech == OAuthBearer {
		return []byte{1}, nil
	}
	return []byte{}, nil
}

// Expiry is when the token this connection logged in with expires (zero:
// unknown, or none sent).
func (a *SMTPAuth) Expiry() time.Time {
	if a.tok == "" {
		return time.Time{}
	}
	return a.src.Expiry(a.tok)
}

// Invalidate forgets the token this connection used (the server refused
// it), so the next connection fetches a fresh one. It reports whether a
// token was sent at all, i.e. whether another try can make a difference.
func (a *SMTPAuth) Invalidate() bool {
	if a.tok == "" {
		return false
	}
	a.src.Invalidate(a.tok)
	return true
}
