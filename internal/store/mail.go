package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Seen is the record of one inbound message already handled.
type Seen struct {
	Key         string
	Mailbox     string
	UIDValidity uint32
	UID         uint32
	Kind        string
	RoundID     string
	Disposition Disposition
	Note        string
	At          time.Time
}

// GetSeen returns the record for key, or nil when the message is new.
func GetSeen(ctx context.Context, q Querier, key string) (*Seen, error) {
	var s Seen
	var at int64
	err := q.QueryRowContext(ctx, `SELECT key, mailbox, uidvalidity, uid, kind, round_id, disposition, note, at
		FROM seen WHERE key=?`, key).Scan(&s.Key, &s.Mailbox, &s.UIDValidity, &s.UID, &s.Kind, &s.RoundID,
		&s.Disposition, &s.Note, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.At = fromUnix(at)
	return &s, nil
}

// InsertSeen records that a message was handled.
func InsertSeen(ctx context.Context, tx Querier, s *Seen) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO seen (key, mailbox, uidvalidity, uid, kind, round_id, disposition, note, at)
		VALUES (?,?,?,?,?,?,?,?,?)`, s.Key, s.Mailbox, s.UIDValidity, s.UID, s.Kind, s.RoundID, s.Disposition, s.Note,
		unix(s.At))
	if err != nil {
		return fmt.Errorf("record message %s: %w", s.Key, err)
	}
	return nil
}

// Checkpoints implements the IMAP watcher's (UIDVALIDITY, last UID) checkpoint.
type Checkpoints struct{ S *Store }

// Load returns the checkpoint of a mailbox (zeros when none).
func (c Checkpoints) Load(ctx context.Context, mailbox string) (uint32, uint32, error) {
	var v, u uint32
	err := c.S.db.QueryRowContext(ctx, `SELECT uidvalidity, last_uid FROM checkpoints WHERE mailbox=?`, mailbox).Scan(&v, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return v, u, err
}

// Save stores the checkpoint of a mailbox.
func (c Checkpoints) Save(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error {
	_, err := c.S.db.ExecContext(ctx, `INSERT INTO checkpoints (mailbox, uidvalidity, last_uid) VALUES (?,?,?)
		ON CONFLICT(mailbox) DO UPDATE SET uidvalidity=excluded.uidvalidity, last_uid=excluded.last_uid`,
		mailbox, uidValidity, lastUID)
	return err
}

// OutboxRow is one outgoing message.
type OutboxRow struct {
	ID         int64
	MessageID  string
	RoundID    string
	Kind       MailKind
	Recipients []string
	Payload    []byte
	State      OutboxState
	Attempts   int
	DueAt      time.Time // pending: next attempt; sending: when to look for proof
	LastError  string
	CreatedAt  time.Time
	SentAt     time.Time
	SendingAt  time.Time // when the last attempt reached DATA; zero if never
	Proof      string    // how the delivery is known (sender.ProofSMTP…), "" if not sent
}

// Enqueue writes an outgoing message in the caller's transaction. A second
// enqueue of the same Message-ID is ignored, so replaying a step sends nothing twice.
func Enqueue(ctx context.Context, tx Querier, o *OutboxRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (message_id, round_id, kind, recipients, payload, due_at, created_at)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT(message_id) DO NOTHING`, o.MessageID, o.RoundID, o.Kind,
		strings.Join(o.Recipients, ", "), string(o.Payload), unix(o.DueAt), unix(o.CreatedAt))
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", o.Kind, err)
	}
	return nil
}

const outboxCols = `id, message_id, round_id, kind, recipients, payload, state, attempts, due_at, last_error, created_at, sent_at, sending_at, proof`

func scanOutbox(sc scanner) (*OutboxRow, error) {
	var o OutboxRow
	var rcpts, payload string
	var due, created, sent, sending int64
	if err := sc.Scan(&o.ID, &o.MessageID, &o.RoundID, &o.Kind, &rcpts, &payload, &o.State, &o.Attempts, &due,
		&o.LastError, &created, &sent, &sending, &o.Proof); err != nil {
		return nil, err
	}
	if rcpts != "" {
		o.Recipients = strings.Split(rcpts, ", ")
	}
	o.Payload = []byte(payload)
	o.DueAt, o.CreatedAt, o.SentAt, o.SendingAt = fromUnix(due), fromUnix(created), fromUnix(sent), fromUnix(sending)
	return &o, nil
}

func queryOutbox(ctx context.Context, q Querier, where string, args ...any) ([]*OutboxRow, error) {
	var out []*OutboxRow
	err := eachOutbox(ctx, q, where, args, func(o *OutboxRow) error {
		out = append(out, o)
		return nil
	})
	return out, err
}

// eachOutbox calls fn with each row of the query, one row in memory at a time.
func eachOutbox(ctx context.Context, q Querier, where string, args []any, fn func(*OutboxRow) error) error {
	rows, err := q.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox `+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanOutbox(rows)
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DueOutbox returns the messages due by now, oldest first: pending ones to
// send, and 'sending' ones whose fate must be found out (an earlier attempt
// reached DATA and its answer was never recorded).
func DueOutbox(ctx context.Context, q Querier, now time.Time, limit int) ([]*OutboxRow, error) {
	return queryOutbox(ctx, q, `WHERE state IN ('pending','sending') AND due_at <= ? ORDER BY due_at, id LIMIT ?`, unix(now), limit)
}

// NextOutboxDue returns the due time of the earliest pending or 'sending'
// message (zero when there is none).
func NextOutboxDue(ctx context.Context, q Querier) (time.Time, error) {
	var due sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MIN(due_at) FROM outbox WHERE state IN ('pending','sending')`).Scan(&due)
	if err != nil || !due.Valid {
		return time.Time{}, err
	}
	return fromUnix(due.Int64), nil
}

// OutboxByRound returns a round's outgoing messages in order.
func OutboxByRound(ctx context.Context, q Querier, roundID string) ([]*OutboxRow, error) {
	return queryOutbox(ctx, q, `WHERE round_id=? ORDER BY id`, roundID)
}

// GetOutbox returns one outgoing message.
func GetOutbox(ctx context.Context, q Querier, id int64) (*OutboxRow, error) {
	rows, err := queryOutbox(ctx, q, `WHERE id=?`, id)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	return rows[0], nil
}

// MarkSent records a delivered message and how that is known (sender.ProofSMTP…).
func MarkSent(ctx context.Context, q Querier, id int64, at time.Time, proof, note string) error {
	_, err := q.ExecContext(ctx, `UPDATE outbox SET state='sent', sent_at=?, attempts=attempts+1, last_error=?, proof=?
		WHERE id=? AND state IN ('pending','sending')`, unix(at), note, proof, id)
	return err
}

// MarkSending records, before DATA, that the server may take the message
// from now on. Should the answer never be recorded (a crash, a lost
// connection), the row stays 'sending' and at check it is looked for in the
// coalition's mailbox before it may be sent again.
func MarkSending(ctx context.Context, q Querier, id int64, at, check time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE outbox SET state='sending', sending_at=?, due_at=? WHERE id=? AND state IN ('pending','sending')`,
		unix(at), unix(check), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("outbox item %d is no longer to be sent: %w", id, ErrNotFound)
	}
	return nil
}

// MarkUnknown keeps a row 'sending' whose delivery is unknown, and says when
// to look for it again.
func MarkUnknown(ctx context.Context, q Querier, id int64, check time.Time, reason string) error {
	_, err := q.ExecContext(ctx, `UPDATE outbox SET due_at=?, last_error=? WHERE id=? AND state='sending'`, unix(check), reason, id)
	return err
}

// ProveDelivered marks the message with this Message-ID as sent because its
// copy arrived in the coalition's mailbox. Only a row whose delivery reached
// DATA can have a copy; a pending one is left alone. It reports whether a row
// changed (false: unknown, or already recorded).
func ProveDelivered(ctx context.Context, q Querier, messageID, proof string, at time.Time) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE outbox SET state='sent', sent_at=?, proof=?, last_error=''
		WHERE message_id=? AND state='sending'`, unix(at), proof, messageID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// MarkRetry records a temporary failure and when to try again; the message
// was certainly not taken, so the row is pending again.
func MarkRetry(ctx context.Context, q Querier, id int64, attempts int, next time.Time, reason string) error {
	_, err := q.ExecContext(ctx, `UPDATE outbox SET state='pending', attempts=?, due_at=?, last_error=? WHERE id=? AND state IN ('pending','sending')`,
		attempts, unix(next), reason, id)
	return err
}

// MarkFailed records a permanent failure.
func MarkFailed(ctx context.Context, q Querier, id int64, reason string) error {
	_, err := q.ExecContext(ctx, `UPDATE outbox SET state='failed', attempts=attempts+1, last_error=? WHERE id=? AND state IN ('pending','sending')`, reason, id)
	return err
}

// SentStamp is one delivery as a sending limit counts it.
type SentStamp struct {
	At         time.Time
	Recipients int // To and Cc (the envelope-only proof copy is not listed)
}

// SentSince returns the deliveries since t, oldest first.
func SentSince(ctx context.Context, q Querier, since time.Time) ([]SentStamp, error) {
	// recipients is a ", "-joined list (Enqueue).
	rows, err := q.QueryContext(ctx, `SELECT sent_at,
		CASE WHEN recipients='' THEN 0 ELSE length(recipients) - length(replace(recipients, ',', '')) + 1 END FROM outbox
		WHERE state='sent' AND sent_at>=? ORDER BY sent_at`, unix(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SentStamp
	for rows.Next() {
		var at int64
		var s SentStamp
		if err := rows.Scan(&at, &s.Recipients); err != nil {
			return nil, err
		}
		s.At = fromUnix(at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// OutboxCount is how many of a round's messages of one kind are in one state.
type OutboxCount struct {
	Kind  MailKind
	State OutboxState
	N     int
}

// OutboxCounts summarises a round's outbox by kind and state, in the order
// each was first queued: a 15,000-member round has tens of thousands of
// rows, which `consultd round` counts rather than lists.
func OutboxCounts(ctx context.Context, q Querier, roundID string) ([]OutboxCount, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind, state, COUNT(*), MIN(id) AS first FROM outbox WHERE round_id=?
		GROUP BY kind, state ORDER BY first`, roundID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxCount
	for rows.Next() {
		var c OutboxCount
		var first int64
		if err := rows.Scan(&c.Kind, &c.State, &c.N, &first); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// OutboxOfRound calls fn with each of a round's outgoing messages in order,
// one row in memory at a time; notSent keeps only those not delivered yet
// (pending, sending, failed).
func OutboxOfRound(ctx context.Context, q Querier, roundID string, notSent bool, fn func(*OutboxRow) error) error {
	where := `WHERE round_id=?`
	if notSent {
		where += ` AND state<>'sent'`
	}
	return eachOutbox(ctx, q, where+` ORDER BY id`, []any{roundID}, fn)
}
