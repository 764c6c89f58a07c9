package round

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"

	"consultd/internal/mimeparse"
	"consultd/internal/store"
)

// TooLarge is a message over imap.max_message_size: only its header was read.
type TooLarge struct {
	Header      []byte
	Size, Limit int64
	Mailbox     string
	UIDValidity uint32
	UID         uint32
}

// HandleTooLarge records a message too large to read (it goes to the review
// folder unread) and tells the coordinators who sent it: a coordinator's
// own mail every time (once an hour per address), anyone else's once an
// hour in all, so that a flood of huge mail is not a flood of notes.
func (e *Engine) HandleTooLarge(ctx context.Context, in TooLarge) error {
	var m *mimeparse.Message
	if len(in.Header) > 0 {
		m, _ = mimeparse.Parse(append(in.Header[:len(in.Header):len(in.Header)], "\r\n\r\n"...))
	}
	if m == nil {
		m = &mimeparse.Message{}
	}
	key := m.MessageID
	if key == "" {
		sum := sha256.Sum256(fmt.Appendf(in.Header[:len(in.Header):len(in.Header)], "\x00%d", in.Size))
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	now := e.Now()
	from := firstFrom(m)
	note := fmt.Sprintf("%s, over imap.max_message_size (%s): not read", mib(in.Size), mib(in.Limit))
	err := e.commit(ctx, now, func(st *step) error {
		if seen, err := store.GetSeen(ctx, st.tx, key); err != nil || seen != nil {
			return err
		}
		if err := e.tellTooLarge(ctx, st, m, from, in); err != nil {
			return err
		}
		if err := store.InsertSeen(ctx, st.tx, &store.Seen{Key: key, Mailbox: in.Mailbox, UIDValidity: in.UIDValidity,
			UID: in.UID, Kind: "too_large", Disposition: store.Review, Note: note, At: now}); err != nil {
			return err
		}
		e.Log.Log(ctx, slog.LevelWarn, "message handled", "message_id", key, "from", from, "kind", "too_large",
			"round", "", "to", store.Review, "note", note)
		return nil
	})
	if err != nil {
		return fmt.Errorf("handle oversized message %s: %w", key, err)
	}
	return nil
}

func (e *Engine) tellTooLarge(ctx context.Context, st *step, m *mimeparse.Message, from string, in TooLarge) error {
	who := ""
	if e.Cfg.IsCoordinator(from) {
		who = from
	}
	// A coordinator's own oversized mail is reported per address; anyone
	// else's share one sender, so once an hour in all.
	if ok, err := e.allow(ctx, st, reaction{kind: "too_large", sender: who, in: m}); err != nil || !ok {
		return err
	}
	sender := from
	if sender == "" {
		sender = "an unknown sender"
	}
	text := fmt.Sprintf("A message of %s from %s with the subject \"%s\" is larger than the limit of %s "+
		"(imap.max_message_size), so consultd did not read it: it opened nothing and counted nothing. It is in the "+
		"review folder, unchanged.", mib(in.Size), sender, oneLineShort(m.Subject), mib(in.Limit))
	if who != "" {
		text += " If it was an invitation, forward it again without the largest attachments, or raise imap.max_message_size."
	} else {
		text += " Further messages like it within the hour are not reported one by one; look in the review folder."
	}
	return e.notice(ctx, st, "", "A message too large to read", text, nil, "")
}

func mib(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }
