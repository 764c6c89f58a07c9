package watchdog

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/internal/store"
)

// notices records what the coordinators would receive, in the caller's
// transaction like the real engine (a rolled-back check sends nothing).
type notices struct{ got []string }

func (n *notices) TellCoordinators(ctx context.Context, tx *sql.Tx, kind store.MailKind, title, text string, lines []string) error {
	n.got = append(n.got, title+"\n"+text+"\n"+strings.Join(lines, "\n"))
	return nil
}

type fixture struct {
	t    *testing.T
	st   *store.Store
	now  time.Time
	imap IMAPHealth
	n    *notices
	w    *Watchdog
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, st: st, now: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC), n: &notices{}}
	f.w = f.restart(cfg)
	return f
}

// restart is a new process on the same database: nothing in memory survives.
func (f *fixture) restart(cfg Config) *Watchdog {
	f.w = &Watchdog{Cfg: cfg, Store: f.st, IMAP: func() IMAPHealth { return f.imap }, Tell: f.n,
		Now: func() time.Time { return f.now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return f.w
}

func (f *fixture) check() {
	f.t.Helper()
	if err := f.w.Check(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) open() []string {
	f.t.Helper()
	in, err := store.OpenIncidents(context.Background(), f.st.DB())
	if err != nil {
		f.t.Fatal(err)
	}
	var kinds []string
	for _, i := range in {
		kinds = append(kinds, i.Kind)
	}
	return kinds
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.st.DB().Exec(q, args...); err != nil {
		f.t.Fatal(err)
	}
}

func TestIMAPOutageIsToldOnceSurvivesARestartAndItsEndIsTold(t *testing.T) {
	cfg := Config{IMAPDown: 15 * time.Minute, Mailbox: "coalition@example.org", IMAPAddr: "imap.example.org:993"}
	f := newFixture(t, cfg)
	f.imap = IMAPHealth{LastSync: f.now}
	f.check()
	down := f.now.Add(time.Minute)
	f.imap = IMAPHealth{DownSince: down, LastSync: f.now, LastError: "connect to imap.example.org:993: connection refused"}
	f.now = down.Add(14 * time.Minute)
	f.check()
	if len(f.n.got) != 0 {
		t.Fatalf("told after 14 minutes of a 15-minute threshold: %q", f.n.got)
	}
	f.now = down.Add(15 * time.Minute)
	f.check()
	f.check()
	if len(f.n.got) != 1 {
		t.Fatalf("coordinators got %d notices after 15 minutes, want 1", len(f.n.got))
	}
	for _, want := range []string{"cannot read the coalition's mailbox", "coalition@example.org", "connection refused",
		"2026-12-02 08:01 UTC", "consultd doctor", "nothing is lost"} {
		if !strings.Contains(f.n.got[0], want) {
			t.Errorf("notice lacks %q:\n%s", want, f.n.got[0])
		}
	}
	if got := f.open(); len(got) != 1 || got[0] != IMAPDown {
		t.Fatalf("open incidents %v, want [imap_down]", got)
	}

	// A restart: the new process knows nothing about IMAP yet.
	f.restart(cfg)
	f.imap = IMAPHealth{}
	f.now = f.now.Add(time.Minute)
	f.check()
	f.imap = IMAPHealth{DownSince: f.now, LastError: "still refused"}
	f.now = f.now.Add(20 * time.Minute)
	f.check()
	if len(f.n.got) != 1 {
		t.Fatalf("after a restart the outage was told again or ended: %q", f.n.got[1:])
	}

	f.imap = IMAPHealth{LastSync: f.now}
	f.check()
	f.check()
	if len(f.n.got) != 2 || !strings.Contains(f.n.got[1], "reads the coalition's mailbox coalition@example.org again") {
		t.Fatalf("recovery notices %q", f.n.got[1:])
	}
	if !strings.Contains(f.n.got[1], "it had failed since 2026-12-02 08:01 UTC (36m)") {
		t.Errorf("recovery notice does not say how long it lasted: %s", f.n.got[1])
	}
	if got := f.open(); len(got) != 0 {
		t.Errorf("incidents still open: %v", got)
	}
}

func TestAMessageFailingToGoOutIsAnIncidentUntilItIsDelivered(t *testing.T) {
	f := newFixture(t, Config{OutboxStuck: 30 * time.Minute, SMTPAddr: "smtp.example.org:587"})
	f.imap = IMAPHealth{LastSync: f.now}
	queued := f.now
	f.exec(`INSERT INTO outbox (message_id, kind, recipients, payload, state, attempts, due_at, last_error, created_at)
		VALUES ('r1@x', 'reminder', 'a@x', '{}', 'pending', 3, ?, 'smtp auth: 535 5.7.8 authentication failed', ?)`,
		queued.Unix(), queued.Unix())
	f.now = queued.Add(29 * time.Minute)
	f.check()
	if len(f.n.got) != 0 {
		t.Fatalf("told before 30 minutes: %q", f.n.got)
	}
	f.now = queued.Add(31 * time.Minute)
	f.check()
	f.check()
	if len(f.n.got) != 1 || !strings.Contains(f.n.got[0], "535 5.7.8") || !strings.Contains(f.n.got[0], "reminder") {
		t.Fatalf("notices %q", f.n.got)
	}
	f.exec(`UPDATE outbox SET state = 'sent', attempts = 4`)
	f.check()
	if len(f.n.got) != 2 || !strings.Contains(f.n.got[1], "goes out again") {
		t.Fatalf("recovery notices %q", f.n.got[1:])
	}
}

func TestSilenceWhileMembersAreExpectedToAnswer(t *testing.T) {
	f := newFixture(t, Config{Silence: 48 * time.Hour, Mailbox: "coalition@example.org"})
	f.imap = IMAPHealth{LastSync: f.now}
	opened := f.now
	f.exec(`INSERT INTO rounds (id, state, title, language, inviter_name, inviter_address, orig_subject, orig_message_id,
		orig_date, orig_body, note, opened_by, source_message_id, deadline, deadline_source, created_at)
		VALUES ('2026-01', 'open', 't', 'en', '', 'i@x', 's', 'm@x', 0, '', '', 'c@x', 'f@x', ?, 'policy', ?)`,
		opened.Add(72*time.Hour).Unix(), opened.Unix())
	for _, m := range []string{"m1", "m2"} {
		f.exec(`INSERT INTO participants (round_id, member_id, name, language, emails, token, consult_message_id)
			VALUES ('2026-01', ?, ?, 'en', '[]', ?, ?)`, m, m, "tok"+m, "c"+m)
	}
	// Our own copies arriving do not count as mail received.
	f.exec(`INSERT INTO seen (key, mailbox, uidvalidity, uid, kind, disposition, at) VALUES ('own1', 'INBOX', 1, 1, 'own', 'processed', ?)`,
		opened.Add(40*time.Hour).Unix())
	f.now = opened.Add(47 * time.Hour)
	f.check()
	f.imap = IMAPHealth{LastSync: f.now.Add(-time.Minute), DownSince: f.now}
	f.now = opened.Add(49 * time.Hour)
	f.check()
	if len(f.n.got) != 0 {
		t.Fatalf("silence told before 48h, or while IMAP was down: %q", f.n.got)
	}
	f.imap = IMAPHealth{LastSync: f.now}
	f.check()
	if len(f.n.got) != 1 || !strings.Contains(f.n.got[0], "2 members have yet to answer in round 2026-01") ||
		!strings.Contains(f.n.got[0], "plus addresses") {
		t.Fatalf("notices %q", f.n.got)
	}
	f.exec(`INSERT INTO seen (key, mailbox, uidvalidity, uid, kind, disposition, at) VALUES ('r1', 'INBOX', 1, 2, 'reply', 'processed', ?)`,
		f.now.Unix())
	f.now = f.now.Add(time.Minute)
	f.check()
	if len(f.n.got) != 2 || !strings.Contains(f.n.got[1], "mail arrives again") {
		t.Fatalf("recovery notices %q", f.n.got[1:])
	}
}

func TestChecksThatAreOffNeverOpenAnIncident(t *testing.T) {
	f := newFixture(t, Config{})
	f.imap = IMAPHealth{DownSince: f.now.Add(-24 * time.Hour), LastError: "refused"}
	f.exec(`INSERT INTO outbox (message_id, kind, recipients, payload, state, attempts, due_at, last_error, created_at)
		VALUES ('r1@x', 'reminder', 'a@x', '{}', 'pending', 3, 0, 'refused', ?)`, f.now.Add(-24*time.Hour).Unix())
	f.check()
	if len(f.n.got) != 0 || len(f.open()) != 0 {
		t.Fatalf("with every check off: notices %q, incidents %v", f.n.got, f.open())
	}
}

// TestAnIncidentWhoseCheckIsTurnedOffIsClosed: an administrator who turns a
// check off (0) while its incident is open does not leave /readyz unready
// for ever: the incident is closed, and the coordinators are told why.
func TestAnIncidentWhoseCheckIsTurnedOffIsClosed(t *testing.T) {
	f := newFixture(t, Config{OutboxStuck: 30 * time.Minute, SMTPAddr: "smtp.example.org:587"})
	f.imap = IMAPHealth{LastSync: f.now}
	f.exec(`INSERT INTO outbox (message_id, kind, recipients, payload, state, attempts, due_at, last_error, created_at)
		VALUES ('r1@x', 'reminder', 'a@x', '{}', 'pending', 3, ?, 'refused', ?)`, f.now.Unix(), f.now.Unix())
	f.now = f.now.Add(31 * time.Minute)
	f.check()
	if got := f.open(); len(got) != 1 {
		t.Fatalf("open incidents %v, want the stuck outbox", got)
	}
	f.restart(Config{SMTPAddr: "smtp.example.org:587"}) // outbox_stuck: 0
	f.check()
	if got := f.open(); len(got) != 0 {
		t.Fatalf("open incidents %v after the check was turned off", got)
	}
	if len(f.n.got) != 2 || !strings.Contains(f.n.got[1], "outbox_stuck: 0") {
		t.Fatalf("notices %q", f.n.got)
	}
}

func TestDurationsReadAsPeopleWriteThem(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * time.Second: "30s", 15 * time.Minute: "15m", 2 * time.Hour: "2h",
		37*time.Minute + 20*time.Second: "37m20s", 49*time.Hour + 29*time.Second: "49h", 0: "0s", 90 * time.Minute: "1h30m"} {
		if got := dur(d); got != want {
			t.Errorf("dur(%v) = %q, want %q", d, got, want)
		}
	}
}
