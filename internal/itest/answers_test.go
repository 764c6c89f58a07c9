package itest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"consultd/internal/demo/story"
	"consultd/internal/mailstack"
)

// TestHoldingReplyThenAnInlineAnswer: a member first writes that it will
// discuss the invitation with its board (not counted; it is told we wait,
// and until when), then answers inline in the consultation it received, as
// mutt quotes it: ABSTAIN under the quoted instructions, a concern under the
// quoted "Concerns:" heading, "yes" under the quoted "Sign:" line.
func TestHoldingReplyThenAnInlineAnswer(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria", "The Day After (TDA)"}, nil, "")
	w.trustCoordinator()
	w.Start()
	m1 := w.members[0].emails[0]
	id := func(s string) string { return fmt.Sprintf("%s.%d@%s.mua.test", s, seq.Add(1), w.prefix) }

	w.sendAndWait(w.coord, []string{w.coalition}, w.vouch(story.Forward("Rania", w.coord, w.coalition, time.Now())))
	r := w.rounds()[0].ID
	c := w.consultation(m1, r)

	w.sendAndWait(m1, []string{c.ReplyTo}, plainMail(m1, c.ReplyTo, "Re: "+c.Subject, id("hold"), c.MessageID,
		"Thanks, I will discuss this with our board and come back to you.\n\nHiba"))
	notes := w.inbox(m1, "INBOX", "Re: [Consultation "+r+"]", 1)
	if !strings.Contains(notes[0].Text, "waiting for your organisation's position") || !strings.Contains(notes[0].Text, "Answers close on") {
		t.Errorf("the holding reply's note does not say we wait and until when:\n%s", notes[0].Text)
	}
	if strings.Contains(notes[0].Text, "could not tell") {
		t.Errorf("the holding reply got the 'answer clearly' text:\n%s", notes[0].Text)
	}
	if p := w.participant(r, "m1"); p.Answered() || p.AnswersCount != 0 {
		t.Fatalf("the holding reply was counted: %s after %d answers", p.Position, p.AnswersCount)
	}

	// The inline answer, written into the consultation as received.
	var b strings.Builder
	b.WriteString("On " + c.Date.Format("Mon, Jan 02, 2006 at 03:04:05PM MST") + ", Coalition wrote:\n")
	for _, line := range strings.Split(strings.TrimRight(c.Body, "\n"), "\n") {
		b.WriteString(strings.TrimRight("> "+line, " ") + "\n")
		switch strings.TrimSpace(line) {
		case "ABSTAIN  - your organisation takes no position":
			b.WriteString("\nABSTAIN\n\n")
		case "2. ...":
			b.WriteString("\n1. Victims' associations were not consulted on the agenda.\n\n")
		case `Sign: yes    (or "Sign: no": whether your organisation signs the joint text)`:
			b.WriteString("\nyes\n\n")
		}
	}
	w.sendAndWait(m1, []string{c.ReplyTo}, plainMail(m1, c.ReplyTo, "Re: "+c.Subject, id("inline"), c.MessageID, b.String()))
	p := w.participant(r, "m1")
	if p.Position != "abstain" || p.Sign == nil || !*p.Sign || p.AnswersCount != 1 {
		t.Fatalf("inline answer recorded as %q sign %v after %d answers, want abstain, signing, 1", p.Position, p.Sign, p.AnswersCount)
	}
	if len(p.Concerns) != 1 || p.Concerns[0] != "Victims' associations were not consulted on the agenda." {
		t.Errorf("concerns %q, want the line written under the quoted Concerns heading", p.Concerns)
	}
	repeated := false
	for _, m := range w.inbox(m1, "INBOX", "Re: [Consultation "+r+"]", 2) {
		repeated = repeated || strings.Contains(m.Text, "Victims' associations were not consulted")
	}
	if !repeated {
		t.Errorf("no receipt to the member repeats the concern it wrote inline")
	}
}
