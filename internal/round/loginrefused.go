package round

import (
	"context"
	"database/sql"
	"fmt"

	"consultd/internal/store"
)

// TellLoginRefused tells the coordinators that consultd can no longer sign
// in to the mailbox (the provider refused its OAuth2 grant for good), once
// per refused credential (key): the daemon meets the refusal on every retry,
// and a new sign-in that is refused later is reported again. what is the
// refusal as logged, fix the administrator's way out.
func (e *Engine) TellLoginRefused(ctx context.Context, key, what, fix string) (bool, error) {
	seenKey := "oauth2-refused:" + key
	now := e.Now()
	var queued int
	err := e.Store.Tx(ctx, func(tx *sql.Tx) error {
		if seen, err := store.GetSeen(ctx, tx, seenKey); err != nil || seen != nil {
			return err
		}
		st := &step{tx: tx, now: now}
		text := fix + " Until then consultd cannot read new mail, and cannot send if it sends with the same sign-in: " +
			"nothing is lost, mail waits in the mailbox and in consultd's outbox, and everything resumes once it can " +
			"sign in again. (The provider said: " + what + ".)"
		if err := e.notice(ctx, st, "", "consultd can no longer sign in to the coalition's mailbox", text, nil, ""); err != nil {
			return err
		}
		queued = st.queued
		return store.InsertSeen(ctx, tx, &store.Seen{Key: seenKey, Kind: "oauth2_refused", Disposition: string(Processed),
			Note: what, At: now})
	})
	if err != nil {
		return false, fmt.Errorf("record refused sign-in: %w", err)
	}
	if queued > 0 {
		e.Kick()
	}
	return queued > 0, nil
}
