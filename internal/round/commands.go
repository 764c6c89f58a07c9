package round

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"consultd/internal/mimeparse"
	"consultd/internal/reply"
	"consultd/internal/sender"
	"consultd/internal/statement"
	"consultd/internal/store"
)

// Command is a coordinator's instruction by mail.
type Command struct {
	Verb    string `json:"verb"`               // STATUS | CLOSE | EXTEND | CANCEL | APPROVE | HELP
	RoundID string `json:"round_id,omitempty"` // may be empty: then the round is found from the thread
	Arg     string `json:"arg,omitempty"`      // EXTEND's duration or date; APPROVE's ACCEPT/DECLINE
	Edited  string `json:"edited,omitempty"`   // a statement text edited between the markers
	// Explicit is false when APPROVE is only inferred from marker lines.
	Explicit bool `json:"-"`
}

var verbs = map[string]string{"STATUS": "STATUS", "CLOSE": "CLOSE", "EXTEND": "EXTEND", "CANCEL": "CANCEL",
	"APPROVE": "APPROVE", "DECIDE": "APPROVE", "HELP": "HELP",
	"الحالة": "STATUS", "إغلاق": "CLOSE", "تمديد": "EXTEND", "إلغاء": "CANCEL", "موافقة": "APPROVE"}

var roundIDRe = regexp.MustCompile(`^\d{4}-\d{2,}$`)

// Statement markers in the draft sent to coordinators; text between them in a
// reply is taken as the edited statement.
const (
	BeginMarker = "----- BEGIN STATEMENT -----"
	EndMarker   = "----- END STATEMENT -----"
)

// ParseCommand reads a command from the subject (after Re:/Fwd: prefixes and a
// [Consultation ID] tag) or from the first line of the new text.
func ParseCommand(m *mimeparse.Message) (Command, bool) {
	c, ok := parseVerb(m)
	// A verb written on top wins over marker lines, which may only be the
	// draft quoted without ">" (Outlook): "CANCEL" above it must not send it.
	if edited, found := editedStatement(m.Text); found && (!ok || c.Verb == "APPROVE") {
		if c.RoundID == "" {
			c.RoundID = subjectRoundID(m.Subject)
		}
		return Command{Verb: "APPROVE", Edited: edited, RoundID: c.RoundID, Explicit: ok}, true
	}
	return c, ok
}

func parseVerb(m *mimeparse.Message) (Command, bool) {
	var lines []string
	// A reply's subject was written earlier, often by consultd itself
	// ("[Consultation X] Status"): only a new message's subject is a command,
	// or every answer to a command reply (an auto-responder's too) repeats it.
	if !replySubjectRe.MatchString(m.Subject) {
		lines = append(lines, stripSubject(m.Subject))
	}
	for _, l := range strings.Split(reply.Trim(m.Text), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append([]string{strings.TrimSpace(l)}, lines...) // the body's first line wins over the subject
			break
		}
	}
	for _, l := range lines {
		if c, ok := commandLine(l); ok {
			if c.RoundID == "" {
				c.RoundID = subjectRoundID(m.Subject)
			}
			return c, true
		}
	}
	return Command{}, false
}

// commandLine reads one line as a command when it names a round, or when every
// word after the verb is an argument the verb takes (EXTEND's duration or
// date, APPROVE's ACCEPT or DECLINE). "Close to finishing my review" or "Cancel
// that, I misread the date" are sentences, not commands.
func commandLine(l string) (Command, bool) {
	f := strings.Fields(strings.Trim(l, "*_ "))
	if len(f) == 0 || len(f) > 4 {
		return Command{}, false
	}
	v, ok := verbs[strings.ToUpper(strings.Trim(f[0], ":.,!"))]
	if !ok {
		return Command{}, false
	}
	c := Command{Verb: v, Explicit: true}
	var unknown []string
	for _, w := range f[1:] {
		w = strings.Trim(w, ".,:;!()[]")
		switch {
		case w == "":
		case c.RoundID == "" && roundIDRe.MatchString(w):
			c.RoundID = w
		case c.Arg == "" && v == "EXTEND" && extensionArg(w):
			c.Arg = w
		case c.Arg == "" && v == "APPROVE" && (strings.EqualFold(w, "accept") || strings.EqualFold(w, "decline")):
			c.Arg = w
		default:
			unknown = append(unknown, w)
		}
	}
	if len(unknown) > 0 {
		if c.RoundID == "" {
			return Command{}, false // a sentence that starts with a command word
		}
		if c.Arg == "" {
			c.Arg = unknown[0] // "EXTEND 2026-01 soon": meant as a command; the reply explains
		}
	}
	return c, true
}

var extensionRe = regexp.MustCompile(`(?i)^(\d+[dhm]|\d+h\d+m|\d{4}-\d{2}-\d{2}(t\d{2}:\d{2})?)$`)

func extensionArg(w string) bool { return extensionRe.MatchString(w) }

var tagRe = regexp.MustCompile(`\[Consultation (\d{4}-\d{2,})\]`)

func subjectRoundID(s string) string {
	if mm := tagRe.FindStringSubmatch(s); mm != nil {
		return mm[1]
	}
	return ""
}

var prefixRe = regexp.MustCompile(`(?i)^\s*((re|fwd?|aw|tr|wg|رد|إعادة توجيه)\s*:\s*|\[Consultation \d{4}-\d{2,}\]\s*)+`)

var replySubjectRe = regexp.MustCompile(`(?i)^\s*(re|aw|sv|antw|rif|رد)\s*:`)

func stripSubject(s string) string { return prefixRe.ReplaceAllString(s, "") }

// editedStatement returns the text between the statement markers on lines the
// coordinator wrote (not quoted with ">").
func editedStatement(body string) (string, bool) {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	start := -1
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, ">") {
			continue
		}
		if t == BeginMarker {
			start = i
		} else if t == EndMarker && start >= 0 {
			text := strings.TrimSpace(strings.Join(lines[start+1:i], "\n"))
			return text, text != ""
		}
	}
	return "", false
}

// handleCommand applies a coordinator's command and answers it.
func (e *Engine) handleCommand(ctx context.Context, st *step, m *mimeparse.Message, c Command) (outcome, error) {
	o := outcome{kind: "command", disp: Processed}
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
	if c.Verb == "HELP" || r == nil {
		note := "unknown round"
		if c.Verb == "HELP" {
			note = "help"
		}
		o.note = note
		return o, e.help(ctx, st, m, c)
	}
	o.roundID = r.ID
	o.note = c.Verb + " " + r.ID
	by := firstFrom(m)
	switch c.Verb {
	case "STATUS":
		return o, e.status(ctx, st, m, r)
	case "EXTEND":
		if r.State != store.StateOpen {
			return o, e.commandReply(ctx, st, m, r, "EXTEND "+r.ID+": not done", "The round is "+r.State+"; only an open round can be extended.")
		}
		d, err := parseExtension(c.Arg, r.Deadline)
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
	case "CLOSE":
		if r.State != store.StateOpen {
			return o, e.commandReply(ctx, st, m, r, "CLOSE "+r.ID+": already closed", "The round is "+r.State+".")
		}
		if err := event(ctx, st, r.ID, "%s closed the round", by); err != nil {
			return o, err
		}
		return o, e.close(ctx, st, r, "closed by "+by, nil)
	case "CANCEL":
		if r.State == store.StateSent || r.State == store.StateCancelled {
			return o, e.commandReply(ctx, st, m, r, "CANCEL "+r.ID+": too late", "The round is "+r.State+"; nothing to stop.")
		}
		r.State, r.ClosedAt = store.StateCancelled, st.now
		if err := store.UpdateRound(ctx, st.tx, r); err != nil {
			return o, err
		}
		if err := event(ctx, st, r.ID, "%s cancelled the round; nothing will be sent to the inviter", by); err != nil {
			return o, err
		}
		return o, e.commandReply(ctx, st, m, r, "Round "+r.ID+" cancelled", "Nothing will be sent to the inviter. Members' answers stay recorded.")
	case "APPROVE":
		return o, e.approve(ctx, st, m, r, c)
	}
	return o, e.help(ctx, st, m, c)
}

// roundOfDraft finds the round whose draft this message replies to.
func (e *Engine) roundOfDraft(ctx context.Context, st *step, m *mimeparse.Message) (*store.Round, error) {
	ids := append(append([]string{}, m.InReplyTo...), m.References...)
	rounds, err := store.ListRounds(ctx, st.tx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		for _, r := range rounds {
			if r.DraftMessageID != "" && strings.EqualFold(strings.Trim(id, "<>"), r.DraftMessageID) {
				return r, nil
			}
		}
	}
	if id := subjectRoundID(m.Subject); id != "" {
		r, err := store.GetRound(ctx, st.tx, id)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return r, err
		}
	}
	return nil, nil
}

// approve sends the draft, an edited text, or the coordinators' decision on an undecided round.
func (e *Engine) approve(ctx context.Context, st *step, m *mimeparse.Message, r *store.Round, c Command) error {
	by := firstFrom(m)
	switch r.State {
	case store.StateDraft:
		return e.approveDraft(ctx, st, m, r, c)
	case store.StateUndecided:
		outcome := strings.ToLower(c.Arg)
		if outcome != "accept" && outcome != "decline" {
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
		return e.commandReply(ctx, st, m, r, "APPROVE "+r.ID+": nothing to approve", "The round is "+r.State+".")
	}
}

// parseExtension reads "48h", "2d", "90m" (added to the deadline) or an absolute date.
func parseExtension(arg string, deadline time.Time) (time.Time, error) {
	arg = strings.ToLower(strings.TrimSpace(arg))
	if arg == "" {
		return time.Time{}, errors.New("no duration given")
	}
	if strings.HasSuffix(arg, "d") {
		if n, err := strconv.Atoi(strings.TrimSuffix(arg, "d")); err == nil && n > 0 {
			return deadline.Add(time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(arg); err == nil && d > 0 {
		return deadline.Add(d), nil
	}
	for _, layout := range []string{"2006-01-02t15:04", "2006-01-02"} { // arg is lower-cased
		if t, err := time.Parse(layout, arg); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a duration (48h, 2d) or a date (2026-12-02)", arg)
}

// commandReply answers a coordinator in the thread of their command.
func (e *Engine) commandReply(ctx context.Context, st *step, m *mimeparse.Message, r *store.Round, title, text string) error {
	if ok, err := e.allow(ctx, st, reaction{kind: "command", sender: firstFrom(m), roundID: r.ID, in: m}); err != nil || !ok {
		return err
	}
	return e.tell(ctx, st, note{kind: "command-reply", to: e.replyTargets(m), roundID: r.ID, title: title, text: text,
		inReplyTo: m.MessageID, refs: threadRefs(m)})
}

// replyTargets answers the coordinator who wrote, or all coordinators if unknown.
func (e *Engine) replyTargets(m *mimeparse.Message) []sender.Address {
	if p := e.Cfg.Coordinator(firstFrom(m)); p != nil {
		return []sender.Address{{Name: p.Name, Addr: p.Email}}
	}
	return e.coordinators()
}

func (e *Engine) help(ctx context.Context, st *step, m *mimeparse.Message, c Command) error {
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
	if c.Verb != "HELP" {
		if c.RoundID == "" {
			title = c.Verb + ": which round?"
		} else {
			title = c.Verb + ": no round " + c.RoundID
		}
	}
	if len(lines) > 0 {
		text += "\nRounds in progress:"
	} else {
		text += "\nThere is no round in progress."
	}
	return e.tell(ctx, st, note{kind: "help", to: e.replyTargets(m), title: title, text: text, lines: lines,
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
	return e.tell(ctx, st, note{kind: "status", to: e.replyTargets(m), roundID: r.ID, title: "Status", text: text,
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
