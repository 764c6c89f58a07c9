package round

import (
	"context"
	"database/sql"

	"consultd/internal/store"
)

// TellCoordinators queues a notice to every coordinator in the caller's
// transaction (the watchdog's incidents), through the outbox like every
// mail; kind is the outbox kind. The caller calls Kick after the commit.
func (e *Engine) TellCoordinators(ctx context.Context, tx *sql.Tx, kind store.MailKind, title, text string, lines []string) error {
	st := &step{tx: e.Store.InTx(tx), now: e.Now()}
	return e.tell(ctx, st, note{kind: kind, title: title, text: text, lines: lines})
}
