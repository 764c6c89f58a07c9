package round

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"consultd/internal/render"
	"consultd/internal/store"
)

// forgedVote is mail in a member's name that carries no reply token.
func forgedVote(from string, i int) []byte {
	return []byte(fmt.Sprintf("From: <%s>\r\nTo: <coalition@coal.example>\r\nSubject: Re: consultation\r\n"+
		"Message-ID: <forged-%d@evil.example>\r\nDate: Fri, 20 Nov 2026 10:00:00 +0000\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nACCEPT\r\n", from, i))
}

// seenNotes returns the disposition and note of every handled message of a kind.
func seenNotes(t *testing.T, h *harness, kind string) (map[string]int, []string) {
	t.Helper()
	rows, err := h.e.Store.DB().QueryContext(h.ctx, `SELECT disposition, note FROM seen WHERE kind=?`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	disp := map[string]int{}
	var notes []string
	for rows.Next() {
		var d, n string
		if err := rows.Scan(&d, &n); err != nil {
			t.Fatal(err)
		}
		disp[d]++
		notes = append(notes, n)
	}
	return disp, notes
}

func (h *harness) tick() {
	h.t.Helper()
	if err := h.e.Tick(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

func TestAFloodOfForgedVotesBringsOneNoticeAndOneDigestAnHour(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	start := h.now
	for i := 0; i < 500; i++ {
		if d := h.handle(forgedVote("info@sjac.example", i)); d != store.Review {
			t.Fatalf("forged vote %d went to %s, want review", i, d)
		}
		if i%10 == 9 { // 50 minutes of flood, the clock ticking through it
			h.now = h.now.Add(time.Minute)
			h.tick()
		}
	}
	if p := participant(t, h, r.ID, "sjac"); p.Answered() {
		t.Fatalf("a forged vote was counted: %+v", p)
	}
	if n := len(h.outbox("notice")); n != 1 {
		t.Fatalf("%d notices for 500 forged messages in 50 minutes, want 1", n)
	}
	digests := h.outbox("digest")
	if len(digests) != 1 {
		t.Fatalf("%d digests within the hour, want 1", len(digests))
	}
	disp, notes := seenNotes(t, h, "reply")
	if disp["review"] != 500 {
		t.Fatalf("dispositions %v: every forged message must be recorded in review", disp)
	}
	limited := 0
	for _, n := range notes {
		if strings.Contains(n, "no untokened sent") {
			limited++
		}
	}
	if limited != 499 {
		t.Errorf("%d messages say in their note that no notice was sent, want 499", limited)
	}
	// An hour after the first digest the rest is summed up, once; together
	// the digests account for every message that was not answered.
	h.now = start.Add(2 * time.Hour)
	h.tick()
	h.tick()
	digests = h.outbox("digest")
	if len(digests) != 2 {
		t.Fatalf("%d digests after two hours, want 2", len(digests))
	}
	total := 0
	for _, d := range digests {
		var n int
		if _, err := fmt.Sscanf(d.Subject, "%d more messages like this were not answered", &n); err != nil {
			t.Fatalf("digest subject %q: %v", d.Subject, err)
		}
		total += n
		if !strings.Contains(d.Text, "info@sjac.example without a reply token") || !strings.Contains(d.Text, "Needs-Review") {
			t.Errorf("the digest does not say whose mail was not answered or where it is:\n%s", d.Text)
		}
		if recipients(d) != "rania@coal.example" {
			t.Errorf("digest went to %s", recipients(d))
		}
	}
	if total != 499 {
		t.Errorf("the digests report %d messages not answered, want 499", total)
	}
}

func TestAFloodOfRepliesWithAValidTokenGetsBoundedReceiptsAndEveryAnswerIsRecorded(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	for i := 0; i < 200; i++ {
		h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", []string{"ACCEPT", "DECLINE"}[i%2], 1000+i))
	}
	if n := len(h.outbox("receipt")); n != maxReceiptsPerHour {
		t.Fatalf("%d receipts for 200 answers in an hour, want %d", n, maxReceiptsPerHour)
	}
	if p := participant(t, h, r.ID, "baytna"); p.AnswersCount != 200 || p.Position != "decline" {
		t.Fatalf("answers not all recorded or not the latest: %d, %s", p.AnswersCount, p.Position)
	}
	// The same token from ever new addresses: the per-sender limit never
	// bites, the per-round one does.
	for i := 0; i < 200; i++ {
		h.handle(answerMail(cons["info@sjac.example"], fmt.Sprintf("x%d@rotating.example", i), "ACCEPT", 2000+i))
	}
	perRound := h.e.limits().perRound
	if n := len(h.outbox("receipt")); n != perRound {
		t.Fatalf("%d receipts in the round in an hour, want the per-round limit %d", n, perRound)
	}
	if p := participant(t, h, r.ID, "sjac"); p.AnswersCount != 200 {
		t.Fatalf("%d answers recorded for SJAC, want 200", p.AnswersCount)
	}
	h.tick()
	if d := h.outbox("digest"); len(d) != 1 || !strings.Contains(d[0].Text, "receipts for answers from info@baytna.example in round "+r.ID) {
		t.Fatalf("no digest of the receipts not sent: %+v", d)
	}
}

func TestReactionLimitsSurviveARestart(t *testing.T) {
	h := newHarness(t, false)
	h.open()
	for i := 0; i < 5; i++ {
		h.handle(forgedVote("info@sjac.example", i))
	}
	h.tick()
	if n, d := len(h.outbox("notice")), len(h.outbox("digest")); n != 1 || d != 1 {
		t.Fatalf("before the restart: %d notices, %d digests, want 1 and 1", n, d)
	}
	// A new process over the same database.
	if err := h.e.Store.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(h.ctx, h.cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rd, err := render.New("")
	if err != nil {
		t.Fatal(err)
	}
	h.e = New(h.cfg, st, rd, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.e.Now = func() time.Time { return h.now }
	h.now = h.now.Add(30 * time.Minute)
	for i := 5; i < 10; i++ {
		h.handle(forgedVote("info@sjac.example", i))
	}
	h.tick()
	if n, d := len(h.outbox("notice")), len(h.outbox("digest")); n != 1 || d != 1 {
		t.Fatalf("after the restart: %d notices, %d digests, want still 1 and 1", n, d)
	}
}

func TestANewHourAllowsANoticeAgain(t *testing.T) {
	h := newHarness(t, false)
	h.open()
	h.handle(forgedVote("info@sjac.example", 1))
	h.now = h.now.Add(59 * time.Minute)
	h.handle(forgedVote("info@sjac.example", 2))
	if n := len(h.outbox("notice")); n != 1 {
		t.Fatalf("%d notices within the hour, want 1", n)
	}
	h.now = h.now.Add(2 * time.Minute) // 61 minutes after the first notice
	h.handle(forgedVote("info@sjac.example", 3))
	if n := len(h.outbox("notice")); n != 2 {
		t.Fatalf("%d notices after an hour, want 2", n)
	}
}

func TestNoticesToCoordinatorsAreCappedOverallAcrossSenders(t *testing.T) {
	var members strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&members, "  - {id: m%d, name: \"Member %d\", emails: [info@m%d.example], language: en}\n", i, i, i)
	}
	h := newHarnessWith(t, false, "members:\n", "members:\n"+members.String())
	for i := 0; i < 30; i++ {
		h.handle(forgedVote(fmt.Sprintf("info@m%d.example", i), i))
	}
	if n := len(h.outbox("notice")); n != maxCoordinatorNotices {
		t.Fatalf("%d notices for forged mail from 30 member addresses, want the cap %d", n, maxCoordinatorNotices)
	}
	h.tick()
	if d := h.outbox("digest"); len(d) != 1 || !strings.Contains(d[0].Subject, "10 more messages") {
		t.Fatalf("want one digest of the 10 not answered, got %+v", d)
	}
}

func TestAnAutoResponderAnsweringTheDigestGetsNothing(t *testing.T) {
	h := newHarness(t, false)
	h.handle(coordMail("Rania <rania@coal.example>", "Thanks!", "thanks-1@coal.example", "", "Thanks, all good.\n"))
	h.handle(coordMail("Rania <rania@coal.example>", "Thanks again", "thanks-2@coal.example", "", "Thanks.\n"))
	h.tick()
	ds := h.outbox("digest")
	if len(ds) != 1 {
		t.Fatalf("%d digests, want 1", len(ds))
	}
	// Rania's naive auto-responder answers the digest for two hours.
	for i := 0; i < 12; i++ {
		h.now = h.now.Add(10 * time.Minute)
		h.handle(coordMail("Rania <rania@coal.example>", "Re: "+ds[0].Subject, fmt.Sprintf("ooo-%d@coal.example", i), ds[0].MessageID,
			"Thank you for your email. I am travelling with limited access to email until 30 November.\n"))
		h.tick()
	}
	if n, d := len(h.outbox("notice")), len(h.outbox("digest")); n != 1 || d != 1 {
		t.Fatalf("answering the digest brought %d notices and %d digests, want the first 1 and 1", n, d)
	}
	_, notes := seenNotes(t, h, "unknown")
	if last := notes[len(notes)-1]; !strings.Contains(last, "it answers a digest") {
		t.Errorf("the reply to the digest is not recorded with why it was not answered: %q", last)
	}
}

func TestACommandInReplyToTheDigestIsStillAnswered(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	h.handle(forgedVote("info@sjac.example", 1))
	h.handle(forgedVote("info@sjac.example", 2))
	h.tick()
	ds := h.outbox("digest")
	if len(ds) != 1 {
		t.Fatalf("%d digests, want 1", len(ds))
	}
	h.handle(coordMail("Rania <rania@coal.example>", "Re: "+ds[0].Subject, "st-1@coal.example", ds[0].MessageID, "STATUS "+r.ID+"\n"))
	if n := len(h.outbox("status")); n != 1 {
		t.Fatalf("a coordinator's STATUS in reply to the digest got %d replies, want 1", n)
	}
}
