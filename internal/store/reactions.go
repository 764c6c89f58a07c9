package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Reaction is one automatic mail consultd considered sending in reaction to
// incoming mail (a receipt, a notice to the coordinators, ...), sent or
// suppressed by the rate limit. The rows are the limiter's memory, so a
// restart does not reset it.
type Reaction struct {
	At           time.Time
	Kind         string // the limiter's kind: receipt | unclear | untokened | late | ...
	Sender       string // whose mail caused it (lower-cased address); for bounces the failed address
	RoundID      string
	Coordinators bool   // the mail goes to the coordinators rather than back to the sender
	Sent         bool   // false: suppressed by the limit
	Digested     bool   // a suppressed reaction already reported in a digest (or never to be)
	What         string // one line for the digest
}

// ReactionCounts are the reactions sent in a window, by scope.
type ReactionCounts struct {
	SenderKind   int // this sender, this kind
	Sender       int // this sender, any kind
	Round        int // this round (0 when the reaction has no round)
	Coordinators int // notices to the coordinators, any sender
	All          int
}

// CountReactions counts the reactions sent since t in each scope of r. The
// digests (kind "digest") are not reactions to anyone's mail and not counted.
func CountReactions(ctx context.Context, q Querier, r Reaction, since time.Time) (ReactionCounts, error) {
	var c ReactionCounts
	err := q.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(kind=? AND sender=?),0), COALESCE(SUM(sender=?),0), COALESCE(SUM(?<>'' AND round_id=?),0),
		COALESCE(SUM(coordinators),0), COUNT(*)
		FROM reactions WHERE sent=1 AND at>=? AND kind<>'digest'`,
		r.Kind, strings.ToLower(r.Sender), strings.ToLower(r.Sender), r.RoundID, r.RoundID, unix(since)).
		Scan(&c.SenderKind, &c.Sender, &c.Round, &c.Coordinators, &c.All)
	return c, err
}

// RecordReaction stores one decision of the limiter.
func RecordReaction(ctx context.Context, tx *sql.Tx, r Reaction) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO reactions (at, kind, sender, round_id, coordinators, sent, digested, what)
		VALUES (?,?,?,?,?,?,?,?)`, unix(r.At), r.Kind, strings.ToLower(r.Sender), r.RoundID, b2i(r.Coordinators),
		b2i(r.Sent), b2i(r.Digested), r.What)
	return err
}

// SuppressedGroup is the suppressed reactions not yet digested, of one kind,
// sender and round.
type SuppressedGroup struct {
	Kind, Sender, RoundID, What string
	Count                       int
	First, Last                 time.Time
}

// Undigested returns the suppressed reactions not yet reported, grouped, the
// biggest group first, and the highest row id they cover (for MarkDigested).
func Undigested(ctx context.Context, q Querier) ([]SuppressedGroup, int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind, sender, round_id, MAX(what), COUNT(*), MIN(at), MAX(at), MAX(id)
		FROM reactions WHERE sent=0 AND digested=0 GROUP BY kind, sender, round_id ORDER BY COUNT(*) DESC, MIN(at)`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []SuppressedGroup
	var maxID int64
	for rows.Next() {
		var g SuppressedGroup
		var first, last, id int64
		if err := rows.Scan(&g.Kind, &g.Sender, &g.RoundID, &g.What, &g.Count, &first, &last, &id); err != nil {
			return nil, 0, err
		}
		g.First, g.Last = fromUnix(first), fromUnix(last)
		maxID = max(maxID, id)
		out = append(out, g)
	}
	return out, maxID, rows.Err()
}

// MarkDigested marks the suppressed reactions up to row id as reported.
func MarkDigested(ctx context.Context, tx *sql.Tx, upTo int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE reactions SET digested=1 WHERE sent=0 AND digested=0 AND id<=?`, upTo)
	return err
}

// Digest kinds are recorded in the reactions table too; LastReaction finds
// the latest of a kind (zero time when none).
func LastReaction(ctx context.Context, q Querier, kind string) (time.Time, error) {
	var at sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MAX(at) FROM reactions WHERE kind=? AND sent=1`, kind).Scan(&at)
	if err != nil || !at.Valid {
		return time.Time{}, err
	}
	return fromUnix(at.Int64), nil
}

// PruneReactions forgets reactions older than t that no digest still needs:
// the limiter only looks back an hour.
func PruneReactions(ctx context.Context, tx *sql.Tx, before time.Time) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM reactions WHERE at<? AND (sent=1 OR digested=1)`, unix(before))
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
