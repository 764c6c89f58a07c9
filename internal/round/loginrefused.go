package round

import (
	"context"
	"fmt"

	"consultd/internal/store"
)

// TellLoginRefused tells the coordinators that consultd can no longer sign
// in to the mailbox (the provider refused its OAuth2 grant for good), once
// per refused credential (key): the daemon meets the refusal on every retry,
// and a new sign-in that is refused later is reported again. what is the
// refusal as logged, fix the administrator's way out. It reports whether a
// note was queued.
func (e *Engine) TellLoginRefused(ctx context.Context, key, what, fix string) (bool, error) {
	seenKey := "oauth2-refused:" + key
	now := e.Now()
	told := false
	err := e.commit(ctx, now, func(st *step) error {
		if seen, err := store.GetSeen(ctx, st.tx, seenKey); err != nil || seen != nil {
			return err
		}
		text := fix + " Until then consultd cannot read new mail, and cannot send if it sends with the same sign-in: " +
			"nothing is lost, mail waits in the mailbox and in consultd's outbox, and everything resumes once it can " +
			"sign in again. (The provider said: " + what + ".)"
		if err := e.notice(ctx, st, "", "consultd can no longer sign in to the coalition's mailbox", text, nil, ""); err != nil {
			return err
		}
		told = st.queued > 0
		return store.InsertSeen(ctx, st.tx, &store.Seen{Key: seenKey, Kind: "oauth2_refused", Disposition: store.Processed,
			Note: what, At: now})
	})
	if err != nil {
		return false, fmt.Errorf("record refused sign-in: %w", err)
	}
	return told, nil
}
