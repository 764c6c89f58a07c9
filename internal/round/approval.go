package round

import (
	"context"
	"fmt"
	"strings"

	"consultd/internal/command"
	"consultd/internal/mimeparse"
	"consultd/internal/statement"
	"consultd/internal/store"
)

// approveDraft sends a draft, or a coordinator's edited text, once it is safe:
// an edit may not change who signs (signatories come from the answers only),
// a plain APPROVE may not send points still written in another language than
// the statement's, and with require_approval an edit comes back to the
// coordinators as a new draft with what it changed, to be approved as such.
func (e *Engine) approveDraft(ctx context.Context, st *step, m *mimeparse.Message, r *store.Round, c command.Command) error {
	by := firstFrom(m)
	edited := statement.StripNotes(c.Edited)
	same := edited != "" && strings.Join(strings.Fields(edited), " ") == strings.Join(strings.Fields(r.Statement), " ")
	if edited != "" && !c.Explicit && same {
		// The draft came back unchanged with no APPROVE: a reply quoting it (Outlook), not a decision.
		return e.commandReply(ctx, st, m, r, "Draft of "+r.ID+": not sent",
			"Your reply contained the draft unchanged but no APPROVE, so nothing was sent. Reply \"APPROVE\" to send it, or \"CANCEL "+r.ID+"\".")
	}
	ps, err := store.Participants(ctx, st.tx, r.ID)
	if err != nil {
		return err
	}
	stmt, err := e.compose(r, r.Outcome, ps)
	if err != nil {
		return err
	}
	if edited == "" || same {
		if left := stillForeign(stmt, r.Statement); len(left) > 0 && edited == "" {
			if err := event(ctx, st, r.ID, "%s approved, refused: %d points not in %s", by, len(left), statement.LanguageName(r.Language)); err != nil {
				return err
			}
			return e.commandReply(ctx, st, m, r, "Draft of "+r.ID+": not sent, points to translate",
				fmt.Sprintf("Nothing was sent: the statement is in %s and these points are not:\n\n%s\n\n"+
					"Translate or remove them and send the text back between the draft's marker lines. "+
					"To send them as they are, write APPROVE on the first line above the text between the markers.",
					statement.LanguageName(r.Language), quoteList(left)))
		}
		if err := event(ctx, st, r.ID, "%s approved the draft", by); err != nil {
			return err
		}
		return e.send(ctx, st, r, r.Statement, ps)
	}
	if added, removed := statement.SignatoryChanges(edited, stmt.Signatories); len(added)+len(removed) > 0 {
		if err := event(ctx, st, r.ID, "%s sent an edited statement, refused: it changes the signatories (%d added, %d removed)", by, len(added), len(removed)); err != nil {
			return err
		}
		var why []string
		if len(added) > 0 {
			why = append(why, "it lists organisations that did not agree to sign: "+strings.Join(added, ", "))
		}
		if len(removed) > 0 {
			why = append(why, "it leaves out organisations that agreed to sign: "+strings.Join(removed, ", "))
		}
		return e.commandReply(ctx, st, m, r, "Draft of "+r.ID+": edited text not sent",
			"Nothing was sent: "+strings.Join(why, "; and ")+".\n\nThe signatories are those whose answers say they sign, one per line at the end, starting with \"– \":\n\n"+
				"– "+strings.Join(stmt.Signatories, "\n– ")+"\n\nAn organisation changes that by answering its consultation again. "+
				"Send your text back with this list, or reply APPROVE to send the draft.")
	}
	if e.Cfg.Policy.RequireApproval {
		diff := statement.Diff(r.Statement, edited, 40)
		if err := event(ctx, st, r.ID, "%s sent an edited statement; it goes back to the coordinators with what changed", by); err != nil {
			return err
		}
		r.Statement = edited
		return e.draft(ctx, st, r, "your edited text replaces the draft, to be approved", edited, diff)
	}
	if err := event(ctx, st, r.ID, "%s approved an edited statement", by); err != nil {
		return err
	}
	return e.send(ctx, st, r, edited, ps)
}

// stillForeign are the points in another language than the statement's that
// text still carries.
func stillForeign(stmt *statement.Statement, text string) []string {
	var out []string
	flat := strings.Join(strings.Fields(text), " ")
	for _, p := range stmt.Foreign() {
		if t := strings.Join(strings.Fields(p.Text), " "); strings.Contains(flat, t) {
			out = append(out, t)
		}
	}
	return out
}

func quoteList(ps []string) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("  “" + p + "”")
	}
	return b.String()
}
