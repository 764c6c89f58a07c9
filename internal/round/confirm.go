package round

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"consultd/internal/command"
	"consultd/internal/config"
	"consultd/internal/forward"
	"consultd/internal/mimeparse"
	"consultd/internal/render"
	"consultd/internal/sender"
	"consultd/internal/store"
	"consultd/internal/token"
)

// Coordinators have no reply token. A forward or a destructive command in a
// coordinator's name that no trusted Authentication-Results header proves is
// not acted on: it is stored, and the coordinator's configured address gets a
// confirmation request with a one-time token (in a plus-address Reply-To and
// in the Message-ID, like a member's token). Only a CONFIRM reply carrying
// that token, from that coordinator, within ConfirmationValidity, replays the
// stored message exactly as if it had been trusted on arrival (the deadline's
// clock starts at the confirmation). A forger never sees the token.

// ConfirmationValidity is how long a confirmation request can be answered.
const ConfirmationValidity = 72 * time.Hour

// confirmForward asks the coordinator to confirm a forwarded invitation,
// unless opening it would change nothing anyway (no invitation, no inviter,
// already in a round): then the usual answer goes to the coordinators.
func (e *Engine) confirmForward(ctx context.Context, st *step, m *mimeparse.Message, why string) (outcome, error) {
	res := forward.Parse(m, st.now)
	if res.Invitation == nil {
		return e.handleCoordinatorMail(ctx, st, m)
	}
	inviter := res.Invitation.Inviter
	if res.Directives.Inviter != nil {
		inviter = *res.Directives.Inviter
	}
	if inviter.Address == "" {
		return e.openRound(ctx, st, m, res)
	}
	if prev, err := e.sameInvitation(ctx, st, res.Invitation, inviter.Address); err != nil || prev != nil {
		if err != nil {
			return outcome{}, err
		}
		return e.openRound(ctx, st, m, res)
	}
	if inviter.Name == "" {
		inviter.Name = inviter.Address
	}
	title := res.Directives.Title
	if title == "" {
		title = titleFromSubject(res.Invitation.Subject)
	}
	lang := "en"
	if res.Directives.Language == "ar" || (res.Note != "" && guessLanguage(res.Note) == "ar") {
		lang = "ar"
	}
	summary := fmt.Sprintf("open a consultation round on %q for %s and consult the %d member organisations", title, formatAddr(inviter), len(e.Cfg.Members))
	action := "open a round for " + formatAddr(inviter)
	if lang == "ar" {
		summary = fmt.Sprintf("فتح جولة مشاورة حول «%s» بدعوة من %s واستشارة المنظمات الأعضاء (%d)", title, formatAddr(inviter), len(e.Cfg.Members))
		action = "فتح جولة لدعوة " + formatAddr(inviter)
	}
	return e.askConfirmation(ctx, st, m, pendingAsk{kind: "forward", action: action, note: "open a round for " + formatAddr(inviter),
		summary: summary, why: why, lang: lang})
}

// confirmCommand asks the coordinator to confirm a destructive command,
// unless it names no round it could act on (then the help answers it).
func (e *Engine) confirmCommand(ctx context.Context, st *step, m *mimeparse.Message, c command.Command, why string) (outcome, error) {
	var r *store.Round
	var err error
	if c.RoundID == "" {
		r, err = e.roundOfDraft(ctx, st, m)
	} else if r, err = store.GetRound(ctx, st.tx, c.RoundID); errors.Is(err, store.ErrNotFound) {
		r, err = nil, nil
	}
	if err != nil {
		return outcome{}, err
	}
	if r == nil || !wouldChange(r, c, st.now) {
		return e.handleCommand(ctx, st, m, c) // it only explains, to the configured address
	}
	var what string
	switch {
	case c.Verb == command.Approve && c.Edited != "":
		what = fmt.Sprintf("send your edited statement for round %s (%q) to the inviter", r.ID, r.Title)
	case c.Verb == command.Approve && c.Arg != "":
		what = fmt.Sprintf("decide round %s (%q): %s", r.ID, r.Title, strings.ToUpper(c.Arg))
	case c.Verb == command.Approve:
		what = fmt.Sprintf("approve the draft statement of round %s (%q) and send it to the inviter", r.ID, r.Title)
	case c.Verb == command.Extend:
		what = fmt.Sprintf("extend the deadline of round %s (%q): %s", r.ID, r.Title, c.Arg)
	case c.Verb == command.Close:
		what = fmt.Sprintf("close round %s (%q) now and draft the joint answer", r.ID, r.Title)
	case c.Verb == command.Cancel:
		what = fmt.Sprintf("cancel round %s (%q); nothing would be sent to the inviter", r.ID, r.Title)
	}
	return e.askConfirmation(ctx, st, m, pendingAsk{kind: "command", roundID: r.ID, action: c.Verb.String() + " " + r.ID,
		note: c.Verb.String() + " " + r.ID, summary: what, why: why, lang: "en"})
}

// wouldChange reports whether handleCommand would change round r, rather
// than only answer why not (so there is nothing worth confirming).
func wouldChange(r *store.Round, c command.Command, now time.Time) bool {
	switch c.Verb {
	case command.Extend:
		d, err := command.ParseExtension(c.Arg, r.Deadline)
		return r.State == store.StateOpen && err == nil && d.After(now)
	case command.Close:
		return r.State == store.StateOpen
	case command.Cancel:
		return r.State != store.StateSent && r.State != store.StateCancelled
	case command.Approve:
		switch r.State {
		case store.StateDraft:
			unchanged := c.Edited != "" && !c.Explicit &&
				strings.Join(strings.Fields(c.Edited), " ") == strings.Join(strings.Fields(r.Statement), " ")
			return !unchanged
		case store.StateUndecided:
			a := strings.ToLower(c.Arg)
			return a == "accept" || a == "decline"
		}
	}
	return false
}

type pendingAsk struct {
	kind, roundID string
	action        string // for the subject, in lang
	note          string // the same in English, for logs and events
	summary, why  string
	lang          string
}

// askConfirmation stores the message as a pending action and mails the
// coordinator's configured address the request.
func (e *Engine) askConfirmation(ctx context.Context, st *step, m *mimeparse.Message, a pendingAsk) (outcome, error) {
	coord := e.Cfg.Coordinator(firstFrom(m))
	if coord == nil { // classify only sends coordinators here
		return outcome{kind: "unknown", disp: store.Review, note: "not from a coordinator"}, nil
	}
	addr := strings.ToLower(coord.Email)
	// The reaction limiter bounds the requests mailed to one coordinator, so
	// a flood of forged mail in her name is not a flood in her inbox.
	if ok, err := e.allow(ctx, st, reaction{kind: "confirmation", sender: addr, in: m}); err != nil || !ok {
		return outcome{kind: "awaiting_confirmation", roundID: a.roundID, disp: store.Review,
			note: fmt.Sprintf("too many confirmation requests were mailed to %s in the last hour; no further one is sent (%s)", addr, a.note)}, err
	}
	tok, err := token.New()
	if err != nil {
		return outcome{}, err
	}
	confirmID, err := e.messageID("confirm", tok)
	if err != nil {
		return outcome{}, err
	}
	p := &store.Pending{Token: tok, Coordinator: addr, Kind: a.kind, Summary: a.summary, RoundID: a.roundID,
		MessageID: m.MessageID, Raw: st.raw, Why: a.why, CreatedAt: st.now, ExpiresAt: st.now.Add(ConfirmationValidity)}
	if err := store.InsertPending(ctx, st.tx, p); err != nil {
		return outcome{}, err
	}
	fix := "To make this step unnecessary, the administrator can set authentication.authserv_id (or authentication.provider: microsoft365) " +
		"in consultd's configuration: mail that your provider proves to be yours (DMARC or DKIM) is then trusted at once."
	if e.Cfg.Policy.CoordinatorConfirmation == config.ConfirmAlways {
		fix = "Every forward and command is confirmed this way because policy.coordinator_confirmation is set to always."
	} else if e.Cfg.Authentication.Trust().Configured() {
		fix = "To make this step unnecessary, send from an account whose mail passes DMARC (or is DKIM-signed by your domain)."
	}
	if a.lang == "ar" {
		fix = "لجعل هذه الخطوة غير ضرورية، يمكن لمدير النظام ضبط authentication.authserv_id (أو authentication.provider: microsoft365) في إعدادات consultd، فتُقبل فوراً الرسائل التي يثبت مزوّدك أنها منك."
	}
	rm, err := e.render(a.lang, render.Confirmation{RoundID: a.roundID, Action: a.action,
		Summary: a.summary, From: firstFrom(m), Subject: m.Subject, Received: st.now, Expires: p.ExpiresAt,
		Hours: int(ConfirmationValidity.Hours()), Why: a.why, Fix: fix, Coalition: e.Cfg.Coalition.Name})
	if err != nil {
		return outcome{}, err
	}
	if _, err := e.queue(ctx, st, mail{roundID: a.roundID, kind: store.MailConfirmation, lang: a.lang,
		to: []sender.Address{{Name: coord.Name, Addr: coord.Email}}, replyTo: e.Cfg.PlusAddress(tok),
		messageID: confirmID, subject: rm.Subject, text: rm.Text, html: rm.HTML,
		inReplyTo: m.MessageID, refs: nonEmpty(m.MessageID)}); err != nil {
		return outcome{}, err
	}
	if a.roundID != "" {
		if err := event(ctx, st, a.roundID, "%s in %s's name awaits confirmation by email (%s)", a.note, addr, a.why); err != nil {
			return outcome{}, err
		}
	}
	return outcome{kind: "awaiting_confirmation", roundID: a.roundID, disp: store.Processed,
		note: fmt.Sprintf("%s: confirmation requested from %s (%s)", a.note, addr, a.why)}, nil
}

// handleConfirmation acts on a reply to a confirmation request. p is nil
// when the reply says CONFIRM but carries no token of a pending action.
func (e *Engine) handleConfirmation(ctx context.Context, st *step, m *mimeparse.Message, p *store.Pending) (outcome, error) {
	o := outcome{kind: "confirmation", disp: store.Review}
	from := strings.ToLower(firstFrom(m))
	if p == nil {
		o.note = "says CONFIRM but carries no token of a pending confirmation request; nothing done"
		return o, nil
	}
	o.roundID = p.RoundID
	switch {
	case from != p.Coordinator:
		o.note = fmt.Sprintf("answers a confirmation request sent to %s, but comes from %s; nothing done", p.Coordinator, orUnknown(from))
		return o, nil
	case p.State == store.PendingDone:
		o.disp = store.Processed
		o.note = "the confirmation request was already used on " + p.DoneAt.Format(time.RFC3339) + "; nothing done again"
		return o, nil
	case !command.IsConfirmation(m):
		o.note = "answers a confirmation request without CONFIRM on its first line; nothing done"
		return o, nil
	case e.Cfg.Coordinator(p.Coordinator) == nil:
		o.note = p.Coordinator + " is no longer a coordinator; nothing done"
		return o, nil
	case st.now.After(p.ExpiresAt):
		o.disp = store.Processed
		o.note = "the confirmation request expired on " + p.ExpiresAt.Format(time.RFC3339) + "; nothing done"
		return o, e.tell(ctx, st, note{kind: store.MailCommandReply, to: e.replyTargets(m), roundID: p.RoundID,
			title: "Confirmation expired",
			text: fmt.Sprintf("Your confirmation came after the request expired (%s), so nothing was done. The request was to %s. "+
				"If you still want it, send the forward or the command again.", p.ExpiresAt.Format("Monday 2 January 2006, 15:04 MST"), p.Summary),
			inReplyTo: m.MessageID, refs: threadRefs(m)})
	}
	if err := store.MarkPendingDone(ctx, st.tx, p.Token, st.now, m.MessageID); err != nil {
		return o, err
	}
	orig, perr := mimeparse.Parse(p.Raw)
	if orig == nil {
		o.note = fmt.Sprintf("the stored message cannot be read again (%v); nothing done", perr)
		return o, nil
	}
	var done outcome
	var err error
	switch p.Kind {
	case "forward":
		res := forward.Parse(orig, st.now)
		if res.Invitation == nil {
			o.note = "the stored forward no longer reads as an invitation; nothing done"
			return o, nil
		}
		done, err = e.openRound(ctx, st, orig, res)
	case "command":
		c, ok := command.Parse(orig)
		if !ok {
			o.note = "the stored command no longer reads as a command; nothing done"
			return o, nil
		}
		done, err = e.handleCommand(ctx, st, orig, c)
	default:
		o.note = "unknown pending action " + p.Kind + "; nothing done"
		return o, nil
	}
	if err != nil {
		return o, err
	}
	if done.roundID != "" {
		if err := event(ctx, st, done.roundID, "%s confirmed by email: %s", p.Coordinator, p.Summary); err != nil {
			return o, err
		}
	}
	return outcome{kind: "confirmation", roundID: done.roundID, disp: store.Processed,
		note: "confirmed by " + p.Coordinator + ": " + done.note}, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown sender"
	}
	return s
}
