package round

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"consultd/internal/command"
	"consultd/internal/render"
	"consultd/internal/sender"
	"consultd/internal/site"
	"consultd/internal/statement"
	"consultd/internal/store"
)

// Tick sends due reminders and closes rounds whose deadline has passed. Each
// round is handled in its own transaction.
func (e *Engine) Tick(ctx context.Context) error {
	open, err := store.ListRounds(ctx, e.Store.DB(), store.StateOpen)
	if err != nil {
		return fmt.Errorf("list open rounds: %w", err)
	}
	for _, r := range open {
		err := e.commit(ctx, e.Now(), func(st *step) error {
			r, err := store.GetRound(ctx, st.tx, r.ID) // fresh, inside the lock
			if err != nil || r.State != store.StateOpen {
				return err
			}
			if !st.now.Before(r.Deadline) {
				if err := event(ctx, st, r.ID, "deadline reached"); err != nil {
					return err
				}
				err = e.close(ctx, st, r, "deadline reached", nil)
			} else {
				err = e.remind(ctx, st, r)
			}
			return err
		})
		if err != nil {
			e.Log.Error("round tick failed", "round", r.ID, "err", err)
		}
	}
	if err := e.digest(ctx); err != nil {
		e.Log.Error("reaction digest failed", "err", err)
	}
	e.sweepBlobs(ctx)
	return nil
}

// blobGrace is how long a big message's attachment, stored while the
// message was read, waits for a round to claim it: longer than a
// confirmation waits for its CONFIRM (the replayed forward names it).
const blobGrace = ConfirmationValidity + 24*time.Hour

// sweepBlobs removes, once an hour, the attachments stored for mail that
// opened no round (store.SweepBlobs).
func (e *Engine) sweepBlobs(ctx context.Context) {
	now := e.Now()
	if last := e.swept.Load(); last != 0 && now.Unix()-last < 3600 {
		return
	}
	e.swept.Store(now.Unix())
	n, err := store.SweepBlobs(ctx, e.Store.DB(), now.Add(-blobGrace))
	if err != nil {
		e.Log.Error("sweeping unclaimed attachments failed", "err", err)
	} else if n > 0 {
		e.Log.Info("unclaimed attachments removed", "blobs", n)
	}
}

// remind sends each member who has not answered one reminder per configured
// offset before the deadline (only the latest one due, never a burst).
func (e *Engine) remind(ctx context.Context, st *step, r *store.Round) error {
	offsets := e.reminderOffsets()
	due := dueReminders(offsets, r, st.now)
	if due == 0 {
		return nil
	}
	ps, err := store.ToRemind(ctx, st.tx, r.ID, due)
	if err != nil {
		return err
	}
	for _, p := range ps {
		p.RemindersSent = due
		if err := store.UpdateParticipant(ctx, st.tx, p); err != nil {
			return err
		}
		if !remindable(offsets, due, r) {
			continue
		}
		to := p.Deliverable()
		if len(to) == 0 {
			continue
		}
		rm, err := e.render(p.Language, render.Reminder{Round: r, Member: p, Coalition: e.Cfg.Coalition.Name})
		if err != nil {
			return err
		}
		if _, err := e.queue(ctx, st, mail{roundID: r.ID, kind: store.MailReminder, token: p.Token, lang: p.Language,
			to: addresses(to), replyTo: e.Cfg.PlusAddress(p.Token), subject: rm.Subject, text: rm.Text, html: rm.HTML,
			inReplyTo: p.ConsultMessageID, refs: []string{p.ConsultMessageID}}); err != nil {
			return err
		}
		if err := event(ctx, st, r.ID, "reminder %d sent to %s", due, p.MemberID); err != nil {
			return err
		}
	}
	return nil
}

// reminderOffsets are the policy's reminders, earliest (largest offset) first.
func (e *Engine) reminderOffsets() []time.Duration {
	offsets := e.Cfg.Policy.Reminders()
	sort.Slice(offsets, func(i, j int) bool { return offsets[i] > offsets[j] })
	return offsets
}

// dueReminders counts the reminders whose time has come by now. One whose
// time was already past when the round opened counts as done (never sent).
func dueReminders(offsets []time.Duration, r *store.Round, now time.Time) int {
	due := 0
	for _, off := range offsets {
		at := r.Deadline.Add(-off)
		if !now.Before(at) || !at.After(r.CreatedAt) {
			due++
		}
	}
	return due
}

// remindable is false when the due reminder was one already past at opening.
func remindable(offsets []time.Duration, due int, r *store.Round) bool {
	return r.Deadline.Add(-offsets[due-1]).After(r.CreatedAt)
}

func (e *Engine) policy() statement.Policy {
	p := e.Cfg.Policy
	return statement.Policy{Quorum: p.Quorum, Decision: p.Decision, OnNoQuorum: p.OnNoQuorum}
}

func members(ps []*store.Participant) []statement.Member {
	var out []statement.Member
	for _, p := range ps {
		out = append(out, statement.Member{ID: p.MemberID, Name: p.Name, Position: p.Position, Concerns: p.Concerns,
			Recommendations: p.Recommendations, Sign: p.Sign})
	}
	return out
}

// close tallies a round and drafts, sends, or hands the decision to the coordinators.
// ps may be nil: they are loaded then.
func (e *Engine) close(ctx context.Context, st *step, r *store.Round, reason string, ps []*store.Participant) error {
	if ps == nil {
		var err error
		if ps, err = store.Participants(ctx, st.tx, r.ID); err != nil {
			return err
		}
	}
	t := statement.Count(e.policy(), members(ps))
	r.ClosedAt = st.now
	if err := event(ctx, st, r.ID, "closed (%s): %s", reason, t.Reason); err != nil {
		return err
	}
	if t.Outcome == "" {
		r.State = store.StateUndecided
		if err := store.UpdateRound(ctx, st.tx, r); err != nil {
			return err
		}
		return e.notice(ctx, st, r.ID, "Closed without a decision: please decide",
			fmt.Sprintf("Round %s (%s) closed: %s.\n\nReply \"APPROVE %s DECLINE\" or \"APPROVE %s ACCEPT\" to send a joint answer, or \"CANCEL %s\" to send nothing.",
				r.ID, r.Title, t.Reason, r.ID, r.ID, r.ID), nil, "")
	}
	return e.conclude(ctx, st, r, store.Outcome(t.Outcome), t.Reason, ps)
}

// compose writes the statement of a round in lang for outcome from its answers.
func (e *Engine) compose(r *store.Round, lang string, outcome store.Outcome, ps []*store.Participant) (*statement.Statement, error) {
	d := statement.Describe(r.OrigBody)
	inv := statement.Invitation{Title: r.Title, InviterName: r.InviterName, Date: r.OrigDate, Summary: statement.Summary(r.OrigBody),
		When: d.When, Where: d.Where, Focus: d.Focus}
	return statement.Compose(e.Render, lang, e.Cfg.Coalition.Name, outcome.String(), inv, members(ps))
}

// otherLanguages are the statement languages besides the invitation's.
func (e *Engine) otherLanguages(r *store.Round) []string {
	var out []string
	for _, l := range e.Cfg.StatementLanguages {
		if l != r.Language && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// version is the statement in one language as the draft shows it.
type version struct {
	lang  string
	draft string // the text with the notes under each point
}

// conclude writes the statement for outcome and sends it, or drafts it for the
// coordinators when nobody signs it, the policy wants their approval, or the
// statement needs a person's eyes (points merged by similarity, points in
// another language, a second statement language): nothing grouped by a guess
// or written in two languages goes to an inviter unreviewed.
func (e *Engine) conclude(ctx context.Context, st *step, r *store.Round, outcome store.Outcome, reason string, ps []*store.Participant) error {
	stmt, err := e.compose(r, r.Language, outcome, ps)
	if err != nil {
		return err
	}
	r.Outcome, r.Statement, r.Translations = outcome, stmt.Text, nil
	versions := []version{{r.Language, stmt.Draft}}
	review := stmt.Review
	for _, l := range e.otherLanguages(r) {
		other, err := e.compose(r, l, outcome, ps)
		if err != nil {
			return err
		}
		if r.Translations == nil {
			r.Translations = map[string]string{}
		}
		r.Translations[l] = other.Text
		versions = append(versions, version{l, other.Draft})
		for _, why := range other.Review {
			review = append(review, "in the "+e.Render.Language(l).Name+" version "+why)
		}
	}
	if len(stmt.Signatories) == 0 {
		// A joint statement no organisation signs never goes out on its own.
		return e.draft(ctx, st, r, reason+"; no organisation signs it", versions, "")
	}
	if len(review) > 0 {
		return e.draft(ctx, st, r, reason+"; it needs your review: "+strings.Join(review, ", "), versions, "")
	}
	if e.Cfg.Policy.RequireApproval {
		return e.draft(ctx, st, r, reason, versions, "")
	}
	return e.send(ctx, st, r, stmt.Text, ps)
}

// markers are the lines around a statement version in the draft: the plain
// ones for the invitation's language (what the inviter receives), with the
// language in brackets for the others.
func markers(r *store.Round, lang string) (begin, end string) {
	if lang == r.Language {
		return command.BeginMarker, command.EndMarker
	}
	return strings.TrimSuffix(command.BeginMarker, " -----") + " (" + lang + ") -----",
		strings.TrimSuffix(command.EndMarker, " -----") + " (" + lang + ") -----"
}

// draft sends the statement to the coordinators for approval: each version
// between its marker lines, with notes under each point; diff, when set, is
// what a coordinator's edit changed from the previous draft.
func (e *Engine) draft(ctx context.Context, st *step, r *store.Round, reason string, versions []version, diff string) error {
	r.State = store.StateDraft
	id, err := e.messageID("d", "")
	if err != nil {
		return err
	}
	r.DraftMessageID = id
	var changed string
	if diff != "" {
		changed = "What your text changes from the previous draft:\n\n" + diff + "\n\n"
	}
	var blocks, langs string
	for i, v := range versions {
		begin, end := markers(r, v.lang)
		blocks += "\n" + begin + "\n" + v.draft + "\n" + end + "\n"
		if i > 0 {
			langs += ", " + e.Render.Language(v.lang).Name + " for the publication"
		}
	}
	if len(versions) > 1 {
		langs = fmt.Sprintf("It is drafted in %s (what the inviter receives)%s. Send back each version between its own marker lines.\n",
			e.Render.Language(r.Language).Name, langs)
	}
	body := fmt.Sprintf("Round %s has closed: %s.\n\n%sThe joint %s below goes to %s <%s> once approved. Reply with:\n"+
		"  APPROVE             to send it as it is,\n"+
		"  an edited text      between the two marker lines (keep them) to send your version,\n"+
		"  CANCEL %s      to send nothing.\n%s"+
		"Lines starting with \"(consultd:\" are notes for you: who raised each point, which wordings were grouped, "+
		"what needs translating. They are never sent; you may leave them in. The signatories come from the answers "+
		"and cannot be changed here.\n%s",
		r.ID, reason, changed, map[store.Outcome]string{store.Accept: "acceptance", store.Decline: "declining statement"}[r.Outcome],
		r.InviterName, r.InviterAddress, r.ID, langs, blocks)
	subj := fmt.Sprintf("[Consultation %s] Draft statement for approval: %s", r.ID, r.OrigSubject)
	if _, err := e.queue(ctx, st, mail{roundID: r.ID, kind: store.MailDraft, lang: "en", to: e.coordinators(), subject: subj,
		text: body, messageID: r.DraftMessageID}); err != nil {
		return err
	}
	if err := store.UpdateRound(ctx, st.tx, r); err != nil {
		return err
	}
	return event(ctx, st, r.ID, "draft (%s) sent to the coordinators for approval", r.Outcome)
}

// send queues the statement to the inviter, threaded to the invitation, with
// copies to coordinators and members, and publishes it. Its Message-ID is fixed
// per round, so the outbox holds it at most once whatever is replayed.
func (e *Engine) send(ctx context.Context, st *step, r *store.Round, text string, ps []*store.Participant) error {
	if r.State == store.StateSent {
		return nil
	}
	if ps == nil {
		var err error
		if ps, err = store.Participants(ctx, st.tx, r.ID); err != nil {
			return err
		}
	}
	cc := e.coordinators()
	for _, p := range ps {
		for _, a := range p.Deliverable() {
			cc = append(cc, sender.Address{Name: p.Name, Addr: a})
		}
	}
	var refs []string
	if r.OrigMessageID != "" {
		refs = []string{r.OrigMessageID}
	}
	if _, err := e.queue(ctx, st, mail{roundID: r.ID, kind: store.MailStatement, lang: r.Language,
		to: []sender.Address{{Name: r.InviterName, Addr: r.InviterAddress}}, cc: cc,
		subject: reSubject(r.OrigSubject), text: text, inReplyTo: r.OrigMessageID, refs: refs,
		messageID: fmt.Sprintf("statement-%s@%s", r.ID, e.Cfg.Domain()),
		headers:   map[string]string{"Auto-Submitted": "no"}}); err != nil {
		return err
	}
	r.State, r.Statement, r.SentAt = store.StateSent, text, st.now
	if err := store.UpdateRound(ctx, st.tx, r); err != nil {
		return err
	}
	pub := *r
	st.after = append(st.after, func() {
		// Only once the statement is committed; publication is a copy for the
		// website, so a failure is logged and does not hold the statement back.
		if err := e.publish(&pub); err != nil {
			e.Log.Error("publish statement failed", "round", pub.ID, "dir", e.Cfg.PublishDir, "err", err)
		}
	})
	return event(ctx, st, r.ID, "statement (%s) queued to %s with %d copies", r.Outcome, r.InviterAddress, len(cc))
}

// publish writes the site in publish_dir again (package site) once r's
// statement is committed.
func (e *Engine) publish(r *store.Round) error {
	if err := e.RebuildSite(context.Background()); err != nil {
		return fmt.Errorf("round %s: %w", r.ID, err)
	}
	return nil
}

// RebuildSite writes publish_dir from the store: the pages and Markdown of
// every sent statement, the index and the feed, so that a site left
// incomplete by an earlier failure is whole again. With nothing sent yet (or
// no publish_dir) it writes nothing.
func (e *Engine) RebuildSite(ctx context.Context) error {
	if e.Cfg.PublishDir == "" {
		return nil
	}
	e.publishing.Lock()
	defer e.publishing.Unlock()
	rounds, err := store.ListRounds(ctx, e.Store.DB(), store.StateSent)
	if err != nil {
		return fmt.Errorf("list sent rounds: %w", err)
	}
	sts := site.FromRounds(rounds, e.Render.Languages(), e.Cfg.StatementLanguages)
	if len(sts) == 0 {
		return nil
	}
	s := site.Site{Dir: e.Cfg.PublishDir, BaseURL: e.Cfg.PublishURL, Coalition: e.Cfg.Coalition.Name, Domain: e.Cfg.Domain()}
	return s.Build(sts)
}
