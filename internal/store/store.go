// Package store is consultd's embedded SQLite state: rounds, each member's
// consultation and answer, the messages already handled, the IMAP checkpoint,
// the outbox and an event log. Every state change and the mail it causes are
// written in one transaction (see Tx), so a crash never leaves one without the
// other.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // driver "sqlite"
)

// Store wraps the database.
type Store struct {
	db              *sql.DB
	prep            *Prepared
	stopCheckpoints func() // OpenCheckpointing's goroutine; nil otherwise
}

// Open opens (creating if needed) the database at path and applies migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	return openDSN(ctx, path, "")
}

// openDSN is Open with more DSN parameters (each "&name=value").
func openDSN(ctx context.Context, path, more string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	// _txlock=immediate: a read-then-write transaction must take the write lock
	// at BEGIN, or a concurrent writer makes it fail with SQLITE_BUSY at once.
	// cache_size: SQLite's page cache is per connection (2 MB by default)
	// and the pool keeps several; a 25 MB attachment streamed from its blob
	// chunks fills every cache it passes through, outside Go's memory limit.
	// 512 KiB each took the peak RSS of a fan-out of a 25 MB PDF to 15,000
	// members from 68.8 to 59.3 MB; the kernel's page cache serves the rest.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-512)" +
		"&_txlock=immediate&_time_format=sqlite" + more
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &Store{db: db, prep: &Prepared{db: db}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if s.stopCheckpoints != nil {
		s.stopCheckpoints()
	}
	s.prep.close()
	return s.db.Close()
}

// DB exposes the handle for read-only queries in the CLI.
func (s *Store) DB() *sql.DB { return s.db }

// Tx runs fn in one IMMEDIATE transaction and commits it when fn returns nil.
func (s *Store) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// migrations is the ordered schema history; never edit an entry, append one.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE rounds (
	id              TEXT PRIMARY KEY,          -- e.g. 2026-07, what coordinators type
	state           TEXT NOT NULL,             -- open | closed | draft | sent | cancelled
	title           TEXT NOT NULL,
	language        TEXT NOT NULL,
	inviter_name    TEXT NOT NULL,
	inviter_address TEXT NOT NULL,
	orig_subject    TEXT NOT NULL,
	orig_message_id TEXT NOT NULL,
	orig_date       INTEGER NOT NULL,          -- unix seconds, 0 unknown
	orig_body       TEXT NOT NULL,
	note            TEXT NOT NULL,             -- the coordinator's note above the forward
	opened_by       TEXT NOT NULL,
	source_message_id TEXT NOT NULL,
	deadline        INTEGER NOT NULL,
	deadline_source TEXT NOT NULL,             -- directive | invitation | policy
	created_at      INTEGER NOT NULL,
	closed_at       INTEGER NOT NULL DEFAULT 0,
	outcome         TEXT NOT NULL DEFAULT '',  -- accept | decline | '' (undecided)
	statement       TEXT NOT NULL DEFAULT '',
	draft_message_id TEXT NOT NULL DEFAULT '',
	sent_at         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE round_attachments (
	id           INTEGER PRIMARY KEY,
	round_id     TEXT NOT NULL REFERENCES rounds(id),
	filename     TEXT NOT NULL,
	content_type TEXT NOT NULL,
	data         BLOB NOT NULL
);
CREATE TABLE participants (
	round_id        TEXT NOT NULL REFERENCES rounds(id),
	member_id       TEXT NOT NULL,
	name            TEXT NOT NULL,
	language        TEXT NOT NULL,
	emails          TEXT NOT NULL,             -- JSON array
	undeliverable   TEXT NOT NULL DEFAULT '[]',-- JSON array of addresses that hard-bounced
	token           TEXT NOT NULL UNIQUE,
	consult_message_id TEXT NOT NULL,
	reminders_sent  INTEGER NOT NULL DEFAULT 0,
	position        TEXT NOT NULL DEFAULT '',
	concerns        TEXT NOT NULL DEFAULT '[]',
	recommendations TEXT NOT NULL DEFAULT '[]',
	sign            INTEGER,                   -- NULL: not said
	answer_text     TEXT NOT NULL DEFAULT '',
	answer_from     TEXT NOT NULL DEFAULT '',
	answer_message_id TEXT NOT NULL DEFAULT '',
	answered_at     INTEGER NOT NULL DEFAULT 0,
	answers_count   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (round_id, member_id)
);
CREATE TABLE seen (
	key         TEXT PRIMARY KEY,              -- Message-ID, or sha256 of the raw message
	mailbox     TEXT NOT NULL,
	uidvalidity INTEGER NOT NULL,
	uid         INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	round_id    TEXT NOT NULL DEFAULT '',
	disposition TEXT NOT NULL,                 -- processed | review
	note        TEXT NOT NULL DEFAULT '',
	at          INTEGER NOT NULL
);
CREATE TABLE checkpoints (
	mailbox     TEXT PRIMARY KEY,
	uidvalidity INTEGER NOT NULL,
	last_uid    INTEGER NOT NULL
);
CREATE TABLE outbox (
	id          INTEGER PRIMARY KEY,
	message_id  TEXT NOT NULL UNIQUE,
	round_id    TEXT NOT NULL DEFAULT '',
	kind        TEXT NOT NULL,                 -- consultation | opened | receipt | reminder | statement | ...
	recipients  TEXT NOT NULL,                 -- for listings
	payload     TEXT NOT NULL,                 -- JSON of sender.Mail
	state       TEXT NOT NULL DEFAULT 'pending', -- pending | sending | sent | failed
	attempts    INTEGER NOT NULL DEFAULT 0,
	due_at      INTEGER NOT NULL,
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	sent_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox(state, due_at);
CREATE TABLE events (
	id       INTEGER PRIMARY KEY,
	round_id TEXT NOT NULL DEFAULT '',
	at       INTEGER NOT NULL,
	text     TEXT NOT NULL
);
CREATE TABLE replies_sent (                    -- loop guard: automatic answers per sender
	round_id TEXT NOT NULL,
	address  TEXT NOT NULL,
	kind     TEXT NOT NULL,
	at       INTEGER NOT NULL
);
CREATE INDEX replies_sent_by ON replies_sent(round_id, address, kind, at);
`,
	// 2: exactly-once delivery. A row is 'sending' from just before SMTP DATA
	// until the server's answer is recorded; a row found 'sending' after a
	// crash is resolved by looking for the coalition's copy (proof) before it
	// is sent again. due_at of a 'sending' row is when to look.
	`
ALTER TABLE outbox ADD COLUMN sending_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN proof TEXT NOT NULL DEFAULT '';
`,
	// 3: the reaction limiter (round/limits.go) replaces replies_sent, which
	// only some reactions used; every automatic answer, sent or suppressed.
	`
CREATE TABLE reactions (
	id           INTEGER PRIMARY KEY,
	at           INTEGER NOT NULL,
	kind         TEXT NOT NULL,                -- receipt | unclear | untokened | late | ... | digest
	sender       TEXT NOT NULL,                -- lower-cased address whose mail caused it
	round_id     TEXT NOT NULL DEFAULT '',
	coordinators INTEGER NOT NULL DEFAULT 0,   -- 1: a notice to the coordinators
	sent         INTEGER NOT NULL,             -- 0: suppressed by the limit
	digested     INTEGER NOT NULL DEFAULT 0,   -- suppressed and already reported in a digest
	what         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reactions_at ON reactions(at);
CREATE INDEX reactions_undigested ON reactions(sent, digested);
DROP TABLE replies_sent;
`,
	// 4: coordinator actions
	// waiting for a CONFIRM reply.
	`
CREATE TABLE pending_actions (
	token       TEXT PRIMARY KEY,              -- sent only to the coordinator's configured address
	coordinator TEXT NOT NULL,                 -- that address, lower case
	kind        TEXT NOT NULL,                 -- forward | command
	summary     TEXT NOT NULL,                 -- what CONFIRM will do, for people
	round_id    TEXT NOT NULL DEFAULT '',      -- a command's round, if known
	message_id  TEXT NOT NULL,                 -- the coordinator's original message
	raw         BLOB NOT NULL,                 -- that message, replayed on CONFIRM
	why         TEXT NOT NULL,                 -- why it was not trusted at once
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	state       TEXT NOT NULL DEFAULT 'pending', -- pending | done
	done_at     INTEGER NOT NULL DEFAULT 0,
	done_by     TEXT NOT NULL DEFAULT ''       -- Message-ID of the CONFIRM reply
);
`,
	// 5: every per-message lookup of a round is an index search, not a scan
	// of every round (addresses and Message-IDs compare case-insensitively).
	`
CREATE INDEX rounds_state ON rounds(state, created_at);
CREATE INDEX rounds_inviter ON rounds(lower(inviter_address), created_at);
CREATE INDEX rounds_orig_message_id ON rounds(lower(orig_message_id));
CREATE INDEX rounds_draft_message_id ON rounds(lower(draft_message_id));
`,
	// 6: attachments stored once (content-addressed blobs); outbox payloads
	// refer to them (version 2) instead of carrying the bytes for every
	// member. migrateBlobs converts existing rows.
	`
CREATE TABLE blobs (
	sha256 TEXT PRIMARY KEY,                   -- hex SHA-256 of data
	size   INTEGER NOT NULL,
	data   BLOB NOT NULL
);
ALTER TABLE round_attachments ADD COLUMN sha256 TEXT NOT NULL DEFAULT ''; -- the blob; data is then empty
`,
	// 7: the reaction limiter's counts per minute and scope, so
	// that checking a limit reads a few rows, not every reaction of the
	// hour (a round of 15,000 members sends 15,000 receipts in an hour).
	`
CREATE TABLE reaction_counts (
	scope  TEXT NOT NULL,                      -- sk (kind+sender) | s (sender) | r (round) | c (coordinators) | a (all)
	key    TEXT NOT NULL,
	bucket INTEGER NOT NULL,                   -- unix time / 60
	n      INTEGER NOT NULL,
	PRIMARY KEY (scope, key, bucket)
) WITHOUT ROWID;
INSERT INTO reaction_counts SELECT 'sk', kind || ' ' || sender, at/60, COUNT(*) FROM reactions WHERE sent=1 AND kind<>'digest' GROUP BY 2, 3;
INSERT INTO reaction_counts SELECT 's', sender, at/60, COUNT(*) FROM reactions WHERE sent=1 AND kind<>'digest' GROUP BY 2, 3;
INSERT INTO reaction_counts SELECT 'r', round_id, at/60, COUNT(*) FROM reactions WHERE sent=1 AND kind<>'digest' AND round_id<>'' GROUP BY 2, 3;
INSERT INTO reaction_counts SELECT 'c', '', at/60, COUNT(*) FROM reactions WHERE sent=1 AND kind<>'digest' AND coordinators=1 GROUP BY 3;
INSERT INTO reaction_counts SELECT 'a', '', at/60, COUNT(*) FROM reactions WHERE sent=1 AND kind<>'digest' GROUP BY 3;
`,
	// 8: the statement in the coalition's other statement_languages, beside
	// the one in the invitation's language (statement): {"ar": "…"}.
	`
ALTER TABLE rounds ADD COLUMN translations TEXT NOT NULL DEFAULT '{}';
`,
	// 9: operations. Watchdog incidents (one open per kind), persisted so a
	// restart neither forgets nor re-announces one; and the probes sent by
	// `consultd doctor`, so the daemon files them quietly and only those.
	`
CREATE TABLE incidents (
	id          INTEGER PRIMARY KEY,
	kind        TEXT NOT NULL,                 -- imap_down | outbox_stuck | silence
	opened_at   INTEGER NOT NULL,
	since       INTEGER NOT NULL,              -- when the condition began
	detail      TEXT NOT NULL DEFAULT '',
	resolved_at INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX incidents_open ON incidents(kind) WHERE resolved_at = 0;
CREATE TABLE probes (
	id         TEXT PRIMARY KEY,               -- the X-Consultd-Probe value
	created_at INTEGER NOT NULL,
	arrived_at INTEGER NOT NULL DEFAULT 0
);
`,
	// 10: blobs in chunks (BlobChunk bytes), written and read one chunk at a
	// time, so that neither intake nor the fan-out holds an attachment whole;
	// blobs keeps each one's size, the handle a spooled attachment is named
	// by until a round claims it, and when it was written (SweepBlobs).
	// migrateChunks moves the existing bytes.
	`
CREATE TABLE blob_chunks (
	sha256 TEXT NOT NULL,                      -- the blob, or tmp-UNIXTIME-RANDOM while written
	seq    INTEGER NOT NULL,
	data   BLOB NOT NULL,
	PRIMARY KEY (sha256, seq)
);
CREATE TABLE secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
INSERT INTO secrets VALUES ('blob_handle', randomblob(32));
ALTER TABLE blobs ADD COLUMN handle TEXT NOT NULL DEFAULT '';
ALTER TABLE blobs ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX blobs_handle ON blobs(handle);
CREATE INDEX round_attachments_sha256 ON round_attachments(sha256);
`,
	// 11: the members of a round yet to answer, so that each answer can ask
	// whether any is left (close_when_all_answered) without counting them:
	// a count read up to 15,000 rows per reply.
	`
CREATE INDEX participants_unanswered ON participants(round_id) WHERE position = '';
`,
}

// afterMigration holds Go steps that run, in the same transaction, right
// after the SQL migration of that number.
var afterMigration = map[int]func(context.Context, *sql.Tx) error{
	6:  migrateBlobs,
	10: migrateChunks,
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		var v int
		err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version VALUES (0)`); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if v > len(migrations) {
			return fmt.Errorf("database schema version %d is newer than this consultd (%d)", v, len(migrations))
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
			if f := afterMigration[i+1]; f != nil {
				if err := f(ctx, tx); err != nil {
					return fmt.Errorf("migration %d: %w", i+1, err)
				}
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations))
		return err
	})
}

// unix converts a time to stored seconds (0 for the zero time).
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// fromUnix is the inverse of unix.
func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
