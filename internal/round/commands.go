package round

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"consultd/internal/command"
	"consultd/internal/mimeparse"
	"consultd/internal/sender"
	"consultd/internal/statement"
	"consultd/internal/store"
)

func (e *Engine) handleCommand(ctx context.Context, st *step, m *mimeparse.Message, c command.Command) (outcome, error) {
	o := outcome{kind: "command", disp: store.Processed}
	var r *store.Round
	if c.RoundID == "" {
		var err error
		if r, err = e.roundOfDraft(ctx, st, m); err != nil {
			return o, err
		}
	} else {
		var err error
		r, err = store.GetRound(ctx, st.tx, c.RoundID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return o, err
		}
	}
	if c.Verb == command.Help || r == nil {
		note := "unknown round"
		if c.Verb == command.Help {
			note = "help"
		}
		o.note = note
		return o, e.help(ctx, st, m, c)
	}
	o.roundID = r.ID
	o.note = c.Verb.String() + " " + r.ID
	by := firstFrom(m)
	switch c.Verb {
	case command.Status:
		return o, e.status(ctx, st, m, r)
	case command.Extend:
		if r.State != store.StateOpen {
			return o, e.commandReply(ctx, st, m, r, "EXTEND "+r.ID+": not done", "The round is "+r.State.String()+"; only an open round can be extended.")
		}
		d, err := command.ParseExtension(c.Arg, r.Deadline)
		if err == nil && !d.After(st.now) {
			err = fmt.Errorf("%s is already past; to close the round now, write \"CLOSE %s\"", d.Format("2 January 2006, 15:04 MST"), r.ID)
		}
		if err != nil {
			return o, e.commandReply(ctx, st, m, r, "EXTEND "+r.ID+": not understood", err.Error()+`. Write for example "EXTEND `+r.ID+` 48h".`)
		}
		old := r.Deadline
		r.Deadline = d
		if err := store.UpdateRound(ctx, st.tx, r); err != nil {
			return o, err
		}
		if err := e.rescheduleReminders(ctx, st, r); err != nil {
			return o, err
		}
		if err := event(ctx, st, r.ID, "%s extended the deadline from %s to %s", by, old.Format(time.RFC3339), d.Format(time.RFC3339)); err != nil {
			return o, err
		}
		return o, e.commandReply(ctx, st, m, r, "Deadline of "+r.ID+" extended", "The new deadline is "+d.Format("Monday 2 January 2006, 15:04 MST")+".")
	case command.Close:
		if r.State != store.StateOpen {
			return o, e.commandReply(ctx, st, m, r, "CLOSE "+r.ID+": already closed", "The round is "+r.State.String()+".")
		}
		if err := event(ctx, st, r.ID, "%s closed the round", by); err != nil {
			return o, err
		}
		return o, e.close(ctx, st, r, "closed by "+by, nil)
	case command.Cancel:
		if r.State == store.StateSent || r.State == store.StateCancelled {
			return o, e.commandReply(ctx, st, m, r, "CANCEL "+r.ID+": too late", "The round is "+r.State.String()+"; nothing to stop.")
		}
		r.State, r.ClosedAt = store.StateCancelled, st.now
		if err := store.UpdateRound(ctx, st.tx, r); err != nil {
			return o, err
		}
		if err := event(ctx, st, r.ID, "%s cancelled the round; nothing will be sent to the inviter", by); err != nil {
			return o, err
		}
		return o, e.commandReply(ctx, st, m, r, "Round "+r.ID+" cancelled", "Nothing will be sent to the inviter. Members' answers stay recorded.")
	case command.Approve:
		return o, e.approve(ctx, st, m, r, c)
	}
	return o, e.help(ctx, st, m, c)
}

// roundOfDraft finds the round whose draft this message replies to.
func (e *Engine) roundOfDraft(ctx context.Context, st *step, m *mimeparse.Message) (*store.Round, error) {
	ids := append(append([]string{}, m.InReplyTo...), m.References...)
	r, err := store.RoundByDraft(ctx, st.tx, ids)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	if id := command.SubjectRoundID(m.Subject); id != "" {
		r, err := store.GetRound(ctx, st.tx, id)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return r, err
		}
	}
	return nil, nil
}

// approve sends the draft, an edited text, or the coordinators' decision on an undecided round.
func (e *Engine) approve(ctx context.Context, st *step, m *mimeparse.Message, r *store.Round, c command.Command) error {
	by := firstFrom(m)
	switch r.State {
	case store.StateDraft:
		return e.approveDraft(ctx, st, m, r, c)
	case store.StateUndecided:
		outcome := store.Outcome(strings.ToLower(c.Arg))
		if outcome != store.Accept && outcome != store.Decline {
			return e.commandReply(ctx, st, m, r, "APPROVE "+r.ID+": which answer?",
				"The round closed without a decision. Write \"APPROVE "+r.ID+" DECLINE\" or \"APPROVE "+r.ID+" ACCEPT\" to decide, or \"CANCEL "+r.ID+"\".")
		}
		if err := event(ctx, st, r.ID, "%s decided: %s", by, outcome); err != nil {
			return err
		}
		ps, err := store.Participants(ctx, st.tx, r.ID)
		if err != nil {
			return err
		}
		return e.conclude(ctx, st, r, outcome, "decided by "+by, ps)
	default:
		return e.commandReply(ctx, st, m, r, "APPROVE "+r.ID+": nothing to approve", "The round is "+r.State.String()+".")
	}
}

// commandReply answers a coordinator in the thread of their command.
func (e *Engine) commandReply(ctx context.Context, st *step, m *mimeparse.Message, r *store.Round, title, text string) error {
	if ok, err := e.allow(ctx, st, reaction{kind: "command", sender: firstFrom(m), roundID: r.ID, in: m}); err != nil || !ok {
		return err
	}
	return e.tell(ctx, st, note{kind: store.MailCommandReply, to: e.replyTargets(m), roundID: r.ID, title: title, text: text,
		inReplyTo: m.MessageID, refs: threadRefs(m)})
}

// replyTargets answers the coordinator who wrote, or all coordinators if unknown.
func (e *Engine) replyTargets(m *mimeparse.Message) []sender.Address {
	if p := e.Cfg.Coordinator(firstFrom(m)); p != nil {
		return []sender.Address{{Name: p.Name, Addr: p.Email}}
	}
	return e.coordinators()
}

func (e *Engine) help(ctx context.Context, st *step, m *mimeparse.Message, c command.Command) error {
	if ok, err := e.allow(ctx, st, reaction{kind: "command", sender: firstFrom(m), in: m}); err != nil || !ok {
		return err
	}
	open, err := store.ListRounds(ctx, st.tx, store.StateOpen, store.StateDraft, store.StateUndecided)
	if err != nil {
		return err
	}
	var lines []string
	for _, r := range open {
		lines = append(lines, fmt.Sprintf("%s (%s): %s — deadline %s", r.ID, r.State, r.Title, r.Deadline.Format("2 Jan 15:04 MST")))
	}
	text := "Commands, one per message, in the subject or on the first line:\n" +
		"  STATUS ROUND-ID        the answers so far and who has not answered\n" +
		"  EXTEND ROUND-ID 48h    move the deadline (or a date: 2026-12-02)\n" +
		"  CLOSE ROUND-ID         close now and draft the joint text\n" +
		"  CANCEL ROUND-ID        stop the round; nothing is sent to the inviter\n" +
		"  APPROVE ROUND-ID       send the draft statement (or reply APPROVE to the draft)\n" +
		"  APPROVE ROUND-ID DECLINE|ACCEPT   decide a round that closed without a decision\n"
	title := "Commands"
	if c.Verb != command.Help {
		if c.RoundID == "" {
			title = c.Verb.String() + ": which round?"
		} else {
			title = c.Verb.String() + ": no round " + c.RoundID
		}
	}
	if len(lines) > 0 {
		text += "\nRounds in progress:"
	} else {
		text += "\nThere is no round in progress."
	}
	return e.tell(ctx, st, note{kind: store.MailHelp, to: e.replyTargets(m), title: title, text: text, lines: lines,
		inReplyTo: m.MessageID, refs: threadRefs(m)})
}

// status answers STATUS with the tally so far.
func (e *Engine) status(ctx context.Context, st *step, m *mimeparse.Message, r *store.Round) error {
	if ok, err := e.allow(ctx, st, reaction{kind: "command", sender: firstFrom(m), roundID: r.ID, in: m}); err != nil || !ok {
		return err
	}
	ps, err := store.Participants(ctx, st.tx, r.ID)
	if err != nil {
		return err
	}
	t := statement.Count(e.policy(), members(ps))
	var lines []string
	var missing []string
	for _, p := range ps {
		if p.Answered() {
			lines = append(lines, fmt.Sprintf("%s: %s, sign %s, %d concerns, %d recommendations (%s)", p.Name,
				strings.ToUpper(p.Position), signText(p.Sign), len(p.Concerns), len(p.Recommendations), p.AnsweredAt.Format("2 Jan 15:04")))
		} else {
			missing = append(missing, p.Name)
		}
	}
	for _, n := range missing {
		lines = append(lines, n+": no answer yet")
	}
	text := fmt.Sprintf("Round %s (%s): %s\nDeadline: %s\n%s.", r.ID, r.State, r.Title,
		r.Deadline.Format("Monday 2 January 2006, 15:04 MST"), t.Reason)
	if r.State == store.StateOpen && t.Outcome != "" {
		text += " If it closed now, the answer would be: " + strings.ToUpper(t.Outcome) + "."
	}
	return e.tell(ctx, st, note{kind: store.MailStatus, to: e.replyTargets(m), roundID: r.ID, title: "Status", text: text,
		lines: lines, inReplyTo: m.MessageID, refs: threadRefs(m)})
}

// rescheduleReminders lets the reminders before a moved deadline go out again:
// each silent member's count becomes what is due under the new deadline.
func (e *Engine) rescheduleReminders(ctx context.Context, st *step, r *store.Round) error {
	ps, err := store.Participants(ctx, st.tx, r.ID)
	if err != nil {
		return err
	}
	due := dueReminders(e.reminderOffsets(), r, st.now)
	for _, p := range ps {
		if p.Answered() || p.RemindersSent == due {
			continue
		}
		p.RemindersSent = due
		if err := store.UpdateParticipant(ctx, st.tx, p); err != nil {
			return err
		}
	}
	return nil
}
