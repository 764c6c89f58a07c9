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

// approveDraft sends a draft, or the coordinators' edited texts, once it is
// safe: an edit may not change who signs (signatories come from the answers
// only), a plain APPROVE may not send points still written in another
// language than their version's, and with require_approval an edit comes back
// to the coordinators as a new draft showing what it changed, to be approved
// as such. Each statement language's version is edited between its own
// marker lines; a version not sent back stays as drafted.
func (e *Engine) approveDraft(ctx context.Context, st *step, m *mimeparse.Message, r *store.Round, c command.Command) error {
	by := firstFrom(m)
	current := map[string]string{r.Language: r.Statement}
	for l, t := range r.Translations {
		current[l] = t
	}
	langs := append([]string{r.Language}, e.otherLanguages(r)...)
	edits := map[string]string{} // language → edited text that differs from the draft
	back := map[string]bool{}    // the versions the coordinator sent back: reviewed
	sentBack := false
	for _, l := range langs {
		text := statement.StripNotes(c.Edited)
		if l != r.Language {
			begin, end := markers(r, l)
			text = statement.StripNotes(command.Between(m.Text, begin, end))
		}
		if text == "" {
			continue
		}
		sentBack, back[l] = true, true
		if flat(text) != flat(current[l]) {
			edits[l] = text
		}
	}
	if sentBack && len(edits) == 0 && !c.Explicit {
		// The draft came back unchanged with no APPROVE: a reply quoting it (Outlook), not a decision.
		return e.commandReply(ctx, st, m, r, "Draft of "+r.ID+": not sent",
			"Your reply contained the draft unchanged but no APPROVE, so nothing was sent. Reply \"APPROVE\" to send it, or \"CANCEL "+r.ID+"\".")
	}
	ps, err := store.Participants(ctx, st.tx, r.ID)
	if err != nil {
		return err
	}
	stmts := map[string]*statement.Statement{}
	for _, l := range langs {
		if stmts[l], err = e.compose(r, l, r.Outcome, ps); err != nil {
			return err
		}
	}
	// A version nobody sent back goes out as drafted: not while it still
	// carries points in another script than its own.
	var left []string
	for _, l := range langs {
		if back[l] {
			continue
		}
		for _, p := range stillForeign(stmts[l], current[l]) {
			left = append(left, e.Render.Language(l).Name+" version: “"+p+"”")
		}
	}
	if len(left) > 0 {
		if err := event(ctx, st, r.ID, "%s approved, refused: %d points not in their version's language", by, len(left)); err != nil {
			return err
		}
		return e.commandReply(ctx, st, m, r, "Draft of "+r.ID+": not sent, points to translate",
			fmt.Sprintf("Nothing was sent: these points are not written in the language of their version:\n\n  %s\n\n"+
				"Translate or remove them and send the text back between the draft's marker lines (each version between its own). "+
				"To send them as they are, write APPROVE on the first line above the text between the markers.",
				strings.Join(left, "\n  ")))
	}
	if len(edits) == 0 {
		if err := event(ctx, st, r.ID, "%s approved the draft", by); err != nil {
			return err
		}
		return e.send(ctx, st, r, r.Statement, ps)
	}
	for _, l := range langs {
		text, ok := edits[l]
		if !ok {
			continue
		}
		added, removed := statement.SignatoryChanges(text, stmts[l].Signatories)
		if len(added)+len(removed) == 0 {
			continue
		}
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
		version := ""
		if len(langs) > 1 {
			version = " (the " + e.Render.Language(l).Name + " version)"
		}
		return e.commandReply(ctx, st, m, r, "Draft of "+r.ID+": edited text not sent",
			"Nothing was sent: your text"+version+" changes the signatories: "+strings.Join(why, "; and ")+".\n\n"+
				"The signatories are those whose answers say they sign, one per line at the end, starting with \"– \":\n\n"+
				"– "+strings.Join(stmts[l].Signatories, "\n– ")+"\n\nAn organisation changes that by answering its consultation again. "+
				"Send your text back with this list, or reply APPROVE to send the draft.")
	}
	var diffs []string
	for _, l := range langs {
		if text, ok := edits[l]; ok {
			d := statement.Diff(current[l], text, 40)
			if len(langs) > 1 {
				d = e.Render.Language(l).Name + ":\n" + d
			}
			diffs = append(diffs, d)
			if l == r.Language {
				r.Statement = text
			} else {
				if r.Translations == nil {
					r.Translations = map[string]string{}
				}
				r.Translations[l] = text
			}
		}
	}
	if e.Cfg.Policy.RequireApproval {
		if err := event(ctx, st, r.ID, "%s sent an edited statement; it goes back to the coordinators with what changed", by); err != nil {
			return err
		}
		var versions []version
		for _, l := range langs {
			versions = append(versions, version{l, map[bool]string{true: r.Statement, false: r.Translations[l]}[l == r.Language]})
		}
		return e.draft(ctx, st, r, "your edited text replaces the draft, to be approved", versions, strings.Join(diffs, "\n\n"))
	}
	if err := event(ctx, st, r.ID, "%s approved an edited statement", by); err != nil {
		return err
	}
	return e.send(ctx, st, r, r.Statement, ps)
}

func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// stillForeign are the points in another language than the statement's that
// text still carries.
func stillForeign(stmt *statement.Statement, text string) []string {
	var out []string
	all := flat(text)
	for _, p := range stmt.Foreign() {
		if t := flat(p.Text); strings.Contains(all, t) {
			out = append(out, t)
		}
	}
	return out
}
