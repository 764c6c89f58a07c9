package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// checkpointEvery is how often a daemon's store copies the WAL back into
// the database (OpenCheckpointing).
const checkpointEvery = 500 * time.Millisecond

// OpenCheckpointing is Open for the long-running daemon: SQLite's automatic
// checkpoint is turned off, and a goroutine of the store checkpoints the WAL
// instead (PASSIVE: it never waits for, nor blocks, the writer). An automatic
// checkpoint runs inside the commit that crosses 1,000 pages, and its two
// fsyncs took up to a second on a busy machine: a stall of the whole inbox
// drain every few hundred replies. Close stops the goroutine.
func OpenCheckpointing(ctx context.Context, path string) (*Store, error) {
	s, err := openDSN(ctx, path, "&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-cctx.Done():
				return
			case <-t.C:
			}
			// A busy checkpoint is retried on the next tick.
			_ = checkpoint(cctx, s.db)
		}
	}()
	s.stopCheckpoints = func() { cancel(); <-done }
	return s, nil
}

func checkpoint(ctx context.Context, db *sql.DB) error {
	var busy, logFrames, done int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &done); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
