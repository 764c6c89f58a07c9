package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// A database written before the reaction limiter existed upgrades in place:
// what it held is kept, and the limiter's table is there.
func TestADatabaseFromBeforeTheLimiterUpgrades(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	all := migrations
	migrations = all[:1]
	s := open(t, path)
	migrations = all
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO replies_sent (round_id, address, kind, at) VALUES ('2026-01', 'a@b', 'receipt', 1)`); err != nil {
			return err
		}
		return InsertSeen(ctx, tx, &Seen{Key: "old@b", Mailbox: "INBOX", UID: 1, Kind: "reply", Disposition: "processed", At: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t, path)
	defer s.Close()
	if sn, err := GetSeen(ctx, s.DB(), "old@b"); err != nil || sn == nil {
		t.Fatalf("the handled message was lost in the upgrade: %+v %v", sn, err)
	}
	if err := s.Tx(ctx, func(tx *sql.Tx) error {
		return RecordReaction(ctx, tx, Reaction{At: now, Kind: "receipt", Sender: "a@b", Sent: true})
	}); err != nil {
		t.Fatalf("no reactions table after the upgrade: %v", err)
	}
	if c, err := CountReactions(ctx, s.DB(), Reaction{Kind: "receipt", Sender: "a@b"}, now.Add(-time.Minute)); err != nil || c.SenderKind != 1 {
		t.Fatalf("counts after the upgrade %+v %v", c, err)
	}
}
