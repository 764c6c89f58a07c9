// Package itest runs consultd against a real Dovecot (IMAP + LMTP) and a real
// Postfix on loopback, started by scripts/mailstack.sh, and checks what users
// would check in their mailboxes.
package itest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"consultd/internal/config"
	"consultd/internal/daemon"
	"consultd/internal/mailstack"
	"consultd/internal/mimeparse"
	"consultd/internal/store"
	"consultd/internal/testutil"
	"consultd/internal/token"
)

const pass = "secret-pw"

var seq atomic.Int64

// world is one coalition with its own addresses on the shared mail stack, so
// tests can run side by side.
type world struct {
	t         *testing.T
	ms        *mailstack.Stack
	prefix    string
	domain    string
	coalition string
	coord     string
	inviter   string
	members   []member
	bouncing  map[string]bool // member ids that get a second contact at bounce.test
	cfgPath   string
	dir       string
	logs      *testutil.LogBuffer

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan error
	d      *daemon.Daemon
}

type member struct {
	id, name, lang string
	emails         []string
}

// newWorld creates the users of a coalition with n members (ids m1..mn, or the
// given names) and writes its configuration; Start runs consultd.
func newWorld(t *testing.T, ms *mailstack.Stack, names []string, langs []string, extra string) *world {
	return newWorldIDs(t, ms, nil, names, langs, extra)
}

// newWorldIDs is newWorld with member ids; member i gets ids[i] (when given)
// and the address ID@PREFIX.org.test.
func newWorldIDs(t *testing.T, ms *mailstack.Stack, ids, names []string, langs []string, extra string, bouncing ...string) *world {
	t.Helper()
	n := seq.Add(1)
	w := &world{t: t, ms: ms, prefix: fmt.Sprintf("t%d%d", time.Now().Unix()%100000, n), logs: &testutil.LogBuffer{}, bouncing: map[string]bool{}}
	for _, id := range bouncing {
		w.bouncing[id] = true
	}
	w.domain = w.prefix + ".coal.test"
	w.coalition = "coalition@" + w.domain
	w.coord = "rania@" + w.domain
	w.inviter = "cssr@" + w.prefix + ".envoy.test"
	w.dir = t.TempDir()
	ms.AddUser(t, w.coalition, pass)
	ms.AddUser(t, w.coord, pass)
	ms.AddUser(t, w.inviter, pass)
	var mem strings.Builder
	for i, name := range names {
		id := fmt.Sprintf("m%d", i+1)
		if i < len(ids) {
			id = ids[i]
		}
		lang := "en"
		if i < len(langs) {
			lang = langs[i]
		}
		m := member{id: id, name: name, lang: lang, emails: []string{fmt.Sprintf("%s@%s.org.test", id, w.prefix)}}
		ms.AddUser(t, m.emails[0], pass)
		if w.bouncing[id] {
			// Postfix accepts mail for bounce.test, then bounces it with a DSN.
			m.emails = append(m.emails, fmt.Sprintf("board@%s.bounce.test", w.prefix))
		}
		w.members = append(w.members, m)
		fmt.Fprintf(&mem, "  - {id: %s, name: %q, emails: [%s], language: %s}\n", id, name, strings.Join(m.emails, ", "), lang)
	}
	ihost, iport, _ := net.SplitHostPort(ms.IMAPAddr)
	shost, sport, _ := net.SplitHostPort(ms.SMTPAddr)
	y := fmt.Sprintf(`coalition: {name: "Test Coalition %s", address: %s}
imap: {host: %s, port: %s, security: none, username: %s, password: %s, poll_interval: 5s}
smtp: {host: %s, port: %s, security: none}
database: %s
publish_dir: %s
coordinators:
  - {name: Rania, email: %s}
members:
%spolicy: {consultation_period: 72h, reminders_before: [24h], quorum: 0.5, decision: majority, on_no_quorum: decline, close_when_all_answered: true}
%s`, w.prefix, w.coalition, ihost, iport, w.coalition, pass, shost, sport, filepath.Join(w.dir, "consultd.db"),
		filepath.Join(w.dir, "published"), w.coord, mem.String(), extra)
	w.cfgPath = filepath.Join(w.dir, "consultd.yaml")
	if err := os.WriteFile(w.cfgPath, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return w
}

// Start runs consultd in the background with this world's configuration.
func (w *world) Start() {
	w.t.Helper()
	cfg, err := config.Load(w.cfgPath)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.New(ctx, cfg, w.logs.Logger(&slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: token.RedactAttr}))
	if err != nil {
		w.t.Fatal(err)
	}
	d.TickEvery, d.WatchdogEvery = 200*time.Millisecond, 200*time.Millisecond
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	w.mu.Lock()
	w.cancel, w.done, w.d = cancel, done, d
	w.mu.Unlock()
}

// Stop stops consultd (as SIGTERM would) and waits for it.
func (w *world) Stop() {
	w.mu.Lock()
	cancel, done := w.cancel, w.done
	w.cancel, w.done = nil, nil
	w.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			w.t.Errorf("consultd stopped with %v", err)
		}
	case <-time.After(20 * time.Second):
		w.t.Errorf("consultd did not stop within 20s")
	}
	if w.t.Failed() {
		w.t.Logf("consultd log:\n%s", w.logs.String())
	}
}

// send submits a raw message to Postfix like a mail client.
func (w *world) send(from string, to []string, raw []byte) {
	w.t.Helper()
	w.ms.Send(w.t, from, to, raw)
}

// inbox waits for at least n messages in a mailbox whose subject contains subj.
func (w *world) inbox(user, folder, subj string, n int) []*mimeparse.Message {
	w.t.Helper()
	var got []*mimeparse.Message
	found := testutil.WaitFor(45*time.Second, func() bool {
		got = got[:0]
		for _, raw := range w.ms.Messages(w.t, user, pass, folder) {
			if m, _ := mimeparse.Parse(raw); m != nil && strings.Contains(m.Subject, subj) {
				got = append(got, m)
			}
		}
		return len(got) >= n
	})
	if !found {
		w.t.Fatalf("waited 45s for %d message(s) %q in %s/%s, found %d\nconsultd log:\n%s", n, subj, user, folder, len(got), w.logs.String())
	}
	return got
}

// count returns the messages in a mailbox whose subject contains subj, now.
func (w *world) count(user, folder, subj string) int {
	n := 0
	for _, raw := range w.ms.Messages(w.t, user, pass, folder) {
		if m, _ := mimeparse.Parse(raw); m != nil && strings.Contains(m.Subject, subj) {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func (w *world) waitFor(what string, cond func() bool) {
	w.t.Helper()
	if !testutil.WaitFor(45*time.Second, cond) {
		w.t.Fatalf("waited 45s for %s\nconsultd log:\n%s", what, w.logs.String())
	}
}

// rounds reads the rounds from consultd's database (as `consultd rounds` does).
func (w *world) rounds() []*store.Round {
	w.t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(w.dir, "consultd.db"))
	if err != nil {
		w.t.Fatal(err)
	}
	defer st.Close()
	rs, err := store.ListRounds(context.Background(), st.DB())
	if err != nil {
		w.t.Fatal(err)
	}
	return rs
}

func (w *world) participants(roundID string) []*store.Participant {
	w.t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(w.dir, "consultd.db"))
	if err != nil {
		w.t.Fatal(err)
	}
	defer st.Close()
	ps, err := store.Participants(context.Background(), st.DB(), roundID)
	if err != nil {
		w.t.Fatal(err)
	}
	return ps
}

// readdress rewrites a fixture's From and To for this world.
func readdress(raw []byte, from, to string) []byte {
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	sep := "\r\n"
	if !ok {
		head, body, _ = bytes.Cut(raw, []byte("\n\n"))
		sep = "\n"
	}
	var out []string
	skip := false
	for _, l := range strings.Split(string(head), sep) {
		if skip && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) {
			continue
		}
		skip = false
		low := strings.ToLower(l)
		switch {
		case strings.HasPrefix(low, "from:"):
			out = append(out, "From: Rania <"+from+">")
			skip = true
		case strings.HasPrefix(low, "to:"):
			out = append(out, "To: <"+to+">")
			skip = true
		case strings.HasPrefix(low, "message-id:"):
			out = append(out, "Message-ID: <"+strconv.FormatInt(time.Now().UnixNano(), 36)+"."+from+">")
			skip = true
		default:
			out = append(out, l)
		}
	}
	return []byte(strings.Join(out, sep) + sep + sep + string(body))
}

// outbox lists what consultd queued for a round (as `consultd round` shows).
func (w *world) outbox(roundID string) []*store.OutboxRow {
	w.t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(w.dir, "consultd.db"))
	if err != nil {
		w.t.Fatal(err)
	}
	defer st.Close()
	rows, err := store.OutboxByRound(context.Background(), st.DB(), roundID)
	if err != nil {
		w.t.Fatal(err)
	}
	return rows
}

// settle waits until consultd has handed every queued mail of the round to
// Postfix, then sends a marker through Postfix to each user and waits for it:
// a duplicate sent late would be in the mailbox by then, so a count after
// settle can fail.
func (w *world) settle(roundID string, users ...string) {
	w.t.Helper()
	w.waitFor("consultd's outbox to be delivered", func() bool {
		for _, o := range w.outbox(roundID) {
			if o.State == "pending" || o.State == "sending" {
				return false
			}
		}
		return true
	})
	w.passMarker(users...)
}

// passMarker sends a marker through Postfix to each user and waits for it.
func (w *world) passMarker(users ...string) {
	w.t.Helper()
	subj := fmt.Sprintf("settle-%d", seq.Add(1))
	for _, u := range users {
		w.send("marker@"+w.prefix+".test", []string{u}, []byte("From: <marker@"+w.prefix+".test>\r\nTo: <"+u+
			">\r\nSubject: "+subj+"\r\nMessage-ID: <"+subj+"."+u+">\r\n\r\nmarker\r\n"))
	}
	for _, u := range users {
		w.inbox(u, "INBOX", subj, 1)
	}
}
