package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Pending is a coordinator's forward or command waiting for a CONFIRM reply.
type Pending struct {
	Token       string
	Coordinator string
	Kind        string // forward | command
	Summary     string
	RoundID     string
	MessageID   string
	Raw         []byte
	Why         string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	State       string // pending | done
	DoneAt      time.Time
	DoneBy      string
}

// Pending states.
const (
	PendingWaiting = "pending"
	PendingDone    = "done"
)

// InsertPending stores a new pending action.
func InsertPending(ctx context.Context, tx Querier, p *Pending) error {
	if p.State == "" {
		p.State = PendingWaiting
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO pending_actions (token, coordinator, kind, summary, round_id, message_id, raw, why,
		created_at, expires_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Token, p.Coordinator, p.Kind, p.Summary, p.RoundID, p.MessageID, p.Raw, p.Why, unix(p.CreatedAt), unix(p.ExpiresAt), p.State)
	if err != nil {
		return fmt.Errorf("insert pending action: %w", err)
	}
	return nil
}

// PendingByToken loads a pending action (ErrNotFound when none has the token).
func PendingByToken(ctx context.Context, q Querier, token string) (*Pending, error) {
	var p Pending
	var created, expires, done int64
	err := q.QueryRowContext(ctx, `SELECT token, coordinator, kind, summary, round_id, message_id, raw, why, created_at, expires_at,
		state, done_at, done_by FROM pending_actions WHERE token = ?`, token).Scan(&p.Token, &p.Coordinator, &p.Kind, &p.Summary,
		&p.RoundID, &p.MessageID, &p.Raw, &p.Why, &created, &expires, &p.State, &done, &p.DoneBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("pending action: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	p.CreatedAt, p.ExpiresAt, p.DoneAt = fromUnix(created), fromUnix(expires), fromUnix(done)
	return &p, nil
}

// MarkPendingDone records that a pending action was confirmed, so its token
// can never be used again. It fails when the action was already done.
func MarkPendingDone(ctx context.Context, tx Querier, token string, at time.Time, by string) error {
	res, err := tx.ExecContext(ctx, `UPDATE pending_actions SET state = ?, done_at = ?, done_by = ? WHERE token = ? AND state = ?`,
		PendingDone, unix(at), by, token, PendingWaiting)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("pending action already confirmed or unknown")
	}
	return nil
}

// CountPendingSince counts the confirmations asked of a coordinator since t.
func CountPendingSince(ctx context.Context, q Querier, coordinator string, since time.Time) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM pending_actions WHERE coordinator = ? AND created_at >= ?`,
		coordinator, unix(since)).Scan(&n)
	return n, err
}

// ListPending returns every pending action still waiting, oldest first.
func ListPending(ctx context.Context, q Querier) ([]*Pending, error) {
	rows, err := q.QueryContext(ctx, `SELECT token FROM pending_actions WHERE state = ? ORDER BY created_at`, PendingWaiting)
	if err != nil {
		return nil, err
	}
	var toks []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		toks = append(toks, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*Pending
	for _, t := range toks {
		p, err := PendingByToken(ctx, q, t)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
