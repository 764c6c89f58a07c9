package mailserver

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// backend accepts mail like an MX (no AUTH needed) and also like a
// submission server (AUTH PLAIN without TLS, since it only runs on loopback).
type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, helo: c.Hostname(), remote: c.Conn().RemoteAddr()}, nil
}

type session struct {
	s      *Server
	helo   string
	remote net.Addr
	user   string // authenticated user, "" if none

	from  string
	rcpts []recipient
}

// recipient is one RCPT TO: the address as given (for Delivered-To) and
// the account that receives it.
type recipient struct {
	addr string
	acct *account
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, &smtp.SMTPError{Code: 504, EnhancedCode: smtp.EnhancedCode{5, 5, 4}, Message: "unsupported mechanism"}
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		a, err := se.s.account(username)
		if err != nil || a.password != password || (identity != "" && !strings.EqualFold(identity, username)) {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
		}
		se.user = a.addr
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if e := se.s.takeFailure(); e != nil {
		return e
	}
	se.from = from
	se.rcpts = nil
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	a, serr := se.s.resolve(to)
	if serr != nil {
		se.s.log.Debug("smtp recipient refused", "rcpt", stripTag(to), "code", serr.Code) // the +tag may be a reply token
		return serr
	}
	se.rcpts = append(se.rcpts, recipient{addr: to, acct: a})
	return nil
}

func (se *session) Data(r io.Reader) error {
	body, err := io.ReadAll(r) // go-smtp caps this at MaxMessageBytes
	if err != nil {
		return err
	}
	id := newID()
	now := time.Now()
	for _, rc := range se.rcpts {
		raw := append(se.traceHeaders(rc.addr, id, now), body...)
		if err := se.s.appendRaw(rc.acct, "INBOX", raw); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "local delivery failed"}
		}
		se.s.log.Debug("smtp delivered", "id", id, "mailbox", rc.acct.addr, "bytes", len(raw))
	}
	return nil
}

// traceHeaders are what an MTA prepends to each delivered copy: the envelope
// sender, the envelope recipient (with its +tag) and a trace line.
func (se *session) traceHeaders(rcpt, id string, now time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", cleanHeaderValue(se.from))
	fmt.Fprintf(&b, "Delivered-To: %s\r\n", cleanHeaderValue(rcpt))
	with := "ESMTP"
	if se.user != "" {
		with = "ESMTPA"
	}
	ip := "unknown"
	if ta, ok := se.remote.(*net.TCPAddr); ok {
		ip = ta.IP.String()
	}
	fmt.Fprintf(&b, "Received: from %s ([%s])\r\n\tby %s (consultd mailserver) with %s id %s\r\n\tfor <%s>; %s\r\n",
		cleanHeaderValue(se.helo), ip, se.s.opts.Domain, with, id, cleanHeaderValue(rcpt), now.Format(time.RFC1123Z))
	return b.Bytes()
}

func (se *session) Reset() {
	se.from = ""
	se.rcpts = nil
}

func (se *session) Logout() error { return nil }

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// cleanHeaderValue keeps client-supplied text (HELO, addresses) on one line.
func cleanHeaderValue(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// parseEnhanced reads "5.1.1"; if malformed, it derives X.0.0 from the code.
func parseEnhanced(s string, code int) smtp.EnhancedCode {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) == 3 {
		var ec smtp.EnhancedCode
		ok := true
		for i, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n > 999 {
				ok = false
				break
			}
			ec[i] = n
		}
		if ok {
			return ec
		}
	}
	return smtp.EnhancedCode{code / 100, 0, 0}
}
