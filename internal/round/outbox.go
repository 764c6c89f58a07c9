package round

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"consultd/internal/mimeparse"
	"consultd/internal/sender"
	"consultd/internal/store"
)

// Outbox adapts the store's outbox to the sender's delivery loop.
type Outbox struct{ E *Engine }

// Due returns the messages to deliver now, with their attachments read from
// the blobs they refer to: once per call, so a fan-out's items due together
// share one copy of the invitation's attachments, and nothing is kept after.
func (o Outbox) Due(ctx context.Context, now time.Time, limit int) ([]sender.Item, error) {
	rows, err := store.DueOutbox(ctx, o.E.Store.DB(), now, limit)
	if err != nil {
		return nil, err
	}
	var items []sender.Item
	blobs := map[string][]byte{}
	for _, r := range rows {
		m, err := o.mail(ctx, r.Payload, blobs)
		if err != nil {
			// A row we cannot read is a bug, not a delivery problem: fail it loudly.
			if ferr := o.Failed(ctx, r.ID, "unreadable outbox payload: "+err.Error(), nil); ferr != nil {
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
func (o Outbox) mail(ctx context.Context, payload []byte, blobs map[string][]byte) (sender.Mail, error) {
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
	for _, a := range p.Attachments {
		data, ok := blobs[a.SHA256]
		if !ok {
			if data, err = store.Blob(ctx, o.E.Store.DB(), a.SHA256); err != nil {
				return sender.Mail{}, fmt.Errorf("attachment %s: %w", a.Filename, err)
			}
			blobs[a.SHA256] = data
		}
		m.Attachments = append(m.Attachments, sender.Attachment{Filename: a.Filename, ContentType: a.ContentType, Data: data})
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

// NextDue returns when the next item comes due.
func (o Outbox) NextDue(ctx context.Context) (time.Time, error) {
	return store.NextOutboxDue(ctx, o.E.Store.DB())
}

// Sending records that DATA is about to begin.
func (o Outbox) Sending(ctx context.Context, id int64, at, check time.Time) error {
	return store.MarkSending(ctx, o.E.Store.DB(), id, at, check)
}

// Unknown records that a delivery's outcome is not known yet.
func (o Outbox) Unknown(ctx context.Context, id int64, check time.Time, reason string) error {
	return store.MarkUnknown(ctx, o.E.Store.DB(), id, check, reason)
}

// Sent records a delivery; recipients refused permanently are reported.
func (o Outbox) Sent(ctx context.Context, id int64, at time.Time, proof string, rejected []sender.Rejection) error {
	if len(rejected) == 0 {
		return store.MarkSent(ctx, o.E.Store.DB(), id, at, proof, "")
	}
	return o.report(ctx, id, "", rejected, func(tx *sql.Tx) error {
		return store.MarkSent(ctx, tx, id, at, proof, "refused by the server: "+sender.Rejections(rejected))
	})
}

// Retry records a temporary failure.
func (o Outbox) Retry(ctx context.Context, id int64, attempts int, next time.Time, reason string) error {
	o.E.Log.Warn("delivery failed, will retry", "outbox_id", id, "attempts", attempts, "next", next, "reason", reason)
	return store.MarkRetry(ctx, o.E.Store.DB(), id, attempts, next, reason)
}

// Failed records a permanent failure and tells the coordinators in the same
// transaction (except when the failed mail was itself such a notice).
func (o Outbox) Failed(ctx context.Context, id int64, reason string, rejected []sender.Rejection) error {
	return o.report(ctx, id, reason, rejected, func(tx *sql.Tx) error {
		return store.MarkFailed(ctx, tx, id, reason)
	})
}

// report applies mark and tells the coordinators what was not delivered; a
// contact refused permanently is marked undeliverable like a hard bounce.
func (o Outbox) report(ctx context.Context, id int64, reason string, rejected []sender.Rejection, mark func(*sql.Tx) error) error {
	e := o.E
	return e.commit(ctx, e.Now(), func(st *step) error {
		row, err := store.GetOutbox(ctx, st.tx, id)
		if err != nil {
			return err
		}
		if err := mark(st.tx); err != nil {
			return err
		}
		var lines []string
		for _, r := range rejected {
			lines = append(lines, r.String())
		}
		if reason != "" {
			lines = append([]string{reason}, lines...)
		}
		e.Log.Error("delivery failed", "outbox_id", id, "kind", row.Kind, "round", row.RoundID, "reason", strings.Join(lines, "; "))
		if row.Kind == store.MailNotice || row.Kind == store.MailDeliveryFailure {
			return nil // never report a failed report: that way lies a loop
		}
		if row.RoundID != "" {
			if err := e.markRejected(ctx, st, row.RoundID, rejected); err != nil {
				return err
			}
			if err := event(ctx, st, row.RoundID, "%s to %v not delivered: %s", row.Kind, row.Recipients, strings.Join(lines, "; ")); err != nil {
				return err
			}
		}
		what := "could not be delivered and will not be retried:"
		if reason == "" {
			what = "was delivered, except to these recipients, which the mail server refused:"
		}
		return e.tell(ctx, st, note{kind: store.MailDeliveryFailure, roundID: row.RoundID, title: "Delivery failed: " + row.Kind.String(),
			text:  fmt.Sprintf("The %s message to %s %s", row.Kind, strings.Join(row.Recipients, ", "), what),
			lines: lines})
	})
}

// markRejected marks participants' contacts that the server refused permanently.
func (e *Engine) markRejected(ctx context.Context, st *step, roundID string, rejected []sender.Rejection) error {
	if len(rejected) == 0 {
		return nil
	}
	ps, err := store.Participants(ctx, st.tx, roundID)
	if err != nil {
		return err
	}
	for _, p := range ps {
		changed := false
		for _, r := range rejected {
			if r.Permanent() && containsFold(p.Emails, r.Addr) && !containsFold(p.Undeliverable, r.Addr) {
				p.Undeliverable = append(p.Undeliverable, strings.ToLower(r.Addr))
				changed = true
			}
		}
		if changed {
			if err := store.UpdateParticipant(ctx, st.tx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// handleOwn files the coalition's own mail. A copy of one of our messages
// whose delivery was interrupted proves that the server took it: recording
// that here means it is never sent twice, even before the sender looks.
func (e *Engine) handleOwn(ctx context.Context, st *step, m *mimeparse.Message) (outcome, error) {
	if m.MessageID != "" {
		proved, err := store.ProveDelivered(ctx, st.tx, m.MessageID, sender.ProofCopy, st.now)
		if err != nil {
			return outcome{}, err
		}
		if proved {
			e.Log.Info("an interrupted delivery arrived: its copy is in the coalition's mailbox; it will not be sent again")
			return outcome{kind: "own", disp: store.Processed, note: "our own copy: proves an interrupted delivery"}, nil
		}
	}
	return outcome{kind: "own", disp: store.Processed, note: "our own mail came back"}, nil
}
