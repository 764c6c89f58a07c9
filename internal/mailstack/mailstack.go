// Package mailstack gives integration tests a real mail stack: Postfix
// (SMTP) delivering over LMTP to Dovecot (IMAP), both on loopback, run by
// scripts/mailstack.sh. One stack serves every test binary on the machine;
// binaries take turns (a lock held from Start to exit), and the tests within
// one binary must use their own addresses (see Unique and NewUser).
//
// Nothing leaves the machine: mail to unknown users or foreign domains lands
// in the catch-all mailbox (Stack.Catchall) with a Delivered-To header naming
// the original recipient.
package mailstack

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

// Stack is a running mail stack. Its addresses are host:port on 127.0.0.1.
type Stack struct {
	IMAPAddr       string // plain IMAP; STARTTLS offered, LOGIN allowed without it
	IMAPSAddr      string // implicit TLS, self-signed certificate
	SMTPAddr       string // accepts mail from loopback without AUTH
	SubmissionAddr string // like SMTPAddr, plus STARTTLS; AUTH checks Dovecot users
	// OAuth2Addr is where Dovecot asks about bearer tokens (POST
	// /introspect): a test that logs in with tokens runs its token server
	// here (internal/oauth/oauthtest), one test at a time.
	OAuth2Addr string
	Dir        string // state directory (configs, logs, Maildirs)

	// Catchall receives mail for unknown users and foreign domains.
	Catchall         string
	CatchallPassword string

	script string
}

var (
	startOnce sync.Once
	shared    *Stack
	skipMsg   string // non-empty: the stack cannot run here, for a stated reason
	startErr  error
)

// Start returns the shared stack, installing the packages and starting the
// daemons on first use in this test binary. Where the stack cannot run (not
// root, no apt) the test is skipped, except under CI=true where it fails.
func Start(t testing.TB) *Stack {
	t.Helper()
	startOnce.Do(func() { shared, skipMsg, startErr = start() })
	if skipMsg != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mailstack unavailable under CI: %s", skipMsg)
		}
		t.Skipf("mailstack unavailable: %s", skipMsg)
	}
	if startErr != nil {
		t.Fatalf("mailstack: %v", startErr)
	}
	s := shared
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mail stack logs (tail):\n%s", s.logsTail(60))
		}
	})
	return s
}

func start() (*Stack, string, error) {
	script, err := findScript()
	if err != nil {
		return nil, "", err
	}
	if os.Geteuid() != 0 {
		return nil, "it needs root to install and run Postfix and Dovecot (run scripts/test.sh as root)", nil
	}
	s := &Stack{script: script}
	if out, err := s.run(10*time.Minute, "install"); err != nil {
		if _, lookErr := exec.LookPath("apt-get"); lookErr != nil {
			return nil, "packages dovecot-imapd, dovecot-lmtpd, postfix are missing and there is no apt-get", nil
		}
		return nil, fmt.Sprintf("installing packages failed: %v\n%s", err, out), nil
	}
	if err := lockStack(); err != nil {
		return nil, "", err
	}
	out, err := s.run(2*time.Minute, "start")
	if err != nil {
		return nil, "", fmt.Errorf("start: %v\n%s", err, out)
	}
	vals := parseKV(out)
	s.IMAPAddr, s.IMAPSAddr = vals["IMAP"], vals["IMAPS"]
	s.SMTPAddr, s.SubmissionAddr = vals["SMTP"], vals["SUBMISSION"]
	s.OAuth2Addr = vals["OAUTH2"]
	s.Dir, s.Catchall = vals["DIR"], vals["CATCHALL"]
	s.CatchallPassword = "catchall"
	if s.IMAPAddr == "" || s.SMTPAddr == "" || s.Catchall == "" {
		return nil, "", fmt.Errorf("start printed no addresses:\n%s", out)
	}
	return s, "", nil
}

// lockStack takes a lock held from Start until the test binary exits (the
// kernel drops the flock then), so test binaries of different packages take
// turns on the shared stack: one restarting Dovecot must not break another's
// assertions. The raw descriptor is never closed: closing would release it.
func lockStack() error {
	dir := os.Getenv("CONSULTD_MAILSTACK_DIR")
	if dir == "" {
		dir = "/var/tmp/consultd-ms"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mailstack: %w", err)
	}
	path := filepath.Join(dir, ".tests.lock")
	fd, err := syscall.Open(path, syscall.O_CREAT|syscall.O_RDWR|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("mailstack: open %s: %w", path, err)
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX); err != nil {
		_ = syscall.Close(fd)
		return fmt.Errorf("mailstack: lock %s: %w", path, err)
	}
	return nil
}

// findScript walks up from the working directory (a package directory under
// go test) to the module root holding go.mod.
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("mailstack: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "mailstack.sh"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("mailstack: no go.mod above the working directory")
		}
		dir = parent
	}
}

func (s *Stack) run(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{s.script}, args...)...)
	cmd.Stdin = nil
	// The daemons must not keep our pipes open; if one ever does, give up
	// waiting for the output rather than hang the test.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func parseKV(out string) map[string]string {
	vals := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok {
			vals[k] = v
		}
	}
	return vals
}

// Logs returns the Dovecot and Postfix logs.
func (s *Stack) Logs() string {
	out, err := s.run(30*time.Second, "logs")
	if err != nil {
		return fmt.Sprintf("(logs: %v)\n%s", err, out)
	}
	return out
}

// logsTail keeps the last n lines of each log file in Logs.
func (s *Stack) logsTail(n int) string {
	var b strings.Builder
	for _, section := range strings.Split(s.Logs(), "==> ") {
		lines := strings.Split(strings.TrimRight(section, "\n"), "\n")
		if len(lines) <= 1 {
			continue
		}
		b.WriteString("==> " + lines[0] + "\n")
		body := lines[1:]
		if len(body) > n {
			body = body[len(body)-n:]
		}
		b.WriteString(strings.Join(body, "\n") + "\n")
	}
	return b.String()
}

// Unique returns prefix followed by a random suffix, for addresses and
// domains no other test uses.
func Unique(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// NewUser adds local@<unique domain> with a random password and returns the
// address and password.
func (s *Stack) NewUser(t testing.TB, local string) (addr, pass string) {
	t.Helper()
	addr = local + "@" + Unique("t") + ".example"
	pass = Unique("pw")
	s.AddUser(t, addr, pass)
	return addr, pass
}

// AddUser adds a mailbox user (its domain becomes local) and returns once
// that user can log in over IMAP.
func (s *Stack) AddUser(t testing.TB, addr, pass string) {
	t.Helper()
	if out, err := s.run(time.Minute, "adduser", addr, pass); err != nil {
		t.Fatalf("mailstack adduser %s: %v\n%s", addr, err, out)
	}
	// Dovecot re-reads its passwd-file at most once a second.
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := s.login(addr, pass)
		if err == nil {
			_ = c.Logout().Wait()
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailstack: %s cannot log in 15 s after adduser: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// login dials and logs in, retrying refused connections for up to 30 s
// (a test may be restarting Dovecot; on a loaded machine that takes a while).
func (s *Stack) login(user, pass string) (*imapclient.Client, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := imapclient.DialInsecure(s.IMAPAddr, &imapclient.Options{
			Dialer: &net.Dialer{Timeout: 10 * time.Second},
		})
		if err == nil {
			if err = c.Login(user, pass).Wait(); err == nil {
				return c, nil
			}
			_ = c.Close()
			var imapErr *imap.Error
			if errors.As(err, &imapErr) {
				return nil, fmt.Errorf("login %s: %w", user, err)
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("imap %s as %s: %w", s.IMAPAddr, user, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Send submits raw over SMTP from loopback (no AUTH).
func (s *Stack) Send(t testing.TB, from string, to []string, raw []byte) {
	t.Helper()
	if err := s.TrySend(from, to, raw); err != nil {
		t.Fatalf("mailstack: %v", err)
	}
}

// TrySend is Send that returns the error (while Postfix is stopped, say).
func (s *Stack) TrySend(from string, to []string, raw []byte) error {
	// Not smtp.SendMail: it insists on STARTTLS, which this port does not offer.
	c, err := smtp.Dial(s.SMTPAddr)
	if err == nil {
		err = c.SendMail(from, to, bytes.NewReader(raw))
		if err == nil {
			err = c.Quit()
		}
		_ = c.Close()
	}
	if err != nil {
		return fmt.Errorf("send from %s to %v: %w", from, to, err)
	}
	return nil
}

// TryMessages is Messages that returns the error instead of failing the
// test (while Dovecot restarts, say).
func (s *Stack) TryMessages(user, pass, mailbox string) ([][]byte, error) {
	return s.messages(user, pass, mailbox)
}

// Messages returns every message in mailbox, raw, in mailbox order, without
// setting \Seen.
func (s *Stack) Messages(t testing.TB, user, pass, mailbox string) [][]byte {
	t.Helper()
	msgs, err := s.messages(user, pass, mailbox)
	if err != nil {
		t.Fatalf("mailstack: %v", err)
	}
	return msgs
}

func (s *Stack) messages(user, pass, mailbox string) ([][]byte, error) {
	c, err := s.login(user, pass)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("select %s of %s: %w", mailbox, user, err)
	}
	if sel.NumMessages == 0 {
		_ = c.Logout().Wait()
		return nil, nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0) // 1:*
	body := &imap.FetchItemBodySection{Peek: true}
	fetched, err := c.Fetch(all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{body}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch %s of %s: %w", mailbox, user, err)
	}
	sort.Slice(fetched, func(i, j int) bool { return fetched[i].SeqNum < fetched[j].SeqNum })
	out := make([][]byte, 0, len(fetched))
	for _, m := range fetched {
		out = append(out, m.FindBodySection(body))
	}
	_ = c.Logout().Wait()
	return out, nil
}

// WaitMessages polls mailbox until it holds at least n messages and returns
// them all; it fails the test after timeout.
func (s *Stack) WaitMessages(t testing.TB, user, pass, mailbox string, n int, timeout time.Duration) [][]byte {
	t.Helper()
	return s.wait(t, user, pass, mailbox, timeout, fmt.Sprintf("at least %d messages", n),
		func(msgs [][]byte) bool { return len(msgs) >= n })
}

// WaitMatch polls mailbox until some message contains substr (useful in the
// shared catch-all mailbox) and returns the first such message.
func (s *Stack) WaitMatch(t testing.TB, user, pass, mailbox, substr string, timeout time.Duration) []byte {
	t.Helper()
	msgs := s.wait(t, user, pass, mailbox, timeout, fmt.Sprintf("a message containing %q", substr),
		func(msgs [][]byte) bool { return findMatch(msgs, substr) != nil })
	return findMatch(msgs, substr)
}

func findMatch(msgs [][]byte, substr string) []byte {
	for _, m := range msgs {
		if bytes.Contains(m, []byte(substr)) {
			return m
		}
	}
	return nil
}

func (s *Stack) wait(t testing.TB, user, pass, mailbox string, timeout time.Duration, what string, done func([][]byte) bool) [][]byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs, err := s.messages(user, pass, mailbox)
		if err == nil && done(msgs) {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailstack: %s/%s: waited %v for %s; have %d messages (last error: %v)",
				user, mailbox, timeout, what, len(msgs), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Append stores raw in mailbox (created if missing) and returns its UID.
func (s *Stack) Append(t testing.TB, user, pass, mailbox string, raw []byte) imap.UID {
	t.Helper()
	c, err := s.login(user, pass)
	if err != nil {
		t.Fatalf("mailstack: %v", err)
	}
	defer c.Close()
	data, err := appendRaw(c, mailbox, raw)
	var imapErr *imap.Error
	if errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeTryCreate {
		if err = c.Create(mailbox, nil).Wait(); err == nil {
			data, err = appendRaw(c, mailbox, raw)
		}
	}
	if err != nil {
		t.Fatalf("mailstack: append to %s of %s: %v", mailbox, user, err)
	}
	_ = c.Logout().Wait()
	return data.UID
}

func appendRaw(c *imapclient.Client, mailbox string, raw []byte) (*imap.AppendData, error) {
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return nil, err
	}
	if err := cmd.Close(); err != nil {
		return nil, err
	}
	return cmd.Wait()
}

// Mailboxes lists the user's mailbox names.
func (s *Stack) Mailboxes(t testing.TB, user, pass string) []string {
	t.Helper()
	c, err := s.login(user, pass)
	if err != nil {
		t.Fatalf("mailstack: %v", err)
	}
	defer c.Close()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("mailstack: list mailboxes of %s: %v", user, err)
	}
	names := make([]string, 0, len(list))
	for _, m := range list {
		names = append(names, m.Mailbox)
	}
	sort.Strings(names)
	_ = c.Logout().Wait()
	return names
}

// StopPostfix stops Postfix (an outage: SMTP connections are refused) until
// StartPostfix. Mail it had queued stays queued.
func (s *Stack) StopPostfix(t testing.TB) {
	t.Helper()
	if out, err := s.run(time.Minute, "postfix-stop"); err != nil {
		t.Fatalf("mailstack postfix-stop: %v\n%s", err, out)
	}
}

// StartPostfix ends an outage begun by StopPostfix.
func (s *Stack) StartPostfix(t testing.TB) {
	t.Helper()
	if out, err := s.run(time.Minute, "postfix-start"); err != nil {
		t.Fatalf("mailstack postfix-start: %v\n%s", err, out)
	}
}

// ReloadPostfix restarts Postfix's daemons with its lookup tables as they
// are now and returns once the old ones are gone. After AddUser, a daemon
// that noticed the rebuilt tables only when its next client connected would
// exit then, and its clients would pause a second: a benchmark's timed phase
// starts after this instead.
func (s *Stack) ReloadPostfix(t testing.TB) {
	t.Helper()
	if out, err := s.run(time.Minute, "postfix-reload"); err != nil {
		t.Fatalf("mailstack postfix-reload: %v\n%s", err, out)
	}
}

// StopDovecot stops Dovecot (an IMAP outage; Postfix defers local
// deliveries meanwhile) until StartDovecot.
func (s *Stack) StopDovecot(t testing.TB) {
	t.Helper()
	if out, err := s.run(time.Minute, "dovecot-stop"); err != nil {
		t.Fatalf("mailstack dovecot-stop: %v\n%s", err, out)
	}
}

// StartDovecot ends an outage begun by StopDovecot.
func (s *Stack) StartDovecot(t testing.TB) {
	t.Helper()
	if out, err := s.run(time.Minute, "dovecot-start"); err != nil {
		t.Fatalf("mailstack dovecot-start: %v\n%s", err, out)
	}
}

// RestartDovecot stops and starts Dovecot (Postfix keeps running and
// defers deliveries meanwhile). Connections open at that moment break.
func (s *Stack) RestartDovecot(t testing.TB) {
	t.Helper()
	if out, err := s.run(time.Minute, "restart-dovecot"); err != nil {
		t.Fatalf("mailstack restart-dovecot: %v\n%s", err, out)
	}
}
