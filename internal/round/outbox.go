package round

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"consultd/internal/mimeparse"
	"consultd/internal/sender"
	"consultd/internal/store"
)

// Undelivered applies mark (the outbox row's new state) and, in the same
// transaction, tells the coordinators what was not delivered; a contact
// refused permanently is marked undeliverable like a hard bounce. The outbox
// (package outbox) calls it for a permanent failure or refused recipients.
func (e *Engine) Undelivered(ctx context.Context, id int64, reason string, rejected []sender.Rejection, mark func(*sql.Tx) error) error {
	return e.commit(ctx, e.Now(), func(st *step) error {
		row, err := store.GetOutbox(ctx, st.tx, id)
		if err != nil {
			return err
		}
		if err := mark(st.tx.Tx); err != nil {
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
