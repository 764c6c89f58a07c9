package round

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"consultd/internal/answer"
	"consultd/internal/automail"
	"consultd/internal/classify"
	"consultd/internal/mimeparse"
	"consultd/internal/render"
	"consultd/internal/sender"
	"consultd/internal/store"
	"consultd/internal/token"
)

// handleReply records a member's answer, matched by its token.
func (e *Engine) handleReply(ctx context.Context, st *step, m *mimeparse.Message, p *store.Participant) (outcome, error) {
	r, err := store.GetRound(ctx, st.tx, p.RoundID)
	if err != nil {
		return outcome{}, err
	}
	o := outcome{kind: "reply", roundID: r.ID, disp: store.Processed}
	from := firstFrom(m)
	if r.State != store.StateOpen {
		o.note = fmt.Sprintf("reply from %s after the round %s closed (%s); not counted", p.MemberID, r.ID, r.State)
		o.disp = store.Review
		if ok, err := e.allow(ctx, st, reaction{kind: "late", sender: from, roundID: r.ID, in: m}); err != nil || !ok {
			return o, err
		}
		err := e.notice(ctx, st, r.ID, "Late answer from "+p.Name,
			fmt.Sprintf("%s answered after round %s was closed (%s). The answer was not counted; it is in the review folder.",
				p.Name, r.ID, r.State), nil, "")
		return o, err
	}
	a := e.readAnswer(st, m)
	recipients := p.Deliverable()
	if from != "" && !containsFold(p.Emails, from) {
		// A valid token from an address we do not know counts for the member,
		// and both the known contacts and the sender learn what was recorded.
		recipients = append(recipients, from)
		if err := event(ctx, st, r.ID, "answer for %s came from %s, not a listed contact", p.MemberID, from); err != nil {
			return o, err
		}
	}
	if a.Position == answer.None && a.Holding {
		// "We will discuss it with our board and come back to you": a reply,
		// not an answer. Asking them to answer clearly would be the wrong
		// note; they learn we wait for them, and until when.
		o.note = fmt.Sprintf("holding reply from %s (no position yet); not counted", p.MemberID)
		if err := event(ctx, st, r.ID, "reply from %s (%s) will answer later; not counted; told we wait for the answer", p.MemberID, from); err != nil {
			return o, err
		}
		return o, e.guardedReply(ctx, st, r, p, m, store.MailHolding, from, recipients, render.Holding{Round: r, Member: p, Coalition: e.Cfg.Coalition.Name, Text: a.Text})
	}
	if a.Position == answer.None {
		o.note = fmt.Sprintf("reply from %s without a recognisable position; not counted", p.MemberID)
		if err := event(ctx, st, r.ID, "reply from %s (%s) had no recognisable position; asked to answer clearly", p.MemberID, from); err != nil {
			return o, err
		}
		return o, e.guardedReply(ctx, st, r, p, m, store.MailUnclear, from, recipients, render.Unclear{Round: r, Member: p, Coalition: e.Cfg.Coalition.Name, Text: a.Text})
	}
	replaced := p.Answered()
	p.Position = string(a.Position)
	p.Concerns, p.Recommendations, p.Sign = a.Concerns, a.Recommendations, a.Sign
	p.AnswerText, p.AnswerFrom, p.AnswerMessageID, p.AnsweredAt = a.Text, from, m.MessageID, st.now
	p.AnswersCount++
	if err := store.UpdateParticipant(ctx, st.tx, p); err != nil {
		return o, err
	}
	verb := "answered"
	if replaced {
		verb = "changed its answer to"
	}
	if err := event(ctx, st, r.ID, "%s %s %s (%s, %s, sign %s)", p.MemberID, verb, strings.ToUpper(p.Position),
		plural(len(p.Concerns), "concern"), plural(len(p.Recommendations), "recommendation"), signText(p.Sign)); err != nil {
		return o, err
	}
	o.note = fmt.Sprintf("%s %s %s", p.MemberID, verb, p.Position)
	data := render.Receipt{Round: r, Member: p, Coalition: e.Cfg.Coalition.Name, Replaced: replaced, Sign: signText(p.Sign)}
	if err := e.guardedReply(ctx, st, r, p, m, store.MailReceipt, from, recipients, data); err != nil {
		return o, err
	}
	if e.Cfg.Policy.CloseWhenAllAnswered {
		// Asked of an index: one answer must not cost a read of every member.
		all, err := store.AllAnswered(ctx, st.tx, r.ID)
		if err != nil {
			return o, err
		}
		if all {
			ps, err := store.Participants(ctx, st.tx, r.ID)
			if err != nil {
				return o, err
			}
			if err := event(ctx, st, r.ID, "every member has answered; closing early"); err != nil {
				return o, err
			}
			return o, e.close(ctx, st, r, "every member answered", ps)
		}
	}
	return o, nil
}

// guardedReply queues a receipt, an "answer clearly" request or a holding note in the member's
// conversation, unless the reaction limits say no.
func (e *Engine) guardedReply(ctx context.Context, st *step, r *store.Round, p *store.Participant, m *mimeparse.Message,
	kind store.MailKind, from string, to []string, data render.Data) error {
	if ok, err := e.allow(ctx, st, reaction{kind: kind.String(), sender: from, roundID: r.ID, in: m}); err != nil || !ok {
		return err
	}
	rm, err := e.render(p.Language, data)
	if err != nil {
		return err
	}
	subj := rm.Subject
	if subj == "" {
		subj = reSubject(m.Subject)
	}
	_, err = e.queue(ctx, st, mail{roundID: r.ID, kind: kind, token: p.Token, lang: p.Language,
		to: addresses(dedupeFold(to)), replyTo: e.Cfg.PlusAddress(p.Token), subject: subj, text: rm.Text, html: rm.HTML,
		inReplyTo: m.MessageID, refs: threadRefs(m)})
	return err
}

// handleUntokenedMember: mail from a member's address without a valid token is
// never counted (From: can be forged); a person looks at it.
func (e *Engine) handleUntokenedMember(ctx context.Context, st *step, m *mimeparse.Message, memberID string) (outcome, error) {
	mem := e.Cfg.MemberByID(memberID)
	o := outcome{kind: "reply", disp: store.Review, note: "member address without a valid token; not counted"}
	if ok, err := e.allow(ctx, st, reaction{kind: "untokened", sender: firstFrom(m), in: m}); err != nil || !ok {
		return o, err
	}
	err := e.notice(ctx, st, "", "Mail from "+mem.Name+" without a reply token",
		fmt.Sprintf("A message from %s (%s) with the subject \"%s\" does not carry the reply address of any consultation, "+
			"so it was NOT counted as an answer: the From: address alone can be forged. It is in the review folder. "+
			"If it is a genuine answer, ask them to reply to the consultation email itself.", firstFrom(m), mem.Name, m.Subject), nil, "")
	return o, err
}

// handleAutoReply records an out-of-office or auto-responder; it is never
// counted and never answered.
func (e *Engine) handleAutoReply(ctx context.Context, st *step, m *mimeparse.Message, why string) (outcome, error) {
	o := outcome{kind: "auto_reply", disp: store.Processed, note: "auto-reply (" + why + "); not counted, not answered"}
	if tok := e.findToken(m); tok != "" {
		if p, err := store.ParticipantByToken(ctx, st.tx, tok); err == nil {
			o.roundID = p.RoundID
			return o, event(ctx, st, p.RoundID, "auto-reply from %s for %s ignored (%s)", firstFrom(m), p.MemberID, why)
		}
	}
	return o, nil
}

// handleBounce marks hard-bounced contacts undeliverable, sends the
// consultation to the member's other contacts, and tells the coordinators.
func (e *Engine) handleBounce(ctx context.Context, st *step, m *mimeparse.Message, b *automail.Bounce) (outcome, error) {
	o := outcome{kind: "bounce", disp: store.Processed, note: "bounce; never answered"}
	var lines []string
	for _, rc := range b.Recipients {
		class := "temporary"
		if rc.Hard {
			class = "permanent"
		}
		lines = append(lines, fmt.Sprintf("%s: %s failure %s %s", rc.Address, class, rc.Status, oneLineShort(rc.Diagnostic)))
	}
	// A coordinator whose address failed is not told: that notice would bounce
	// too, and its bounce bring another notice, for ever.
	var tell []sender.Address
	for _, c := range e.coordinators() {
		failed := false
		for _, rc := range b.Recipients {
			failed = failed || strings.EqualFold(rc.Address, c.Addr)
		}
		if !failed {
			tell = append(tell, c)
		}
	}
	ps, r, err := e.bouncedParticipants(ctx, st, m, b)
	if err != nil {
		return o, err
	}
	if r == nil {
		about := firstFrom(m)
		if len(b.Recipients) > 0 {
			about = b.Recipients[0].Address
		}
		if ok, err := e.allow(ctx, st, reaction{kind: "bounce", sender: about, in: m}); err != nil || !ok {
			return o, err
		}
		err := e.tell(ctx, st, note{to: tell, title: "A message could not be delivered", text: "A delivery failure report arrived that does not belong to an open round:", lines: lines})
		return o, err
	}
	o.roundID = r.ID
	for _, rc := range b.Recipients {
		for _, p := range ps {
			if !containsFold(p.Emails, rc.Address) {
				continue
			}
			if !rc.Hard {
				if err := event(ctx, st, r.ID, "temporary delivery failure for %s (%s): %s", p.MemberID, rc.Address, rc.Status); err != nil {
					return o, err
				}
				continue
			}
			if containsFold(p.Undeliverable, rc.Address) {
				continue
			}
			p.Undeliverable = append(p.Undeliverable, strings.ToLower(rc.Address))
			if err := store.UpdateParticipant(ctx, st.tx, p); err != nil {
				return o, err
			}
			left := p.Deliverable()
			msg := fmt.Sprintf("%s (%s) is undeliverable (%s).", rc.Address, p.Name, rc.Status)
			if len(left) > 0 && !p.Answered() && r.State == store.StateOpen {
				atts, err := store.AttachmentRefs(ctx, st.tx, r.ID)
				if err != nil {
					return o, err
				}
				var names []string
				for _, a := range atts {
					names = append(names, a.Filename)
				}
				prev, err := e.previousRounds(ctx, st, r)
				if err != nil {
					return o, err
				}
				if err := e.sendConsultation(ctx, st, r, p, names, atts, prev, store.MailConsultationResend); err != nil {
					return o, err
				}
				msg += " The consultation was sent to their other contact(s): " + strings.Join(left, ", ") + "."
			} else if len(left) == 0 {
				msg += " They have no other contact: they cannot take part in this round unless you add an address to the configuration."
			}
			if err := event(ctx, st, r.ID, "%s", msg); err != nil {
				return o, err
			}
			if ok, err := e.allow(ctx, st, reaction{kind: "bounce", sender: rc.Address, roundID: r.ID, in: m}); err != nil {
				return o, err
			} else if !ok {
				continue
			}
			if err := e.tell(ctx, st, note{to: tell, roundID: r.ID, title: "Undeliverable contact: " + p.Name, text: msg}); err != nil {
				return o, err
			}
		}
	}
	return o, nil
}

// bouncedParticipants finds the round a bounce belongs to: by the returned
// message's id (ours carry the token), else by the failed addresses in open rounds.
func (e *Engine) bouncedParticipants(ctx context.Context, st *step, m *mimeparse.Message, b *automail.Bounce) ([]*store.Participant, *store.Round, error) {
	ids := []string{b.OriginalMessageID}
	for _, em := range m.Embedded {
		ids = append(ids, em.MessageID)
		ids = append(ids, em.InReplyTo...)
	}
	for _, id := range ids {
		tok := token.FromMessageID(id, "")
		if tok == "" {
			continue
		}
		p, err := store.ParticipantByToken(ctx, st.tx, tok)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		r, err := store.GetRound(ctx, st.tx, p.RoundID)
		if err != nil {
			return nil, nil, err
		}
		ps, err := store.Participants(ctx, st.tx, r.ID)
		return ps, r, err
	}
	open, err := store.ListRounds(ctx, st.tx, store.StateOpen)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range open {
		ps, err := store.Participants(ctx, st.tx, r.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			for _, rc := range b.Recipients {
				if containsFold(p.Emails, rc.Address) {
					return ps, r, nil
				}
			}
		}
	}
	return nil, nil, nil
}

// reader is built once: merging the vocabularies cost more than reading an answer.
func (e *Engine) reader() *answer.Reader {
	e.readerOnce.Do(func() { e.answers = answer.NewReader(classify.Vocabulary(e.Cfg)...) })
	return e.answers
}

func signText(b *bool) string {
	switch {
	case b == nil:
		return "not said"
	case *b:
		return "yes"
	default:
		return "no"
	}
}

func reSubject(s string) string {
	if strings.HasPrefix(strings.ToLower(s), "re:") {
		return s
	}
	return "Re: " + s
}

// threadRefs is the References of a reply to m: m's references plus m itself.
func threadRefs(m *mimeparse.Message) []string {
	refs := append([]string{}, m.References...)
	if len(refs) == 0 {
		refs = append(refs, m.InReplyTo...)
	}
	if m.MessageID != "" {
		refs = append(refs, m.MessageID)
	}
	if len(refs) > 10 { // keep the thread root and the most recent ones
		refs = append(refs[:1], refs[len(refs)-9:]...)
	}
	return refs
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}

func dedupeFold(list []string) []string {
	var out []string
	for _, x := range list {
		if x != "" && !containsFold(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func oneLineShort(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// plural writes "1 concern", "2 concerns".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
