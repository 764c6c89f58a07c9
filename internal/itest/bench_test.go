package itest

// The scale benchmark of issue 10, run by hand (scripts/bench.sh), never in
// CI: every figure is printed next to a floor measured in the same run on
// the same Dovecot + Postfix, as "bench NAME: consultd X, floor Y, ratio R".

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"consultd/internal/mailstack"
	"consultd/internal/store"
	"consultd/internal/testutil"
)

// benchGate skips unless CONSULTD_BENCH=1: the benchmark takes minutes and
// gigabytes of mail, which CI must not spend.
func benchGate(t *testing.T) int {
	t.Helper()
	if os.Getenv("CONSULTD_BENCH") != "1" {
		t.Skip("the scale benchmark runs only with CONSULTD_BENCH=1 (scripts/bench.sh)")
	}
	n := 2000
	if s := os.Getenv("CONSULTD_BENCH_MEMBERS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 500 {
			t.Fatalf("CONSULTD_BENCH_MEMBERS=%q: want a number of at least 500", s)
		}
		n = v
	}
	return n
}

// benchProfileEnv names the file for a CPU profile of each fan-out and
// drain (set by CONSULTD_BENCH_PROFILE=DIR): they then run in the test
// binary, as startProc's children do, instead of the built consultd.
const benchProfileEnv = "CONSULTD_BENCH_CPUPROFILE"

// startBenchDaemon is startConsultdProcess, or under CONSULTD_BENCH_PROFILE
// the test binary as consultd with a CPU profile written to DIR/name.
func startBenchDaemon(t *testing.T, w *world, name string) (*floodChild, string) {
	t.Helper()
	dir := os.Getenv("CONSULTD_BENCH_PROFILE")
	if dir == "" {
		return startConsultdProcess(t, w.cfgPath)
	}
	logPath := filepath.Join(dir, name+".log") // kept, to read beside the profile
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), daemonEnv+"="+w.cfgPath, benchProfileEnv+"="+filepath.Join(dir, name+".pprof"))
	cmd.Stdout, cmd.Stderr = logf, logf
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := &floodChild{cmd: cmd, done: make(chan struct{}), started: started}
	go func() { _ = cmd.Wait(); logf.Close(); close(ch.done) }()
	t.Cleanup(func() {
		if !ch.exited() {
			_ = cmd.Process.Kill()
			<-ch.done
		}
	})
	return ch, logPath
}

func benchLine(name string, consultd, floor float64, unit string) {
	ratio := "n/a"
	if floor > 0 {
		ratio = fmt.Sprintf("%.2f", consultd/floor)
	}
	fmt.Printf("bench %s: consultd %s, floor %s, ratio %s\n", name, benchFmt(consultd, unit), benchFmt(floor, unit), ratio)
}

func benchFmt(v float64, unit string) string {
	switch unit {
	case "s":
		return fmt.Sprintf("%.2f s", v)
	case "ms":
		return fmt.Sprintf("%.0f ms", v*1000)
	case "MB":
		return fmt.Sprintf("%.1f MB", v/(1<<20))
	}
	return fmt.Sprintf("%g %s", v, unit)
}

// benchMailboxes is how many of a bench coalition's members have a
// mailbox (the stack's catch-all, read by the reply -> receipt row and the
// floor's copy of a consultation).
const benchMailboxes = 50

// newBenchWorld is a coalition of n members whose addresses are in foreign
// domains: the first benchMailboxes land in the stack's catch-all, the
// others in discard.test, which Postfix accepts and queues like any relayed
// mail and then drops, as mail to the members' own providers leaves the
// coalition's server. (Thousands of copies in one catch-all Maildir made
// Dovecot's deliveries take both cores, for consultd and its floor alike.)
func newBenchWorld(t *testing.T, ms *mailstack.Stack, n int) *world {
	t.Helper()
	w := newWorld(t, ms, nil, nil, "")
	var mem strings.Builder
	for i := range n {
		m := member{id: fmt.Sprintf("m%d", i+1), name: fmt.Sprintf("Member Organisation %d", i+1), lang: "en"}
		domain := "members.test"
		if i >= benchMailboxes {
			domain = "discard.test"
		}
		m.emails = []string{fmt.Sprintf("%s@%s.%s", m.id, w.prefix, domain)}
		w.members = append(w.members, m)
		fmt.Fprintf(&mem, "  - {id: %s, name: %q, emails: [%s], language: en}\n", m.id, m.name, m.emails[0])
	}
	b, err := os.ReadFile(w.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// Replies are drained in two waves: the round must stay open.
	y := strings.Replace(string(b), "members:\n", "members:\n"+mem.String(), 1)
	y = strings.Replace(y, "close_when_all_answered: true", "close_when_all_answered: false", 1)
	if err := os.WriteFile(w.cfgPath, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	w.trustCoordinator()
	return w
}

// benchForward is the coordinator's forward, with the PDF attached or not.
func benchForward(w *world, pdf []byte) []byte {
	if pdf != nil {
		return w.vouch(forwardWithPDF(w, pdf))
	}
	raw := string(forwardWithPDF(w, []byte("x")))
	head, _, _ := strings.Cut(raw, "--000fwd\r\nContent-Type: application/pdf")
	return w.vouch([]byte(head + "--000fwd--\r\n"))
}

// benchDB opens consultd's database read-only for the benchmark's queries.
func benchDB(t *testing.T, w *world) *sql.DB {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(w.dir, "consultd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.DB()
}

func benchCount(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// benchReady waits until the daemon is watching the
// INBOX (its "imap watcher: connected" line) and prints how long that took:
// the fan-out rows time a running daemon, as a coalition's is, and the
// floor loop starts nothing either, so the start-up is a row of its own.
func benchReady(t *testing.T, name string, child *floodChild, logPath string) {
	t.Helper()
	deadline := child.started.Add(5 * time.Minute)
	for {
		b, _ := os.ReadFile(logPath)
		if strings.Contains(string(b), `msg="imap watcher: connected"`) {
			break
		}
		if child.exited() {
			t.Fatalf("consultd exited while starting\n%s", tail(logPath, 40))
		}
		if time.Now().After(deadline) {
			t.Fatalf("consultd was not watching the INBOX 5 minutes after it started\n%s", tail(logPath, 40))
		}
		time.Sleep(10 * time.Millisecond) // polling the log, at the row's resolution
	}
	fmt.Printf("bench start-%s: consultd watching the INBOX %.2f s after it was started\n", name, time.Since(child.started).Seconds())
}

// logTime is the time= of the first line of the daemon's log with needle.
func logTime(t *testing.T, logPath, needle string) time.Time {
	t.Helper()
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, needle) || !strings.HasPrefix(l, "time=") {
			continue
		}
		v, _, _ := strings.Cut(strings.TrimPrefix(l, "time="), " ")
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		return at
	}
	t.Fatalf("no %s in the log\n%s", needle, tail(logPath, 20))
	return time.Time{}
}

// fanout opens a round and returns the time from the forward reaching
// Postfix to the last consultation handed to Postfix, and the round's id.
// The daemon is running and watching when the forward is sent.
func benchFanout(t *testing.T, w *world, db *sql.DB, pdf []byte, child *floodChild, logPath string) (fanoutTimes, string) {
	t.Helper()
	waitPostfixIdle(t, w.ms)
	noticed := noticeForward(t, w.ms, w.coalition)
	start := time.Now()
	w.send(w.coord, []string{w.coalition}, benchForward(w, pdf))
	n := len(w.members)
	var roundID string
	var first time.Duration // the forward's trip and the round's opening
	var marks []float64
	defer func() {
		timeline("consultd", marks)
		fmt.Printf("bench fanout-%d: the first consultation went out %.2f s after the forward was sent\n", n, first.Seconds())
	}()
	// A fixed, short poll: WaitFor backs off to a second under so long a
	// limit, which would add up to a second to the row; 20 ms is 0.2% of the
	// shortest fan-out timed here. Each poll reads a row or two by index:
	// counting the consultations sent (or not yet sent) at every poll took
	// up to half a core of the two that consultd's fan-out had at 15,000,
	// and none of its floors'. The consultations go out in the order of
	// their ids (the outbox's order), so the timeline's marks are the
	// states of the rows at each twentieth.
	deadline := start.Add(60 * time.Minute)
	var minID int64
	state := func(id int64) string {
		var st string
		if err := db.QueryRow(`SELECT state FROM outbox WHERE id=?`, id).Scan(&st); err != nil {
			t.Fatalf("outbox row %d: %v", id, err)
		}
		return st
	}
	for {
		if child.exited() {
			t.Fatalf("consultd exited during the fan-out\n%s", tail(logPath, 40))
		}
		if roundID == "" {
			_ = db.QueryRow(`SELECT id FROM rounds ORDER BY rowid DESC LIMIT 1`).Scan(&roundID)
			if roundID != "" {
				// The round and all its consultations are committed together.
				var maxID int64
				var count int
				if err := db.QueryRow(`SELECT MIN(id), MAX(id), COUNT(*) FROM outbox WHERE round_id=? AND kind='consultation'`,
					roundID).Scan(&minID, &maxID, &count); err != nil || count != n || maxID-minID+1 != int64(n) {
					t.Fatalf("round %s: %d consultations, ids %d to %d, for %d members (%v)", roundID, count, minID, maxID, n, err)
				}
			}
		}
		if roundID != "" {
			if first == 0 && state(minID) == "sent" {
				first = time.Since(start)
			}
			for len(marks) < 20 && state(minID+int64(n*(len(marks)+1)/20)-1) == "sent" {
				marks = append(marks, time.Since(start).Seconds())
			}
			var unsent int
			err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE state IN ('pending','sending')
				AND round_id=? AND kind='consultation' LIMIT 1)`, roundID).Scan(&unsent)
			if err != nil {
				t.Fatal(err)
			}
			if unsent == 0 {
				end := time.Now()
				if got := benchCount(t, db, `SELECT COUNT(*) FROM outbox WHERE round_id=? AND kind='consultation' AND state='sent'`, roundID); got != n {
					t.Fatalf("the fan-out ended with %d of %d consultations sent\n%s", got, n, tail(logPath, 40))
				}
				return fanoutTimes{sent: end.Sub(start), noticed: end.Sub(noticed())}, roundID
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fan-out to %d members did not end within an hour\n%s", n, tail(logPath, 40))
		}
		time.Sleep(20 * time.Millisecond) // polling the database, at the row's resolution
	}
}

// catchallOne fetches the newest message in the catch-all delivered to addr.
func catchallOne(t *testing.T, ms *mailstack.Stack, addr string) []byte {
	t.Helper()
	c2, err := imapclient.DialInsecure(ms.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Login(ms.Catchall, ms.CatchallPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	res, err := c2.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Delivered-To", Value: addr}}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	uids := res.AllUIDs()
	if len(uids) == 0 {
		t.Fatalf("no mail for %s in the catch-all", addr)
	}
	msgs, err := c2.Fetch(imap.UIDSetNum(uids[len(uids)-1]), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("fetch from the catch-all: %v", err)
	}
	for _, b := range msgs[0].BodySection {
		return b.Bytes
	}
	t.Fatal("empty fetch")
	return nil
}

// smtpLoop is the fan-out floor: the same message to the same recipients,
// one SMTP transaction each, over one connection to the same Postfix. Each
// transaction has a second recipient, copyTo (a mailbox of its own), as
// consultd's have the coalition's proof copy (smtp.proof_copy), so both
// deliver as much to Dovecot.
func smtpLoop(t *testing.T, addr, from, copyTo string, rcpts []string, raw []byte) time.Duration {
	t.Helper()
	_, body, _ := strings.Cut(string(raw), "\r\n\r\n")
	head := headerWithout(raw, "delivered-to", "return-path", "received", "message-id", "to")
	start := time.Now()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var marks []float64
	defer func() { timeline("floor", marks) }()
	for i, rcpt := range rcpts {
		if len(marks) < 20 && i >= len(rcpts)*(len(marks)+1)/20 {
			marks = append(marks, time.Since(start).Seconds())
		}
		msg := fmt.Sprintf("Message-ID: <floor-%d-%d@bench.test>\r\nTo: <%s>\r\n%s\r\n%s", time.Now().UnixNano(), i, rcpt, head, body)
		if err := c.SendMail(from, []string{rcpt, copyTo}, strings.NewReader(msg)); err != nil {
			t.Fatalf("floor SMTP loop: %v", err)
		}
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

// smtpLoopPipelined is smtpLoop with RFC 2920 PIPELINING, as consultd's
// sender uses when the server offers it: MAIL FROM and both RCPTs in one
// write, then DATA. A second floor, because go-smtp's client (smtpLoop)
// waits for each answer: consultd is held to the faster of the two.
func smtpLoopPipelined(t *testing.T, addr, from, copyTo string, rcpts []string, raw []byte) time.Duration {
	t.Helper()
	_, body, _ := strings.Cut(string(raw), "\r\n\r\n")
	head := headerWithout(raw, "delivered-to", "return-path", "received", "message-id", "to")
	start := time.Now()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := textproto.NewConn(conn)
	expect := func(code int) {
		if _, msg, err := c.ReadResponse(code); err != nil {
			t.Fatalf("pipelined floor loop: %v %s", err, msg)
		}
	}
	expect(220)
	if err := c.PrintfLine("EHLO floor.bench.test"); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.ReadResponse(250); err != nil || !strings.Contains(msg, "PIPELINING") {
		t.Fatalf("EHLO: %v, PIPELINING not offered: %s", err, msg)
	}
	var marks []float64
	defer func() { timeline("pipelined-loop", marks) }()
	for i, rcpt := range rcpts {
		if len(marks) < 20 && i >= len(rcpts)*(len(marks)+1)/20 {
			marks = append(marks, time.Since(start).Seconds())
		}
		fmt.Fprintf(c.W, "MAIL FROM:<%s> BODY=8BITMIME\r\nRCPT TO:<%s>\r\nRCPT TO:<%s>\r\n", from, rcpt, copyTo)
		if err := c.W.Flush(); err != nil {
			t.Fatal(err)
		}
		expect(250)
		expect(25)
		expect(25)
		if err := c.PrintfLine("DATA"); err != nil {
			t.Fatal(err)
		}
		expect(354)
		dw := c.DotWriter()
		fmt.Fprintf(dw, "Message-ID: <floorp-%d-%d@bench.test>\r\nTo: <%s>\r\n%s\r\n%s", time.Now().UnixNano(), i, rcpt, head, body)
		if err := dw.Close(); err != nil {
			t.Fatal(err)
		}
		expect(250)
	}
	_ = c.PrintfLine("QUIT")
	expect(221)
	return time.Since(start)
}

// timeline prints, under CONSULTD_BENCH_TIMELINE=1, when each twentieth of a
// fan-out had been handed to Postfix (seconds from its start): a stall shows
// as one step much longer than the others.
func timeline(who string, marks []float64) {
	if os.Getenv("CONSULTD_BENCH_TIMELINE") != "1" {
		return
	}
	var b strings.Builder
	for _, m := range marks {
		fmt.Fprintf(&b, " %.2f", m)
	}
	fmt.Printf("bench timeline %s:%s\n", who, b.String())
}

// fanoutTimes is how long a fan-out took to the last consultation handed
// to Postfix: from the coordinator's forward handed to Postfix (sent), and
// from the moment the IMAP server announced it in the coalition's inbox
// (noticed). The difference is the forward's delivery and Dovecot's 0.5 s
// notification delay, which no loop sending messages it already has pays.
type fanoutTimes struct{ sent, noticed time.Duration }

// fanoutFloors prints a fan-out's rows against both floor loops, measured
// one after the other to the same recipients.
func fanoutFloors(t *testing.T, w *world, name string, took fanoutTimes, raw []byte) {
	t.Helper()
	waitPostfixIdle(t, w.ms)
	floor := smtpLoop(t, w.ms.SMTPAddr, w.coalition, w.coord, memberAddrs(w), raw)
	waitPostfixIdle(t, w.ms)
	piped := smtpLoopPipelined(t, w.ms.SMTPAddr, w.coalition, w.coord, memberAddrs(w), raw)
	benchLine(name, took.sent.Seconds(), floor.Seconds(), "s")
	benchLine(name+"-vs-pipelined-loop", took.sent.Seconds(), piped.Seconds(), "s")
	benchLine(name+"-from-notice", took.noticed.Seconds(), floor.Seconds(), "s")
	benchLine(name+"-from-notice-vs-pipelined-loop", took.noticed.Seconds(), piped.Seconds(), "s")
}

// waitPostfixIdle waits until Postfix's queue is empty, so that each timed
// phase (consultd's fan-out and both floors, each wave of a drain and its
// mbsync floor) starts with nothing of the one before still being delivered
// beside it: the pipelined floor used to start with the first floor's tail
// in the queue, a repeated run's consultd with the pipelined floor's, and
// the first drain with both floors' copies to the coordinator.
func waitPostfixIdle(t *testing.T, ms *mailstack.Stack) {
	t.Helper()
	queued := func() int {
		n := 0
		for _, q := range []string{"maildrop", "incoming", "active", "deferred"} {
			_ = filepath.WalkDir(filepath.Join(ms.Dir, "spool", q), func(_ string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					n++
				}
				return nil
			})
		}
		return n
	}
	if !testutil.WaitFor(10*time.Minute, func() bool { return queued() == 0 }) {
		t.Fatalf("Postfix still had %d messages queued after 10 minutes", queued())
	}
	// And every Postfix daemon started after the bench's users were added.
	// Otherwise trivial-rewrite noticed the rebuilt tables when consultd's
	// connections came, during its fan-out, and exited; cleanup and qmgr
	// paused a second before asking again: a stall of 1.1 s in 3 of 5 runs
	// of consultd's, never in the floors', which came after.
	ms.ReloadPostfix(t)
}

// noticeForward starts an IMAP client IDLE in user's INBOX and returns a
// function that waits for the first new message the server announces and
// says when that was: the moment any IMAP client, consultd included, can
// know of the forward. Dovecot announces a change 0.5 s after it happens
// (NOTIFY_DELAY_MSECS in its mailbox-watch.c), whatever the client.
func noticeForward(t *testing.T, ms *mailstack.Stack, user string) func() time.Time {
	t.Helper()
	seen := make(chan time.Time, 1)
	var before atomic.Uint32 // the INBOX's messages when selected
	before.Store(math.MaxUint32)
	c, err := imapclient.DialInsecure(ms.IMAPAddr, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil && *data.NumMessages > before.Load() {
					select {
					case seen <- time.Now():
					default:
					}
				}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	before.Store(sel.NumMessages)
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	// Out of IDLE at the first announcement, so that Dovecot does not
	// announce the fan-out's 2,000 proof copies to this client too.
	var at time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case at = <-seen:
		case <-time.After(5 * time.Minute):
		}
		_ = idle.Close()
		_ = c.Logout().Wait()
	}()
	return func() time.Time {
		<-done
		if at.IsZero() {
			t.Fatal("the forward was not announced in the INBOX within 5 minutes")
		}
		return at
	}
}

// headerWithout is raw's header without the named fields (lower case).
func headerWithout(raw []byte, names ...string) string {
	head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
	var b strings.Builder
	skip := false
	for _, l := range strings.Split(head, "\r\n") {
		if l != "" && (l[0] == ' ' || l[0] == '\t') {
			if !skip {
				b.WriteString(l + "\r\n")
			}
			continue
		}
		name, _, _ := strings.Cut(l, ":")
		skip = slices.Contains(names, strings.ToLower(strings.TrimSpace(name)))
		if !skip {
			b.WriteString(l + "\r\n")
		}
	}
	return b.String()
}

func dbSize(w *world) int64 {
	var total int64
	for _, s := range []string{"", "-wal"} {
		if fi, err := os.Stat(filepath.Join(w.dir, "consultd.db"+s)); err == nil {
			total += fi.Size()
		}
	}
	return total
}

// TestBenchAttachmentFanout: a 5 MB PDF to 200 members (database, peak RSS,
// fan-out time) and the same without it. CONSULTD_BENCH_ATTACH_MEMBERS and
// CONSULTD_BENCH_ATTACH_KB change the members and the PDF's size: every
// copy is written to the stack's disk (the member's, queued and dropped;
// the proof copy, kept), three times over (consultd and both floors).
func TestBenchAttachmentFanout(t *testing.T) {
	benchGate(t)
	n, kb := 200, 5<<10
	if v, err := strconv.Atoi(os.Getenv("CONSULTD_BENCH_ATTACH_MEMBERS")); err == nil && v > 0 {
		n = v
	}
	if v, err := strconv.Atoi(os.Getenv("CONSULTD_BENCH_ATTACH_KB")); err == nil && v > 0 {
		kb = v
	}
	size := fmt.Sprintf("%dmb", kb>>10)
	if kb%1024 != 0 {
		size = fmt.Sprintf("%dkb", kb)
	}
	ms := mailstack.Start(t)
	rng := rand.New(rand.NewPCG(10, 5))
	pdf := fakePDF(rng, kb<<10)
	for _, withPDF := range []bool{false, true} {
		w := newBenchWorld(t, ms, n)
		db := benchDB(t, w)
		var att []byte
		name := fmt.Sprintf("fanout-%d-plain", n)
		if withPDF {
			att, name = pdf, fmt.Sprintf("fanout-%d-pdf%s", n, size)
		}
		child, logPath := startBenchDaemon(t, w, name)
		benchReady(t, name, child, logPath)
		took, _ := benchFanout(t, w, db, att, child, logPath)
		waitProofCopies(t, db, floodClient(t, ms.IMAPAddr, w.coalition), len(w.members), child, logPath)
		peak := child.stop(t)
		raw := catchallOne(t, ms, w.members[0].emails[0])
		fanoutFloors(t, w, name, took, raw)
		if withPDF {
			benchLine(fmt.Sprintf("db-%d-pdf%s", n, size), float64(dbSize(w)), float64(len(pdf)), "MB")
			fmt.Printf("bench db-%d-pdf%s: target <= 3x the PDF + 20 KB a member = %.1f MB\n", n, size, float64(3*len(pdf)+n*20<<10)/(1<<20))
		}
		fmt.Printf("bench rss-%s: consultd %.1f MB (target 64 MB)\n", name, float64(peak)/(1<<20))
	}
}

// TestBenchScale: fan-out to N members (2,000, or CONSULTD_BENCH_MEMBERS),
// then two drains of replies delivered before consultd reads (500, then N),
// each against mbsync downloading the same INBOX; then reply -> receipt.
func TestBenchScale(t *testing.T) {
	n := benchGate(t)
	ms := mailstack.Start(t)
	w := newBenchWorld(t, ms, n)
	db := benchDB(t, w)
	// CONSULTD_BENCH_NOPROOF=1 (a diagnosis): smtp.proof_copy off, so that
	// the fan-out row shows the sending without the coalition's copies
	// being delivered and read back beside it.
	noProof := os.Getenv("CONSULTD_BENCH_NOPROOF") == "1"
	// CONSULTD_BENCH_CONNECTIONS=K: smtp.connections (default 2).
	var smtpExtra string
	if noProof {
		smtpExtra += ", proof_copy: false"
		fmt.Println("bench: CONSULTD_BENCH_NOPROOF=1: no proof copies")
	}
	if k := os.Getenv("CONSULTD_BENCH_CONNECTIONS"); k != "" {
		smtpExtra += ", connections: " + k
		fmt.Printf("bench: smtp.connections %s\n", k)
	}
	if smtpExtra != "" {
		w.setSMTP(ms.SMTPAddr, smtpExtra)
	}

	child, logPath := startBenchDaemon(t, w, fmt.Sprintf("fanout-%d-plain", n))
	benchReady(t, fmt.Sprintf("fanout-%d-plain", n), child, logPath)
	took, roundID := benchFanout(t, w, db, nil, child, logPath)
	c := floodClient(t, ms.IMAPAddr, w.coalition)
	if !noProof {
		waitProofCopies(t, db, c, n, child, logPath)
	}
	peakFan := child.stop(t)
	// CONSULTD_BENCH_DRAINONLY=1: only the drains and the reply -> receipt
	// row (no fan-out floor, IMAP pattern or round CLI), to save minutes
	// when working on the watcher.
	drainOnly := os.Getenv("CONSULTD_BENCH_DRAINONLY") == "1"
	if !drainOnly {
		raw := catchallOne(t, ms, w.members[0].emails[0])
		fanoutFloors(t, w, fmt.Sprintf("fanout-%d-plain", n), took, raw)
	}
	// CONSULTD_BENCH_ONLY=fanout stops after the fan-out row: the drains
	// take most of the run and say nothing about the sender.
	if os.Getenv("CONSULTD_BENCH_ONLY") == "fanout" {
		fmt.Printf("bench rss-fanout-%d: consultd %.1f MB (target 64 MB)\n", n, float64(peakFan)/(1<<20))
		return
	}

	parts := benchParticipants(t, db, roundID)
	peak := peakFan
	// CONSULTD_BENCH_NOSEND=1 (a diagnosis): the drains run with the SMTP
	// server unreachable, so no receipt is sent meanwhile (they wait in the
	// outbox), to tell the watcher's own cost from the sender's beside it.
	noSend := os.Getenv("CONSULTD_BENCH_NOSEND") == "1"
	if noSend {
		w.setSMTP("127.0.0.1:1", "")
		fmt.Println("bench: CONSULTD_BENCH_NOSEND=1: receipts are not sent during the drains")
	}
	var perReply []float64
	for wave, k := range []int{500, n} {
		sendReplies(t, w, parts[:k], wave)
		if !testutil.WaitFor(10*time.Minute, func() bool { return floodStatus(t, c, "INBOX") >= uint32(k) }) {
			t.Fatalf("Postfix did not deliver %d replies within 10 minutes (%d in the INBOX)", k, floodStatus(t, c, "INBOX"))
		}
		// At 15,000 members the floors' copies to the coordinator were still
		// going into Dovecot beside the drain of 500 (3.50 s against
		// mbsync's 0.66 s; 0.44 s against 0.26 s once the queue was empty).
		waitPostfixIdle(t, ms)
		fl := mbsyncFloor(t, ms, w.coalition)
		last := lastUID(t, c)
		child, logPath = startBenchDaemon(t, w, fmt.Sprintf("drain-%d", k))
		// Until the replies are out of the INBOX (handled, committed, their
		// receipts queued, moved); the proof copies of the receipts, which
		// arrive meanwhile with higher UIDs, are not part of the row. The
		// row starts when the watcher is logged in and reading (its log
		// line's time): reading the configuration of N members at start is
		// the start-up row's, not the drain's.
		waitUIDsGone(t, c, last, child, logPath, 30*time.Minute)
		end := time.Now()
		connected := logTime(t, logPath, `msg="imap watcher: connected"`)
		fmt.Printf("bench start-drain-%d: consultd watching the INBOX %.2f s after it was started\n", k, connected.Sub(child.started).Seconds())
		drain := end.Sub(connected)
		waitInboxEmpty(t, c, child, logPath, 30*time.Minute)
		// The waves answer decline, then accept: the latest answer counts.
		pos := [...]string{"decline", "accept"}[wave]
		if got := benchCount(t, db, `SELECT COUNT(*) FROM participants WHERE round_id=? AND lower(position)=?`, roundID, pos); got != k {
			t.Errorf("after draining %d replies, %d members have %q recorded, want %d", k, got, pos, k)
		}
		benchLine(fmt.Sprintf("drain-%d", k), drain.Seconds(), fl.Seconds(), "s")
		// What consultd's watcher asks of Dovecot alone, for the same
		// messages: where the time between mbsync and consultd goes.
		if !drainOnly {
			pat := imapPattern(t, ms, w.coalition, k)
			fmt.Printf("bench drain-%d-imap-pattern: Dovecot alone, UID FETCH of 20 bodies + UID MOVE of them, %.2f s (consultd/pattern %.2f)\n",
				k, pat.Seconds(), drain.Seconds()/pat.Seconds())
		}
		perReply = append(perReply, drain.Seconds()/float64(k))
		// After the first wave, so that the round's hourly budget of
		// receipts (20 + 2 a member) is not spent by the second.
		if noSend {
			// no receipts to wait for
		} else if wave == 0 {
			benchLatency(t, w, ms, parts[:min(benchMailboxes, len(parts))], child, logPath)
		} else if !drainOnly {
			roundCLI(t, w, roundID, n)
		}
		peak = max(peak, child.stop(t))
	}
	fmt.Printf("bench drain-per-reply: %.2f ms at 500, %.2f ms at %d (ratio %.2f; target: no slower)\n",
		perReply[0]*1000, perReply[1]*1000, n, perReply[1]/perReply[0])
	fmt.Printf("bench rss-%d: consultd %.1f MB (target 64 MB)\n", n, float64(peak)/(1<<20))
}

type benchPart struct{ id, addr, token, consultID string }

func benchParticipants(t *testing.T, db *sql.DB, roundID string) []benchPart {
	t.Helper()
	rows, err := db.Query(`SELECT member_id, emails, token, consult_message_id FROM participants WHERE round_id=? ORDER BY rowid`, roundID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []benchPart
	for rows.Next() {
		var p benchPart
		var emails string
		if err := rows.Scan(&p.id, &emails, &p.token, &p.consultID); err != nil {
			t.Fatal(err)
		}
		p.addr = strings.Trim(strings.SplitN(emails, ",", 2)[0], `[]" `)
		out = append(out, p)
	}
	return out
}

func benchReply(w *world, p benchPart, wave int, subject string) []byte {
	at := strings.LastIndex(w.coalition, "@")
	replyTo := w.coalition[:at] + "+" + p.token + w.coalition[at:]
	pos := [...]string{"We decline to attend.\r\n\r\nSign: yes", "We accept.\r\n\r\nSign: no"}[wave%2]
	return fmt.Appendf(nil, "From: %s <%s>\r\nTo: <%s>\r\nSubject: Re: %s\r\nDate: %s\r\nMessage-ID: <r%d-%s-%d@client.test>\r\n"+
		"In-Reply-To: <%s>\r\nReferences: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"%s\r\n\r\nOn Tue, 1 Dec 2026 at 10:00, Test Coalition <%s> wrote:\r\n> Please answer by replying to this message.\r\n",
		p.id, p.addr, replyTo, subject, time.Now().Format(time.RFC1123Z), wave, p.id, time.Now().UnixNano(),
		p.consultID, p.consultID, pos, replyTo)
}

// sendReplies delivers one reply per participant through Postfix, over one
// connection, as if the members had answered while consultd was stopped.
func sendReplies(t *testing.T, w *world, parts []benchPart, wave int) {
	t.Helper()
	c, err := smtp.Dial(w.ms.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range parts {
		raw := benchReply(w, p, wave, "[Consultation] Invitation")
		at := strings.LastIndex(w.coalition, "@")
		if err := c.SendMail(p.addr, []string{w.coalition[:at] + "+" + p.token + w.coalition[at:]}, strings.NewReader(string(raw))); err != nil {
			t.Fatalf("sending replies: %v", err)
		}
	}
	_ = c.Quit()
}

// waitProofCopies waits until consultd has read back the coalition's copy
// of every consultation: under load Postfix's queue can hold some after the
// INBOX was momentarily empty, and they would land in the next drain.
func waitProofCopies(t *testing.T, db *sql.DB, c *imapclient.Client, n int, child *floodChild, logPath string) {
	t.Helper()
	if !testutil.WaitFor(20*time.Minute, func() bool {
		if child.exited() {
			t.Fatalf("consultd exited\n%s", tail(logPath, 40))
		}
		return benchCount(t, db, `SELECT COUNT(*) FROM seen WHERE kind='own'`) >= n && floodStatus(t, c, "INBOX") == 0
	}) {
		t.Fatalf("consultd did not read back the copies of its %d consultations within 20 minutes\n%s", n, tail(logPath, 40))
	}
}

func waitInboxEmpty(t *testing.T, c *imapclient.Client, child *floodChild, logPath string, limit time.Duration) {
	t.Helper()
	if !testutil.WaitFor(limit, func() bool {
		if child.exited() && child.cmd.ProcessState != nil && !child.cmd.ProcessState.Success() {
			t.Fatalf("consultd exited\n%s", tail(logPath, 40))
		}
		return floodStatus(t, c, "INBOX") == 0
	}) {
		t.Fatalf("the INBOX did not empty within %v\n%s", limit, tail(logPath, 40))
	}
}

// imapPattern replays the watcher's IMAP commands on the k oldest
// messages in Processed (the replies just drained): bodies fetched 20 at a
// time, each batch moved with one UID MOVE, to a folder of its own.
func imapPattern(t *testing.T, ms *mailstack.Stack, user string, k int) time.Duration {
	t.Helper()
	c := floodClient(t, ms.IMAPAddr, user)
	dest := fmt.Sprintf("Bench%d", seq.Add(1))
	if err := c.Create(dest, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("Processed", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	res, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	uids := res.AllUIDs()
	slices.Sort(uids)
	uids = uids[:min(k, len(uids))]
	start := time.Now()
	for len(uids) > 0 {
		batch := uids[:min(20, len(uids))]
		uids = uids[len(batch):]
		set := imap.UIDSetNum(batch...)
		if _, err := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Move(set, dest).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	return time.Since(start)
}

// lastUID is the highest UID in the INBOX now.
func lastUID(t *testing.T, c *imapclient.Client) imap.UID {
	t.Helper()
	st, err := c.Status("INBOX", &imap.StatusOptions{UIDNext: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return st.UIDNext - 1
}

// waitUIDsGone waits until no message with a UID up to last is in the INBOX.
func waitUIDsGone(t *testing.T, c *imapclient.Client, last imap.UID, child *floodChild, logPath string, limit time.Duration) {
	t.Helper()
	left := func() int {
		if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Unselect().Wait() }()
		res, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: 1, Stop: last}}}}, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		return len(res.AllUIDs())
	}
	// A poll a twentieth of the time waited so far (10 ms at least): the
	// row's error stays within 5% whether the drain takes 0.2 s or 20 s,
	// and Dovecot answers a few polls a second at most beside a long one.
	// (WaitFor backs off to a second under so long a limit.)
	start := time.Now()
	deadline := start.Add(limit)
	for left() > 0 {
		if child.exited() {
			t.Fatalf("consultd exited\n%s", tail(logPath, 40))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d replies still in the INBOX after %v\n%s", left(), limit, tail(logPath, 40))
		}
		time.Sleep(max(10*time.Millisecond, time.Since(start)/20)) // polling Dovecot, as cheaply as the row's resolution allows
	}
}

// mbsyncFloor times mbsync pulling the coalition's INBOX into a new Maildir.
func mbsyncFloor(t *testing.T, ms *mailstack.Stack, user string) time.Duration {
	t.Helper()
	bin, err := exec.LookPath("mbsync")
	if err != nil {
		t.Fatal("mbsync is missing: apt-get install isync (scripts/bench.sh does)")
	}
	dir := t.TempDir()
	host, port, _ := net.SplitHostPort(ms.IMAPAddr)
	cfg := fmt.Sprintf(`IMAPAccount bench
Host %s
Port %s
User %s
Pass %s
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account bench

MaildirStore local
Path %s/
Inbox %s/INBOX

Channel pull
Far :remote:INBOX
Near :local:INBOX
Create Near
Sync Pull
SyncState *
`, host, port, user, pass, dir, dir)
	cfgPath := filepath.Join(dir, "mbsyncrc")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// Twice, each into a new Maildir, and the second counts: consultd
	// reads after mbsync, from Dovecot's warm cache.
	var took time.Duration
	for i := range 2 {
		if i == 1 {
			os.RemoveAll(filepath.Join(dir, "INBOX"))
			os.Remove(filepath.Join(dir, ".mbsyncstate"))
			matches, _ := filepath.Glob(filepath.Join(dir, ".mbsyncstate*"))
			for _, m := range matches {
				os.Remove(m)
			}
		}
		start := time.Now()
		out, err := exec.Command(bin, "-c", cfgPath, "-q", "pull").CombinedOutput()
		took = time.Since(start)
		if err != nil {
			t.Fatalf("mbsync: %v\n%s", err, out)
		}
	}
	files, _ := os.ReadDir(filepath.Join(dir, "INBOX", "new"))
	cur, _ := os.ReadDir(filepath.Join(dir, "INBOX", "cur"))
	fmt.Printf("bench mbsync: %d messages in %.2f s\n", len(files)+len(cur), took.Seconds())
	return took
}

// benchLatency: a reply sent, until its receipt is in the catch-all (the
// member's mailbox here), one reply at a time; the floor is a plain message
// sent to the same address and seen arriving the same way.
func benchLatency(t *testing.T, w *world, ms *mailstack.Stack, parts []benchPart, child *floodChild, logPath string) {
	t.Helper()
	waitOutboxIdle(t, w, child, logPath)
	c, err := imapclient.DialInsecure(ms.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(ms.Catchall, ms.CatchallPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	trip := func(p benchPart, send func()) time.Duration {
		before := floodStatus(t, c, "INBOX")
		start := time.Now()
		send()
		for floodStatus(t, c, "INBOX") <= before {
			if time.Since(start) > time.Minute {
				t.Fatalf("nothing arrived for %s within a minute\n%s", p.id, tail(logPath, 20))
			}
			time.Sleep(5 * time.Millisecond) // polling STATUS: the same for consultd and the floor
		}
		return time.Since(start)
	}
	var got, floor []float64
	at := strings.LastIndex(w.coalition, "@")
	for i, p := range parts {
		if !strings.HasSuffix(p.addr, ".members.test") {
			t.Fatalf("%s (%s) has no mailbox to time its receipt in: the row takes the first %d members", p.id, p.addr, benchMailboxes)
		}
		plus := w.coalition[:at] + "+" + p.token + w.coalition[at:]
		got = append(got, trip(p, func() { ms.Send(t, p.addr, []string{plus}, benchReply(w, p, 2+i, "[Consultation] Invitation")) }).Seconds())
		floor = append(floor, trip(p, func() {
			ms.Send(t, "floor@bench.test", []string{p.addr}, fmt.Appendf(nil, "From: <floor@bench.test>\r\nTo: <%s>\r\nSubject: trip %d\r\nMessage-ID: <trip-%d-%d@bench.test>\r\n\r\nhello\r\n", p.addr, i, i, time.Now().UnixNano()))
		}).Seconds())
	}
	slices.Sort(got)
	slices.Sort(floor)
	benchLine(fmt.Sprintf("reply-receipt-median-%d", len(got)), got[len(got)/2], floor[len(floor)/2], "ms")
	fmt.Printf("bench reply-receipt-p90-%d: consultd %.0f ms, floor %.0f ms (target median <= 600 ms)\n", len(got), got[len(got)*9/10]*1000, floor[len(floor)*9/10]*1000)
}

func waitOutboxIdle(t *testing.T, w *world, child *floodChild, logPath string) {
	t.Helper()
	db := benchDB(t, w)
	if !testutil.WaitFor(20*time.Minute, func() bool {
		return benchCount(t, db, `SELECT COUNT(*) FROM outbox WHERE state IN ('pending','sending')`) == 0
	}) {
		t.Fatalf("consultd's outbox did not empty within 20 minutes\n%s", tail(logPath, 20))
	}
}

// roundCLI times `consultd round ID` against the running daemon's database.
func roundCLI(t *testing.T, w *world, roundID string, n int) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "consultd")
	if out, err := exec.Command("go", "build", "-o", bin, "consultd/cmd/consultd").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	start := time.Now()
	out, err := exec.Command(bin, "round", "--config", w.cfgPath, roundID).CombinedOutput()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("consultd round: %v\n%s", err, out)
	}
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		lines++
	}
	fmt.Printf("bench round-cli-%d: consultd round %.2f s, %d lines of output\n", n, took.Seconds(), lines)
}
