package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sampleRound(id string, now time.Time) *Round {
	return &Round{ID: id, State: StateOpen, Title: "CSSR", Language: "en", InviterName: "Envoy", InviterAddress: "cssr@envoy.example",
		OrigSubject: "Invitation", OrigBody: "Dear all", OpenedBy: "rania@coal.example", Deadline: now.Add(72 * time.Hour),
		DeadlineSource: "policy", CreatedAt: now}
}

func TestStateSurvivesRestartAndMigrationsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "consultd.db")
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	s := open(t, path)
	yes := true
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if err := InsertRound(ctx, tx, sampleRound("2026-01", now), []Attachment{{Filename: "agenda.pdf", ContentType: "application/pdf", Data: []byte("%PDF")}},
			[]*Participant{{MemberID: "baytna", Name: "Baytna", Language: "en", Emails: []string{"Info@Baytna.example", "backup@baytna.example"}, Token: "tok1", ConsultMessageID: "c-tok1@x"}}); err != nil {
			return err
		}
		p, err := ParticipantByToken(ctx, tx, "tok1")
		if err != nil {
			return err
		}
		p.Position, p.Sign, p.Concerns, p.AnsweredAt = "decline", &yes, []string{"Too late"}, now
		p.Undeliverable = []string{"info@baytna.example"} // bounces are recorded lower-cased
		return UpdateParticipant(ctx, tx, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for i := 0; i < 2; i++ { // reopen twice: migrations must not re-run
		s = open(t, path)
		var v int
		if err := s.DB().QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != len(migrations) {
			t.Fatalf("schema version %d (%v), want %d", v, err, len(migrations))
		}
		var rows int
		s.DB().QueryRow(`SELECT COUNT(*) FROM schema_version`).Scan(&rows)
		if rows != 1 {
			t.Fatalf("schema_version has %d rows", rows)
		}
		r, err := GetRound(ctx, s.DB(), "2026-01")
		if err != nil || r.State != StateOpen || !r.Deadline.Equal(now.Add(72*time.Hour)) {
			t.Fatalf("round after restart: %+v %v", r, err)
		}
		ps, err := Participants(ctx, s.DB(), "2026-01")
		if err != nil || len(ps) != 1 || ps[0].Position != "decline" || ps[0].Sign == nil || !*ps[0].Sign || ps[0].Concerns[0] != "Too late" {
			t.Fatalf("answer lost across restart: %+v %v", ps, err)
		}
		atts, _ := Attachments(ctx, s.DB(), "2026-01")
		if len(atts) != 1 || string(atts[0].Data) != "%PDF" {
			t.Fatalf("attachment lost: %+v", atts)
		}
		s.Close()
	}
}

func TestDeliverableIgnoresCaseOfABouncedAddress(t *testing.T) {
	p := &Participant{Emails: []string{"Info@Baytna.example", "backup@baytna.example"}, Undeliverable: []string{"info@baytna.example"}}
	if got := p.Deliverable(); len(got) != 1 || got[0] != "backup@baytna.example" {
		t.Fatalf("Deliverable = %v: a bounced contact configured in mixed case is still mailed", got)
	}
}

func TestEnqueueSameMessageIDTwiceKeepsOneRow(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "c.db"))
	defer s.Close()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ {
		err := s.Tx(ctx, func(tx *sql.Tx) error {
			return Enqueue(ctx, tx, &OutboxRow{MessageID: "statement-2026-01@coal.example", RoundID: "2026-01", Kind: "statement",
				Recipients: []string{"cssr@envoy.example"}, Payload: []byte(fmt.Sprintf(`{"n":%d}`, i)), DueAt: now, CreatedAt: now})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rows, err := OutboxByRound(ctx, s.DB(), "2026-01")
	if err != nil || len(rows) != 1 || string(rows[0].Payload) != `{"n":0}` {
		t.Fatalf("outbox rows %d (%v); the first must stay", len(rows), err)
	}
	if err := MarkSent(ctx, s.DB(), rows[0].ID, now, "smtp", ""); err != nil {
		t.Fatal(err)
	}
	if due, _ := DueOutbox(ctx, s.DB(), now.Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("a sent message is still due")
	}
}

func TestConcurrentTransactionsSerialiseWithoutBusyErrors(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s := open(t, path)
	defer s.Close()
	s2 := open(t, path) // a second handle, like the CLI next to the daemon
	defer s2.Close()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	const per = 25
	var wg sync.WaitGroup
	errs := make(chan error, 4*per)
	for g, st := range []*Store{s, s, s2, s2} {
		wg.Add(1)
		go func(g int, st *Store) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				// read-then-write: the pattern that fails with SQLITE_BUSY under deferred locking
				errs <- st.Tx(ctx, func(tx *sql.Tx) error {
					id, err := NextRoundID(ctx, tx, now)
					if err != nil {
						return err
					}
					return InsertRound(ctx, tx, sampleRound(id, now), nil, nil)
				})
			}
		}(g, st)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent transaction failed: %v", err)
		}
	}
	rounds, err := ListRounds(ctx, s.DB())
	if err != nil || len(rounds) != 4*per {
		t.Fatalf("%d rounds (%v), want %d with distinct ids", len(rounds), err, 4*per)
	}
}

func TestSeenAndReactionCounts(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "c.db"))
	defer s.Close()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if err := InsertSeen(ctx, tx, &Seen{Key: "a@b", Mailbox: "INBOX", UID: 1, Kind: "reply", Disposition: "processed", At: now}); err != nil {
			return err
		}
		for i := 0; i < 3; i++ {
			r := Reaction{At: now.Add(time.Duration(i) * 40 * time.Minute), Kind: "receipt", Sender: "Info@Baytna.example", RoundID: "2026-01", Sent: true}
			if err := RecordReaction(ctx, tx, r); err != nil {
				return err
			}
		}
		// Suppressed reactions are not counted against the limit, but wait for a digest.
		for i := 0; i < 4; i++ {
			r := Reaction{At: now.Add(90 * time.Minute), Kind: "untokened", Sender: "info@sjac.example", Coordinators: true, What: "x"}
			if err := RecordReaction(ctx, tx, r); err != nil {
				return err
			}
		}
		return RecordReaction(ctx, tx, Reaction{At: now.Add(90 * time.Minute), Kind: "untokened", Sender: "info@sjac.example", Coordinators: true, Sent: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	if sn, err := GetSeen(ctx, s.DB(), "a@b"); err != nil || sn == nil || sn.Kind != "reply" {
		t.Fatalf("seen: %+v %v", sn, err)
	}
	if sn, _ := GetSeen(ctx, s.DB(), "other"); sn != nil {
		t.Fatalf("unknown key seen")
	}
	c, err := CountReactions(ctx, s.DB(), Reaction{Kind: "receipt", Sender: "info@baytna.EXAMPLE", RoundID: "2026-01"}, now.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if want := (ReactionCounts{SenderKind: 2, Sender: 2, Round: 2, Coordinators: 1, All: 3}); c != want {
		t.Fatalf("counts %+v, want %+v (case-insensitive, since t, sent only)", c, want)
	}
	groups, upTo, err := Undigested(ctx, s.DB())
	if err != nil || len(groups) != 1 || groups[0].Count != 4 || groups[0].Sender != "info@sjac.example" {
		t.Fatalf("undigested %+v %v", groups, err)
	}
	if err := s.Tx(ctx, func(tx *sql.Tx) error { return MarkDigested(ctx, tx, upTo) }); err != nil {
		t.Fatal(err)
	}
	if groups, _, _ := Undigested(ctx, s.DB()); len(groups) != 0 {
		t.Fatalf("still undigested after MarkDigested: %+v", groups)
	}
	if err := s.Tx(ctx, func(tx *sql.Tx) error { return PruneReactions(ctx, tx, now.Add(time.Hour)) }); err != nil {
		t.Fatal(err)
	}
	if c, _ := CountReactions(ctx, s.DB(), Reaction{Kind: "receipt"}, now.Add(-time.Hour)); c.All != 2 {
		t.Fatalf("after pruning rows before +1h, %d sent reactions left, want 2", c.All)
	}
}

// Every pooled connection has the small page cache (see openDSN): several
// held at once, each 2 MB by default, were most of a big fan-out's RSS.
func TestEveryConnectionHasTheSmallPageCache(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "consultd.db"))
	defer s.Close()
	ctx := context.Background()
	var conns []*sql.Conn
	for range 3 { // held at once: three distinct connections
		c, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var kib int
		if err := c.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&kib); err != nil {
			t.Fatal(err)
		}
		if kib != -512 {
			t.Errorf("connection %d: cache_size %d, want -512 (512 KiB)", i, kib)
		}
		c.Close()
	}
}
