package itest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"consultd/internal/cli"
	"consultd/internal/mimeparse"
)

// daemonEnv makes the test binary run `consultd run --config FILE` instead of
// the tests, so that a test can SIGKILL a real consultd process.
const daemonEnv = "CONSULTD_ITEST_DAEMON"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(daemonEnv); cfg != "" {
		os.Exit(runDaemon(cfg))
	}
	os.Exit(m.Run())
}

// runDaemon runs consultd in this process, under a CPU profile when the
// benchmark asks for one (benchProfileEnv), written once consultd stops.
func runDaemon(cfg string) int {
	if path := os.Getenv(benchProfileEnv); path != "" {
		if f, err := os.Create(path); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	return cli.Main([]string{"run", "--config", cfg}, os.Stdin, os.Stdout, os.Stderr)
}

// proc is consultd running as a child process of the test.
type proc struct {
	cmd  *exec.Cmd
	done chan error
}

// startProc starts consultd as a process with this world's configuration;
// its log is appended to consultd.log in the world's folder.
func (w *world) startProc() *proc {
	w.t.Helper()
	logf, err := os.OpenFile(filepath.Join(w.dir, "consultd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		w.t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), daemonEnv+"="+w.cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		w.t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan error, 1)}
	exited := make(chan struct{})
	go func() { p.done <- cmd.Wait(); logf.Close(); close(exited) }()
	// However the test ends, no consultd outlives it.
	w.t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	return p
}

// kill ends the process with SIGKILL (no chance to clean up) and waits.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// procLog is what the consultd processes of this world logged.
func (w *world) procLog() string {
	b, _ := os.ReadFile(filepath.Join(w.dir, "consultd.log"))
	return string(b)
}

// setSMTP points consultd at another SMTP server and adds settings to the
// smtp section of the world's configuration.
func (w *world) setSMTP(addr, extra string) {
	w.t.Helper()
	b, err := os.ReadFile(w.cfgPath)
	if err != nil {
		w.t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	line := fmt.Sprintf("smtp: {host: %s, port: %s, security: none%s}", host, port, extra)
	out := regexp.MustCompile(`(?m)^smtp: \{.*\}$`).ReplaceAll(b, []byte(line))
	if bytes.Equal(out, b) {
		w.t.Fatal("no smtp line in the configuration")
	}
	if err := os.WriteFile(w.cfgPath, out, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// relay is an SMTP server on loopback in front of the real Postfix. It can
// hold one chosen message inside the SMTP exchange, so that a test kills
// consultd exactly there; it can delay every answer a little (to widen the
// window random kills land in); and it can fail like an outage.
type relay struct {
	t        *testing.T
	upstream string
	srv      *smtp.Server
	Addr     string

	mu      sync.Mutex
	hold    *holdRule
	delay   func() time.Duration
	release chan struct{}
}

type holdRule struct {
	match func(messageID string) bool
	// afterUpstream: Postfix has taken the message when it is held (a kill
	// then must not lead to a second copy); otherwise Postfix never got it
	// (a kill then must not lose it).
	afterUpstream bool
	held          chan string // receives the held message's Message-ID
}

func newRelay(t *testing.T, upstream string) *relay {
	t.Helper()
	r := &relay{t: t, upstream: upstream, release: make(chan struct{})}
	r.srv = smtp.NewServer(r)
	r.srv.Domain = "relay.test"
	r.srv.AllowInsecureAuth = true
	r.srv.ReadTimeout, r.srv.WriteTimeout = 2*time.Minute, 2*time.Minute
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.Addr = ln.Addr().String()
	go func() { _ = r.srv.Serve(ln) }()
	t.Cleanup(func() { r.releaseHeld(); r.srv.Close() })
	return r
}

// holdNext arms the relay to hold the next message whose Message-ID matches;
// the returned channel receives it once the message is held.
func (r *relay) holdNext(afterUpstream bool, match func(messageID string) bool) <-chan string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hold = &holdRule{match: match, afterUpstream: afterUpstream, held: make(chan string, 1)}
	return r.hold.held
}

// releaseHeld lets a held exchange end (its client is usually dead by
// then); a later hold waits for the next release.
func (r *relay) releaseHeld() {
	r.mu.Lock()
	defer r.mu.Unlock()
	close(r.release)
	r.release = make(chan struct{})
}

func (r *relay) setDelay(f func() time.Duration) {
	r.mu.Lock()
	r.delay = f
	r.mu.Unlock()
}

func (r *relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }

type relaySession struct {
	r     *relay
	from  string
	rcpts []string
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *relaySession) Reset()        { s.from, s.rcpts = "", nil }
func (s *relaySession) Logout() error { return nil }

var msgIDHeader = regexp.MustCompile(`(?im)^Message-ID:\s*<([^>]+)>`)

func (s *relaySession) Data(body io.Reader) error {
	raw, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	header, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	id := ""
	if m := msgIDHeader.FindSubmatch(header); m != nil {
		id = string(m[1])
	}
	r := s.r
	r.mu.Lock()
	rule := r.hold
	if rule != nil && rule.match(id) {
		r.hold = nil
	} else {
		rule = nil
	}
	delay, release := r.delay, r.release
	r.mu.Unlock()

	if rule != nil && !rule.afterUpstream {
		rule.held <- id
		<-release
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "held by the test"}
	}
	if err := s.forward(raw); err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 1}, Message: "upstream: " + err.Error()}
	}
	if rule != nil {
		rule.held <- id // Postfix has it; consultd has no answer yet
		<-release
	}
	if delay != nil {
		time.Sleep(delay()) // an answer that takes a while, as on a loaded server
	}
	return nil
}

func (s *relaySession) forward(raw []byte) error {
	c, err := smtp.Dial(s.r.upstream)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(s.from, s.rcpts, bytes.NewReader(raw)); err != nil {
		return err
	}
	return c.Quit()
}

// messageIDs counts the messages in a mailbox whose subject contains subj,
// by Message-ID; errors (Dovecot restarting) are returned, not fatal.
func (w *world) messageIDs(user, folder, subj string) (map[string]int, error) {
	raws, err := w.ms.TryMessages(user, pass, folder)
	if err != nil {
		return nil, err
	}
	ids := map[string]int{}
	for _, raw := range raws {
		if m, _ := mimeparse.Parse(raw); m != nil && strings.Contains(m.Subject, subj) {
			ids[m.MessageID]++
		}
	}
	return ids, nil
}

// waitCtx polls cond every 100 ms until it holds or the deadline passes.
func waitCtx(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return errors.New("timed out")
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
