package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotFound is returned when a round or participant does not exist.
var ErrNotFound = errors.New("not found")

// Round is one consultation on one invitation.
type Round struct {
	ID              string
	State           RoundState
	Title           string
	Language        string
	InviterName     string
	InviterAddress  string
	OrigSubject     string
	OrigMessageID   string
	OrigDate        time.Time
	OrigBody        string
	Note            string
	OpenedBy        string
	SourceMessageID string
	Deadline        time.Time
	DeadlineSource  string
	CreatedAt       time.Time
	ClosedAt        time.Time
	Outcome         Outcome
	Statement       string
	// Translations are the statement in the other statement languages, by language.
	Translations   map[string]string
	DraftMessageID string
	SentAt         time.Time
}

// Attachment is an original invitation attachment kept with its round; its
// bytes are stored once, as the blob SHA256: from Data, or, for a big
// message's attachment stored while it was read, the blob Handle names.
type Attachment struct {
	Filename    string
	ContentType string
	SHA256      string // set by InsertRound
	Size        int64  // set by InsertRound
	Data        []byte
	Handle      string // BlobInfo.Handle; Data is then empty
}

// Ref is how the outbox refers to a once InsertRound has stored it.
func (a Attachment) Ref() AttachmentRef {
	return AttachmentRef{Filename: a.Filename, ContentType: a.ContentType, SHA256: a.SHA256, Size: a.Size}
}

// Participant is one member organisation in one round, with its latest answer.
type Participant struct {
	RoundID          string
	MemberID         string
	Name             string
	Language         string
	Emails           []string
	Undeliverable    []string
	Token            string
	ConsultMessageID string
	RemindersSent    int
	Position         string
	Concerns         []string
	Recommendations  []string
	Sign             *bool
	AnswerText       string
	AnswerFrom       string
	AnswerMessageID  string
	AnsweredAt       time.Time
	AnswersCount     int
}

// Answered reports whether the participant has a counted answer.
func (p *Participant) Answered() bool { return p.Position != "" }

// Deliverable returns the participant's contacts that have not hard-bounced.
func (p *Participant) Deliverable() []string {
	var out []string
	for _, e := range p.Emails {
		bad := false
		for _, u := range p.Undeliverable {
			if strings.EqualFold(u, e) { // bounces record addresses lower-cased
				bad = true
			}
		}
		if !bad {
			out = append(out, e)
		}
	}
	return out
}

// NextRoundID returns the next free id of the form YYYY-NN for the year of now.
func NextRoundID(ctx context.Context, tx *sql.Tx, now time.Time) (string, error) {
	prefix := fmt.Sprintf("%d-", now.Year())
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rounds WHERE id LIKE ?`, prefix+"%").Scan(&n); err != nil {
		return "", err
	}
	for i := n + 1; ; i++ {
		id := fmt.Sprintf("%s%02d", prefix, i)
		var x int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM rounds WHERE id = ?`, id).Scan(&x)
		if errors.Is(err, sql.ErrNoRows) {
			return id, nil
		}
		if err != nil {
			return "", err
		}
	}
}

// InsertRound stores a new round with its attachments and participants.
func InsertRound(ctx context.Context, tx *sql.Tx, r *Round, atts []Attachment, ps []*Participant) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO rounds (id, state, title, language, inviter_name, inviter_address,
		orig_subject, orig_message_id, orig_date, orig_body, note, opened_by, source_message_id, deadline,
		deadline_source, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		r.ID, r.State, r.Title, r.Language, r.InviterName, r.InviterAddress, r.OrigSubject, r.OrigMessageID,
		unix(r.OrigDate), r.OrigBody, r.Note, r.OpenedBy, r.SourceMessageID, unix(r.Deadline), r.DeadlineSource,
		unix(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert round %s: %w", r.ID, err)
	}
	for i := range atts {
		a := &atts[i]
		if a.Handle != "" {
			b, err := BlobByHandle(ctx, tx, a.Handle)
			if err != nil {
				return fmt.Errorf("attachment %s: %w", a.Filename, err)
			}
			a.SHA256, a.Size = b.SHA256, b.Size
		} else {
			key, err := PutBlob(ctx, tx, a.Data)
			if err != nil {
				return err
			}
			a.SHA256, a.Size = key, int64(len(a.Data))
		}
		key := a.SHA256
		if _, err := tx.ExecContext(ctx, `INSERT INTO round_attachments (round_id, filename, content_type, sha256, data) VALUES (?,?,?,?,x'')`,
			r.ID, a.Filename, a.ContentType, key); err != nil {
			return fmt.Errorf("insert attachment: %w", err)
		}
	}
	for _, p := range ps {
		emails, _ := json.Marshal(p.Emails)
		if _, err := tx.ExecContext(ctx, `INSERT INTO participants (round_id, member_id, name, language, emails, token,
			consult_message_id) VALUES (?,?,?,?,?,?,?)`, r.ID, p.MemberID, p.Name, p.Language, string(emails), p.Token,
			p.ConsultMessageID); err != nil {
			return fmt.Errorf("insert participant %s: %w", p.MemberID, err)
		}
	}
	return nil
}

const roundCols = `id, state, title, language, inviter_name, inviter_address, orig_subject, orig_message_id, orig_date,
	orig_body, note, opened_by, source_message_id, deadline, deadline_source, created_at, closed_at, outcome, statement,
	draft_message_id, sent_at, translations`

type scanner interface{ Scan(...any) error }

func scanRound(sc scanner) (*Round, error) {
	var r Round
	var od, dl, ca, cl, sa int64
	var tr string
	err := sc.Scan(&r.ID, &r.State, &r.Title, &r.Language, &r.InviterName, &r.InviterAddress, &r.OrigSubject,
		&r.OrigMessageID, &od, &r.OrigBody, &r.Note, &r.OpenedBy, &r.SourceMessageID, &dl, &r.DeadlineSource, &ca, &cl,
		&r.Outcome, &r.Statement, &r.DraftMessageID, &sa, &tr)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tr), &r.Translations); err != nil {
		return nil, fmt.Errorf("round %s: translations: %w", r.ID, err)
	}
	r.OrigDate, r.Deadline, r.CreatedAt, r.ClosedAt, r.SentAt = fromUnix(od), fromUnix(dl), fromUnix(ca), fromUnix(cl), fromUnix(sa)
	return &r, nil
}

// Querier is satisfied by *sql.DB and *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// GetRound loads one round (case-insensitive id).
func GetRound(ctx context.Context, q Querier, id string) (*Round, error) {
	r, err := scanRound(q.QueryRowContext(ctx, `SELECT `+roundCols+` FROM rounds WHERE id = ? COLLATE NOCASE`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("round %s: %w", id, ErrNotFound)
	}
	return r, err
}

// ListRounds returns rounds, newest first; with states, only those.
func ListRounds(ctx context.Context, q Querier, states ...RoundState) ([]*Round, error) {
	where, args := "", []any{}
	if len(states) > 0 {
		where = "WHERE state IN (?" + strings.Repeat(",?", len(states)-1) + ") "
		for _, s := range states {
			args = append(args, string(s))
		}
	}
	return queryRounds(ctx, q, where+`ORDER BY created_at DESC, id DESC`, args...)
}

// The per-message lookups of a round; each must be an index search (migration
// 5; lookup_test.go reads their query plans).
const (
	whereInviter           = `WHERE lower(inviter_address) = lower(?) AND id <> ? ORDER BY created_at DESC, id DESC`
	whereDraft             = `WHERE lower(draft_message_id) = lower(?) LIMIT 1`
	whereOrigMessageID     = `WHERE lower(orig_message_id) = lower(?) AND state <> ? ORDER BY created_at DESC, id DESC`
	whereInviterInProgress = `WHERE lower(inviter_address) = lower(?) AND state IN (?,?,?) ORDER BY created_at DESC, id DESC`
)

// RoundsByInviter returns earlier rounds to the same inviter address, newest first.
func RoundsByInviter(ctx context.Context, q Querier, address, exceptID string) ([]*Round, error) {
	return queryRounds(ctx, q, whereInviter,
		address, exceptID)
}

// RoundByDraft returns the round whose draft statement has one of ids as its
// Message-ID (with or without <>), or ErrNotFound.
func RoundByDraft(ctx context.Context, q Querier, ids []string) (*Round, error) {
	for _, id := range ids {
		id = strings.Trim(strings.TrimSpace(id), "<>")
		if id == "" {
			continue
		}
		rs, err := queryRounds(ctx, q, whereDraft, id)
		if err != nil || len(rs) > 0 {
			return first(rs), err
		}
	}
	return nil, ErrNotFound
}

// RoundsForInvitation returns the rounds, not cancelled, that may be for the
// same invitation: the same original Message-ID, or the same inviter in a
// round still in progress. The caller compares subjects.
func RoundsForInvitation(ctx context.Context, q Querier, origMessageID, inviter string) ([]*Round, error) {
	var out []*Round
	if origMessageID != "" {
		rs, err := queryRounds(ctx, q, whereOrigMessageID,
			origMessageID, string(StateCancelled))
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	rs, err := queryRounds(ctx, q, whereInviterInProgress,
		inviter, string(StateOpen), string(StateDraft), string(StateUndecided))
	if err != nil {
		return nil, err
	}
	return append(out, rs...), nil
}

func first(rs []*Round) *Round {
	if len(rs) == 0 {
		return nil
	}
	return rs[0]
}

func queryRounds(ctx context.Context, q Querier, where string, args ...any) ([]*Round, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+roundCols+` FROM rounds `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Round
	for rows.Next() {
		r, err := scanRound(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateRound writes the mutable fields of a round.
func UpdateRound(ctx context.Context, tx Querier, r *Round) error {
	tr, err := json.Marshal(r.Translations)
	if err != nil || r.Translations == nil {
		tr = []byte("{}")
	}
	_, err = tx.ExecContext(ctx, `UPDATE rounds SET state=?, deadline=?, closed_at=?, outcome=?, statement=?,
		draft_message_id=?, sent_at=?, translations=? WHERE id=?`, r.State, unix(r.Deadline), unix(r.ClosedAt), r.Outcome, r.Statement,
		r.DraftMessageID, unix(r.SentAt), string(tr), r.ID)
	return err
}

// AttachmentRefs returns what the outbox needs to send a round's attachments
// with a message: names, types and blobs, without the bytes.
func AttachmentRefs(ctx context.Context, q Querier, roundID string) ([]AttachmentRef, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.filename, a.content_type, a.sha256, COALESCE(b.size, length(a.data))
		FROM round_attachments a LEFT JOIN blobs b ON b.sha256 = a.sha256 WHERE a.round_id=? ORDER BY a.id`, roundID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AttachmentRef
	for rows.Next() {
		var a AttachmentRef
		if err := rows.Scan(&a.Filename, &a.ContentType, &a.SHA256, &a.Size); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Attachments returns a round's original attachments with their bytes
// (each whole in memory: for tools and tests; the sender reads blobs with
// OpenBlob).
func Attachments(ctx context.Context, q Querier, roundID string) ([]Attachment, error) {
	refs, err := AttachmentRefs(ctx, q, roundID)
	if err != nil {
		return nil, err
	}
	var out []Attachment
	for _, r := range refs {
		data, err := Blob(ctx, q, r.SHA256)
		if err != nil {
			return nil, fmt.Errorf("attachment %s: %w", r.Filename, err)
		}
		out = append(out, Attachment{Filename: r.Filename, ContentType: r.ContentType, SHA256: r.SHA256, Size: r.Size, Data: data})
	}
	return out, nil
}

const partCols = `round_id, member_id, name, language, emails, undeliverable, token, consult_message_id, reminders_sent,
	position, concerns, recommendations, sign, answer_text, answer_from, answer_message_id, answered_at, answers_count`

func scanParticipant(sc scanner) (*Participant, error) {
	var p Participant
	var emails, undeliv, conc, recs string
	var sign sql.NullInt64
	var at int64
	err := sc.Scan(&p.RoundID, &p.MemberID, &p.Name, &p.Language, &emails, &undeliv, &p.Token, &p.ConsultMessageID,
		&p.RemindersSent, &p.Position, &conc, &recs, &sign, &p.AnswerText, &p.AnswerFrom, &p.AnswerMessageID, &at,
		&p.AnswersCount)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name, data string
		into       *[]string
	}{{"emails", emails, &p.Emails}, {"undeliverable", undeliv, &p.Undeliverable}, {"concerns", conc, &p.Concerns},
		{"recommendations", recs, &p.Recommendations}} {
		if err := unmarshalList(f.data, f.into); err != nil {
			return nil, fmt.Errorf("participant %s/%s: %s: %w", p.RoundID, p.MemberID, f.name, err)
		}
	}
	if sign.Valid {
		b := sign.Int64 != 0
		p.Sign = &b
	}
	p.AnsweredAt = fromUnix(at)
	return &p, nil
}

// Participants returns a round's participants in configuration order.
func Participants(ctx context.Context, q Querier, roundID string) ([]*Participant, error) {
	return queryParticipants(ctx, q, `round_id=?`, roundID)
}

// ToRemind returns, in configuration order, the participants of a round who
// have not answered and have had fewer than due reminders: the reminder tick
// reads only those, not every member of a 15,000-member round each time.
func ToRemind(ctx context.Context, q Querier, roundID string, due int) ([]*Participant, error) {
	return queryParticipants(ctx, q, `round_id=? AND position='' AND reminders_sent<?`, roundID, due)
}

func queryParticipants(ctx context.Context, q Querier, where string, args ...any) ([]*Participant, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+partCols+` FROM participants WHERE `+where+` ORDER BY rowid`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Participant
	for rows.Next() {
		p, err := scanParticipant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ParticipantByToken finds the participant a reply token belongs to.
func ParticipantByToken(ctx context.Context, q Querier, token string) (*Participant, error) {
	p, err := scanParticipant(q.QueryRowContext(ctx, `SELECT `+partCols+` FROM participants WHERE token=?`, token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return p, err
}

// UpdateParticipant writes a participant's answer, reminders and undeliverable contacts.
func UpdateParticipant(ctx context.Context, tx Querier, p *Participant) error {
	undeliv, _ := json.Marshal(nonNil(p.Undeliverable))
	conc, _ := json.Marshal(nonNil(p.Concerns))
	recs, _ := json.Marshal(nonNil(p.Recommendations))
	var sign any
	if p.Sign != nil {
		sign = *p.Sign
	}
	_, err := tx.ExecContext(ctx, `UPDATE participants SET undeliverable=?, reminders_sent=?, position=?, concerns=?,
		recommendations=?, sign=?, answer_text=?, answer_from=?, answer_message_id=?, answered_at=?, answers_count=?
		WHERE round_id=? AND member_id=?`, string(undeliv), p.RemindersSent, p.Position, string(conc), string(recs), sign,
		p.AnswerText, p.AnswerFrom, p.AnswerMessageID, unix(p.AnsweredAt), p.AnswersCount, p.RoundID, p.MemberID)
	return err
}

// Event appends a line to a round's history (shown by `consultd round`).
func Event(ctx context.Context, tx Querier, roundID string, at time.Time, text string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO events (round_id, at, text) VALUES (?,?,?)`, roundID, unix(at), text)
	return err
}

// EventLine is one history line.
type EventLine struct {
	At   time.Time
	Text string
}

// Events returns a round's history, oldest first.
func Events(ctx context.Context, q Querier, roundID string) ([]EventLine, error) {
	rows, err := q.QueryContext(ctx, `SELECT at, text FROM events WHERE round_id=? ORDER BY id`, roundID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EventLine
	for rows.Next() {
		var at int64
		var e EventLine
		if err := rows.Scan(&at, &e.Text); err != nil {
			return nil, err
		}
		e.At = fromUnix(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// unmarshalList reads a JSON list column; an empty column is an empty list.
func unmarshalList(data string, into *[]string) error {
	if data == "" {
		return nil
	}
	return json.Unmarshal([]byte(data), into)
}

// AllAnswered reports whether every member of a round has answered: one
// lookup in the index of those yet to answer, whatever the round's size.
func AllAnswered(ctx context.Context, q Querier, roundID string) (bool, error) {
	var left bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM participants `+whereUnanswered+`)`, roundID).Scan(&left)
	return !left, err
}

// whereUnanswered is the members of a round yet to answer (AllAnswered).
const whereUnanswered = `WHERE round_id=? AND position=''`

// CountAnswered returns how many of a round's members have answered, and how
// many members it has, counted in SQL.
func CountAnswered(ctx context.Context, q Querier, roundID string) (answered, total int, err error) {
	err = q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(position<>''),0) FROM participants WHERE round_id=?`, roundID).Scan(&total, &answered)
	return answered, total, err
}
