// Package outbox is the store's outbox as the sender's delivery loop sees it:
// it reads the due rows, rebuilds each message from its stored payload
// (store.Mail) and its attachments' blobs, and records each delivery's
// outcome. What a failure means for a round (a member's contact marked
// undeliverable, the coordinators told) is the workflow's, through
// Queue.Undelivered.
package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"time"

	"consultd/internal/sender"
	"consultd/internal/store"
)

// Queue is the store's outbox as the sender's delivery loop sees it.
type Queue struct {
	Store *store.Store
	// ProofCopy: every message also goes to the coalition's address
	// (smtp.proof_copy), which the provider counts as a recipient.
	ProofCopy bool
	Log       *slog.Logger
	// Undelivered records a permanent failure, or recipients the server
	// refused, by applying mark in a transaction, and tells whoever must know
	// in the same one (the workflow: round.Engine.Undelivered). nil: mark only.
	Undelivered func(ctx context.Context, id int64, reason string, rejected []sender.Rejection, mark func(*sql.Tx) error) error
}

// Due returns the messages to deliver now. Their attachments are readers of
// the blobs they refer to, which read one chunk at a time only while the
// message is written into SMTP DATA: a batch of a fan-out holds no copy of
// the invitation's attachments.
func (q Queue) Due(ctx context.Context, now time.Time, limit int) ([]sender.Item, error) {
	rows, err := store.DueOutbox(ctx, q.Store.Prepared(), now, limit)
	if err != nil {
		return nil, err
	}
	var items []sender.Item
	for _, r := range rows {
		m, err := q.mail(ctx, r.Payload)
		if err != nil {
			// A row we cannot read is a bug, not a delivery problem: fail it loudly.
			if ferr := q.Failed(ctx, r.ID, "unreadable outbox payload: "+err.Error(), nil); ferr != nil {
				return nil, ferr
			}
			continue
		}
		items = append(items, sender.Item{ID: r.ID, Attempts: r.Attempts, Queued: r.CreatedAt, Mail: m,
			InFlight: r.State == store.OutboxSending})
	}
	return items, nil
}

// mail turns a stored payload into what the sender builds MIME from.
func (q Queue) mail(ctx context.Context, payload []byte) (sender.Mail, error) {
	p, err := store.DecodeMail(payload)
	if err != nil {
		return sender.Mail{}, err
	}
	m := sender.Mail{MessageID: p.MessageID, Date: p.Date, From: senderAddress(p.From), To: senderAddresses(p.To),
		Cc: senderAddresses(p.Cc), Bcc: senderAddresses(p.Bcc), Subject: p.Subject, Text: p.Text, HTML: p.HTML, Lang: p.Lang,
		InReplyTo: p.InReplyTo, References: p.References, Headers: p.Headers}
	if p.ReplyTo != nil {
		a := senderAddress(*p.ReplyTo)
		m.ReplyTo = &a
	}
	db := q.Store.DB()
	for _, a := range p.Attachments {
		// Checked now (a missing blob fails the row loudly, as an unreadable
		// payload); read only when sent, afresh at each attempt, so a
		// redelivery writes the same bytes.
		b, err := store.OpenBlob(ctx, db, a.SHA256)
		if err != nil {
			return sender.Mail{}, fmt.Errorf("attachment %s: %w", a.Filename, err)
		}
		key, size := a.SHA256, b.Size()
		m.Attachments = append(m.Attachments, sender.Attachment{Filename: a.Filename, ContentType: a.ContentType,
			Open: func() io.ReadSeeker { return store.NewBlobReader(ctx, db, key, size) }})
	}
	return m, nil
}

func senderAddress(a store.MailAddress) sender.Address {
	return sender.Address{Name: a.Name, Addr: a.Addr}
}

func senderAddresses(as []store.MailAddress) []sender.Address {
	var out []sender.Address
	for _, a := range as {
		out = append(out, senderAddress(a))
	}
	return out
}

// SentSince tells the sender's rate limit what went out before a restart.
func (q Queue) SentSince(ctx context.Context, since time.Time) ([]sender.Stamp, error) {
	rows, err := store.SentSince(ctx, q.Store.DB(), since)
	if err != nil {
		return nil, err
	}
	extra := 0
	if q.ProofCopy {
		extra = 1 // the coalition's copy is a recipient for the provider too
	}
	out := make([]sender.Stamp, len(rows))
	for i, r := range rows {
		out[i] = sender.Stamp{At: r.At, Recipients: r.Recipients + extra}
	}
	return out, nil
}

// NextDue returns when the next item comes due.
func (q Queue) NextDue(ctx context.Context) (time.Time, error) {
	return store.NextOutboxDue(ctx, q.Store.Prepared())
}

// Sending records that DATA is about to begin.
func (q Queue) Sending(ctx context.Context, id int64, at, check time.Time) error {
	return store.MarkSending(ctx, q.Store.Prepared(), id, at, check)
}

// Unknown records that a delivery's outcome is not known yet.
func (q Queue) Unknown(ctx context.Context, id int64, check time.Time, reason string) error {
	return store.MarkUnknown(ctx, q.Store.DB(), id, check, reason)
}

// Sent records a delivery; recipients refused permanently are reported.
func (q Queue) Sent(ctx context.Context, id int64, at time.Time, proof string, rejected []sender.Rejection) error {
	if len(rejected) == 0 {
		return store.MarkSent(ctx, q.Store.Prepared(), id, at, proof, "")
	}
	return q.undelivered(ctx, id, "", rejected, func(tx *sql.Tx) error {
		return store.MarkSent(ctx, tx, id, at, proof, "refused by the server: "+sender.Rejections(rejected))
	})
}

// Retry records a temporary failure.
func (q Queue) Retry(ctx context.Context, id int64, attempts int, next time.Time, reason string) error {
	q.log().Warn("delivery failed, will retry", "outbox_id", id, "attempts", attempts, "next", next, "reason", reason)
	return store.MarkRetry(ctx, q.Store.DB(), id, attempts, next, reason)
}

// Failed records a permanent failure and tells the coordinators in the same
// transaction (except when the failed mail was itself such a notice).
func (q Queue) Failed(ctx context.Context, id int64, reason string, rejected []sender.Rejection) error {
	return q.undelivered(ctx, id, reason, rejected, func(tx *sql.Tx) error {
		return store.MarkFailed(ctx, tx, id, reason)
	})
}

// undelivered applies mark through Undelivered, or alone.
func (q Queue) undelivered(ctx context.Context, id int64, reason string, rejected []sender.Rejection, mark func(*sql.Tx) error) error {
	if q.Undelivered != nil {
		return q.Undelivered(ctx, id, reason, rejected, mark)
	}
	return q.Store.Tx(ctx, mark)
}

func (q Queue) log() *slog.Logger {
	if q.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return q.Log
}
