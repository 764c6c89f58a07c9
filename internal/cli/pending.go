package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"consultd/internal/store"
)

// printPending lists the coordinators' forwards and commands still waiting
// for a CONFIRM reply (never the token), above the rounds.
func printPending(ctx context.Context, st *store.Store, w io.Writer) error {
	ps, err := store.ListPending(ctx, st.DB())
	if err != nil {
		return err
	}
	now := time.Now()
	for _, p := range ps {
		state := "awaiting confirmation until " + p.ExpiresAt.Format("2006-01-02 15:04 MST")
		if now.After(p.ExpiresAt) {
			state = "confirmation expired " + p.ExpiresAt.Format("2006-01-02 15:04 MST")
		}
		fmt.Fprintf(w, "%s by %s: %s (%s)\n", p.Kind, p.Coordinator, p.Summary, state)
	}
	if len(ps) > 0 {
		fmt.Fprintln(w)
	}
	return nil
}
