package round

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/internal/classify"
	"consultd/internal/command"
	"consultd/internal/config"
	"consultd/internal/demo/story"
	"consultd/internal/mimeparse"
	"consultd/internal/render"
	"consultd/internal/sender"
	"consultd/internal/store"
)

const testConfig = `
coalition: {name: "Test Coalition", address: coalition@coal.example}
imap: {host: 127.0.0.1, port: 1143, security: none, username: coalition@coal.example, password: x}
smtp: {host: 127.0.0.1, port: 1025, security: none}
database: ./test.db
publish_dir: ./published
coordinators:
  - {name: Rania, email: rania@coal.example}
members:
  - {id: baytna, name: "Baytna Syria", emails: [info@baytna.example, backup@baytna.example], language: en}
  - {id: sjac, name: "Syria Justice and Accountability Center (SJAC)", emails: [info@sjac.example], language: en}
  - {id: kawakibi, name: "AlKawakbi Center", emails: [info@kawakibi.example], language: ar}
policy: {consultation_period: 72h, reminders_before: [24h, 6h], quorum: 0.5, decision: majority,
         on_no_quorum: decline, close_when_all_answered: true, require_approval: POLICY_APPROVAL,
         coordinator_confirmation: never}
`

// testConfig trusts coordinators by From: (coordinator_confirmation: never)
// because most tests are about the workflow after intake; confirm_test.go
// runs with the default (confirmationPolicy) and tests the trust itself.
const confirmationPolicy = "coordinator_confirmation: never"

type harness struct {
	t   testing.TB
	e   *Engine
	now time.Time
	cfg *config.Config
	ctx context.Context
}

func newHarness(t *testing.T, requireApproval bool) *harness {
	t.Helper()
	return newHarnessYAML(t, requireApproval, "")
}

// newHarnessYAML adds top-level configuration lines to testConfig.
func newHarnessYAML(t *testing.T, requireApproval bool, extra string) *harness {
	t.Helper()
	return newHarnessConfig(t, strings.Replace(testConfig, "POLICY_APPROVAL", fmt.Sprint(requireApproval), 1)+extra)
}

// newHarnessConfig is newHarness with the configuration y.
func newHarnessConfig(t testing.TB, y string) *harness {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r, err := render.New("")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, cfg: cfg, ctx: ctx, now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	h.e = New(cfg, st, r, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.e.Now = func() time.Time { return h.now }
	return h
}

var uid uint32

func (h *harness) handle(raw []byte) store.Disposition {
	h.t.Helper()
	uid++
	d, err := h.e.Handle(h.ctx, Incoming{Raw: raw, Mailbox: "INBOX", UIDValidity: 1, UID: uid})
	if err != nil {
		h.t.Fatalf("handle: %v", err)
	}
	return d
}

// outbox returns queued mails of a kind, decoded.
func (h *harness) outbox(kind store.MailKind) []sender.Mail {
	h.t.Helper()
	rows, err := store.DueOutbox(h.ctx, h.e.Store.DB(), h.now.Add(1000*time.Hour), 10000)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []sender.Mail
	for _, r := range rows {
		if r.Kind != kind {
			continue
		}
		var m sender.Mail
		if err := json.Unmarshal(r.Payload, &m); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func (h *harness) open() (*store.Round, map[string]story.Consultation) {
	h.t.Helper()
	if d := h.handle(story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now)); d != store.Processed {
		h.t.Fatalf("forward from coordinator went to %s", d)
	}
	rounds, _ := store.ListRounds(h.ctx, h.e.Store.DB())
	if len(rounds) != 1 {
		h.t.Fatalf("want 1 round, got %d", len(rounds))
	}
	cons := map[string]story.Consultation{}
	for _, m := range h.outbox("consultation") {
		c := story.Consultation{MessageID: m.MessageID, Subject: m.Subject, Body: m.Text, Date: m.Date}
		if m.ReplyTo != nil {
			c.ReplyTo = m.ReplyTo.Addr
		}
		for _, a := range m.To {
			cons[a.Addr] = c
		}
	}
	return rounds[0], cons
}

func participant(t *testing.T, h *harness, roundID, member string) *store.Participant {
	t.Helper()
	ps, err := store.Participants(h.ctx, h.e.Store.DB(), roundID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.MemberID == member {
			return p
		}
	}
	t.Fatalf("no participant %s", member)
	return nil
}

func answerMail(c story.Consultation, from, text string, n int) []byte {
	return []byte(fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: Re: %s\r\nMessage-ID: <reply-%d-%s>\r\nIn-Reply-To: <%s>\r\nReferences: <%s>\r\nDate: Fri, 20 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n\r\nOn Fri, Nov 20, 2026 at 9:00 AM Test Coalition <%s> wrote:\r\n> earlier text\r\n",
		from, c.ReplyTo, c.Subject, n, from, c.MessageID, c.MessageID, strings.ReplaceAll(text, "\n", "\r\n"), c.ReplyTo))
}

func TestForwardFromCoordinatorOpensRoundAndConsultsEveryMember(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	if r.InviterAddress != story.InviterAddress || r.OrigSubject != story.InviteSubject {
		t.Errorf("round inviter/subject = %q/%q", r.InviterAddress, r.OrigSubject)
	}
	consults := h.outbox("consultation")
	if len(consults) != 3 {
		t.Fatalf("want 3 consultations (one per member), got %d", len(consults))
	}
	tokens := map[string]bool{}
	for _, m := range consults {
		if !strings.HasPrefix(m.Subject, "[Consultation "+r.ID+"] ") || !strings.Contains(m.Subject, story.InviteSubject) {
			t.Errorf("subject %q lacks the round tag and original subject", m.Subject)
		}
		if m.ReplyTo == nil || !strings.HasPrefix(m.ReplyTo.Addr, "coalition+") || !strings.HasSuffix(m.ReplyTo.Addr, "@coal.example") {
			t.Fatalf("Reply-To %+v is not a plus address", m.ReplyTo)
		}
		tok := strings.TrimSuffix(strings.TrimPrefix(m.ReplyTo.Addr, "coalition+"), "@coal.example")
		if len(tok) < 20 || tokens[tok] || !strings.Contains(m.MessageID, tok) {
			t.Errorf("token %q: too short, reused, or not in Message-ID %q", tok, m.MessageID)
		}
		tokens[tok] = true
		if !strings.Contains(m.Text, "Please confirm your participation by 24 November") {
			t.Errorf("consultation does not carry the original text")
		}
	}
	// The Arabic member gets Arabic.
	c := cons["info@kawakibi.example"]
	if !strings.Contains(c.Body, "طريقة الرد") {
		t.Errorf("Arabic member's consultation is not in Arabic:\n%s", c.Body)
	}
	opened := h.outbox("opened")
	if len(opened) != 1 || len(opened[0].To) != 1 || opened[0].To[0].Addr != "rania@coal.example" {
		t.Fatalf("coordinators were not told the round opened: %+v", opened)
	}
	if got := opened[0].Text; !strings.Contains(got, "Members asked: 3") {
		t.Errorf("opened note lacks the member count:\n%s", got)
	}
}

func TestForwardFromStrangerNeverOpensARound(t *testing.T) {
	h := newHarness(t, false)
	if d := h.handle(story.Forward("Mallory", "mallory@evil.example", "coalition@coal.example", h.now)); d != store.Review {
		t.Fatalf("stranger's forward went to %s, want review", d)
	}
	rounds, _ := store.ListRounds(h.ctx, h.e.Store.DB())
	if len(rounds) != 0 || len(h.outbox("consultation")) != 0 {
		t.Fatalf("a stranger opened a round")
	}
}

func TestTheSameMessageTwiceChangesNothing(t *testing.T) {
	h := newHarness(t, false)
	raw := story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now)
	h.handle(raw)
	h.handle(raw)
	rounds, _ := store.ListRounds(h.ctx, h.e.Store.DB())
	if len(rounds) != 1 || len(h.outbox("consultation")) != 3 {
		t.Fatalf("replay opened %d rounds, %d consultations", len(rounds), len(h.outbox("consultation")))
	}
}

func TestReplyIsCountedForTheTokensMemberAndReceipted(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE\n\nConcerns:\n1. Too little notice.\n\nRecommendations:\n1. Consult us earlier.\n\nSign: yes", 1))
	p := participant(t, h, r.ID, "baytna")
	if p.Position != "decline" || len(p.Concerns) != 1 || len(p.Recommendations) != 1 || p.Sign == nil || !*p.Sign {
		t.Fatalf("recorded %+v", p)
	}
	rs := h.outbox("receipt")
	if len(rs) != 1 {
		t.Fatalf("want 1 receipt, got %d", len(rs))
	}
	if !strings.HasPrefix(rs[0].Subject, "Re: ") || rs[0].InReplyTo != "reply-1-info@baytna.example" ||
		!strings.Contains(rs[0].Text, "Consult us earlier") {
		t.Errorf("receipt not threaded or incomplete: %+v", rs[0])
	}
}

func TestForgedReplyWithoutTokenChangesNothing(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	c := cons["info@sjac.example"]
	c.ReplyTo, c.MessageID = "coalition@coal.example", "someone-else@gmail.com" // no token anywhere
	if d := h.handle(answerMail(c, "info@sjac.example", "ACCEPT", 2)); d != store.Review {
		t.Fatalf("forged reply went to %s", d)
	}
	if p := participant(t, h, r.ID, "sjac"); p.Answered() {
		t.Fatalf("forged reply was counted: %+v", p)
	}
	if len(h.outbox("notice")) == 0 {
		t.Errorf("coordinators were not told about the untokened member mail")
	}
}

func TestTokenFromUnexpectedAddressCountsAndReceiptGoesToBoth(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	h.handle(answerMail(cons["info@sjac.example"], "director@sjac-personal.example", "ACCEPT", 3))
	if p := participant(t, h, r.ID, "sjac"); p.Position != "accept" {
		t.Fatalf("answer from unexpected address not counted for the token's member: %+v", p)
	}
	rs := h.outbox("receipt")
	if len(rs) != 1 {
		t.Fatalf("want 1 receipt, got %d", len(rs))
	}
	var to []string
	for _, a := range rs[0].To {
		to = append(to, a.Addr)
	}
	if !strings.Contains(strings.Join(to, ","), "info@sjac.example") || !strings.Contains(strings.Join(to, ","), "director@sjac-personal.example") {
		t.Errorf("receipt went to %v, want both addresses", to)
	}
}

func TestAutoReplyIsNeitherCountedNorAnswered(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	raw := answerMail(cons["info@baytna.example"], "info@baytna.example", "I am out of the office until Monday. ACCEPT", 4)
	raw = []byte(strings.Replace(string(raw), "Subject: Re:", "Auto-Submitted: auto-replied\r\nSubject: Automatic reply: Re:", 1))
	h.handle(raw)
	if p := participant(t, h, r.ID, "baytna"); p.Answered() {
		t.Fatalf("auto-reply was counted")
	}
	if len(h.outbox("receipt"))+len(h.outbox("unclear")) != 0 {
		t.Fatalf("auto-reply was answered")
	}
}

func TestUnclearReplyAsksOncePerHour(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	for i := 0; i < 5; i++ {
		h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "Could you send us the agenda first?", 10+i))
	}
	if p := participant(t, h, r.ID, "baytna"); p.Answered() {
		t.Fatalf("unclear reply was counted")
	}
	if n := len(h.outbox("unclear")); n != 1 {
		t.Fatalf("sent %d 'please answer clearly' replies in an hour, want 1", n)
	}
	h.now = h.now.Add(61 * time.Minute)
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "Still thinking.", 20))
	if n := len(h.outbox("unclear")); n != 2 {
		t.Fatalf("after an hour, want a second request, got %d total", n)
	}
}

// TestHoldingReplyIsAnsweredWithTheDeadlineAndNotCounted: "we will discuss it
// with our board" is a reply without a position. The member is told we wait
// for their answer and until when (not asked to "answer clearly"), once an
// hour at most; nothing is counted until the real answer, which is.
func TestHoldingReplyIsAnsweredWithTheDeadlineAndNotCounted(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	c := cons["info@baytna.example"]
	h.handle(answerMail(c, "info@baytna.example", "Thanks, I will discuss this with our board and come back to you.", 40))
	h.handle(answerMail(c, "info@baytna.example", "Sorry, one more thing: we still need a few days.", 41))
	if p := participant(t, h, r.ID, "baytna"); p.Answered() {
		t.Fatalf("a holding reply was counted: %+v", p)
	}
	if n := len(h.outbox("unclear")); n != 0 {
		t.Errorf("a holding reply got %d 'please answer clearly' notes", n)
	}
	notes := h.outbox("holding")
	if len(notes) != 1 {
		t.Fatalf("want 1 holding note in the hour, got %d", len(notes))
	}
	deadline := r.Deadline.Format("2 January 2006")
	if !strings.Contains(notes[0].Text, "waiting for your organisation's position") || !strings.Contains(notes[0].Text, deadline) {
		t.Errorf("holding note does not say we wait and until %s:\n%s", deadline, notes[0].Text)
	}
	if got := recipients(notes[0]); !strings.Contains(got, "info@baytna.example") {
		t.Errorf("holding note went to %q, not to the member who wrote", got)
	}
	h.handle(answerMail(c, "info@baytna.example", "Our board met: count us in. Sign: yes", 42))
	p := participant(t, h, r.ID, "baytna")
	if p.Position != "accept" || p.Sign == nil || !*p.Sign || p.AnswersCount != 1 {
		t.Fatalf("the real answer after a holding reply: position %q sign %v answers %d, want accept, yes, 1",
			p.Position, ptrBool(p.Sign), p.AnswersCount)
	}
	if n := len(h.outbox("receipt")); n != 1 {
		t.Errorf("want a receipt for the real answer, got %d", n)
	}
}

func ptrBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func TestAllAnsweredClosesAndSendsTheStatementOnceWithTheRightSignatories(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE\nConcerns:\n1. Invitations come too late.\nRecommendations:\n1. Consult us on the topics.", 30))
	h.handle(answerMail(cons["info@sjac.example"], "info@sjac.example", "We decline.\nRecommendations:\n- consult us on the topics!\nSign: no", 31))
	if rs, _ := store.GetRound(h.ctx, h.e.Store.DB(), r.ID); rs.State != store.StateOpen {
		t.Fatalf("closed before everyone answered")
	}
	h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "ACCEPT\nSign: yes", 32))
	got, _ := store.GetRound(h.ctx, h.e.Store.DB(), r.ID)
	if got.State != store.StateSent || got.Outcome != "decline" {
		t.Fatalf("round is %s/%s, want sent/decline", got.State, got.Outcome)
	}
	st := h.outbox("statement")
	if len(st) != 1 {
		t.Fatalf("want exactly one statement, got %d", len(st))
	}
	s := st[0]
	// An inline forward carries no original Message-ID: nothing to thread to
	// (TestAForwardedAttachmentThreadsTheStatement checks the other case).
	if s.To[0].Addr != story.InviterAddress || s.InReplyTo != "" || s.Subject != "Re: "+story.InviteSubject {
		t.Errorf("statement addressed/threaded wrongly: to %v, in-reply-to %q, subject %q", s.To, s.InReplyTo, s.Subject)
	}
	// Baytna declined (signs by default); SJAC declined but said Sign: no; AlKawakbi accepted but said Sign: yes.
	if !strings.Contains(s.Text, "– Baytna Syria") || strings.Contains(s.Text, "– Syria Justice") || !strings.Contains(s.Text, "– AlKawakbi Center") {
		t.Errorf("wrong signatories:\n%s", s.Text)
	}
	if strings.Count(strings.ToLower(s.Text), "consult us on the topics") != 1 {
		t.Errorf("the same recommendation made twice was not merged:\n%s", s.Text)
	}
	// Replaying the last reply sends nothing more.
	h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "ACCEPT\nSign: yes", 32))
	if len(h.outbox("statement")) != 1 {
		t.Fatalf("statement queued twice")
	}
	for _, ext := range []string{".md", ".html"} {
		if _, err := os.Stat(filepath.Join(h.cfg.PublishDir, r.ID+ext)); err != nil {
			t.Errorf("not published as %s: %v", ext, err)
		}
	}
}

func TestRemindersOnlyToSilentMembersAndOnlyOncePerOffset(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "ACCEPT", 40))
	h.now = r.Deadline.Add(-23 * time.Hour)
	h.e.Tick(h.ctx)
	h.e.Tick(h.ctx)
	rem := h.outbox("reminder")
	if len(rem) != 2 {
		t.Fatalf("want 2 reminders (sjac, kawakibi), got %d", len(rem))
	}
	for _, m := range rem {
		if m.To[0].Addr == "info@baytna.example" {
			t.Errorf("reminded a member who answered")
		}
		if m.To[0].Addr == "info@kawakibi.example" && !strings.HasPrefix(m.Subject, "تذكير") {
			t.Errorf("Arabic member's reminder is not Arabic: %q", m.Subject)
		}
	}
	h.now = r.Deadline.Add(-5 * time.Hour)
	h.e.Tick(h.ctx)
	if n := len(h.outbox("reminder")); n != 4 {
		t.Fatalf("after the 6h offset want 4 reminders in all, got %d", n)
	}
	h.now = r.Deadline.Add(time.Minute)
	h.e.Tick(h.ctx)
	got, _ := store.GetRound(h.ctx, h.e.Store.DB(), r.ID)
	if got.State == store.StateOpen {
		t.Fatalf("round still open after the deadline")
	}
}

func TestApprovalFlowWithEditedText(t *testing.T) {
	h := newHarness(t, true)
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE", 50))
	h.handle(answerMail(cons["info@sjac.example"], "info@sjac.example", "DECLINE", 51))
	h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "DECLINE", 52))
	if len(h.outbox("statement")) != 0 || len(h.outbox("draft")) != 1 {
		t.Fatalf("with require_approval the draft must go to coordinators first")
	}
	d := h.outbox("draft")[0]
	reply := func(d sender.Mail, id, text string) {
		h.handle([]byte(fmt.Sprintf("From: Rania <rania@coal.example>\r\nTo: <coalition@coal.example>\r\nSubject: Re: %s\r\nMessage-ID: <%s@coal.example>\r\nIn-Reply-To: <%s>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
			d.Subject, id, d.MessageID, strings.ReplaceAll(text, "\n", "\r\n"))))
	}
	signers := "– Baytna Syria\n– Syria Justice and Accountability Center (SJAC)\n– AlKawakbi Center"
	// Dropping an organisation that agreed to sign is refused, with the reason.
	reply(d, "edit-0", "Here is my version.\n\n"+command.BeginMarker+"\nOur edited statement\n\nWe decline, with thanks.\n\n– Baytna Syria\n"+command.EndMarker)
	refusal := h.outbox("command-reply")
	if len(h.outbox("statement")) != 0 || len(refusal) != 1 || !strings.Contains(refusal[0].Text, "leaves out organisations that agreed to sign: Syria Justice and Accountability Center (SJAC), AlKawakbi Center") {
		t.Fatalf("an edit that drops signatories was not refused clearly: %d statements, replies %+v", len(h.outbox("statement")), refusal)
	}
	reply(d, "edit-1", "Here is my version.\n\n"+command.BeginMarker+"\nOur edited statement\n\nWe decline, with thanks.\n\n"+signers+"\n"+command.EndMarker)
	if len(h.outbox("statement")) != 0 {
		t.Fatalf("with require_approval an edited text went out before the coordinators saw what it changed")
	}
	drafts := h.outbox("draft")
	if len(drafts) != 2 || !strings.Contains(drafts[1].Text, "+ We decline, with thanks.") || !strings.Contains(drafts[1].Text, "- The signatory organisations to this statement thank") {
		t.Fatalf("no second draft with the diff: %d drafts\n%s", len(drafts), drafts[len(drafts)-1].Text)
	}
	reply(drafts[1], "approve-1", "APPROVE")
	st := h.outbox("statement")
	if len(st) != 1 || !strings.Contains(st[0].Text, "We decline, with thanks.") {
		t.Fatalf("edited statement not sent: %+v", st)
	}
	got, _ := store.GetRound(h.ctx, h.e.Store.DB(), r.ID)
	if got.State != store.StateSent {
		t.Fatalf("state %s", got.State)
	}
}

func TestCoordinatorCommands(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	cmd := func(n int, subject string) {
		h.handle([]byte(fmt.Sprintf("From: Rania <rania@coal.example>\r\nTo: <coalition@coal.example>\r\nSubject: %s\r\nMessage-ID: <cmd-%d@coal.example>\r\nContent-Type: text/plain\r\n\r\n\r\n", subject, n)))
	}
	cmd(1, "STATUS "+r.ID)
	if s := h.outbox("status"); len(s) != 1 || !strings.Contains(s[0].Text, "no answer yet") {
		t.Fatalf("STATUS reply missing or incomplete: %+v", s)
	}
	cmd(2, "EXTEND "+r.ID+" 48h")
	got, _ := store.GetRound(h.ctx, h.e.Store.DB(), r.ID)
	if !got.Deadline.Equal(r.Deadline.Add(48 * time.Hour)) {
		t.Fatalf("EXTEND: deadline %s, want %s", got.Deadline, r.Deadline.Add(48*time.Hour))
	}
	cmd(3, "CLOSE 2099-99")
	if len(h.outbox("help")) != 1 {
		t.Fatalf("unknown round did not get a help reply")
	}
	cmd(4, "CANCEL "+r.ID)
	got, _ = store.GetRound(h.ctx, h.e.Store.DB(), r.ID)
	if got.State != store.StateCancelled {
		t.Fatalf("CANCEL: state %s", got.State)
	}
	h.now = got.Deadline.Add(time.Hour)
	h.e.Tick(h.ctx)
	if len(h.outbox("statement")) != 0 {
		t.Fatalf("a cancelled round sent a statement")
	}
}

func TestTheSameInvitationForwardedByAnotherCoordinatorOpensNoSecondRound(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	second := []byte(strings.Replace(string(story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now.Add(10*time.Minute))),
		"Message-ID: <CAJfwd-", "Message-ID: <CAJfwd-second-", 1))
	h.handle(second)
	rounds, _ := store.ListRounds(h.ctx, h.e.Store.DB())
	if len(rounds) != 1 || len(h.outbox("consultation")) != 3 {
		t.Fatalf("a second forward of the same invitation opened %d rounds, %d consultations", len(rounds), len(h.outbox("consultation")))
	}
	found := false
	for _, n := range h.outbox("notice") {
		if strings.Contains(n.Subject, "Already in round "+r.ID) {
			found = true
		}
	}
	if !found {
		t.Errorf("the coordinator was not told the invitation is already in round %s", r.ID)
	}
}

func TestReceiptCapIsPerSenderSoEveryMemberGetsItsReceipt(t *testing.T) {
	h := newHarness(t, false)
	_, cons := h.open()
	for i := 0; i < 12; i++ {
		h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "ACCEPT", 100+i))
	}
	h.handle(answerMail(cons["info@sjac.example"], "info@sjac.example", "DECLINE", 200))
	got := map[string]int{}
	for _, m := range h.outbox("receipt") {
		got[m.To[0].Addr]++
	}
	if got["info@baytna.example"] != maxReceiptsPerHour || got["info@sjac.example"] != 1 {
		t.Fatalf("receipts per member = %v; want %d for the busy one and 1 for SJAC", got, maxReceiptsPerHour)
	}
}

func TestExtendLetsRemindersGoOutBeforeTheNewDeadline(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	h.now = r.Deadline.Add(-5 * time.Hour) // both reminders (24h, 6h) are due: one goes out per member
	h.e.Tick(h.ctx)
	before := len(h.outbox("reminder"))
	h.handle([]byte("From: Rania <rania@coal.example>\r\nTo: <coalition@coal.example>\r\nSubject: EXTEND " + r.ID +
		" 3d\r\nMessage-ID: <ext-1@coal.example>\r\nContent-Type: text/plain\r\n\r\n\r\n"))
	h.now = r.Deadline.Add(72*time.Hour - 23*time.Hour) // 23h before the new deadline
	h.e.Tick(h.ctx)
	if after := len(h.outbox("reminder")); after != before+3 {
		t.Fatalf("after EXTEND, %d new reminders before the new deadline, want 3 (one per silent member)", after-before)
	}
}

func TestForgedCoordinatorMailOpensNothingWhenTheServerDidNotAuthenticateIt(t *testing.T) {
	h := newHarness(t, false)
	h.e.Cfg.Authentication.AuthservID = "mx.coal.example"
	fwd := func(n int, authres string) []byte {
		raw := string(story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now.Add(time.Duration(n)*time.Minute)))
		if authres != "" {
			raw = "Authentication-Results: " + authres + "\r\n" + raw
		}
		return []byte(raw)
	}
	cases := []struct {
		name, authres string
		opens         bool
	}{
		{"no Authentication-Results", "", false},
		{"the sender's own header claims a pass", "mx.evil.example; dmarc=pass header.from=coal.example", false},
		{"our server says dmarc=fail", "mx.coal.example; spf=fail smtp.mailfrom=coal.example; dkim=none; dmarc=fail (p=reject) header.from=coal.example", false},
		{"dkim pass for another domain", "mx.coal.example; dkim=pass header.d=evil.example; dmarc=fail header.from=coal.example", false},
		{"our server says dmarc=pass", "mx.coal.example;\r\n dkim=pass header.i=@coal.example header.s=s1;\r\n spf=pass smtp.mailfrom=coal.example;\r\n dmarc=pass (p=QUARANTINE) header.from=coal.example", true},
	}
	for i, c := range cases {
		d := h.handle(fwd(i, c.authres))
		rounds, _ := store.ListRounds(h.ctx, h.e.Store.DB())
		if got := len(rounds) == 1; got != c.opens {
			t.Fatalf("%s: round opened = %v, want %v", c.name, got, c.opens)
		}
		if !c.opens && d != store.Review {
			t.Errorf("%s: went to %s, want review", c.name, d)
		}
	}
	if n := len(h.outbox("notice")); n != 1 {
		t.Errorf("coordinators got %d 'unverified' notices for 4 forged messages within an hour, want 1", n)
	}
}

func TestANewConsultationToTheSameInviterRecallsEarlierOutcomesAndRecommendations(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE\nRecommendations:\n1. Consult us on the topics.", 300))
	h.handle(answerMail(cons["info@sjac.example"], "info@sjac.example", "DECLINE\nRecommendations:\n- consult us on the topics!", 301))
	h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "DECLINE", 302))
	if got, _ := store.GetRound(h.ctx, h.e.Store.DB(), r.ID); got.State != store.StateSent {
		t.Fatalf("first round is %s, want sent", got.State)
	}
	h.now = h.now.Add(30 * 24 * time.Hour)
	second := []byte(strings.NewReplacer("Message-ID: <CAJfwd-", "Message-ID: <CAJfwd-next-",
		"Subject: Fwd: "+story.InviteSubject, "Subject: Fwd: Invitation: the next CSSR meeting").Replace(
		string(story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now))))
	h.handle(second)
	var body string
	for _, m := range h.outbox("consultation") {
		if !strings.HasPrefix(m.Subject, "[Consultation "+r.ID+"]") && m.To[0].Addr == "info@baytna.example" {
			body = m.Text
		}
	}
	if body == "" {
		t.Fatalf("no second consultation for Baytna")
	}
	if !strings.Contains(body, r.ID) || !strings.Contains(body, "declined") {
		t.Errorf("the new consultation does not recall round %s and its outcome:\n%s", r.ID, body)
	}
	if n := strings.Count(strings.ToLower(body), "consult us on the topics"); n != 1 {
		t.Errorf("the earlier recommendation appears %d times, want once (merged):\n%s", n, body)
	}
}

func TestInspectSaysWhatTheEngineWouldDoWithAForgedCoordinatorForward(t *testing.T) {
	h := newHarness(t, false)
	h.e.Cfg.Authentication.AuthservID = "mx.coal.example"
	m, _ := mimeparse.Parse(story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now))
	u := classify.Understand(h.ctx, m, h.e.Cfg, h.e.Store.DB(), nil, h.now)
	if !strings.Contains(strings.Join(u.Notes, " "), "did not authenticate") {
		t.Fatalf("inspect does not say the forward would be refused: %+v", u.Notes)
	}
	if d := h.handle(story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now)); d != store.Review {
		t.Fatalf("the engine sent it to %s, want review", d)
	}
}

func TestAForwardedAttachmentThreadsTheStatement(t *testing.T) {
	h := newHarness(t, false)
	h.handle(story.ForwardAttached("Rania", "rania@coal.example", "coalition@coal.example", story.InviterAddress, h.now))
	var cons []story.Consultation
	for _, m := range h.outbox("consultation") {
		cons = append(cons, story.Consultation{MessageID: m.MessageID, Subject: m.Subject, ReplyTo: m.ReplyTo.Addr})
	}
	for i, c := range cons {
		h.handle(answerMail(c, "x@example.org", "DECLINE", 400+i))
	}
	st := h.outbox("statement")
	if len(st) != 1 || st[0].InReplyTo != story.InviteID || len(st[0].References) != 1 || st[0].References[0] != story.InviteID {
		t.Fatalf("statement not threaded to the invitation %s: %+v", story.InviteID, st)
	}
}

func TestUnreadableMailGoesToReviewAndIsNeverAnswered(t *testing.T) {
	h := newHarness(t, false)
	cases := map[string][]byte{
		"binary":          {0x89, 'P', 'N', 'G', 0, 0, 0, 0x0d, 0xff, 0xfe},
		"empty":           {},
		"headers only":    []byte("Subject: hello\r\n"),
		"no from, a body": []byte("To: coalition@coal.example\r\nSubject: ?\r\n\r\nDECLINE\r\n"),
	}
	for name, raw := range cases {
		for i := 0; i < 2; i++ { // a replay goes where the first one went
			if d := h.handle(raw); d != store.Review {
				t.Errorf("%s (try %d): went to %s, want review", name, i+1, d)
			}
		}
	}
	rows, _ := store.DueOutbox(h.ctx, h.e.Store.DB(), h.now.Add(time.Hour), 100)
	if len(rows) != 0 {
		t.Fatalf("unreadable mail was answered: %d message(s) queued", len(rows))
	}
}
