package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRoundLookupsAreIndexSearches: the lookups done for each incoming
// message find their round through an index, whatever the number of rounds,
// and compare addresses and Message-IDs case-insensitively.
func TestRoundLookupsAreIndexSearches(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "c.db"))
	defer s.Close()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		a := sampleRound("2026-01", now)
		a.OrigMessageID, a.DraftMessageID, a.State = "CAJ-Orig@Envoy.Example", "d-1@coal.example", StateDraft
		b := sampleRound("2026-02", now.Add(time.Hour))
		b.InviterAddress, b.State = "other@ministry.example", StateCancelled
		for _, r := range []*Round{a, b} {
			if err := InsertRound(ctx, tx, r, nil, nil); err != nil {
				return err
			}
			if err := UpdateRound(ctx, tx, r); err != nil { // the draft's id and the state are set later in a round's life
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db := s.DB()
	if r, err := RoundByDraft(ctx, db, []string{"<unrelated@x>", "<D-1@Coal.Example>"}); err != nil || r.ID != "2026-01" {
		t.Fatalf("RoundByDraft: %v, %v", r, err)
	}
	if _, err := RoundByDraft(ctx, db, []string{"<nothing@x>"}); err != ErrNotFound {
		t.Fatalf("RoundByDraft of an unknown id: %v", err)
	}
	rs, err := RoundsForInvitation(ctx, db, "caj-orig@envoy.example", "CSSR@envoy.example")
	if err != nil || len(rs) == 0 || rs[0].ID != "2026-01" {
		t.Fatalf("RoundsForInvitation: %v, %v", rs, err)
	}
	if rs, _ := RoundsForInvitation(ctx, db, "", "other@ministry.example"); len(rs) != 0 {
		t.Fatalf("a cancelled round counted as the same invitation: %v", rs)
	}
	if rs, _ := RoundsByInviter(ctx, db, "Cssr@Envoy.example", "none"); len(rs) != 1 {
		t.Fatalf("RoundsByInviter: %v", rs)
	}
	// The queries the lookups run, not copies of them.
	for _, c := range []struct {
		query string
		args  []any
	}{
		{whereDraft, []any{"x"}},
		{whereOrigMessageID, []any{"x", "cancelled"}},
		{whereInviterInProgress, []any{"x", "open", "draft", "undecided"}},
		{whereInviter, []any{"x", "2026-01"}},
	} {
		if p := queryPlan(t, db, "SELECT id FROM rounds "+c.query, c.args...); !strings.Contains(p, "USING INDEX") || strings.Contains(p, "SCAN rounds") {
			t.Errorf("%s\n  plan: %s (want an index search)", c.query, p)
		}
	}
}

// TestDeliveriesOfTheLastDayAreCounted: what the sending limit reads after a
// restart.
func TestDeliveriesOfTheLastDayAreCounted(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "c.db"))
	defer s.Close()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		for i, rc := range [][]string{{"a@x.example", "b@x.example"}, {"c@x.example"}, {"d@x.example"}} {
			id := "m" + string(rune('0'+i))
			if err := Enqueue(ctx, tx, &OutboxRow{MessageID: id, Kind: MailNotice, Recipients: rc, Payload: []byte(`{"v":2}`), DueAt: now, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := DueOutbox(ctx, s.DB(), now, 10)
	for i, at := range []time.Time{now.Add(-25 * time.Hour), now.Add(-time.Hour)} { // the third is not sent
		if err := MarkSent(ctx, s.DB(), rows[i].ID, at, "smtp", ""); err != nil {
			t.Fatal(err)
		}
	}
	got, err := SentSince(ctx, s.DB(), now.Add(-24*time.Hour))
	if err != nil || len(got) != 1 || got[0].Recipients != 1 || !got[0].At.Equal(now.Add(-time.Hour)) {
		t.Fatalf("SentSince = %+v, %v; want the one delivery of the last day, 1 recipient", got, err)
	}
}

// TestToRemindReadsOnlyTheMembersStillOwedAReminder: the reminder tick of a
// large round reads the members who have not answered and are behind on
// reminders, in configuration order, and nobody else.
func TestToRemindReadsOnlyTheMembersStillOwedAReminder(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "c.db"))
	defer s.Close()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	ps := []*Participant{
		{RoundID: "2026-01", MemberID: "zeta", Name: "Zeta", Language: "en", Emails: []string{"z@x.example"}, Token: "t1", ConsultMessageID: "c1@x"},
		{RoundID: "2026-01", MemberID: "answered", Name: "Answered", Language: "en", Emails: []string{"a@x.example"}, Token: "t2", ConsultMessageID: "c2@x"},
		{RoundID: "2026-01", MemberID: "reminded", Name: "Reminded", Language: "ar", Emails: []string{"r@x.example"}, Token: "t3", ConsultMessageID: "c3@x"},
		{RoundID: "2026-01", MemberID: "alpha", Name: "Alpha", Language: "fr", Emails: []string{"al@x.example"}, Token: "t4", ConsultMessageID: "c4@x"},
	}
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if err := InsertRound(ctx, tx, sampleRound("2026-01", now), nil, ps); err != nil {
			return err
		}
		ps[1].Position = "accept"
		ps[2].RemindersSent = 1
		for _, p := range ps[1:3] {
			if err := UpdateParticipant(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(due int) string {
		got, err := ToRemind(ctx, s.DB(), "2026-01", due)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range got {
			out = append(out, p.MemberID)
		}
		return strings.Join(out, ",")
	}
	if got := ids(1); got != "zeta,alpha" {
		t.Errorf("first reminder due: reminded %q, want zeta,alpha", got)
	}
	if got := ids(2); got != "zeta,reminded,alpha" {
		t.Errorf("second reminder due: reminded %q, want zeta,reminded,alpha", got)
	}
	if got := ids(0); got != "" {
		t.Errorf("no reminder due: reminded %q, want nobody", got)
	}
}

// TestAllAnsweredAsksAnIndex: whether a round's members have all answered
// is one lookup in the index of those yet to answer, however many there are
// (a count read every member, 15,000 rows, for each reply).
func TestAllAnsweredAsksAnIndex(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "c.db"))
	defer s.Close()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	ps := []*Participant{
		{RoundID: "2026-01", MemberID: "a", Name: "A", Language: "en", Emails: []string{"a@x.example"}, Token: "t1", ConsultMessageID: "c1@x"},
		{RoundID: "2026-01", MemberID: "b", Name: "B", Language: "en", Emails: []string{"b@x.example"}, Token: "t2", ConsultMessageID: "c2@x"},
	}
	all := func() bool {
		t.Helper()
		ok, err := AllAnswered(ctx, s.DB(), "2026-01")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	answer := func(p *Participant, pos string) {
		t.Helper()
		p.Position = pos
		if err := s.Tx(ctx, func(tx *sql.Tx) error { return UpdateParticipant(ctx, tx, p) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Tx(ctx, func(tx *sql.Tx) error { return InsertRound(ctx, tx, sampleRound("2026-01", now), nil, ps) }); err != nil {
		t.Fatal(err)
	}
	if all() {
		t.Fatal("all answered before anyone did")
	}
	answer(ps[0], "accept")
	if all() {
		t.Fatal("all answered with one member left")
	}
	answer(ps[1], "abstain")
	if !all() {
		t.Fatal("not all answered once both did")
	}
	if p := queryPlan(t, s.DB(), "SELECT 1 FROM participants "+whereUnanswered, "2026-01"); !strings.Contains(p, "participants_unanswered") {
		t.Errorf("plan: %s (want the index of members yet to answer)", p)
	}
}

// queryPlan is SQLite's plan for query, its steps joined by "; ".
func queryPlan(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}
