package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestInterruptedDeliveryLifecycle walks an outbox row through what a crash
// in the middle of SMTP leaves behind, as a restarted process finds it.
func TestInterruptedDeliveryLifecycle(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s := open(t, path)
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, id := range []string{"statement-a@coal.example", "receipt-b@coal.example"} {
		if err := s.Tx(ctx, func(tx *sql.Tx) error {
			return Enqueue(ctx, tx, &OutboxRow{MessageID: id, RoundID: "r1", Kind: "statement", Recipients: []string{"x@y.example"},
				Payload: []byte(`{}`), DueAt: now, CreatedAt: now})
		}); err != nil {
			t.Fatal(err)
		}
	}
	rows, _ := OutboxByRound(ctx, s.DB(), "r1")
	a, b := rows[0], rows[1]

	// Item a reaches DATA, then the process dies.
	if err := MarkSending(ctx, s.DB(), a.ID, now, now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	defer s.Close()

	due, err := DueOutbox(ctx, s.DB(), now.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].MessageID != b.MessageID {
		t.Fatalf("due before the proof wait: %d rows (%v); want only the untouched one", len(due), err)
	}
	due, _ = DueOutbox(ctx, s.DB(), now.Add(10*time.Minute), 10)
	if len(due) != 2 || due[1].ID != a.ID || due[1].State != "sending" || due[1].SendingAt.IsZero() {
		t.Fatalf("after the proof wait: %d rows; want the in-flight one due too, with its state", len(due))
	}

	// A copy of the never-attempted item proves nothing; the in-flight one's does.
	if ok, err := ProveDelivered(ctx, s.DB(), b.MessageID, "copy", now); err != nil || ok {
		t.Fatalf("a pending row was marked delivered by a copy (%v)", err)
	}
	if ok, err := ProveDelivered(ctx, s.DB(), a.MessageID, "copy", now); err != nil || !ok {
		t.Fatalf("ProveDelivered = %v, %v; want the in-flight row recorded", ok, err)
	}
	got, _ := GetOutbox(ctx, s.DB(), a.ID)
	if got.State != "sent" || got.Proof != "copy" {
		t.Fatalf("after the copy: state %s proof %q", got.State, got.Proof)
	}
	// Recorded once: nothing may move it back or send it again.
	if err := MarkRetry(ctx, s.DB(), a.ID, 1, now, "late"); err != nil {
		t.Fatal(err)
	}
	if err := MarkSending(ctx, s.DB(), a.ID, now, now); err == nil {
		t.Fatal("MarkSending accepted a row already sent")
	}
	if got, _ := GetOutbox(ctx, s.DB(), a.ID); got.State != "sent" {
		t.Fatalf("a sent row went back to %s", got.State)
	}
}

// TestPreparedStatementsRecordWhatTheDatabaseDoes: the sender's cached
// statements record each step as the plain queries do, a statement is
// prepared once however often it runs, and a refused step is still
// refused.
func TestPreparedStatementsRecordWhatTheDatabaseDoes(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "c.db"))
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		if err := s.Tx(ctx, func(tx *sql.Tx) error {
			return Enqueue(ctx, tx, &OutboxRow{MessageID: fmt.Sprintf("c-%d@coal.example", i), RoundID: "r1", Kind: "consultation",
				Recipients: []string{"x@y.example"}, Payload: []byte(`{}`), DueAt: now, CreatedAt: now})
		}); err != nil {
			t.Fatal(err)
		}
	}
	p := s.Prepared()
	due, err := DueOutbox(ctx, p, now, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("due: %d rows, %v", len(due), err)
	}
	for _, r := range due {
		if err := MarkSending(ctx, p, r.ID, now, now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if r.ID != due[2].ID { // the last stays in flight
			if err := MarkSent(ctx, p, r.ID, now, "smtp", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, want := range []OutboxState{OutboxSent, OutboxSent, OutboxSending} {
		if got, _ := GetOutbox(ctx, s.DB(), due[i].ID); got.State != want {
			t.Errorf("row %d: %s, want %s", i, got.State, want)
		}
	}
	if err := MarkSending(ctx, p, due[0].ID, now, now); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkSending of a sent row through the cache: %v, want ErrNotFound", err)
	}
	if n := len(p.m); n != 3 {
		t.Errorf("%d statements prepared for 3 distinct queries run 9 times", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := MarkSent(ctx, p, due[2].ID, now, "smtp", ""); err == nil {
		t.Error("a step recorded through a closed store's cache")
	}
}

// TestPreparedStatementsInATransactionCommitOrRollBackWithIt: what a
// transaction writes through its prepared statements is the transaction's:
// gone when it rolls back, there when it commits, and read back inside it
// before. Each statement is prepared once for the whole transaction.
func TestPreparedStatementsInATransactionCommitOrRollBackWithIt(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "c.db"))
	defer s.Close()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	write := func(keys ...string) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			q := s.InTx(tx)
			for _, k := range keys {
				if err := InsertSeen(ctx, q, &Seen{Key: k, Mailbox: "INBOX", Kind: "reply", Disposition: Processed, At: now}); err != nil {
					return err
				}
				if got, err := GetSeen(ctx, q, k); err != nil || got == nil {
					return fmt.Errorf("%s not read back inside its transaction: %v", k, err)
				}
			}
			if n := len(q.m); n != 2 {
				return fmt.Errorf("%d statements for 2 distinct queries run %d times each", n, len(keys))
			}
			return errors.New("roll back")
		}
	}
	if err := s.Tx(ctx, write("a@x", "b@x", "c@x")); err == nil || err.Error() != "roll back" {
		t.Fatalf("Tx: %v", err)
	}
	for _, k := range []string{"a@x", "b@x", "c@x"} {
		if got, _ := GetSeen(ctx, s.DB(), k); got != nil {
			t.Errorf("%s is recorded although its transaction rolled back", k)
		}
	}
	if err := s.Tx(ctx, func(tx *sql.Tx) error {
		return InsertSeen(ctx, s.InTx(tx), &Seen{Key: "d@x", Mailbox: "INBOX", Kind: "reply", Disposition: Processed, At: now})
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := GetSeen(ctx, s.DB(), "d@x"); got == nil {
		t.Error("d@x is not recorded although its transaction committed")
	}
}
