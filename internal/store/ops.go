package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Incident is one watchdog incident: a condition that began at Since,
// announced to the coordinators at OpenedAt, and over at ResolvedAt.
type Incident struct {
	ID         int64
	Kind       string
	OpenedAt   time.Time
	Since      time.Time
	Detail     string
	ResolvedAt time.Time
}

// OpenIncidents returns the incidents not yet resolved, oldest first.
func OpenIncidents(ctx context.Context, q Querier) ([]Incident, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, opened_at, since, detail, resolved_at FROM incidents
		WHERE resolved_at = 0 ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		var in Incident
		var opened, since, resolved int64
		if err := rows.Scan(&in.ID, &in.Kind, &opened, &since, &in.Detail, &resolved); err != nil {
			return nil, err
		}
		in.OpenedAt, in.Since, in.ResolvedAt = fromUnix(opened), fromUnix(since), fromUnix(resolved)
		out = append(out, in)
	}
	return out, rows.Err()
}

// OpenIncident records a new incident of kind; ok is false when one of that
// kind is already open (then nothing is written, so nothing is announced twice).
func OpenIncident(ctx context.Context, tx *sql.Tx, kind string, at, since time.Time, detail string) (ok bool, err error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO incidents (kind, opened_at, since, detail) VALUES (?,?,?,?)
		ON CONFLICT DO NOTHING`, kind, unix(at), unix(since), detail)
	if err != nil {
		return false, fmt.Errorf("open incident %s: %w", kind, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ResolveIncident closes the open incident of kind; ok is false when none was open.
func ResolveIncident(ctx context.Context, tx *sql.Tx, kind string, at time.Time) (ok bool, err error) {
	res, err := tx.ExecContext(ctx, `UPDATE incidents SET resolved_at = ? WHERE kind = ? AND resolved_at = 0`, unix(at), kind)
	if err != nil {
		return false, fmt.Errorf("resolve incident %s: %w", kind, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddProbe records a probe `consultd doctor` is about to send.
func AddProbe(ctx context.Context, q Querier, id string, at time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO probes (id, created_at) VALUES (?,?) ON CONFLICT DO NOTHING`, id, unix(at))
	return err
}

// ProbeArrived marks a probe as seen by the daemon; known is false for an
// id no doctor sent (a forged or foreign header: the mail is handled as any other).
func ProbeArrived(ctx context.Context, q Querier, id string, at time.Time) (known bool, err error) {
	res, err := q.ExecContext(ctx, `UPDATE probes SET arrived_at = CASE arrived_at WHEN 0 THEN ? ELSE arrived_at END
		WHERE id = ?`, unix(at), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// OutboxHealth is what the metrics and the watchdog read from the outbox.
type OutboxHealth struct {
	Depth         int       // pending or sending
	OldestPending time.Time // created_at of the oldest such row; zero if none
	// FailingSince is the created_at of the oldest undelivered row that has
	// failed at least once; zero if none.
	FailingSince time.Time
	FailingError string // that row's last error
	FailingKind  string
}

// ReadOutboxHealth summarises the undelivered part of the outbox.
func ReadOutboxHealth(ctx context.Context, q Querier) (OutboxHealth, error) {
	var h OutboxHealth
	var oldest sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state IN ('pending','sending')`).
		Scan(&h.Depth, &oldest); err != nil {
		return h, err
	}
	h.OldestPending = fromUnix(oldest.Int64)
	var since int64
	err := q.QueryRowContext(ctx, `SELECT created_at, last_error, kind FROM outbox
		WHERE state IN ('pending','sending') AND attempts > 0 AND last_error != ''
		ORDER BY created_at LIMIT 1`).Scan(&since, &h.FailingError, &h.FailingKind)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, err
	}
	h.FailingSince = fromUnix(since)
	return h, nil
}

// CountByState counts the rows of a table by its state column (rounds, outbox).
func CountByState(ctx context.Context, q Querier, table string) (map[string]int, error) {
	if table != "rounds" && table != "outbox" {
		return nil, fmt.Errorf("no state column in %q", table)
	}
	rows, err := q.QueryContext(ctx, `SELECT state, COUNT(*) FROM `+table+` GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// Awaited is an open round whose members are still expected to answer.
type Awaited struct {
	RoundID    string
	OpenedAt   time.Time
	Unanswered int
}

// AwaitedRounds lists open rounds before their deadline with members who
// have not answered yet.
func AwaitedRounds(ctx context.Context, q Querier, now time.Time) ([]Awaited, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.created_at, COUNT(p.member_id) FROM rounds r
		JOIN participants p ON p.round_id = r.id AND p.position = ''
		WHERE r.state = 'open' AND r.deadline > ? GROUP BY r.id ORDER BY r.created_at`, unix(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Awaited
	for rows.Next() {
		var a Awaited
		var at int64
		if err := rows.Scan(&a.RoundID, &at, &a.Unanswered); err != nil {
			return nil, err
		}
		a.OpenedAt = fromUnix(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// LastReceived is when the last message that was not consultd's own came
// in (zero if none): our own copies arriving prove nothing about the mail
// members send.
func LastReceived(ctx context.Context, q Querier) (time.Time, error) {
	var at sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MAX(at) FROM seen WHERE kind != 'own'`).Scan(&at)
	return fromUnix(at.Int64), err
}
