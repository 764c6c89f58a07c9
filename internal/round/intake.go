package round

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"consultd/internal/forward"
	"consultd/internal/mimeparse"
	"consultd/internal/render"
	"consultd/internal/statement"
	"consultd/internal/store"
	"consultd/internal/token"
)

// handleCoordinatorMail opens a round when a coordinator forwards an invitation.
func (e *Engine) handleCoordinatorMail(ctx context.Context, st *step, m *mimeparse.Message) (outcome, error) {
	res := forward.Parse(m, st.now)
	if res.Invitation == nil {
		o := outcome{kind: "unknown", disp: store.Review, note: "coordinator mail without a forwarded invitation"}
		// A coordinator's auto-responder without Auto-Submitted would answer
		// every notice: the limit allows one an hour per coordinator.
		if ok, err := e.allow(ctx, st, reaction{kind: "no-invitation", sender: firstFrom(m), in: m}); err != nil || !ok {
			return o, err
		}
		err := e.notice(ctx, st, "", "No invitation found in your message",
			"Your message \""+m.Subject+"\" did not contain a forwarded invitation, so no round was opened. "+
				"Forward the invitation itself (inline or as an attachment), or send a command such as STATUS ROUND-ID. "+
				"The message was put in the review folder.", nil, m.MessageID)
		return o, err
	}
	return e.openRound(ctx, st, m, res)
}

// openRound creates the round, its participants and every consultation mail.
func (e *Engine) openRound(ctx context.Context, st *step, m *mimeparse.Message, res forward.Result) (outcome, error) {
	inv, dir := res.Invitation, res.Directives
	var warnings []string
	warnings = append(warnings, dir.Errors...)

	inviter := inv.Inviter
	if dir.Inviter != nil {
		inviter = *dir.Inviter
	}
	if inviter.Address == "" {
		o := outcome{kind: "invitation", disp: store.Review, note: "no inviter address"}
		if ok, err := e.allow(ctx, st, reaction{kind: "intake", sender: firstFrom(m), in: m}); err != nil || !ok {
			return o, err
		}
		err := e.notice(ctx, st, "", "Invitation without an inviter address",
			"I found a forwarded invitation in \""+m.Subject+"\" but not the address of whoever sent it, so no round was opened. "+
				"Forward it again with a line \"Inviter: Name <address>\" above the forwarded part.",
			append(append([]string(nil), dir.Errors...), inv.Uncertain...), m.MessageID)
		return o, err
	}
	if inviter.Name == "" {
		inviter.Name = inviter.Address
	}

	if prev, err := e.sameInvitation(ctx, st, inv, inviter.Address); err != nil {
		return outcome{}, err
	} else if prev != nil {
		o := outcome{kind: "invitation", roundID: prev.ID, disp: store.Processed, note: "same invitation as round " + prev.ID}
		if ok, err := e.allow(ctx, st, reaction{kind: "intake", sender: firstFrom(m), roundID: prev.ID, in: m}); err != nil || !ok {
			return o, err
		}
		err := e.notice(ctx, st, prev.ID, "Already in round "+prev.ID,
			fmt.Sprintf("The invitation \"%s\" from %s is already being handled in round %s (%s, opened by %s). No second round was opened. "+
				"Send STATUS %s to see the answers so far.", inv.Subject, inviter.Address, prev.ID, prev.State, prev.OpenedBy, prev.ID), nil, m.MessageID)
		return o, err
	}
	deadline, source, w := e.deadline(st.now, dir, inv)
	warnings = append(warnings, w...)
	lang := dir.Language
	if lang != "" && e.Render.Languages().Get(lang) == nil {
		warnings = append(warnings, fmt.Sprintf("the Language: directive names %q, a language consultd has no templates for (it knows %s); it was ignored",
			lang, strings.Join(e.Render.Languages().Codes(), ", ")))
		lang = ""
	}
	if lang == "" {
		lang = guessLanguage(inv.Body)
	}
	title := dir.Title
	if title == "" {
		title = titleFromSubject(inv.Subject)
	}
	id, err := store.NextRoundID(ctx, st.tx.Tx, st.now)
	if err != nil {
		return outcome{}, err
	}
	r := &store.Round{ID: id, State: store.StateOpen, Title: title, Language: lang, InviterName: inviter.Name,
		InviterAddress: strings.ToLower(inviter.Address), OrigSubject: inv.Subject, OrigMessageID: inv.MessageID,
		OrigDate: inv.Date, OrigBody: inv.Body, Note: res.Note, OpenedBy: firstFrom(m), SourceMessageID: m.MessageID,
		Deadline: deadline, DeadlineSource: source, CreatedAt: st.now}
	var atts []store.Attachment
	var names []string
	for _, a := range inv.Attachments {
		if a.Blob != "" {
			// Stored while the watcher read the message: the round claims it.
			if _, err := store.BlobByHandle(ctx, st.tx, a.Blob); errors.Is(err, store.ErrNotFound) {
				return outcome{kind: "invitation", disp: store.Review,
					note: fmt.Sprintf("attachment %q could not be read (damaged base64, or no longer stored); no round opened", a.Filename)}, nil
			} else if err != nil {
				return outcome{}, err
			}
		}
		atts = append(atts, store.Attachment{Filename: a.Filename, ContentType: a.ContentType, Data: a.Data, Handle: a.Blob})
		names = append(names, a.Filename)
	}
	var ps []*store.Participant
	for _, mem := range e.Cfg.Members {
		tok, err := token.New()
		if err != nil {
			return outcome{}, err
		}
		cid, err := e.messageID("c", tok)
		if err != nil {
			return outcome{}, err
		}
		ps = append(ps, &store.Participant{RoundID: id, MemberID: mem.ID, Name: mem.Name, Language: mem.Language,
			Emails: mem.Emails, Token: tok, ConsultMessageID: cid})
	}
	warnings = append(warnings, forwardGuesses(inv, id)...)
	if err := store.InsertRound(ctx, st.tx.Tx, r, atts, ps); err != nil {
		return outcome{}, err
	}
	// Every member's consultation refers to the attachments stored once
	// with the round (InsertRound named their blobs); the bytes are read
	// again only to send.
	refs := make([]store.AttachmentRef, len(atts))
	for i, a := range atts {
		refs[i] = a.Ref()
	}
	prev, err := e.previousRounds(ctx, st, r)
	if err != nil {
		return outcome{}, err
	}
	if err := e.queueConsultations(ctx, st, r, ps, names, refs, prev); err != nil {
		return outcome{}, err
	}
	listed := ps[:min(len(ps), maxListedMembers)]
	subj, body, err := e.Render.Render("en", render.Opened{Round: r, Inviter: formatAddr(inviter),
		DeadlineSource: deadlineSourceText(source), Attachments: names, MembersAsked: len(ps), Participants: listed,
		MoreMembers: len(ps) - len(listed), Sending: e.fanOutTime(st.now, ps), Warnings: warnings})
	if err != nil {
		return outcome{}, err
	}
	if _, err := e.queue(ctx, st, mail{roundID: id, kind: store.MailOpened, lang: "en", to: e.coordinators(), subject: subj,
		text: body, inReplyTo: m.MessageID, refs: nonEmpty(m.MessageID)}); err != nil {
		return outcome{}, err
	}
	if err := event(ctx, st, id, "round opened by %s (%s forward); %d members asked; deadline %s (%s)",
		r.OpenedBy, inv.Form, len(ps), deadline.Format(time.RFC3339), source); err != nil {
		return outcome{}, err
	}
	return outcome{kind: "invitation", roundID: id, disp: store.Processed, note: "round " + id + " opened"}, nil
}

// sameInvitation finds a round, not cancelled, for the same invitation: the
// same original Message-ID, or without one, the same inviter and subject in a
// round still in progress. A second coordinator forwarding it must not start a
// second consultation (and later a second statement).
func (e *Engine) sameInvitation(ctx context.Context, st *step, inv *forward.Invitation, inviter string) (*store.Round, error) {
	rounds, err := store.RoundsForInvitation(ctx, st.tx, inv.MessageID, inviter)
	if err != nil {
		return nil, err
	}
	for _, r := range rounds {
		if inv.MessageID != "" && strings.EqualFold(r.OrigMessageID, inv.MessageID) {
			return r, nil
		}
		inProgress := r.State == store.StateOpen || r.State == store.StateDraft || r.State == store.StateUndecided
		if inProgress && strings.EqualFold(r.InviterAddress, inviter) &&
			strings.EqualFold(strings.TrimSpace(r.OrigSubject), strings.TrimSpace(inv.Subject)) {
			return r, nil
		}
	}
	return nil, nil
}

// sendConsultation queues the consultation (or a resend to a new contact) for one member.
func (e *Engine) sendConsultation(ctx context.Context, st *step, r *store.Round, p *store.Participant, names []string,
	atts []store.AttachmentRef, prev []render.Previous, kind store.MailKind) error {
	m, ok, err := e.consultation(r, p, names, atts, prev, kind)
	if err != nil || !ok {
		return err
	}
	_, err = e.queue(ctx, st, m)
	return err
}

// consultation renders p's consultation; ok is false when p has no
// address to send it to. It touches no state, so several run at once.
func (e *Engine) consultation(r *store.Round, p *store.Participant, names []string,
	atts []store.AttachmentRef, prev []render.Previous, kind store.MailKind) (m mail, ok bool, err error) {
	to := p.Deliverable()
	if len(to) == 0 {
		return mail{}, false, nil
	}
	code := p.Language
	d := render.Consultation{Round: r, Member: p,
		Coalition: e.Cfg.Coalition.Name, Inviter: formatAddr(mimeparse.Address{Name: r.InviterName, Address: r.InviterAddress}),
		Attachments: names, Previous: prev}
	rm, err := e.render(code, d)
	if err != nil {
		return mail{}, false, err
	}
	m = mail{roundID: r.ID, kind: kind, token: p.Token, lang: code, to: addresses(to),
		replyTo: e.Cfg.PlusAddress(p.Token), subject: rm.Subject, text: rm.Text, html: rm.HTML, atts: atts}
	if kind == store.MailConsultation {
		m.messageID = p.ConsultMessageID
	}
	return m, true, nil
}

// consultationChunk is how many consultations are rendered before they are
// queued: enough to keep every core busy, few enough that a 15,000-member
// round never holds more than a few hundred rendered mails at once.
const consultationChunk = 256

// queueConsultations queues the consultation of every member of a new
// round, in order, in the round's opening transaction. Rendering is most
// of an opening (0.1 to 0.2 ms a member, before the first consultation can
// go), so each chunk is rendered on all cores at once, and the next chunk
// is rendered while this one is queued; the queueing stays on the
// transaction's goroutine.
func (e *Engine) queueConsultations(ctx context.Context, st *step, r *store.Round, ps []*store.Participant,
	names []string, atts []store.AttachmentRef, prev []render.Previous) error {
	type rendered struct {
		m   mail
		ok  bool
		err error
	}
	renderChunk := func(part []*store.Participant, out []rendered) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), len(part)) {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(part); i = int(next.Add(1) - 1) {
					m, ok, err := e.consultation(r, part[i], names, atts, prev, store.MailConsultation)
					out[i] = rendered{m, ok, err}
				}
			})
		}
		wg.Wait()
	}
	chunk := func(k int) []*store.Participant {
		return ps[k*consultationChunk : min((k+1)*consultationChunk, len(ps))]
	}
	chunks := (len(ps) + consultationChunk - 1) / consultationChunk
	// Two buffers: one being queued, the other being rendered.
	bufs := [2][]rendered{make([]rendered, consultationChunk), make([]rendered, consultationChunk)}
	rendering := make(chan struct{}, 1)
	start := func(k int) {
		go func() { renderChunk(chunk(k), bufs[k%2]); rendering <- struct{}{} }()
	}
	if chunks > 0 {
		start(0)
	}
	for k := range chunks {
		<-rendering
		if k+1 < chunks {
			start(k + 1)
		}
		out := bufs[k%2]
		for i := range chunk(k) {
			err := out[i].err
			if err == nil && out[i].ok {
				_, err = e.queue(ctx, st, out[i].m)
			}
			out[i] = rendered{} // let the chunk's mail go once queued
			if err != nil {
				if k+1 < chunks {
					<-rendering // the next chunk writes into the other buffer until it ends
				}
				return err
			}
		}
	}
	return nil
}

// deadline picks the round's deadline: the coordinator's directive, else the
// invitation's reply-by date when it leaves time, else the policy's period.
func (e *Engine) deadline(now time.Time, dir forward.Directives, inv *forward.Invitation) (time.Time, string, []string) {
	var warnings []string
	minNotice := e.Cfg.Policy.MinimumNotice.Duration
	if !dir.Deadline.IsZero() {
		if dir.Deadline.After(now) {
			return dir.Deadline.UTC(), "directive", nil
		}
		warnings = append(warnings, fmt.Sprintf("the Deadline: directive (%s) is in the past; it was ignored",
			dir.Deadline.Format(time.RFC1123Z)))
	}
	if !inv.ReplyBy.IsZero() {
		if inv.ReplyBy.Sub(now) >= minNotice {
			return inv.ReplyBy.UTC(), "invitation", warnings
		}
		warnings = append(warnings, fmt.Sprintf("the invitation asks for an answer by %s, which leaves less than %s; "+
			"the consultation period was used instead (EXTEND or a Deadline: line changes it)",
			inv.ReplyBy.Format(time.RFC1123Z), minNotice))
	}
	return now.Add(e.Cfg.Policy.ConsultationPeriod.Duration), "policy", warnings
}

var invitationPrefix = regexp.MustCompile(`(?i)^\s*(invitation|invite|دعوة)\s*(to|:|-|–)?\s*`)

// titleFromSubject turns "Invitation: CSSR meetings in Geneva" into "CSSR
// meetings in Geneva", which reads right in "the invitation to …".
func titleFromSubject(s string) string {
	t := strings.TrimSpace(invitationPrefix.ReplaceAllString(s, ""))
	if t == "" {
		return s
	}
	return t
}

func deadlineSourceText(src string) string {
	switch src {
	case "directive":
		return "from your Deadline: line"
	case "invitation":
		return "the reply-by date in the invitation"
	default:
		return "the policy's consultation period"
	}
}

// guessLanguage says "ar" when most letters of the text are Arabic.
func guessLanguage(s string) string {
	var ar, other int
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r):
			ar++
		case unicode.IsLetter(r):
			other++
		}
	}
	if ar > other {
		return "ar"
	}
	return "en"
}

func formatAddr(a mimeparse.Address) string {
	if a.Name == "" || a.Name == a.Address {
		return a.Address
	}
	return fmt.Sprintf("%s <%s>", a.Name, a.Address)
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// previousRounds is what the coalition answered the same inviter before.
func (e *Engine) previousRounds(ctx context.Context, st *step, r *store.Round) ([]render.Previous, error) {
	rounds, err := store.RoundsByInviter(ctx, st.tx, r.InviterAddress, r.ID)
	if err != nil {
		return nil, err
	}
	var out []render.Previous
	for _, pr := range rounds {
		p := render.Previous{ID: pr.ID, Date: pr.CreatedAt, Title: pr.Title}
		switch {
		case pr.State == store.StateSent && pr.Outcome == "accept":
			p.Outcome = render.OutcomeAccepted
		case pr.State == store.StateSent && pr.Outcome == "decline":
			p.Outcome = render.OutcomeDeclined
		case pr.State == store.StateCancelled:
			p.Outcome = render.OutcomeCancelled
		case pr.State == store.StateOpen:
			p.Outcome = render.OutcomeOpen
		default:
			p.Outcome = render.OutcomeClosed
		}
		ps, err := store.Participants(ctx, st.tx, pr.ID)
		if err != nil {
			return nil, err
		}
		var recs [][]string
		for _, pp := range ps {
			recs = append(recs, pp.Recommendations)
		}
		p.Recommendations = statement.Merge(recs...)
		out = append(out, p)
	}
	return out, nil
}
