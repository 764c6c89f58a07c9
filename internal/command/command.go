// Package command reads coordinators' instructions by mail: STATUS, EXTEND,
// CLOSE, CANCEL, APPROVE (or an edited statement between the draft's marker
// lines), HELP and CONFIRM, in English and Arabic. It only reads; what a
// command does to a round is internal/round's.
package command

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"consultd/internal/clientmail"
	"consultd/internal/mimeparse"
	"consultd/internal/reply"
)

// Verb is what a command asks for.
type Verb string

// The verbs.
const (
	Status  Verb = "STATUS"
	Close   Verb = "CLOSE"
	Extend  Verb = "EXTEND"
	Cancel  Verb = "CANCEL"
	Approve Verb = "APPROVE"
	Help    Verb = "HELP"
)

func (v Verb) String() string { return string(v) }

// Destructive reports whether v changes a round. STATUS and HELP only answer
// the coordinator's configured address and need no confirmation.
func (v Verb) Destructive() bool {
	switch v {
	case Close, Cancel, Approve, Extend:
		return true
	}
	return false
}

// Command is a coordinator's instruction by mail.
type Command struct {
	Verb    Verb   `json:"verb"`
	RoundID string `json:"round_id,omitempty"` // may be empty: then the round is found from the thread
	Arg     string `json:"arg,omitempty"`      // EXTEND's duration or date; APPROVE's ACCEPT/DECLINE
	Edited  string `json:"edited,omitempty"`   // a statement text edited between the markers
	// Explicit is false when APPROVE is only inferred from marker lines.
	Explicit bool `json:"-"`
}

// verbs maps every word a coordinator may write to its verb.
var verbs = map[string]Verb{"STATUS": Status, "CLOSE": Close, "EXTEND": Extend, "CANCEL": Cancel,
	"APPROVE": Approve, "DECIDE": Approve, "HELP": Help,
	"الحالة": Status, "إغلاق": Close, "تمديد": Extend, "إلغاء": Cancel, "موافقة": Approve}

var roundIDRe = regexp.MustCompile(`^\d{4}-\d{2,}$`)

// Statement markers in the draft sent to coordinators; text between them in a
// reply is taken as the edited statement.
const (
	BeginMarker = "----- BEGIN STATEMENT -----"
	EndMarker   = "----- END STATEMENT -----"
)

// Parse reads a command from the subject (after Re:/Fwd: prefixes and a
// [Consultation ID] tag) or from the first line of the new text.
func Parse(m *mimeparse.Message) (Command, bool) {
	c, ok := parseVerb(m)
	// A verb written on top wins over marker lines, which may only be the
	// draft quoted without ">" (Outlook): "CANCEL" above it must not send it.
	if edited, found := EditedStatement(m.Text); found && (!ok || c.Verb == Approve) {
		if c.RoundID == "" {
			c.RoundID = SubjectRoundID(m.Subject)
		}
		return Command{Verb: Approve, Edited: edited, RoundID: c.RoundID, Explicit: ok}, true
	}
	return c, ok
}

func parseVerb(m *mimeparse.Message) (Command, bool) {
	var lines []string
	// A reply's subject was written earlier, often by consultd itself
	// ("[Consultation X] Status"): only a new message's subject is a command,
	// or every answer to a command reply (an auto-responder's too) repeats it.
	if !clientmail.HasReplyPrefix(m.Subject) {
		lines = append(lines, StripSubject(m.Subject))
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
				c.RoundID = SubjectRoundID(m.Subject)
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
		case c.Arg == "" && v == Extend && extensionArg(w):
			c.Arg = w
		case c.Arg == "" && v == Approve && (strings.EqualFold(w, "accept") || strings.EqualFold(w, "decline")):
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

// SubjectRoundID returns the round named by a subject's [Consultation ID] tag, or "".
func SubjectRoundID(s string) string {
	if mm := tagRe.FindStringSubmatch(s); mm != nil {
		return mm[1]
	}
	return ""
}

var tagPrefixRe = regexp.MustCompile(`^\s*\[Consultation \d{4}-\d{2,}\]\s*`)

// StripSubject removes reply and forward prefixes (clientmail's table, in
// every language: "Re:", "AW:", "WG:", "رد:") and our [Consultation ID] tag,
// in any order they pile up.
func StripSubject(s string) string {
	for i := 0; i < 10; i++ {
		t := tagPrefixRe.ReplaceAllString(clientmail.StripSubjectPrefixes(s), "")
		if t == s {
			break
		}
		s = t
	}
	return s
}

// EditedStatement returns the text between the statement markers on lines the
// coordinator wrote (not quoted with ">").
func EditedStatement(body string) (string, bool) {
	text := Between(body, BeginMarker, EndMarker)
	return text, text != ""
}

// Between is the text between two marker lines the coordinator wrote (not
// quoted with ">"), or "".
func Between(body, begin, end string) string {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	start := -1
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, ">"):
		case t == begin:
			start = i
		case t == end && start >= 0:
			return strings.TrimSpace(strings.Join(lines[start+1:i], "\n"))
		}
	}
	return ""
}

// ParseExtension reads "48h", "2d", "90m" (added to the deadline) or an absolute date.
func ParseExtension(arg string, deadline time.Time) (time.Time, error) {
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

// confirmWords are accepted as the first word of a confirmation reply.
var confirmWords = map[string]bool{"CONFIRM": true, "CONFIRMED": true, "تأكيد": true, "أؤكد": true}

// IsConfirmation reports whether the new text of m starts with CONFIRM.
func IsConfirmation(m *mimeparse.Message) bool {
	for _, l := range strings.Split(reply.Trim(m.Text), "\n") {
		f := strings.Fields(strings.Trim(strings.TrimSpace(l), "*_ "))
		if len(f) == 0 {
			continue
		}
		return len(f) <= 4 && confirmWords[strings.ToUpper(strings.Trim(f[0], "*_.,:;!"))]
	}
	return false
}
