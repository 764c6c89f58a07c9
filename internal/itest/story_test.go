package itest

import (
	"strings"
	"testing"
	"time"

	"consultd/internal/demo"
	"consultd/internal/demo/story"
	"consultd/internal/mailstack"
	"consultd/internal/mimeparse"
)

var seedIDs = []string{"alkawakibi", "sednaya", "baytna", "sjac", "scm", "sla", "stj", "tda", "vdc"}
var seedNames = []string{
	"AlKawakbi Center For Transitional Justice and Human Rights",
	"Association of Detainees and The Missing in Sednaya Prison",
	"Baytna Syria",
	"Syria Justice and Accountability Center (SJAC)",
	"Syrian Center for Media and Freedom of Expression (SCM)",
	"Syrian Lawyers Aggregation SLA",
	"Syrians for Truth and Justice (STJ)",
	"The Day After (TDA)",
	"Violations Documentation Center (VDC)",
}
var seedLangs = []string{"ar", "ar", "en", "en", "ar", "en", "en", "en", "en"}

// TestSeedStoryThroughDovecotAndPostfix walks the seed's story by email from
// the forwarded invitation to the statement in the inviter's mailbox.
func TestSeedStoryThroughDovecotAndPostfix(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorldIDs(t, ms, seedIDs, seedNames, seedLangs, "", "sednaya")
	w.Start()
	contact := map[string]string{}
	for _, m := range w.members {
		contact[m.id] = m.emails[0]
	}

	// 1. The coordinator forwards the invitation as an attachment, with a Deadline: directive.
	// Nothing authenticates it, so consultd asks Rania first; she replies CONFIRM.
	w.send(w.coord, []string{w.coalition}, story.ForwardAttached("Rania", w.coord, w.coalition, w.inviter, time.Now()))
	w.confirm(1)
	opened := w.inbox(w.coord, "INBOX", "Round opened", 1)[0]
	if !strings.Contains(opened.Text, "<"+story.InviteID+">") || !strings.Contains(opened.Text, "from your Deadline: line") {
		t.Errorf("the coordinator's note lacks the invitation's Message-ID or the deadline's source:\n%s", opened.Text)
	}
	cons := map[string]story.Consultation{}
	for _, m := range w.members {
		cons[m.id] = demo.ParseConsultation(rawOf(t, w, m.emails[0]))
	}
	roundID := w.rounds()[0].ID

	// 2a. Sednaya's second contact does not exist: Postfix bounces the
	// consultation with a DSN. consultd marks it, tells the coordinators, and
	// never answers the bounce.
	bounced := "board@" + w.prefix + ".bounce.test"
	w.inbox(w.coord, "INBOX", "Undeliverable contact", 1)
	w.waitFor("the bounced contact to be marked undeliverable", func() bool {
		for _, p := range w.participants(roundID) {
			if p.MemberID == "sednaya" && contains(p.Undeliverable, bounced) {
				return true
			}
		}
		return false
	})

	// 2. A forged answer: SJAC's address, no token. It must change nothing.
	forged := "From: SJAC <" + contact["sjac"] + ">\r\nTo: <" + w.coalition + ">\r\nSubject: Re: " + cons["sjac"].Subject +
		"\r\nMessage-ID: <forged-1@" + w.prefix + ".evil.test>\r\nContent-Type: text/plain\r\n\r\nACCEPT\r\nSign: yes\r\n"
	w.send(contact["sjac"], []string{w.coalition}, []byte(forged))
	w.inbox(w.coalition, "Needs-Review", "Re: ", 1)
	w.inbox(w.coord, "INBOX", "without a reply token", 1)
	for _, p := range w.participants(roundID) {
		if p.MemberID == "sjac" && p.Answered() {
			t.Fatalf("the forged answer was counted for SJAC: %+v", p)
		}
	}

	// 3. The members answer; consultd is restarted half way.
	answers := story.Answers(cons, contact, time.Now())
	for i, r := range answers {
		if i == len(answers)/2 {
			w.waitFor("the first half of the answers to be handled", func() bool { return answered(w, roundID) >= 4 })
			w.Stop()
			w.Start()
		}
		if i == len(answers)-1 {
			// The last answer closes the round at once (close_when_all_answered);
			// Postfix delivers in parallel, so let STJ's correction land first.
			w.inbox(contact["stj"], "INBOX", "Re: [Consultation ", 2)
		}
		w.send(r.From, []string{cons[r.Member].ReplyTo}, r.Raw)
	}

	// 4. Every member answered: exactly one statement in the inviter's mailbox, threaded.
	stmts := w.inbox(w.inviter, "INBOX", "Re: "+story.InviteSubject, 1)
	w.Stop()
	restarted := time.Now()
	w.Start() // a restart after sending must not send it again
	w.waitFor("a sync after the last restart", func() bool { return w.d.Status().LastSync.After(restarted) })
	settled := []string{w.inviter, w.coord}
	for _, m := range w.members {
		settled = append(settled, m.emails[0])
	}
	w.settle(roundID, settled...)
	if n := w.count(w.inviter, "INBOX", "Re: "+story.InviteSubject); n != 1 {
		t.Fatalf("the inviter received %d statements, want exactly 1", n)
	}
	s := stmts[0]
	if len(s.InReplyTo) != 1 || s.InReplyTo[0] != story.InviteID || !contains(s.References, story.InviteID) {
		t.Errorf("statement not threaded to the invitation: In-Reply-To %v References %v", s.InReplyTo, s.References)
	}
	t.Logf("The statement the inviter received:\nSubject: %s\n\n%s", s.Subject, s.Text)
	for _, name := range seedNames {
		if !strings.Contains(s.Text, "– "+name) {
			t.Errorf("signatory %q missing", name)
		}
	}
	if got := strings.Count(s.Text, "\n– "); got != len(seedNames) {
		t.Errorf("%d signatories, want exactly %d", got, len(seedNames))
	}
	for _, want := range []string{
		"were not fully reflected in the periodic briefings",
		"chosen in a manner that is not systematic",
		"no prior consultation with the organisations",
		"do not have sufficient knowledge",
		"Prior involvement of civil society organisations in identifying the topics",
		"developing frameworks and discussion points",
		"assignment of people who are specialised",
		"full inclusion of the results",
		"press conference",
	} {
		if n := strings.Count(strings.ToLower(s.Text), strings.ToLower(want)); n != 1 {
			t.Errorf("%q appears %d times in the statement, want once", want, n)
		}
	}
	// Copies went to the coordinator and every member.
	w.inbox(w.coord, "INBOX", "Re: "+story.InviteSubject, 1)
	for _, m := range w.members {
		w.inbox(m.emails[0], "INBOX", "Re: "+story.InviteSubject, 1)
	}

	// 5. Receipts: one per counted answer; the out-of-office got none.
	want := map[string]int{"stj": 2, "scm": 1}
	for _, m := range w.members {
		n := want[m.id]
		if n == 0 {
			n = 1
		}
		if got := w.count(m.emails[0], "INBOX", "Re: [Consultation "); got != n {
			t.Errorf("%s received %d receipts, want %d", m.id, got, n)
		}
	}
	// Nothing was ever sent to the bounce's sender, and the dead contact got no copy.
	for _, o := range w.outbox(roundID) {
		for _, r := range o.Recipients {
			if strings.Contains(strings.ToLower(r), "mailer-daemon") || (r == bounced && o.Kind != "consultation") {
				t.Errorf("%s sent to %s", o.Kind, r)
			}
		}
	}
	// Every member's recorded answer is its own DECLINE (the forged ACCEPT was checked above).
	for _, p := range w.participants(roundID) {
		if p.Position != "decline" {
			t.Errorf("%s recorded as %q, want decline", p.MemberID, p.Position)
		}
	}
}

func answered(w *world, roundID string) int {
	n := 0
	for _, p := range w.participants(roundID) {
		if p.Answered() {
			n++
		}
	}
	return n
}

func rawOf(t *testing.T, w *world, user string) []byte {
	t.Helper()
	w.inbox(user, "INBOX", "[Consultation ", 1)
	for _, raw := range w.ms.Messages(t, user, pass, "INBOX") {
		if m, _ := mimeparse.Parse(raw); m != nil && strings.HasPrefix(m.Subject, "[Consultation ") {
			return raw
		}
	}
	t.Fatalf("no consultation for %s", user)
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
