// Package mailserver runs a small IMAP server (RFC 3501/9051) and SMTP server
// (RFC 5321) on loopback, backed by memory. consultd uses it for `consultd
// demo` and other packages use it in fast tests: mail sent over SMTP lands in
// the recipient's INBOX and is read back over IMAP, as with a real provider.
//
// It behaves like a simple MX plus submission server: plus-addressing
// (coalition+tok@x is delivered to coalition@x), an optional catch-all
// mailbox, Return-Path/Delivered-To/Received on every delivered copy, AUTH
// PLAIN without TLS (loopback only) and also unauthenticated mail. Tests can
// switch off IDLE, MOVE or UIDPLUS and make SMTP reject recipients or fail
// transactions, to exercise the fallbacks and retries of real servers.
//
// Nothing is persisted and there is no TLS: never expose it beyond loopback.
package mailserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	_ "github.com/emersion/go-message/charset" // imapserver decodes ENVELOPE with go-message's charset hook
	"github.com/emersion/go-smtp"
)

// MaxMessageBytes is the largest message the SMTP server accepts (25 MB, like
// common providers).
const MaxMessageBytes = 25 << 20

// Options configures Start. The zero value is a usable loopback server.
type Options struct {
	IMAPAddr string // listen address; "" => 127.0.0.1:0 (a free port)
	SMTPAddr string // listen address; "" => 127.0.0.1:0
	Domain   string // name the SMTP server gives itself; "" => localhost

	// CatchAll receives mail for unknown recipients. It must be added with
	// AddUser. "" => unknown recipients get 550 5.1.1.
	CatchAll string

	// Capabilities to switch off, to test clients' fallbacks. Any of them
	// also drops IMAP4rev2, which implies all three.
	NoIdle    bool // IDLE is not advertised (the command is still served)
	NoMove    bool // MOVE is not advertised
	NoUIDPlus bool // UIDPLUS is not advertised

	Logger *slog.Logger // nil => discard
}

// Server is a running IMAP+SMTP pair. All methods are safe for concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	imap     *imapserver.Server
	smtp     *smtp.Server
	imapLn   net.Listener
	smtpLn   net.Listener
	done     chan struct{} // closed when both Serve loops returned
	closeErr error
	once     sync.Once

	deliveries broadcast // signalled after every server-side append

	mu       sync.Mutex
	users    map[string]*account // key: lower-case bare address
	rejects  map[string]*smtp.SMTPError
	failNext int
	failTemp bool
}

type account struct {
	addr     string
	password string
	user     *imapmemserver.User
}

// Start listens on both addresses and serves until Close.
func Start(o Options) (*Server, error) {
	if o.IMAPAddr == "" {
		o.IMAPAddr = "127.0.0.1:0"
	}
	if o.SMTPAddr == "" {
		o.SMTPAddr = "127.0.0.1:0"
	}
	if o.Domain == "" {
		o.Domain = "localhost"
	}
	o.CatchAll = strings.ToLower(strings.TrimSpace(o.CatchAll))
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:    o,
		log:     log,
		users:   map[string]*account{},
		rejects: map[string]*smtp.SMTPError{},
		done:    make(chan struct{}),
	}

	var err error
	if s.imapLn, err = net.Listen("tcp", o.IMAPAddr); err != nil {
		return nil, fmt.Errorf("mailserver: listen IMAP on %s: %w", o.IMAPAddr, err)
	}
	if s.smtpLn, err = net.Listen("tcp", o.SMTPAddr); err != nil {
		s.imapLn.Close()
		return nil, fmt.Errorf("mailserver: listen SMTP on %s: %w", o.SMTPAddr, err)
	}
	imapLn := s.imapLn
	if o.NoIdle {
		imapLn = &hideCapsListener{Listener: imapLn, drop: "IDLE"}
	}

	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{s: s}, nil, nil
		},
		Caps:         imapCaps(o),
		InsecureAuth: true, // loopback only; otherwise LOGIN is refused without TLS
		Logger:       printfLogger{log.With("server", "imap")},
	})
	s.smtp = smtp.NewServer(&backend{s: s})
	s.smtp.Domain = o.Domain
	s.smtp.AllowInsecureAuth = true
	s.smtp.MaxMessageBytes = MaxMessageBytes
	s.smtp.MaxRecipients = 100
	s.smtp.ReadTimeout = time.Minute
	s.smtp.WriteTimeout = time.Minute
	s.smtp.ErrorLog = printfLogger{log.With("server", "smtp")}

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.imap.Serve(imapLn) }()
	go func() { defer wg.Done(); s.smtp.Serve(s.smtpLn) }()
	go func() { wg.Wait(); close(s.done) }()
	log.Debug("mail server started", "imap", s.IMAPAddr(), "smtp", s.SMTPAddr())
	return s, nil
}

// imapCaps returns the advertised capabilities. IMAP4rev2 implies IDLE, MOVE
// and UIDPLUS, so switching any of them off means serving IMAP4rev1 with the
// other extensions listed one by one.
func imapCaps(o Options) imap.CapSet {
	if !o.NoIdle && !o.NoMove && !o.NoUIDPlus {
		return imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
	}
	caps := imap.CapSet{
		imap.CapIMAP4rev1: {}, imap.CapNamespace: {}, imap.CapESearch: {}, imap.CapSearchRes: {},
		imap.CapListExtended: {}, imap.CapListStatus: {}, imap.CapStatusSize: {}, imap.CapChildren: {},
		imap.CapUIDPlus: {}, imap.CapMove: {},
	}
	if o.NoMove {
		delete(caps, imap.CapMove)
	}
	if o.NoUIDPlus {
		delete(caps, imap.CapUIDPlus)
	}
	return caps
}

// IMAPAddr is the host:port the IMAP server listens on.
func (s *Server) IMAPAddr() string { return s.imapLn.Addr().String() }

// SMTPAddr is the host:port the SMTP server listens on.
func (s *Server) SMTPAddr() string { return s.smtpLn.Addr().String() }

// Close stops both servers and drops their connections. It is idempotent.
func (s *Server) Close() error {
	s.once.Do(func() {
		err1 := s.imap.Close()
		err2 := s.smtp.Close()
		// The servers only know a listener once Serve has started; close
		// ours too so a Close right after Start cannot leave Accept blocked.
		s.imapLn.Close()
		s.smtpLn.Close()
		<-s.done
		s.closeErr = errors.Join(ignoreClosed(err1), ignoreClosed(err2))
	})
	return s.closeErr
}

func ignoreClosed(err error) error {
	if err == nil || errors.Is(err, net.ErrClosed) || errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// AddUser creates a mailbox account with INBOX and Sent. The address is the
// IMAP login and SMTP AUTH username (compared in lower case).
func (s *Server) AddUser(addr, password string) error {
	key := strings.ToLower(strings.TrimSpace(addr))
	if !strings.Contains(key, "@") || strings.ContainsAny(key, " \t\r\n<>") {
		return fmt.Errorf("mailserver: add user %q: not a plain address", addr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[key]; ok {
		return fmt.Errorf("mailserver: add user %s: already exists", key)
	}
	u := imapmemserver.NewUser(key, password)
	for _, name := range []string{"INBOX", "Sent"} {
		if err := u.Create(name, nil); err != nil {
			return fmt.Errorf("mailserver: add user %s: create %s: %w", key, name, err)
		}
	}
	s.users[key] = &account{addr: key, password: password, user: u}
	return nil
}

// RejectRecipient makes SMTP answer RCPT TO for addr with code and enhanced
// status (for example 550 "5.1.1" or 451 "4.2.0"). addr is matched exactly
// (with its +tag) first, then without the tag. code 0 removes the rule.
func (s *Server) RejectRecipient(addr string, code int, enhanced string) {
	key := strings.ToLower(strings.TrimSpace(addr))
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.rejects, key)
		return
	}
	text := "mailbox unavailable (rejected by test rule)"
	if code < 500 {
		text = "mailbox temporarily unavailable (rejected by test rule)"
	}
	s.rejects[key] = &smtp.SMTPError{Code: code, EnhancedCode: parseEnhanced(enhanced, code), Message: text}
}

// SMTPFailNext makes the next n SMTP transactions fail at MAIL FROM, with
// 451 4.3.0 when temporary, else 554 5.3.0. n 0 cancels.
func (s *Server) SMTPFailNext(n int, temporary bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failTemp = n, temporary
}

// takeFailure consumes one simulated failure, if any is pending.
func (s *Server) takeFailure() *smtp.SMTPError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext <= 0 {
		return nil
	}
	s.failNext--
	if s.failTemp {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "temporary server failure (simulated)"}
	}
	return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 3, 0}, Message: "transaction failed (simulated)"}
}

// resolve finds the account that receives mail for rcpt: the rejection rules
// first, then the address without its +tag, then the catch-all.
func (s *Server) resolve(rcpt string) (*account, *smtp.SMTPError) {
	full := strings.ToLower(strings.TrimSpace(rcpt))
	bare := stripTag(full)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.rejects[full]; e != nil {
		return nil, e
	}
	if e := s.rejects[bare]; e != nil {
		return nil, e
	}
	if a := s.users[bare]; a != nil {
		return a, nil
	}
	if a := s.users[s.opts.CatchAll]; s.opts.CatchAll != "" && a != nil {
		return a, nil
	}
	return nil, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user: " + full}
}

func (s *Server) account(addr string) (*account, error) {
	key := strings.ToLower(strings.TrimSpace(addr))
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.users[key]
	if a == nil {
		return nil, fmt.Errorf("mailserver: no user %s", key)
	}
	return a, nil
}

// stripTag removes a +tag from the local part: bot+r1.abc@x => bot@x.
func stripTag(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	local, domain := addr[:at], addr[at:]
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	return local + domain
}

// Deliver puts raw into the INBOX of whoever receives mail for rcpt (plus
// address, catch-all), with a Delivered-To header, as an SMTP delivery does
// but without the envelope headers.
func (s *Server) Deliver(rcpt string, raw []byte) error {
	a, serr := s.resolve(rcpt)
	if serr != nil {
		return fmt.Errorf("mailserver: deliver to %s: %w", rcpt, serr)
	}
	hdr := "Delivered-To: " + cleanHeaderValue(rcpt) + "\r\n"
	return s.appendRaw(a, "INBOX", append([]byte(hdr), raw...))
}

// Append stores raw unchanged in a mailbox of the account addr.
func (s *Server) Append(addr, mailbox string, raw []byte) error {
	a, err := s.account(addr)
	if err != nil {
		return err
	}
	return s.appendRaw(a, mailbox, raw)
}

func (s *Server) appendRaw(a *account, mailbox string, raw []byte) error {
	if _, err := a.user.Append(mailbox, bytes.NewReader(raw), &imap.AppendOptions{Time: time.Now()}); err != nil {
		return fmt.Errorf("mailserver: append to %s/%s: %w", a.addr, mailbox, err)
	}
	s.deliveries.signal()
	return nil
}

// Messages returns the raw messages of a mailbox in UID order, read over IMAP
// (without setting \Seen), for test assertions.
func (s *Server) Messages(addr, mailbox string) ([][]byte, error) {
	c, err := s.dial(addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("mailserver: examine %s/%s: %w", addr, mailbox, err)
	}
	if sel.NumMessages == 0 {
		return nil, nil // an empty set would kill the connection
	}
	bs := &imap.FetchItemBodySection{Peek: true}
	var all imap.SeqSet
	all.AddRange(1, sel.NumMessages)
	msgs, err := c.Fetch(all, &imap.FetchOptions{
		UID: true, BodySection: []*imap.FetchItemBodySection{bs},
	}).Collect()
	if err != nil {
		return nil, fmt.Errorf("mailserver: fetch %s/%s: %w", addr, mailbox, err)
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].UID < msgs[j].UID })
	out := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.FindBodySection(bs))
	}
	return out, nil
}

// WaitMessages waits until a mailbox holds at least n messages and returns
// them all, or returns ctx's error with what is there. Tests use it instead
// of sleeping: a delivery wakes it at once, IMAP-side changes within idlePoll.
func (s *Server) WaitMessages(ctx context.Context, addr, mailbox string, n int) ([][]byte, error) {
	tick := time.NewTicker(idlePoll)
	defer tick.Stop()
	for {
		delivered := s.deliveries.wait()
		msgs, err := s.Messages(addr, mailbox)
		if err != nil || len(msgs) >= n {
			return msgs, err
		}
		select {
		case <-ctx.Done():
			return msgs, fmt.Errorf("mailserver: %s/%s has %d of %d messages: %w", addr, mailbox, len(msgs), n, ctx.Err())
		case <-delivered:
		case <-tick.C:
		}
	}
}

// Mailboxes lists the account's mailboxes, sorted; nil if addr is unknown.
func (s *Server) Mailboxes(addr string) []string {
	c, err := s.dial(addr)
	if err != nil {
		s.log.Debug("list mailboxes", "user", addr, "err", err)
		return nil
	}
	defer c.Close()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		s.log.Debug("list mailboxes", "user", addr, "err", err)
		return nil
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	sort.Strings(names)
	return names
}

// dial logs in as addr over loopback IMAP.
func (s *Server) dial(addr string) (*imapclient.Client, error) {
	a, err := s.account(addr)
	if err != nil {
		return nil, err
	}
	c, err := imapclient.DialInsecure(s.IMAPAddr(), nil)
	if err != nil {
		return nil, fmt.Errorf("mailserver: dial IMAP: %w", err)
	}
	if err := c.Login(a.addr, a.password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("mailserver: login %s: %w", a.addr, err)
	}
	return c, nil
}

// printfLogger adapts slog to the Printf loggers of go-imap and go-smtp.
type printfLogger struct{ l *slog.Logger }

func (p printfLogger) Printf(format string, args ...any) {
	p.l.Warn(strings.TrimSpace(fmt.Sprintf(format, args...)))
}

func (p printfLogger) Println(args ...any) {
	p.l.Warn(strings.TrimSpace(fmt.Sprintln(args...)))
}
