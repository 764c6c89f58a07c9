package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/internal/testutil"
)

// TestTheDaemonsStoreCopiesItsLogIntoTheDatabaseWhileRunning: with SQLite's
// automatic checkpoint off (it stalled the commit that ran it), the store's
// own goroutine still moves what was written into the database file, and
// what was written reads back after a restart.
func TestTheDaemonsStoreCopiesItsLogIntoTheDatabaseWhileRunning(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "consultd.db")
	s, err := OpenCheckpointing(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	big := strings.Repeat("x", 4000) // about a page a row: 3,000 rows are over the automatic threshold
	for i := range 30 {
		if err := s.Tx(ctx, func(tx *sql.Tx) error {
			for j := range 100 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO events (round_id, at, text) VALUES (?,?,?)`, "r", i*100+j, big); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 10*time.Second, "the written pages in the database file", func() bool { return size() >= before+3000*4000 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM events WHERE round_id='r'`).Scan(&n); err != nil || n != 3000 {
		t.Fatalf("after a restart: %d events (%v), want 3000", n, err)
	}
}
