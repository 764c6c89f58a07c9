package itest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/internal/demo"
	"consultd/internal/demo/story"
	"consultd/internal/mailstack"
	"consultd/internal/mimeparse"
	"consultd/internal/store"
)

// Abuse suite, forged votes: mail that tries to change a vote, through the
// real Postfix and Dovecot, and an auto-responder that answers everything.

// query runs one COUNT-like query on consultd's database.
func (w *world) query(q string, args ...any) int {
	w.t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(w.dir, "consultd.db"))
	if err != nil {
		w.t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.DB().QueryRow(q, args...).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// sendAndWait sends one message and waits until consultd has handled it, so
// that the next one is read after it.
func (w *world) sendAndWait(from string, to []string, raw []byte) {
	w.t.Helper()
	m := msgIDHeader.FindSubmatch(raw)
	if m == nil {
		w.t.Fatal("sendAndWait needs a message with a Message-ID")
	}
	w.send(from, to, raw)
	// By its Message-ID: consultd's own proof copies are handled meanwhile too.
	w.waitFor("consultd to handle the message from "+from, func() bool {
		return w.query(`SELECT COUNT(*) FROM seen WHERE key=?`, string(m[1])) > 0
	})
}

// settleAll waits until nothing is pending or in flight in the whole outbox,
// then passes a marker through Postfix to each user (see settle).
func (w *world) settleAll(users ...string) {
	w.t.Helper()
	w.waitFor("consultd's whole outbox to be delivered", func() bool {
		return w.query(`SELECT COUNT(*) FROM outbox WHERE state IN ('pending','sending')`) == 0
	})
	w.passMarker(users...)
}

// consultation is the member's consultation of one round, from its mailbox.
func (w *world) consultation(user, roundID string) story.Consultation {
	w.t.Helper()
	tag := "[Consultation " + roundID + "] "
	w.inbox(user, "INBOX", tag, 1)
	for _, raw := range w.ms.Messages(w.t, user, pass, "INBOX") {
		if m, _ := mimeparse.Parse(raw); m != nil && strings.HasPrefix(m.Subject, tag) {
			return demo.ParseConsultation(raw)
		}
	}
	w.t.Fatalf("no consultation of %s for %s", roundID, user)
	return story.Consultation{}
}

func (w *world) participant(roundID, memberID string) *store.Participant {
	w.t.Helper()
	for _, p := range w.participants(roundID) {
		if p.MemberID == memberID {
			return p
		}
	}
	w.t.Fatalf("no participant %s in %s", memberID, roundID)
	return nil
}

func (w *world) roundState(id string) store.RoundState {
	for _, r := range w.rounds() {
		if r.ID == id {
			return r.State
		}
	}
	return ""
}

// plainMail is a member's plain-text message.
func plainMail(from, to, subject, msgID, inReplyTo, body string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n", from, to, subject, msgID,
		time.Now().Format(time.RFC1123Z))
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", inReplyTo, inReplyTo)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n") + "\r\n")
	return []byte(b.String())
}

func TestForgedVotesChangeNoVoteAndBringBoundedNotices(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria", "The Day After (TDA)", "Syrians for Truth and Justice (STJ)"}, nil, "")
	w.trustCoordinator() // proven by the server's header: this test is about members
	w.Start()
	m1, m2, m3 := w.members[0].emails[0], w.members[1].emails[0], w.members[2].emails[0]
	id := func(s string) string { return fmt.Sprintf("%s.%d@%s.mua.test", s, seq.Add(1), w.prefix) }

	// Round A: m1 answers, then the coordinator cancels the round.
	w.sendAndWait(w.coord, []string{w.coalition}, w.vouch(story.Forward("Rania", w.coord, w.coalition, time.Now())))
	a := w.rounds()[0].ID
	ca1 := w.consultation(m1, a)
	w.sendAndWait(m1, []string{ca1.ReplyTo}, plainMail(m1, ca1.ReplyTo, "Re: "+ca1.Subject, id("a1"), ca1.MessageID, "DECLINE"))
	w.sendAndWait(w.coord, []string{w.coalition}, w.vouch(plainMail(w.coord, w.coalition, "CANCEL "+a, id("cancel"), "", "")))
	if s := w.roundState(a); s != store.StateCancelled {
		t.Fatalf("round %s is %s after CANCEL", a, s)
	}
	// A cancelled round's token.
	w.sendAndWait(m1, []string{ca1.ReplyTo}, plainMail(m1, ca1.ReplyTo, "Re: "+ca1.Subject, id("a1-late"), ca1.MessageID, "ACCEPT"))

	// Round B: the same invitation again (A was cancelled).
	w.sendAndWait(w.coord, []string{w.coalition}, w.vouch(story.Forward("Rania", w.coord, w.coalition, time.Now())))
	var b string
	for _, r := range w.rounds() {
		if r.ID != a {
			b = r.ID
		}
	}
	if b == "" {
		t.Fatalf("the invitation forwarded again after CANCEL opened no round: %d rounds", len(w.rounds()))
	}
	cb1, cb2 := w.consultation(m1, b), w.consultation(m2, b)
	w.sendAndWait(m1, []string{cb1.ReplyTo}, plainMail(m1, cb1.ReplyTo, "Re: "+cb1.Subject, id("b1"), cb1.MessageID, "DECLINE"))
	// No token: m1's From:, addressed to the coalition, in no thread of ours.
	w.sendAndWait(m1, []string{w.coalition}, plainMail(m1, w.coalition, "Re: "+cb1.Subject, id("notoken"), "", "ACCEPT\nSign: yes"))
	// Another member's token: m2 writes to m1's reply address. The product's
	// rule (README, round/replies.go): a valid token counts for its member,
	// and the member's own contacts are told what was recorded.
	w.sendAndWait(m2, []string{cb1.ReplyTo}, plainMail(m2, cb1.ReplyTo, "Re: "+cb1.Subject, id("othertoken"), cb1.MessageID, "ABSTAIN"))
	// A made-up token in a plus address.
	madeUp := "coalition+" + strings.Repeat("ab", 13) + "@" + w.domain
	w.sendAndWait(m3, []string{madeUp}, plainMail(m3, madeUp, "Re: "+cb1.Subject, id("madeup"), "", "ACCEPT"))
	// A closed round's token.
	w.sendAndWait(w.coord, []string{w.coalition}, w.vouch(plainMail(w.coord, w.coalition, "CLOSE "+b, id("close"), "", "")))
	if s := w.roundState(b); s == store.StateOpen {
		t.Fatalf("round %s still open after CLOSE", b)
	}
	w.sendAndWait(m2, []string{cb2.ReplyTo}, plainMail(m2, cb2.ReplyTo, "Re: "+cb2.Subject, id("b2-late"), cb2.MessageID, "ACCEPT"))
	// And a flood of forged votes in m1's name.
	const flood = 30
	for i := 0; i < flood; i++ {
		w.send(m1, []string{w.coalition}, plainMail(m1, w.coalition, "Re: "+cb1.Subject, id(fmt.Sprintf("flood%d", i)), "", "ACCEPT"))
	}
	const review = 4 + flood // no token, made-up token, two late answers, the flood
	w.waitFor(fmt.Sprintf("%d messages in Needs-Review", review), func() bool { return w.count(w.coalition, "Needs-Review", "") >= review })
	w.inbox(w.coord, "INBOX", "more messages like this were not answered", 1)
	w.settleAll(w.coord, m1, m2, m3)

	// The store: only m1's own answers and the one with its token count.
	if p := w.participant(a, "m1"); p.Position != "decline" || p.AnswersCount != 1 {
		t.Errorf("round %s (cancelled): m1 %s after %d answers, want decline after 1", a, p.Position, p.AnswersCount)
	}
	if p := w.participant(b, "m1"); p.Position != "abstain" || p.AnswersCount != 2 || !strings.EqualFold(p.AnswerFrom, m2) {
		t.Errorf("round %s: m1 %s after %d answers (last from %s), want abstain after 2, the last from m2 with m1's token",
			b, p.Position, p.AnswersCount, p.AnswerFrom)
	}
	for _, r := range []string{a, b} {
		for _, m := range []string{"m2", "m3"} {
			if p := w.participant(r, m); p.Answered() || p.AnswersCount != 0 {
				t.Errorf("round %s: %s has %q after %d answers, but never answered with its own token", r, m, p.Position, p.AnswersCount)
			}
		}
	}
	if n := w.count(w.coalition, "Needs-Review", ""); n != review {
		t.Errorf("%d messages in Needs-Review, want %d", n, review)
	}
	// Everything is filed, consultd's own copies of what it sent included.
	w.waitFor("the coalition's INBOX to be empty", func() bool { return w.count(w.coalition, "INBOX", "") == 0 })

	// The members' mailboxes: receipts only for what was counted.
	for _, c := range []struct {
		user, round string
		want        int
	}{{m1, a, 1}, {m1, b, 2}, {m2, a, 0}, {m2, b, 1}, {m3, a, 0}, {m3, b, 0}} {
		if n := w.count(c.user, "INBOX", "Re: [Consultation "+c.round+"]"); n != c.want {
			t.Errorf("%s has %d receipts for round %s, want %d", c.user, n, c.round, c.want)
		}
	}
	for _, raw := range w.ms.Messages(t, m2, pass, "INBOX") {
		if m, _ := mimeparse.Parse(raw); m != nil && strings.HasPrefix(m.Subject, "Re: [Consultation "+b+"]") &&
			!strings.Contains(m.Text, "ABSTAIN") {
			t.Errorf("the receipt m2 got does not say what was recorded for m1:\n%s", m.Text)
		}
	}

	// The coordinator: one notice per forged sender, one per late answer, one digest.
	notices := map[string]int{"without a reply token": 2, "Late answer": 2, "more messages like this were not answered": 1}
	for subj, want := range notices {
		if n := w.count(w.coord, "INBOX", subj); n != want {
			t.Errorf("the coordinator got %d mails %q, want %d", n, subj, want)
		}
	}
	t.Logf("forged votes: %d messages in Needs-Review, %d mails to the coordinator in all, 0 votes changed by forgery",
		w.count(w.coalition, "Needs-Review", ""), w.count(w.coord, "INBOX", "")-1)
}

// TestAnAutoResponderWithoutRFC3834HeadersIsAnsweredBoundedly: a member and
// the coordinator have naive auto-responders (no Auto-Submitted, no
// Precedence, an ordinary subject) that answer every mail for a minute.
func TestAnAutoResponderWithoutRFC3834HeadersIsAnsweredBoundedly(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria", "The Day After (TDA)"}, nil, "")
	w.trustCoordinator() // proven by the server's header: this test is about members
	w.Start()
	responders := []string{w.members[1].emails[0], w.coord}
	w.send(w.coord, []string{w.coalition}, w.vouch(story.Forward("Rania", w.coord, w.coalition, time.Now())))

	const (
		runFor     = time.Minute
		maxAnswers = 300 // the responders' own bound
	)
	answered := map[string]bool{}
	got := map[string]int{} // consultd's mails per responder
	sent := 0
	deadline := time.Now().Add(runFor)
	for time.Now().Before(deadline) && sent < maxAnswers {
		for _, r := range responders {
			for _, raw := range w.ms.Messages(t, r, pass, "INBOX") {
				m, _ := mimeparse.Parse(raw)
				if m == nil || len(m.From) == 0 || !strings.EqualFold(m.From[0].Address, w.coalition) || answered[r+m.MessageID] {
					continue
				}
				answered[r+m.MessageID] = true
				got[r]++
				to := m.From[0].Address
				if len(m.ReplyTo) > 0 && sent%2 == 0 { // some reply to Reply-To, some to From:
					to = m.ReplyTo[0].Address
				}
				sent++
				w.send(r, []string{to}, plainMail(r, to, "Re: "+m.Subject, fmt.Sprintf("resp%d.%s", sent, r), m.MessageID,
					"Thank you for your message. It has been received and will be dealt with soon.\n\nKind regards"))
			}
		}
		time.Sleep(500 * time.Millisecond) // the responders poll their mailboxes
	}
	// Whatever consultd still had queued arrives; then count again.
	w.settleAll(responders...)
	for _, r := range responders {
		n := 0
		for _, raw := range w.ms.Messages(t, r, pass, "INBOX") {
			if m, _ := mimeparse.Parse(raw); m != nil && len(m.From) > 0 && strings.EqualFold(m.From[0].Address, w.coalition) {
				n++
			}
		}
		got[r] = n
	}
	member, coord := got[responders[0]], got[responders[1]]
	t.Logf("auto-responders answered %d mails in %s; consultd sent the member's responder %d mails and the coordinator's %d",
		sent, runFor, member, coord)
	// The member: its consultation and one request to answer clearly.
	if member > 2 {
		t.Errorf("consultd sent the member's auto-responder %d mails in a minute, want at most 2 (consultation, one 'please answer')", member)
	}
	// The coordinator: the round-opened note, one "no invitation" notice, at most one digest.
	if coord > 3 {
		t.Errorf("consultd sent the coordinator's auto-responder %d mails in a minute, want at most 3", coord)
	}
	if sent >= maxAnswers {
		t.Errorf("the responders hit their own bound of %d answers: a loop", maxAnswers)
	}
	if p := w.participant(w.rounds()[0].ID, "m2"); p.Answered() {
		t.Errorf("the auto-responder's mail was counted as an answer: %+v", p)
	}
}
