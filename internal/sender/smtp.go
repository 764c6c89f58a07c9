package sender

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"regexp"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"consultd/internal/serverconf"
)

// Config says how to reach the coalition's submission server.
type Config struct {
	Host     string
	Port     int    // 0 => 465 for tls, 587 for starttls, 25 for none
	Security string // "tls" (implicit TLS), "starttls" (required), "none" (loopback, or AllowInsecureAuth)
	Username string // "" => no AUTH
	Password string
	// Auth, when set, gives each connection its authentication instead of
	// PLAIN/LOGIN with Username/Password (OAuth2: package mailauth); nil
	// from it means no AUTH. When AUTH fails and the Auth has an
	// Invalidate() bool method that returns true (a token was refused and
	// forgotten), the sender connects once more with a fresh one.
	Auth func(ctx context.Context) gosmtp.Auth
	HELO string // "" => go-mail's default (the host name)
	// InsecureSkipVerify accepts any certificate (self-signed test servers).
	InsecureSkipVerify bool
	// AllowInsecureAuth permits AUTH without TLS to a host that is not loopback.
	AllowInsecureAuth bool
	Timeout           time.Duration // per SMTP command; 0 => 30s

	// Connection reuse (session.go): transactions per connection (0 =>
	// 100, 1 => a connection per Mail), a connection's lifetime (0 => 5m)
	// and how long it stays open without a Mail (0 => 30s). A negative
	// MaxMessagesPerConn is no limit.
	MaxMessagesPerConn int
	MaxConnAge         time.Duration
	IdleTimeout        time.Duration
	// Connections is how many connections are kept between Mails, one per
	// delivery the Loop runs at once (Loop.Connections); 0 =>
	// DefaultConnections.
	Connections int
}

// server is c as package serverconf checks it: the same rules as check-config.
func (c Config) server() serverconf.Server {
	return serverconf.Server{Host: c.Host, Port: c.Port, Security: c.Security, Credentials: c.Username != "",
		AllowInsecureAuth: c.AllowInsecureAuth, InsecureSkipVerify: c.InsecureSkipVerify}
}

// Validate reports configuration that can never work or would leak the
// password: the rules check-config applies (package serverconf).
func (c Config) Validate() error { return c.server().Err("smtp") }

func (c Config) port() int {
	switch {
	case c.Port != 0:
		return c.Port
	case c.Security == "tls":
		return 465
	case c.Security == "starttls":
		return 587
	}
	return 25
}

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 30 * time.Second
}

// Sender delivers Mails through one SMTP server. It keeps one connection
// open between Mails (session.go) and is safe for concurrent use; Close
// ends the kept connection.
type Sender struct {
	cfg Config

	mu   sync.Mutex
	idle []*session // connections kept between Mails, at most Connections
}

// New returns a Sender; configuration errors surface on Send (and from
// Config.Validate, which the config loader should call).
func New(c Config) *Sender { return &Sender{cfg: c} }

// Stage is the step of the SMTP exchange that failed.
type Stage string

const (
	StageBuild   Stage = "build"   // the Mail cannot be turned into MIME
	StageConfig  Stage = "config"  // the SMTP settings cannot work
	StageConnect Stage = "connect" // dial, greeting, EHLO, TLS
	StageAuth    Stage = "auth"    // AUTH refused or impossible
	StageMail    Stage = "mail"    // MAIL FROM refused
	StageRcpt    Stage = "rcpt"    // recipients refused (see Rejected)
	StageData    Stage = "data"    // DATA or the message refused
	StageRecord  Stage = "record"  // the outbox could not record the attempt
)

// Rejection is one recipient the server refused.
type Rejection struct {
	Addr     string `json:"addr"`
	Code     int    `json:"code"`               // SMTP reply code, e.g. 550
	Enhanced string `json:"enhanced,omitempty"` // e.g. "5.1.1"
	Text     string `json:"text,omitempty"`     // the server's words
}

func (r Rejection) String() string {
	return strings.TrimSpace(fmt.Sprintf("%s: %d %s %s", r.Addr, r.Code, r.Enhanced, r.Text))
}

// Permanent is true for 5xx answers (except 552 to RCPT, which RFC 5321
// §4.5.3.1.10 says to treat as "too many recipients, try later").
func (r Rejection) Permanent() bool { return r.Code >= 500 && r.Code != 552 }

// Rejections formats a list for logs and the outbox record.
func Rejections(rs []Rejection) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, "; ")
}

// Report says what the server did with each recipient of a delivered Mail.
type Report struct {
	Accepted []string
	Rejected []Rejection // permanently refused; the others got the message
}

// Error is a delivery that did not happen. Permanent errors will fail the
// same way on retry; the others (network, 4xx, authentication) may not.
type Error struct {
	Stage     Stage
	Code      int    // SMTP reply code, 0 if the server did not answer
	Enhanced  string // RFC 3463 status, "" if none
	Permanent bool
	Uncertain bool        // StageData: sent in full, but no answer came
	Rejected  []Rejection // StageRcpt: every refused recipient
	Err       error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("smtp %s: %v", e.Stage, e.Err)
	if len(e.Rejected) > 0 {
		msg = fmt.Sprintf("smtp %s: %s", e.Stage, Rejections(e.Rejected))
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether retrying err is pointless: 5xx to MAIL, RCPT
// or DATA, or a Mail that cannot be built. Connection problems, timeouts,
// 4xx answers and authentication failures (an administrator can fix those)
// are temporary.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// IsUncertain reports whether the server may have taken the message although
// the delivery failed (no answer after the whole message was sent).
func IsUncertain(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Uncertain
}

// IsAuthFailure reports whether err is an authentication problem, which
// the daemon retries but must report loudly to the administrator.
func IsAuthFailure(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Stage == StageAuth || e.Stage == StageConfig)
}

// Hooks let the delivery loop record each step of a delivery at the moment
// it happens, so that a crash at any point never leads to a second copy.
type Hooks struct {
	// BeforeData runs after the recipients are accepted and before DATA:
	// from then on the server may take the message. An error aborts the
	// transaction (RSET) and is returned as a temporary StageRecord error.
	BeforeData func() error
	// Accepted runs the moment the server answers 250 to the message, before
	// QUIT. Its error is the caller's to keep; Send still succeeds.
	Accepted func(Report)
}

// Send delivers m in one SMTP transaction without hooks; see SendWith.
func (s *Sender) Send(ctx context.Context, m Mail) (Report, error) {
	return s.SendWith(ctx, m, Hooks{})
}

// SendWith delivers m in one SMTP transaction. A nil error means at least one
// recipient accepted it; the Report lists the recipients refused
// permanently (the message went to the others). A temporary refusal of any
// recipient aborts the transaction, so that a retry can never send a second
// copy to those who already got it. A Bcc recipient alone is not enough: if
// every To and Cc recipient is refused, nothing is sent.
//
// An error with Uncertain set means the message had been sent in full but no
// answer came (the connection broke or timed out): the server may have taken
// it, so it must not be sent again blindly.
//
// The connection is kept for the next call (see session.go): a server that
// closed it meanwhile (EOF, 421, "too many messages" before MAIL FROM is
// accepted) costs a fresh connection at once, never a failed delivery.
func (s *Sender) SendWith(ctx context.Context, m Mail, h Hooks) (Report, error) {
	msg, err := Build(m)
	if err != nil {
		return Report{}, &Error{Stage: StageBuild, Permanent: true, Err: err}
	}
	if err := s.cfg.Validate(); err != nil {
		return Report{}, &Error{Stage: StageConfig, Err: err}
	}
	for fresh := false; ; fresh = true {
		sc, reused, err := s.take(ctx, fresh)
		if err != nil {
			return Report{}, err
		}
		rep, keep, err := s.transact(sc, m, msg, h)
		if !sc.release() {
			keep = false // ctx cancelled it: its deadlines stay in the past
		}
		if reused && staleSession(err) && ctx.Err() == nil {
			// Nothing of this message reached the server: a new
			// connection, once, and no attempt counted.
			s.discard(sc)
			continue
		}
		if keep {
			s.put(sc)
		} else {
			s.discard(sc)
		}
		return rep, err
	}
}

// transact runs one SMTP transaction for m on sc. keep says whether the
// connection is in a clean state for another transaction.
func (s *Sender) transact(sc *session, m Mail, msg io.WriterTo, h Hooks) (rep Report, keep bool, err error) {
	c := sc.c
	t := s.cfg.timeout()
	from := strings.TrimSpace(m.EnvelopeFrom)
	if from == "" {
		from = strings.TrimSpace(m.From.Addr)
	}
	// A refused transaction is aborted with RSET; the connection is kept
	// only if the server then still answers.
	reset := func() bool {
		_ = c.UpdateDeadline(t)
		return c.Reset() == nil
	}
	sc.msgs++
	_ = c.UpdateDeadline(t)
	rcpts := m.Recipients()
	rcptErrs, mailErr := mailAndRcpts(c, t, from, rcpts)
	if mailErr != nil {
		e := replyError(StageMail, mailErr)
		return Report{}, e.Code != 0 && e.Code != 421 && reset(), e
	}

	var temp []Rejection
	closing := false // a 421: the server ends the session after this answer
	for i, err := range rcptErrs {
		rcpt := rcpts[i]
		if err == nil {
			rep.Accepted = append(rep.Accepted, rcpt)
			continue
		}
		r, ok := rejection(rcpt, err)
		if !ok {
			return Report{}, false, replyError(StageRcpt, err) // connection trouble
		}
		if r.Code == 421 {
			temp, closing = append(temp, r), true
			break
		}
		if r.Permanent() {
			rep.Rejected = append(rep.Rejected, r)
		} else {
			temp = append(temp, r)
		}
	}
	visible := 0 // accepted To/Cc recipients: a proof copy alone is no delivery
	for _, a := range rep.Accepted {
		if !m.isBccOnly(a) {
			visible++
		}
	}
	if len(temp) > 0 || visible == 0 {
		keep := !closing && reset()
		all := append(temp, rep.Rejected...)
		e := &Error{Stage: StageRcpt, Permanent: len(temp) == 0, Rejected: all, Err: errors.New(Rejections(all))}
		e.Code, e.Enhanced = all[0].Code, all[0].Enhanced
		return Report{}, keep, e
	}

	if h.BeforeData != nil {
		if err := h.BeforeData(); err != nil {
			return Report{}, reset(), &Error{Stage: StageRecord, Err: err}
		}
	}
	_ = c.UpdateDeadline(t)
	w, err := c.Data()
	if err != nil {
		e := replyError(StageData, err)
		return Report{}, e.Code != 0 && e.Code != 421 && reset(), e
	}
	_ = c.UpdateDeadline(10 * t) // the body can be large (up to ~25 MB)
	if _, err := msg.WriteTo(w); err != nil {
		// Without the final dot the server cannot take a partial message.
		return Report{}, false, replyError(StageData, err)
	}
	if err := w.Close(); err != nil {
		e := replyError(StageData, err)
		// The whole message went out; only a reply code says what became of it.
		var te *textproto.Error
		e.Uncertain = !errors.As(err, &te)
		// A reply to the dot ends the transaction: the session is clean.
		return Report{}, !e.Uncertain && e.Code != 421, e
	}
	if h.Accepted != nil {
		h.Accepted(rep)
	}
	return rep, true, nil
}

// mailAndRcpts sends MAIL FROM and one RCPT TO per recipient, and returns,
// in order, the answers to the RCPTs that were sent and the answer to MAIL
// (nil: accepted). When the server offers PIPELINING (RFC 2920; Postfix,
// Exchange and Gmail do) the commands go out in one write and the answers
// are read after: one round trip instead of one per command, which is most
// of a fan-out's time. DATA is never in the group: the outbox records
// 'sending' between the answers and DATA. Without PIPELINING the commands
// go one by one, each within timeout, stopping at a refused MAIL, a 421 or
// a broken connection.
func mailAndRcpts(c *gosmtp.Client, timeout time.Duration, from string, rcpts []string) (rcptErrs []error, mailErr error) {
	for _, a := range append([]string{from}, rcpts...) {
		if strings.ContainsAny(a, "\r\n") {
			return nil, errors.New("smtp: an address must not contain CR or LF")
		}
	}
	if ok, _ := c.Extension("PIPELINING"); !ok {
		if err := c.Mail("<" + from + ">"); err != nil {
			return nil, err
		}
		for _, rcpt := range rcpts {
			_ = c.UpdateDeadline(timeout)
			err := c.Rcpt("<" + rcpt + ">")
			rcptErrs = append(rcptErrs, err)
			var te *textproto.Error
			if err != nil && (!errors.As(err, &te) || te.Code == 421) {
				break
			}
		}
		return rcptErrs, nil
	}
	// The parameters go-mail's Mail adds, so that both paths say the same.
	params := ""
	if ok, _ := c.Extension("8BITMIME"); ok {
		params += " BODY=8BITMIME"
	}
	if ok, _ := c.Extension("SMTPUTF8"); ok {
		params += " SMTPUTF8"
	}
	w := c.Text.W
	fmt.Fprintf(w, "MAIL FROM:<%s>%s\r\n", from, params)
	for _, rcpt := range rcpts {
		fmt.Fprintf(w, "RCPT TO:<%s>\r\n", rcpt)
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	// Every answer is read, even after a refused MAIL (its RCPTs are then
	// refused too), so that the next command reads its own answer.
	_, _, mailErr = c.Text.ReadResponse(250)
	var te *textproto.Error
	if mailErr != nil && !errors.As(mailErr, &te) {
		return nil, mailErr // no answer: the connection is gone
	}
	for range rcpts {
		_, _, err := c.Text.ReadResponse(25)
		rcptErrs = append(rcptErrs, err)
		if err != nil && !errors.As(err, &te) {
			break
		}
	}
	if mailErr != nil {
		return nil, mailErr
	}
	return rcptErrs, nil
}

// dial connects, says EHLO, starts TLS as configured and authenticates,
// through go-mail, with our own dialer so that ctx can interrupt any step
// until stop is called. onTLS, if set, sees the verified TLS handshake.
func (s *Sender) dial(ctx context.Context, onTLS func(tls.ConnectionState)) (c *gosmtp.Client, conn *cancelConn, stop func() bool, err error) {
	c, conn, stop, _, err = s.dialAuth(ctx, onTLS)
	return c, conn, stop, err
}

// dialAuth is dial, also saying until when the connection's login is good:
// an OAuth2 token's expiry (zero: no limit). Providers end a session whose
// token expired (Microsoft 365: AccessTokenExpired), so a kept connection
// is not reused past it.
func (s *Sender) dialAuth(ctx context.Context, onTLS func(tls.ConnectionState)) (c *gosmtp.Client, conn *cancelConn, stop func() bool, until time.Time, err error) {
	if s.cfg.Auth == nil {
		c, conn, stop, err = s.dialWith(ctx, s.passwordAuth(), onTLS)
		return c, conn, stop, time.Time{}, err
	}
	auth := s.cfg.Auth(ctx)
	c, conn, stop, err = s.dialWith(ctx, auth, onTLS)
	inv, ok := auth.(interface{ Invalidate() bool })
	var e *Error
	if err != nil && errors.As(err, &e) && e.Stage == StageAuth && ok && inv.Invalidate() {
		auth = s.cfg.Auth(ctx)
		c, conn, stop, err = s.dialWith(ctx, auth, onTLS)
	}
	if exp, ok := auth.(interface{ Expiry() time.Time }); ok && err == nil {
		until = exp.Expiry()
	}
	return c, conn, stop, until, err
}

// passwordAuth is PLAIN or LOGIN with the configured password, or nil.
func (s *Sender) passwordAuth() gosmtp.Auth {
	cfg := s.cfg
	if cfg.Username == "" {
		return nil
	}
	return PasswordAuth(cfg.Username, cfg.Password, cfg.Host, cfg.server().PlainAuthAllowed())
}

// PasswordAuth authenticates with PLAIN, or LOGIN when the server offers
// only that. allowPlain permits it without TLS (loopback, or
// allow_insecure_auth).
func PasswordAuth(user, pass, host string, allowPlain bool) gosmtp.Auth {
	return &plainOrLogin{user: user, pass: pass, host: host, allowPlain: allowPlain}
}

// dialWith is dial with one Auth (nil: no AUTH).
func (s *Sender) dialWith(ctx context.Context, auth gosmtp.Auth, onTLS func(tls.ConnectionState)) (c *gosmtp.Client, conn *cancelConn, stop func() bool, err error) {
	cfg := s.cfg
	t := cfg.timeout()
	tlsConf := cfg.server().TLSConfig()
	if onTLS != nil {
		tlsConf.VerifyConnection = func(cs tls.ConnectionState) error {
			onTLS(cs)
			return nil
		}
	}

	stop = func() bool { return false }
	dialFn := func(dctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: t}
		raw, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		conn = &cancelConn{Conn: raw}
		stop = context.AfterFunc(ctx, conn.cancel) // the caller's ctx, not go-mail's dial deadline
		if cfg.Security != "tls" {
			return conn, nil
		}
		tc := tls.Client(conn, tlsConf) // *tls.Conn, so go-mail knows the session is encrypted
		if err := tc.HandshakeContext(dctx); err != nil {
			raw.Close()
			return nil, err
		}
		return tc, nil
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.port()),
		gomail.WithTimeout(t),
		gomail.WithDialContextFunc(dialFn),
		gomail.WithTLSConfig(tlsConf),
		gomail.WithTLSPolicy(gomail.NoTLS), // "tls" is handled by dialFn
	}
	if cfg.Security == "starttls" {
		opts[len(opts)-1] = gomail.WithTLSPolicy(gomail.TLSMandatory)
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	if auth != nil {
		opts = append(opts, gomail.WithSMTPAuthCustom(auth))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, nil, nil, &Error{Stage: StageConfig, Err: err}
	}
	c, err = client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		stop()
		if conn != nil {
			conn.Close()
		}
		stage := StageConnect
		if strings.Contains(err.Error(), "SMTP AUTH") || errors.Is(err, errNoUsableAuth) || errors.Is(err, gosmtp.ErrUnencrypted) {
			stage = StageAuth
		}
		e := replyError(stage, err)
		e.Permanent = false // server setup or credentials: an administrator fixes it, then a retry works
		return nil, nil, nil, e
	}
	return c, conn, stop, nil
}

// replyError classifies a failed command by the server's reply code.
func replyError(stage Stage, err error) *Error {
	e := &Error{Stage: stage, Err: err}
	var te *textproto.Error
	if errors.As(err, &te) {
		e.Code = te.Code
		e.Enhanced = enhancedCode(te.Msg)
		e.Permanent = te.Code >= 500 && te.Code < 600
	}
	return e
}

// rejection describes a refused RCPT; ok is false when the server did not
// answer (the connection broke).
func rejection(rcpt string, err error) (Rejection, bool) {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return Rejection{}, false
	}
	enh := enhancedCode(te.Msg)
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(te.Msg), enh))
	return Rejection{Addr: rcpt, Code: te.Code, Enhanced: enh, Text: text}, true
}

var enhancedRe = regexp.MustCompile(`^\s*([245]\.\d{1,3}\.\d{1,3})\b`)

func enhancedCode(msg string) string {
	if m := enhancedRe.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

// cancelConn lets ctx cancellation interrupt a blocked read or write: go-mail
// holds its lock during a command, so closing the client would wait.
// Deadlines set after cancellation stay in the past.
type cancelConn struct {
	net.Conn
	mu       sync.Mutex
	canceled bool
}

func (c *cancelConn) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.canceled = true
	_ = c.Conn.SetDeadline(time.Unix(1, 0))
}

func (c *cancelConn) isCanceled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.canceled
}

func (c *cancelConn) SetDeadline(t time.Time) error      { return c.set(c.Conn.SetDeadline, t) }
func (c *cancelConn) SetReadDeadline(t time.Time) error  { return c.set(c.Conn.SetReadDeadline, t) }
func (c *cancelConn) SetWriteDeadline(t time.Time) error { return c.set(c.Conn.SetWriteDeadline, t) }

// set applies a deadline unless the connection was cancelled: then the past
// deadline that cancel set must stay, whatever the SMTP client asks for.
func (c *cancelConn) set(apply func(time.Time) error, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.canceled {
		t = time.Unix(1, 0)
	}
	return apply(t)
}

var errNoUsableAuth = errors.New("server offers neither AUTH PLAIN nor LOGIN")

// plainOrLogin authenticates with PLAIN, or LOGIN when the server offers
// only that (Microsoft 365). go-mail's own checks refuse both without TLS
// unless the server is localhost; allowPlain (loopback, or
// allow_insecure_auth) lifts that refusal.
type plainOrLogin struct {
	user, pass, host string
	allowPlain       bool
	inner            gosmtp.Auth
}

func (a *plainOrLogin) Start(si *gosmtp.ServerInfo) (string, []byte, error) {
	has := func(mech string) bool {
		for _, m := range si.Auth {
			if strings.EqualFold(m, mech) {
				return true
			}
		}
		return false
	}
	switch {
	case has("PLAIN"):
		a.inner = gosmtp.PlainAuth("", a.user, a.pass, a.host, a.allowPlain)
	case has("LOGIN"):
		a.inner = gosmtp.LoginAuth(a.user, a.pass, a.host, a.allowPlain)
	default:
		return "", nil, errNoUsableAuth
	}
	return a.inner.Start(si)
}

func (a *plainOrLogin) Next(fromServer []byte, more bool) ([]byte, error) {
	return a.inner.Next(fromServer, more)
}
