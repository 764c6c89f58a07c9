package mailbox

import (
	"bytes"
	"consultd/internal/testutil"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

const (
	testUser = "coalition@example.org"
	testPass = "s3cret-not-logged"
)

var (
	capsFull    = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
	capsNoMove  = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}
	capsRev1    = imap.CapSet{imap.CapIMAP4rev1: {}}
	capsNoIdle  = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapMove: {}, imap.CapUIDPlus: {}} // IDLE filtered out
	testTimeout = 10 * time.Second
)

// testServer is go-imap's in-memory server on 127.0.0.1. The mailbox data
// outlives stop/start, like a real server restarting.
type testServer struct {
	t        *testing.T
	user     *imapmemserver.User
	caps     imap.CapSet
	hideIdle bool                            // strip IDLE from CAPABILITY lines: imapserver always advertises it
	tlsMode  string                          // "", "tls" (implicit) or "starttls"
	tlsCfg   *tls.Config                     // set by newTLSTestServer
	wrap     func(net.Listener) net.Listener // set before start: sees every connection

	mu   sync.Mutex
	srv  *imapserver.Server
	addr string
}

func newTestServer(t *testing.T, caps imap.CapSet, hideIdle bool) *testServer {
	t.Helper()
	return newWrappedTestServer(t, caps, hideIdle, nil)
}

// newWrappedTestServer is newTestServer with wrap seeing every connection.
func newWrappedTestServer(t *testing.T, caps imap.CapSet, hideIdle bool, wrap func(net.Listener) net.Listener) *testServer {
	t.Helper()
	user := imapmemserver.NewUser(testUser, testPass)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, user: user, caps: caps, hideIdle: hideIdle, wrap: wrap}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

// newTLSTestServer serves implicit TLS ("tls") or STARTTLS ("starttls") with
// a certificate no system trusts (httptest's self-signed one).
func newTLSTestServer(t *testing.T, mode string) *testServer {
	t.Helper()
	h := httptest.NewUnstartedServer(nil)
	h.StartTLS()
	cert := h.TLS.Certificates
	h.Close()
	user := imapmemserver.NewUser(testUser, testPass)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, user: user, caps: capsFull, tlsMode: mode, tlsCfg: &tls.Config{Certificates: cert}}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) start() {
	ts.t.Helper()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	addr := ts.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		ts.t.Fatalf("listen %s: %v", addr, err)
	}
	ts.addr = ln.Addr().String()
	if ts.hideIdle {
		ln = capFilterListener{ln}
	}
	if ts.wrap != nil {
		ln = ts.wrap(ln)
	}
	var starttls *tls.Config
	switch ts.tlsMode {
	case "tls":
		ln = tls.NewListener(ln, ts.tlsCfg)
	case "starttls":
		starttls = ts.tlsCfg
	}
	ts.srv = imapserver.New(&imapserver.Options{
		TLSConfig: starttls,
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return idleFlushingSession{imapmemserver.NewUserSession(ts.user)}, nil, nil
		},
		Caps:         ts.caps,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	go ts.srv.Serve(ln)
}

func (ts *testServer) stop() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.srv != nil {
		ts.srv.Close()
		ts.srv = nil
	}
}

// deliver appends raw to INBOX the way an MTA's local delivery would.
func (ts *testServer) deliver(raw []byte, flags ...imap.Flag) {
	ts.t.Helper()
	if _, err := ts.user.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{Time: time.Now(), Flags: flags}); err != nil {
		ts.t.Fatalf("deliver: %v", err)
	}
}

func (ts *testServer) exists(folder string) bool {
	_, err := ts.user.Status(folder, &imap.StatusOptions{NumMessages: true})
	return err == nil
}

// listing is what a mail client would see in one folder.
type listing struct {
	ids   []string            // Message-IDs in UID order
	flags map[string][]string // Message-ID → lower-cased flags
}

// look opens its own IMAP session, as the coalition's staff would.
func (ts *testServer) look(folder string) listing {
	ts.t.Helper()
	var (
		c    *imapclient.Client
		err  error
		opts = &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}}
	)
	switch ts.tlsMode {
	case "tls":
		c, err = imapclient.DialTLS(ts.addr, opts)
	case "starttls":
		c, err = imapclient.DialStartTLS(ts.addr, opts)
	default:
		c, err = imapclient.DialInsecure(ts.addr, opts)
	}
	if err != nil {
		ts.t.Fatalf("look: %v", err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		ts.t.Fatalf("look: login: %v", err)
	}
	if !ts.exists(folder) {
		return listing{} // not created yet: nothing in it
	}
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		ts.t.Fatalf("look: select %s: %v", folder, err)
	}
	sd, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		ts.t.Fatalf("look: search: %v", err)
	}
	out := listing{flags: map[string][]string{}}
	uids := sd.AllUIDs()
	if len(uids) == 0 {
		return out
	}
	bufs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, Envelope: true, Flags: true}).Collect()
	if err != nil {
		ts.t.Fatalf("look: fetch: %v", err)
	}
	slices.SortFunc(bufs, func(a, b *imapclient.FetchMessageBuffer) int { return int(a.UID) - int(b.UID) })
	for _, b := range bufs {
		id := "<" + b.Envelope.MessageID + ">"
		out.ids = append(out.ids, id)
		for _, f := range b.Flags {
			out.flags[id] = append(out.flags[id], strings.ToLower(string(f)))
		}
	}
	return out
}

// idleFlushingSession fixes a race in imapmemserver (beta.8): its IDLE only
// reports updates queued after the IDLE loop registered, so a message
// appended just after "+ idling" stays unreported until the next one. Real
// servers report it; this one now checks for queued updates every 5 ms.
type idleFlushingSession struct{ *imapmemserver.UserSession }

func (s idleFlushingSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := s.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
	}
}

// capFilterListener hides IDLE from the client, for a server without IDLE.
type capFilterListener struct{ net.Listener }

func (l capFilterListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &capFilterConn{Conn: c}, nil
}

type capFilterConn struct {
	net.Conn
	mu      sync.Mutex
	pending []byte
}

// Write passes whole lines on, with " IDLE" removed from capability lists.
func (c *capFilterConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = append(c.pending, p...)
	end := bytes.LastIndexByte(c.pending, '\n')
	if end < 0 {
		return len(p), nil
	}
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(c.pending[:end+1], []byte("\n")) {
		if bytes.Contains(line, []byte("CAPABILITY")) {
			line = bytes.ReplaceAll(line, []byte(" IDLE"), nil)
		}
		out.Write(line)
	}
	c.pending = append([]byte(nil), c.pending[end+1:]...)
	if _, err := c.Conn.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// freezeProxy forwards TCP to target; freeze makes every open connection a
// black hole (data swallowed, nothing closed): a silently dead server.
type freezeProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	dead   []*atomic.Bool
}

func newFreezeProxy(t *testing.T, target string) *freezeProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezeProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go p.serve()
	return p
}

func (p *freezeProxy) addr() string { return p.ln.Addr().String() }

func (p *freezeProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		dead := &atomic.Bool{}
		p.mu.Lock()
		p.dead = append(p.dead, dead)
		p.mu.Unlock()
		go pipe(server, client, dead)
		go pipe(client, server, dead)
	}
}

func pipe(dst, src net.Conn, dead *atomic.Bool) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !dead.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *freezeProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range p.dead {
		d.Store(true)
	}
}

// recorder is a Handler that remembers every call.
type recorder struct {
	mu     sync.Mutex
	calls  []string // Message-IDs in call order
	decide func(id string) (Disposition, error)
}

func (r *recorder) Handle(_ context.Context, m Message) (Disposition, error) {
	id := messageID(m.Raw)
	r.mu.Lock()
	r.calls = append(r.calls, id)
	decide := r.decide
	r.mu.Unlock()
	if decide == nil {
		return Processed, nil
	}
	return decide(id)
}

func (r *recorder) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if c == id {
			n++
		}
	}
	return n
}

func (r *recorder) order() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func messageID(raw []byte) string {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	return m.Header.Get("Message-Id")
}

func testConfig(addr string) Config {
	return Config{
		Addr: addr, Security: "none", Username: testUser, Password: testPass,
		PollInterval: time.Minute, // long: IDLE tests must not pass thanks to polling
		MinBackoff:   10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		CommandTimeout: 5 * time.Second,
	}
}

// running is a watcher started by startWatcher.
type running struct {
	*Watcher
	log  *testutil.LogBuffer
	stop func() // cancel Run and check it returns context.Canceled promptly
}

// startWatcher runs a watcher until stop or the end of the test.
func startWatcher(t *testing.T, cfg Config, h Handler, cp Checkpoint) running {
	t.Helper()
	sink := &testutil.LogBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = sink.Logger(nil)
	}
	w := New(cfg, h, cp)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(testTimeout):
			t.Errorf("Run did not return within %s of cancel", testTimeout)
		}
		if t.Failed() {
			t.Logf("watcher log:\n%s", sink)
		}
		if strings.Contains(sink.String(), testPass) {
			t.Errorf("the password appears in the log")
		}
	}
	t.Cleanup(stop)
	return running{Watcher: w, log: sink, stop: stop}
}

// Fixtures: the way real clients format mail.

func gmailReply(id string) []byte {
	return crlf(`MIME-Version: 1.0
Date: Thu, 26 Nov 2026 09:14:22 +0200
Message-ID: ` + id + `
Subject: Re: Consultation: invitation to the Envoy's civil society meeting
From: Lina Haddad <lina.haddad@gmail.com>
To: coalition+r7k2q9@example.org
In-Reply-To: <case-12.1@consultd.example.org>
References: <case-12.1@consultd.example.org>
Content-Type: multipart/alternative; boundary="000000000000f3a1b2060c8d9e10"

--000000000000f3a1b2060c8d9e10
Content-Type: text/plain; charset="UTF-8"

Decision: decline
Sign on: yes

On Wed, Nov 25, 2026 at 6:02 PM Coalition <coalition@example.org> wrote:
> Please answer by 2 December.

--000000000000f3a1b2060c8d9e10
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">Decision: decline<br>Sign on: yes</div>

--000000000000f3a1b2060c8d9e10--
`)
}

func outlookReply(id string) []byte {
	return crlf(`From: "Omar Khalil" <o.khalil@rights-org.example>
To: "Coalition" <coalition+x81mzt@example.org>
Subject: RE: Consultation: invitation to the Envoy's civil society meeting
Thread-Topic: Consultation: invitation to the Envoy's civil society meeting
Thread-Index: AQHbQ2a1c2VuZGVyLXRocmVhZA==
Date: Thu, 26 Nov 2026 10:41:07 +0000
Message-ID: ` + id + `
In-Reply-To: <case-12.2@consultd.example.org>
Content-Language: en-US
X-MS-Has-Attach:
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

We accept and will sign on.

________________________________
From: Coalition <coalition@example.org>
Sent: Wednesday, November 25, 2026 6:02 PM
`)
}

func appleMailArabic(id string) []byte {
	return crlf(`Content-Type: text/plain;
	charset=utf-8
Content-Transfer-Encoding: base64
Mime-Version: 1.0 (Mac OS X Mail 16.0 \(3774.600.62\))
Subject: =?utf-8?B?UmU6INin2LPYqti02KfYsdip?=
From: =?utf-8?B?2YXZhti42YXYqSDYp9mE2YbZiNix?= <info@alnour.example>
In-Reply-To: <case-12.3@consultd.example.org>
Date: Thu, 26 Nov 2026 12:05:51 +0300
Message-Id: ` + id + `
To: coalition+p0c4vb@example.org
X-Mailer: Apple Mail (2.3774.600.62)

2YbZiNin2YHZgiDYudmE2Ykg2KfZhNmF2LTYp9ix2YPYqS4K
`)
}

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }
