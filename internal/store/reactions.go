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

// countBucket is the width of the limiter's counters: a window of an hour is
// summed from at most 60 of them, whatever the number of reactions in it.
const countBucket = 60 // seconds

// CountReactions counts the reactions sent since t in each scope of r, in
// whole buckets after the one holding t (so a reaction is forgotten up to
// countBucket early, never late). The digests (kind "digest") are not
// reactions to anyone's mail and not counted.
func CountReactions(ctx context.Context, q Querier, r Reaction, since time.Time) (ReactionCounts, error) {
	var c ReactionCounts
	from := unix(since) / countBucket
	sender := strings.ToLower(r.Sender)
	// One statement: preparing one costs more than these reads.
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(SUM(n),0) FROM reaction_counts WHERE scope='sk' AND key=? AND bucket>?),
		(SELECT COALESCE(SUM(n),0) FROM reaction_counts WHERE scope='s' AND key=? AND bucket>?),
		(SELECT COALESCE(SUM(n),0) FROM reaction_counts WHERE scope='r' AND key=? AND ?<>'' AND bucket>?),
		(SELECT COALESCE(SUM(n),0) FROM reaction_counts WHERE scope='c' AND key='' AND bucket>?),
		(SELECT COALESCE(SUM(n),0) FROM reaction_counts WHERE scope='a' AND key='' AND bucket>?)`,
		r.Kind+" "+sender, from, sender, from, r.RoundID, r.RoundID, from, from, from).
		Scan(&c.SenderKind, &c.Sender, &c.Round, &c.Coordinators, &c.All)
	return c, err
}

// RecordReaction stores one decision of the limiter, and counts it when sent.
func RecordReaction(ctx context.Context, tx Querier, r Reaction) error {
	sender := strings.ToLower(r.Sender)
	if _, err := tx.ExecContext(ctx, `INSERT INTO reactions (at, kind, sender, round_id, coordinators, sent, digested, what)
		VALUES (?,?,?,?,?,?,?,?)`, unix(r.At), r.Kind, sender, r.RoundID, b2i(r.Coordinators),
		b2i(r.Sent), b2i(r.Digested), r.What); err != nil {
		return err
	}
	if !r.Sent || r.Kind == "digest" {
		return nil
	}
	bucket := unix(r.At) / countBucket
	values, args := "", []any{}
	for _, sc := range [][2]string{{"sk", r.Kind + " " + sender}, {"s", sender}, {"r", r.RoundID}, {"c", ""}, {"a", ""}} {
		if (sc[0] == "r" && r.RoundID == "") || (sc[0] == "c" && !r.Coordinators) {
			continue
		}
		if values != "" {
			values += ","
		}
		values += "(?,?,?,1)"
		args = append(args, sc[0], sc[1], bucket)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reaction_counts (scope, key, bucket, n) VALUES `+values+`
		ON CONFLICT(scope, key, bucket) DO UPDATE SET n=n+1`, args...); err != nil {
		return err
	}
	return nil
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
	if _, err := tx.ExecContext(ctx, `DELETE FROM reactions WHERE at<? AND (sent=1 OR digested=1)`, unix(before)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM reaction_counts WHERE bucket<?`, unix(before)/countBucket)
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
