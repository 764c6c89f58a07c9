package round

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"consultd/internal/command"
	"consultd/internal/config"
	"consultd/internal/demo/story"
	"consultd/internal/mimeparse"
	"consultd/internal/render"
	"consultd/internal/sender"
	"consultd/internal/store"
	"consultd/internal/token"
)

// newHarnessWith is newHarness with edits to the test configuration (each
// old→new replacement must apply).
func newHarnessWith(t *testing.T, requireApproval bool, edits ...string) *harness {
	t.Helper()
	y := strings.Replace(testConfig, "POLICY_APPROVAL", fmt.Sprint(requireApproval), 1)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(y, edits[i]) {
			t.Fatalf("config edit %q does not apply", edits[i])
		}
		y = strings.Replace(y, edits[i], edits[i+1], 1)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r, err := render.New("")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, cfg: cfg, ctx: t.Context(), now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	h.e = New(cfg, st, r, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.e.Now = func() time.Time { return h.now }
	return h
}

const askPolicy = "on_no_quorum: decline"

// coordMail is a coordinator's plain-text message (Thunderbird shape).
func coordMail(from, subject, msgID, inReplyTo, body string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: Test Coalition <coalition@coal.example>\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Fri, 20 Nov 2026 12:00:00 +0000\r\n", from, subject, msgID)
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", inReplyTo, inReplyTo)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(b.String())
}

func (h *harness) round(id string) *store.Round {
	h.t.Helper()
	r, err := store.GetRound(h.ctx, h.e.Store.DB(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func recipients(m sender.Mail) string {
	var out []string
	for _, a := range append(append([]sender.Address{}, m.To...), m.Cc...) {
		out = append(out, strings.ToLower(a.Addr))
	}
	return strings.Join(out, ",")
}

func TestUndecidedRoundWaitsForACoordinatorsDecision(t *testing.T) {
	h := newHarnessWith(t, false, askPolicy, "on_no_quorum: ask")
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE\nConcerns:\n1. Too little notice.", 1))
	h.now = r.Deadline.Add(time.Minute)
	h.e.Tick(h.ctx) // 1 of 3 answered: no quorum
	if got := h.round(r.ID); got.State != store.StateUndecided {
		t.Fatalf("state %s, want undecided", got.State)
	}
	notices := h.outbox("notice")
	if len(notices) != 1 || !strings.Contains(notices[0].Text, "APPROVE "+r.ID+" DECLINE") {
		t.Fatalf("coordinators not asked to decide: %+v", notices)
	}
	if len(h.outbox("statement")) != 0 {
		t.Fatal("undecided round sent a statement")
	}

	// A member (not a coordinator) writing the command is not obeyed, not even read as a command.
	d := h.handle(coordMail("Baytna <info@baytna.example>", "APPROVE "+r.ID+" ACCEPT", "m-approve@baytna.example", "", "APPROVE "+r.ID+" ACCEPT\n"))
	if d != store.Review || len(h.outbox("statement")) != 0 || len(h.outbox("command-reply")) != 0 || h.round(r.ID).State != store.StateUndecided {
		t.Fatalf("a member's APPROVE had an effect (disposition %s)", d)
	}
	// A forged From: of a coordinator is a coordinator as far as mail goes; the
	// stranger below is not.
	d = h.handle(coordMail("Mallory <mallory@evil.example>", "APPROVE "+r.ID+" ACCEPT", "m-approve@evil.example", "", "APPROVE "+r.ID+" ACCEPT\n"))
	if d != store.Review || len(h.outbox("statement")) != 0 {
		t.Fatalf("a stranger's APPROVE had an effect (disposition %s)", d)
	}

	// APPROVE without an answer asks which one.
	h.handle(coordMail("Rania <rania@coal.example>", "APPROVE "+r.ID, "c-approve-0@coal.example", "", "APPROVE "+r.ID+"\n"))
	if cr := h.outbox("command-reply"); len(cr) != 1 || !strings.Contains(cr[0].Subject, "which answer") {
		t.Fatalf("APPROVE without ACCEPT/DECLINE: %+v", cr)
	}
	h.handle(coordMail("Rania <rania@coal.example>", "Re: [Consultation "+r.ID+"] Closed without a decision", "c-approve-1@coal.example", "", "approve "+r.ID+" decline\n\nRania\n"))
	st := h.outbox("statement")
	if len(st) != 1 || h.round(r.ID).State != store.StateSent || !strings.Contains(st[0].Text, "Too little notice") {
		t.Fatalf("coordinators' decision not sent: %d statements, state %s", len(st), h.round(r.ID).State)
	}
	if !strings.Contains(st[0].Text, "– Baytna Syria") || strings.Contains(st[0].Text, "– AlKawakbi") || strings.Contains(st[0].Text, "– Syria Justice") {
		t.Errorf("signatories of a decided round: only the member who declined agreed:\n%s", st[0].Text)
	}
	h.handle(coordMail("Rania <rania@coal.example>", "APPROVE "+r.ID+" DECLINE", "c-approve-2@coal.example", "", "APPROVE "+r.ID+" DECLINE\n"))
	if len(h.outbox("statement")) != 1 {
		t.Fatal("a second APPROVE sent the statement again")
	}
}

// draftRound runs a round with require_approval to its draft.
func draftRound(t *testing.T) (*harness, *store.Round, sender.Mail) {
	h := newHarness(t, true)
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE\nConcerns:\n1. Invitations come too late.", 50))
	h.handle(answerMail(cons["info@sjac.example"], "info@sjac.example", "DECLINE", 51))
	h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "DECLINE", 52))
	drafts := h.outbox("draft")
	if len(drafts) != 1 || len(h.outbox("statement")) != 0 || h.round(r.ID).State != store.StateDraft {
		t.Fatalf("want one draft and no statement, got %d drafts, state %s", len(drafts), h.round(r.ID).State)
	}
	return h, r, drafts[0]
}

func quote(s string) string {
	return "> " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n> ")
}

func TestReplyingApproveToTheDraftSendsItExactlyOnce(t *testing.T) {
	h, r, d := draftRound(t)
	// Gmail reply: "APPROVE" on top, the draft quoted with ">"; the subject keeps the tag
	// but the body names no round: the thread does.
	reply := "APPROVE\n\nOn Fri, Nov 20, 2026 at 12:00 PM Test Coalition <coalition@coal.example> wrote:\n" + quote(d.Text) + "\n"
	h.handle(coordMail("Rania <rania@coal.example>", "Re: Draft statement", "CAGapprove-1@mail.gmail.com", d.MessageID, reply))
	st := h.outbox("statement")
	if len(st) != 1 || h.round(r.ID).State != store.StateSent {
		t.Fatalf("APPROVE to the draft: %d statements, state %s", len(st), h.round(r.ID).State)
	}
	if !strings.Contains(st[0].Text, "Invitations come too late.") || strings.Contains(st[0].Text, command.BeginMarker) {
		t.Errorf("the statement sent is not the draft's text:\n%s", st[0].Text)
	}
	h.handle(coordMail("Rania <rania@coal.example>", "Re: "+d.Subject, "CAGapprove-2@mail.gmail.com", d.MessageID, reply))
	if len(h.outbox("statement")) != 1 {
		t.Fatal("a second APPROVE sent the statement again")
	}
	if cr := h.outbox("command-reply"); len(cr) != 1 || !strings.Contains(cr[0].Subject, "nothing to approve") {
		t.Errorf("the second APPROVE was not answered 'nothing to approve': %+v", cr)
	}
}

func TestCancelOfADraftSendsNothing(t *testing.T) {
	h, r, d := draftRound(t)
	reply := "CANCEL\n\nOn Fri, Nov 20, 2026 at 12:00 PM Test Coalition <coalition@coal.example> wrote:\n" + quote(d.Text) + "\n"
	h.handle(coordMail("Rania <rania@coal.example>", "Re: "+d.Subject, "CAGcancel@mail.gmail.com", d.MessageID, reply))
	if got := h.round(r.ID); got.State != store.StateCancelled {
		t.Fatalf("state %s, want cancelled", got.State)
	}
	h.handle(coordMail("Rania <rania@coal.example>", "Re: "+d.Subject, "CAGlate-approve@mail.gmail.com", d.MessageID, "APPROVE\n"))
	h.now = h.now.Add(100 * time.Hour)
	h.e.Tick(h.ctx)
	if len(h.outbox("statement")) != 0 {
		t.Fatal("a cancelled draft was sent")
	}
}

func TestExtendWithADateAndWithDays(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	h.handle(coordMail("Rania <rania@coal.example>", "EXTEND "+r.ID+" 2d", "ext-1@coal.example", "", ""))
	if got := h.round(r.ID).Deadline; !got.Equal(r.Deadline.Add(48 * time.Hour)) {
		t.Fatalf("EXTEND 2d: deadline %s, want %s", got, r.Deadline.Add(48*time.Hour))
	}
	h.handle(coordMail("Rania <rania@coal.example>", "Re: [Consultation "+r.ID+"] Round opened", "ext-2@coal.example", "", "extend 2026-12-01T18:00\n"))
	if got := h.round(r.ID).Deadline; !got.Equal(time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)) {
		t.Fatalf("EXTEND to a date: deadline %s", got)
	}
	if cr := h.outbox("command-reply"); len(cr) != 2 || !strings.Contains(cr[1].Text, "1 December 2026, 18:00") {
		t.Fatalf("EXTEND not confirmed with the new deadline: %+v", cr)
	}
	h.handle(coordMail("Rania <rania@coal.example>", "EXTEND "+r.ID+" soon", "ext-3@coal.example", "", ""))
	if cr := h.outbox("command-reply"); len(cr) != 3 || !strings.Contains(cr[2].Subject, "not understood") {
		t.Fatalf("a bad EXTEND was not explained: %+v", cr)
	}
	// A date already past (a typo for 2026-12-19) must not close the round at the next tick.
	h.handle(coordMail("Rania <rania@coal.example>", "EXTEND "+r.ID+" 2026-11-19", "ext-4@coal.example", "", ""))
	if cr := h.outbox("command-reply"); len(cr) != 4 || !strings.Contains(cr[3].Text, "already past") {
		t.Fatalf("EXTEND to a past date was not refused: %+v", cr)
	}
	if got := h.round(r.ID).Deadline; !got.Equal(time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)) {
		t.Fatalf("EXTEND to a past date moved the deadline to %s", got)
	}
}

func TestStatusOfAnUnknownRoundGetsHelp(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	h.handle(coordMail("Rania <rania@coal.example>", "STATUS 2026-42", "st-1@coal.example", "", ""))
	help := h.outbox("help")
	if len(help) != 1 || !strings.Contains(help[0].Subject, "no round 2026-42") || !strings.Contains(help[0].Text, r.ID) {
		t.Fatalf("STATUS of an unknown round: %+v", help)
	}
	if help[0].To[0].Addr != "rania@coal.example" || help[0].InReplyTo != "st-1@coal.example" {
		t.Errorf("help not threaded to the coordinator who asked: %+v", help[0])
	}
}

func TestReplyAfterTheRoundClosedIsNotCounted(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE", 1))
	h.handle(answerMail(cons["info@sjac.example"], "info@sjac.example", "DECLINE", 2))
	h.handle(coordMail("Rania <rania@coal.example>", "CLOSE "+r.ID, "close-1@coal.example", "", ""))
	if got := h.round(r.ID); got.State != store.StateSent {
		t.Fatalf("state after CLOSE %s", got.State)
	}
	receipts := len(h.outbox("receipt"))
	if d := h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "ACCEPT\nSign: yes", 3)); d != store.Review {
		t.Fatalf("late reply went to %s, want review", d)
	}
	if p := participant(t, h, r.ID, "kawakibi"); p.Answered() {
		t.Fatalf("late reply counted: %+v", p)
	}
	if len(h.outbox("receipt")) != receipts {
		t.Error("late reply got a receipt as if counted")
	}
	if n := h.outbox("notice"); len(n) == 0 || !strings.Contains(n[len(n)-1].Subject, "Late answer") {
		t.Error("coordinators not told of the late answer")
	}
}

func TestLoopGuardCapsReceiptsButRecordsEveryAnswer(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	positions := []string{"ACCEPT", "DECLINE", "ABSTAIN"}
	for i := 0; i < 15; i++ {
		h.now = h.now.Add(time.Minute)
		h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", positions[i%3], 100+i))
	}
	if n := len(h.outbox("receipt")); n != maxReceiptsPerHour {
		t.Fatalf("%d receipts for 15 answers in 15 minutes, want %d", n, maxReceiptsPerHour)
	}
	p := participant(t, h, r.ID, "baytna")
	if p.AnswersCount != 15 || p.Position != "abstain" || p.AnswerMessageID != "reply-114-info@baytna.example" {
		t.Fatalf("answers not all recorded or not the latest: count %d, position %s, id %s", p.AnswersCount, p.Position, p.AnswerMessageID)
	}
}

// dsn is a Postfix bounce of one of our messages, returned in full.
func dsn(failed string, orig sender.Mail, status, diag string) []byte {
	replyTo := "coalition@coal.example"
	if orig.ReplyTo != nil {
		replyTo = orig.ReplyTo.Addr
	}
	return []byte(strings.ReplaceAll(fmt.Sprintf(`Return-Path: <>
Received: by mail.coal.example (Postfix) id 6B1C21A0F3; Fri, 20 Nov 2026 09:05:12 +0000 (UTC)
Date: Fri, 20 Nov 2026 09:05:12 +0000 (UTC)
From: MAILER-DAEMON@mail.coal.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: coalition@coal.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="6B1C21A0F3.1795977612/mail.coal.example"
Message-Id: <20261120090512.%[8]s@mail.coal.example>

This is a MIME-encapsulated message.

--6B1C21A0F3.1795977612/mail.coal.example
Content-Description: Notification
Content-Type: text/plain; charset=utf-8

This is the mail system at host mail.coal.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<%[1]s>: host mx.example[203.0.113.25] said: %[3]s

--6B1C21A0F3.1795977612/mail.coal.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.coal.example
X-Postfix-Queue-ID: 6B1C21A0F3
X-Postfix-Sender: rfc822; coalition@coal.example
Arrival-Date: Fri, 20 Nov 2026 09:05:10 +0000 (UTC)

Final-Recipient: rfc822; %[1]s
Original-Recipient: rfc822;%[1]s
Action: failed
Status: %[2]s
Remote-MTA: dns; mx.example
Diagnostic-Code: smtp; %[3]s

--6B1C21A0F3.1795977612/mail.coal.example
Content-Description: Undelivered Message
Content-Type: message/rfc822

From: Test Coalition <coalition@coal.example>
To: %[4]s
Reply-To: %[5]s
Subject: %[6]s
Message-ID: <%[7]s>
Date: Fri, 20 Nov 2026 09:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Dear colleagues,

--6B1C21A0F3.1795977612/mail.coal.example--
`, failed, status, diag, recipients(orig), replyTo, orig.Subject, orig.MessageID, strings.NewReplacer("@", ".", "-", "").Replace(orig.MessageID)), "\n", "\r\n"))
}

func consultationTo(t *testing.T, h *harness, addr string) sender.Mail {
	t.Helper()
	for _, m := range h.outbox("consultation") {
		if strings.Contains(recipients(m), addr) {
			return m
		}
	}
	t.Fatalf("no consultation to %s", addr)
	return sender.Mail{}
}

func TestHardBounceOfOneContactResendsToTheOtherAndTellsCoordinators(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	orig := consultationTo(t, h, "info@baytna.example")
	d := h.handle(dsn("info@baytna.example", orig, "5.1.1", "550 5.1.1 <info@baytna.example>: Recipient address rejected: User unknown"))
	if d != store.Processed {
		t.Fatalf("bounce went to %s", d)
	}
	p := participant(t, h, r.ID, "baytna")
	if len(p.Undeliverable) != 1 || p.Undeliverable[0] != "info@baytna.example" {
		t.Fatalf("undeliverable = %v", p.Undeliverable)
	}
	resend := h.outbox("consultation-resend")
	if len(resend) != 1 || recipients(resend[0]) != "backup@baytna.example" {
		t.Fatalf("consultation not re-sent to the other contact only: %+v", resend)
	}
	if resend[0].ReplyTo == nil || resend[0].ReplyTo.Addr != orig.ReplyTo.Addr {
		t.Errorf("re-sent consultation does not carry the member's reply token")
	}
	n := h.outbox("notice")
	if len(n) != 1 || !strings.Contains(n[0].Text, "backup@baytna.example") || !strings.Contains(recipients(n[0]), "rania@coal.example") {
		t.Fatalf("coordinators not told: %+v", n)
	}
	assertNothingTo(t, h, "mailer-daemon")
	// The same bounce again (IMAP redelivery) changes nothing.
	h.handle(dsn("info@baytna.example", orig, "5.1.1", "550 5.1.1 <info@baytna.example>: Recipient address rejected: User unknown"))
	if len(h.outbox("consultation-resend")) != 1 || len(h.outbox("notice")) != 1 {
		t.Fatal("a replayed bounce resent or noticed again")
	}
	// Reminders now go to the working contact only.
	h.now = r.Deadline.Add(-23 * time.Hour)
	h.e.Tick(h.ctx)
	for _, m := range h.outbox("reminder") {
		if strings.Contains(recipients(m), "info@baytna.example") {
			t.Errorf("reminder sent to a bounced contact: %s", recipients(m))
		}
	}
}

func TestReplyToTheResentConsultationCountsByItsThread(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	orig := consultationTo(t, h, "info@baytna.example")
	h.handle(dsn("info@baytna.example", orig, "5.1.1", "550 5.1.1 User unknown"))
	resend := h.outbox("consultation-resend")
	if len(resend) != 1 {
		t.Fatalf("no resend")
	}
	// The member's server dropped Reply-To: the reply goes to the From address
	// and only its In-Reply-To ties it to the member's conversation.
	c := story.Consultation{MessageID: resend[0].MessageID, ReplyTo: "coalition@coal.example", Subject: resend[0].Subject}
	h.handle(answerMail(c, "backup@baytna.example", "DECLINE", 7))
	if p := participant(t, h, r.ID, "baytna"); p.Position != "decline" {
		t.Fatalf("reply to the re-sent consultation not counted: %+v", p)
	}
}

func TestHardBounceOfAMembersOnlyContactTellsCoordinators(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	orig := consultationTo(t, h, "info@sjac.example")
	h.handle(dsn("info@sjac.example", orig, "5.1.1", "550 5.1.1 <info@sjac.example>: mailbox unavailable"))
	n := h.outbox("notice")
	if len(n) != 1 || !strings.Contains(n[0].Text, "no other contact") || !strings.Contains(n[0].Subject, "Syria Justice") {
		t.Fatalf("coordinators not told that SJAC cannot be reached: %+v", n)
	}
	if len(h.outbox("consultation-resend")) != 0 {
		t.Fatal("resent with no contact left")
	}
	h.now = r.Deadline.Add(-23 * time.Hour)
	h.e.Tick(h.ctx)
	for _, m := range h.outbox("reminder") {
		if strings.Contains(recipients(m), "info@sjac.example") {
			t.Errorf("reminder sent to the bounced only contact")
		}
	}
	assertNothingTo(t, h, "mailer-daemon")
}

func TestBounceOfAContactConfiguredInMixedCase(t *testing.T) {
	h := newHarnessWith(t, false, "emails: [info@baytna.example,", "emails: [Info@Baytna.example,")
	r, _ := h.open()
	orig := consultationTo(t, h, "info@baytna.example")
	h.handle(dsn("info@baytna.example", orig, "5.1.1", "550 5.1.1 User unknown"))
	resend := h.outbox("consultation-resend")
	if len(resend) != 1 || recipients(resend[0]) != "backup@baytna.example" {
		t.Fatalf("resend went to %v, want only backup@baytna.example", resend)
	}
	if p := participant(t, h, r.ID, "baytna"); len(p.Deliverable()) != 1 {
		t.Fatalf("deliverable %v", p.Deliverable())
	}
}

func TestTokenIsFoundInEveryKindOfOurMessageIDs(t *testing.T) {
	h := newHarness(t, false)
	fresh, err := token.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{fresh, "abcdefghijklmnopqrstuvwxyz"} { // a token can be all letters
		for _, kind := range []string{"c", "reminder", "receipt", "unclear", "holding", "consultation-resend"} {
			id, err := h.e.messageID(kind, tok)
			if err != nil {
				t.Fatal(err)
			}
			m := &mimeparse.Message{InReplyTo: []string{id}}
			if got := h.e.findToken(m); got != tok {
				t.Errorf("kind %s: token %q, want %q", kind, got, tok)
			}
		}
	}
	draftID, err := h.e.messageID("d", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := h.e.findToken(&mimeparse.Message{InReplyTo: []string{draftID}}); got != "" {
		t.Errorf("a draft's Message-ID yielded token %q", got)
	}
}

func assertNothingTo(t *testing.T, h *harness, addrPart string) {
	t.Helper()
	rows, err := store.DueOutbox(h.ctx, h.e.Store.DB(), h.now.Add(1000*time.Hour), 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for _, rc := range r.Recipients {
			if strings.Contains(strings.ToLower(rc), addrPart) {
				t.Errorf("%s mail sent to %s", r.Kind, rc)
			}
		}
	}
}

func TestArabicMembersReceiptIsArabicAndRightToLeft(t *testing.T) {
	h := newHarness(t, false)
	_, cons := h.open()
	h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "نعتذر عن عدم المشاركة\n\nالمخاوف:\n١. الدعوة وصلت متأخرة\n\nالتوقيع: نعم", 9))
	rs := h.outbox("receipt")
	if len(rs) != 1 {
		t.Fatalf("want 1 receipt, got %d", len(rs))
	}
	if !strings.Contains(rs[0].Text, "شكراً لكم") || !strings.Contains(rs[0].Text, "الاعتذار عن الدعوة") || !strings.Contains(rs[0].Text, "١. الدعوة وصلت متأخرة") {
		t.Errorf("Arabic receipt:\n%s", rs[0].Text)
	}
	if rs[0].Lang != "ar" || !strings.Contains(rs[0].HTML, `dir="rtl"`) {
		t.Errorf("Arabic receipt is not marked right-to-left (lang %q)", rs[0].Lang)
	}
}

func TestReplyToAReminderFromAnotherAddressCountsForTheMember(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	h.now = r.Deadline.Add(-23 * time.Hour)
	h.e.Tick(h.ctx)
	var rem sender.Mail
	for _, m := range h.outbox("reminder") {
		if strings.Contains(recipients(m), "info@sjac.example") {
			rem = m
		}
	}
	if rem.MessageID == "" {
		t.Fatal("no reminder to SJAC")
	}
	// Outlook on the director's own account: To the coalition's plain address
	// (Reply-To lost by a forward to self), threaded to the reminder.
	c := story.Consultation{MessageID: rem.MessageID, ReplyTo: "coalition@coal.example", Subject: rem.Subject}
	h.handle(answerMail(c, "director@sjac-personal.example", "We decline.", 11))
	p := participant(t, h, r.ID, "sjac")
	if p.Position != "decline" || p.AnswerFrom != "director@sjac-personal.example" {
		t.Fatalf("reply to the reminder not counted for SJAC: %+v", p)
	}
	// Whoever answered, no further reminder goes to a member who answered.
	h.now = r.Deadline.Add(-5 * time.Hour)
	h.e.Tick(h.ctx)
	for _, m := range h.outbox("reminder") {
		if strings.Contains(recipients(m), "info@sjac.example") && m.MessageID != rem.MessageID {
			t.Errorf("SJAC reminded after answering")
		}
	}
}

func TestDedupeByMessageIDAndByContent(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	// Documented behaviour: the Message-ID is the identity of a message. A
	// second, different message reusing it (a broken client, or the same
	// message copied to another folder) is treated as already handled: it goes
	// where the first went and is not counted.
	first := answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE", 60)
	second := answerMail(cons["info@baytna.example"], "info@baytna.example", "ACCEPT", 60)
	h.handle(first)
	if d := h.handle(second); d != store.Processed {
		t.Fatalf("reused Message-ID went to %s", d)
	}
	if p := participant(t, h, r.ID, "baytna"); p.Position != "decline" || p.AnswersCount != 1 {
		t.Fatalf("a message reusing a Message-ID was counted: %+v", p)
	}
	// Without a Message-ID, the same bytes are the same message.
	noID := []byte(strings.Replace(string(answerMail(cons["info@sjac.example"], "info@sjac.example", "ACCEPT", 61)), "Message-ID: <reply-61-info@sjac.example>\r\n", "", 1))
	h.handle(noID)
	h.handle(noID)
	if p := participant(t, h, r.ID, "sjac"); p.Position != "accept" || p.AnswersCount != 1 {
		t.Fatalf("a message without Message-ID counted %d times", p.AnswersCount)
	}
	if n := len(h.outbox("receipt")); n != 2 {
		t.Fatalf("%d receipts, want 2 (one per distinct message)", n)
	}
}

func TestPublishedStatementIsEscapedHTMLAndMarkdown(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE\n\nConcerns:\n1. The agenda said <script>alert(1)</script> & more.\n2. {{.Coalition}} must not be expanded.", 70))
	h.handle(answerMail(cons["info@sjac.example"], "info@sjac.example", "DECLINE", 71))
	h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "أرفض", 72))
	if h.round(r.ID).State != store.StateSent {
		t.Fatalf("round not sent")
	}
	md, err := os.ReadFile(filepath.Join(h.cfg.PublishDir, r.ID+".md"))
	if err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(h.cfg.PublishDir, r.ID+".html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(md), "# Statement by Test Coalition") || !strings.Contains(string(md), `\{\{.Coalition\}\} must not be expanded`) {
		t.Errorf("Markdown:\n%s", md)
	}
	if strings.Contains(string(html), "<script>") || !strings.Contains(string(html), "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more") {
		t.Errorf("member text is markup in the published HTML:\n%s", html)
	}
	if !strings.Contains(string(html), "– AlKawakbi Center") || !strings.Contains(string(html), `dir="ltr"`) {
		t.Errorf("published HTML lacks the signatories or direction:\n%s", html)
	}
	// The site around it: the index lists the page, the feed has its entry.
	index, err := os.ReadFile(filepath.Join(h.cfg.PublishDir, "index.html"))
	if err != nil || !strings.Contains(string(index), `href="`+r.ID+`.html"`) {
		t.Errorf("index.html does not list the statement (%v):\n%s", err, index)
	}
	feed, err := os.ReadFile(filepath.Join(h.cfg.PublishDir, "feed.xml"))
	if err != nil || !strings.Contains(string(feed), "<entry") || !strings.Contains(string(feed), r.ID+".html") {
		t.Errorf("feed.xml lacks the statement (%v):\n%s", err, feed)
	}
	entries, _ := os.ReadDir(h.cfg.PublishDir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestSubjectWithHeaderInjectionStaysOneLine(t *testing.T) {
	h := newHarness(t, false)
	_, cons := h.open()
	c := cons["info@baytna.example"]
	c.Subject = "=?utf-8?q?x=0D=0ABcc:_victim@example.org?="
	h.handle(answerMail(c, "info@baytna.example", "ACCEPT", 80))
	for _, m := range h.outbox("receipt") {
		if strings.ContainsAny(m.Subject, "\r\n") {
			t.Errorf("receipt subject has a line break: %q", m.Subject)
		}
	}
}

// outlookReply is Outlook desktop's reply: the text on top, then the message
// replied to, NOT quoted with ">", under a From:/Sent: block.
func outlookReply(text string, d sender.Mail) string {
	return text + "\n\n________________________________\nFrom: Test Coalition <coalition@coal.example>\nSent: Friday, November 20, 2026 12:00 PM\nTo: Rania <rania@coal.example>\nSubject: " +
		d.Subject + "\n\n" + d.Text + "\n"
}

func TestOutlookReplyToTheDraftIsReadByItsFirstLine(t *testing.T) {
	cases := []struct {
		name, text string
		state      store.RoundState
		sent       int
	}{
		{"CANCEL above the unquoted draft", "CANCEL\n\nRania", store.StateCancelled, 0},
		{"a question above the unquoted draft", "Hold on, I want to check the list of signatories with Omar first.\n\nRania", store.StateDraft, 0},
		{"APPROVE above the unquoted draft", "APPROVE\n\nRania", store.StateSent, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, r, d := draftRound(t)
			h.handle(coordMail("Rania <rania@coal.example>", "RE: "+d.Subject, "DB9PR-1@eurprd.outlook.com", d.MessageID, outlookReply(c.text, d)))
			if got := h.round(r.ID).State; got != c.state || len(h.outbox("statement")) != c.sent {
				t.Fatalf("state %s with %d statements, want %s with %d", got, len(h.outbox("statement")), c.state, c.sent)
			}
		})
	}
}

func TestPlusAddressTokenFoundWhenTheCoalitionAddressHasCapitals(t *testing.T) {
	h := newHarnessWith(t, false, "address: coalition@coal.example}", "address: Coalition@Coal.example}")
	r, cons := h.open()
	// Only the plus address carries the token: the client threaded to nothing.
	c := story.Consultation{MessageID: "unrelated-1@mail.gmail.com", ReplyTo: cons["info@baytna.example"].ReplyTo, Subject: cons["info@baytna.example"].Subject}
	if d := h.handle(answerMail(c, "info@baytna.example", "DECLINE", 1)); d != store.Processed {
		t.Fatalf("reply to Coalition+TOKEN@ went to %s", d)
	}
	if p := participant(t, h, r.ID, "baytna"); p.Position != "decline" {
		t.Fatalf("reply via the plus address not counted: %+v", p)
	}
}

func TestBounceFromADeadCoordinatorAddressDoesNotLoop(t *testing.T) {
	h := newHarnessWith(t, false, "  - {name: Rania, email: rania@coal.example}", "  - {name: Rania, email: rania@coal.example}\n  - {name: Omar, email: omar@gone.example}")
	h.open()
	orig := consultationTo(t, h, "info@sjac.example")
	h.handle(dsn("info@sjac.example", orig, "5.1.1", "550 5.1.1 User unknown")) // a notice to both coordinators
	// The notice that reaches omar@gone.example bounces; that bounce must not bring a new notice to him.
	toOmar := func() []sender.Mail {
		var out []sender.Mail
		for _, n := range h.outbox("notice") {
			if strings.Contains(recipients(n), "omar@gone.example") {
				out = append(out, n)
			}
		}
		return out
	}
	first := toOmar()
	if len(first) != 1 {
		t.Fatalf("want 1 notice to both coordinators about SJAC's bounce, got %d to Omar", len(first))
	}
	h.now = h.now.Add(time.Minute)
	h.handle(dsn("omar@gone.example", first[0], "5.1.1", "550 5.1.1 User unknown"))
	if n := len(toOmar()); n != 1 {
		t.Fatalf("%d notices to the dead coordinator address after its bounce: a bounce loop", n)
	}
	if n := h.outbox("notice"); !strings.Contains(n[len(n)-1].Text, "omar@gone.example") || recipients(n[len(n)-1]) != "rania@coal.example" {
		t.Errorf("the working coordinator was not told of the dead address: %+v", n[len(n)-1])
	}
}

func TestCoordinatorsNaiveOutOfOfficeGetsOneNoticeAnHour(t *testing.T) {
	h := newHarness(t, false)
	h.handle(coordMail("Rania <rania@coal.example>", "Thanks!", "thanks-1@coal.example", "", "Thanks, all good.\n"))
	// An auto-responder without Auto-Submitted answers every notice.
	for i := 0; i < 5; i++ {
		ns := h.outbox("notice")
		h.now = h.now.Add(time.Minute)
		h.handle(coordMail("Rania <rania@coal.example>", "Re: "+ns[len(ns)-1].Subject, fmt.Sprintf("ooo-%d@coal.example", i), ns[len(ns)-1].MessageID,
			"Thank you for your email. I am travelling with limited access to email until 30 November.\n"))
	}
	if n := len(h.outbox("notice")); n != 1 {
		t.Fatalf("%d notices answered an auto-responder within minutes, want 1", n)
	}
	h.now = h.now.Add(2 * time.Hour)
	h.handle(coordMail("Rania <rania@coal.example>", "Question", "q-1@coal.example", "", "How do I open a round?\n"))
	if n := len(h.outbox("notice")); n != 2 {
		t.Fatalf("after an hour a coordinator's mail was not answered (%d notices)", n)
	}
}

func TestAnsweringACommandReplyDoesNotRepeatTheCommand(t *testing.T) {
	h := newHarness(t, false)
	r, _ := h.open()
	h.handle(coordMail("Rania <rania@coal.example>", "EXTEND "+r.ID+" 48h", "ext-1@coal.example", "", ""))
	h.handle(coordMail("Rania <rania@coal.example>", "STATUS "+r.ID, "st-1@coal.example", "", ""))
	extended := h.round(r.ID).Deadline
	// A human "thanks" in the thread of her own command, and an auto-responder
	// without Auto-Submitted answering the status reply: neither is a command.
	h.handle(coordMail("Rania <rania@coal.example>", "Re: EXTEND "+r.ID+" 48h", "thanks-1@coal.example", "ext-1@coal.example", "Thanks, that was quick.\n"))
	for i := 0; i < 3; i++ {
		s := h.outbox("status")
		h.now = h.now.Add(time.Minute)
		h.handle(coordMail("Rania <rania@coal.example>", "Re: "+s[len(s)-1].Subject, fmt.Sprintf("ooo-%d@coal.example", i), s[len(s)-1].MessageID,
			"Thank you for your email. I am travelling with limited access to email until 30 November.\n"))
	}
	if got := h.round(r.ID).Deadline; !got.Equal(extended) {
		t.Errorf("a reply in an EXTEND thread extended again: %s, want %s", got, extended)
	}
	if n := len(h.outbox("status")); n != 1 {
		t.Errorf("%d status replies: replies to a status reply repeated STATUS", n)
	}
	// A reply whose first line is a command is still one.
	h.handle(coordMail("Rania <rania@coal.example>", "Re: [Consultation "+r.ID+"] Status", "st-2@coal.example", "", "STATUS\n"))
	if n := len(h.outbox("status")); n != 2 {
		t.Errorf("STATUS on the first line of a reply not obeyed (%d status replies)", n)
	}
}

func TestAStatementNobodySignsGoesToTheCoordinatorsNotTheInviter(t *testing.T) {
	h := newHarness(t, false) // no approval required; on_no_quorum: decline
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "ACCEPT\nSign: no", 1))
	h.now = r.Deadline.Add(time.Minute)
	h.e.Tick(h.ctx)
	if n := len(h.outbox("statement")); n != 0 {
		t.Fatalf("a statement signed by no organisation was sent to the inviter")
	}
	d := h.outbox("draft")
	if len(d) != 1 || !strings.Contains(d[0].Text, "no organisation signs it") || h.round(r.ID).State != store.StateDraft {
		t.Fatalf("coordinators not asked: %+v", d)
	}
	// They may still send it, explicitly.
	h.handle(coordMail("Rania <rania@coal.example>", "Re: "+d[0].Subject, "ok-1@coal.example", d[0].MessageID, "APPROVE\n"))
	if n := len(h.outbox("statement")); n != 1 {
		t.Fatalf("explicit APPROVE did not send (%d)", n)
	}
}

func TestConcurrentAnswersAndTicksSendOneStatement(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	h.now = r.Deadline.Add(-time.Minute) // Tick may close while answers arrive
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i, addr := range []string{"info@baytna.example", "info@sjac.example", "info@kawakibi.example"} {
		for j := 0; j < 4; j++ {
			wg.Add(1)
			go func(n int, addr string) {
				defer wg.Done()
				_, err := h.e.Handle(h.ctx, Incoming{Raw: answerMail(cons[addr], addr, "DECLINE", n), Mailbox: "INBOX", UIDValidity: 1, UID: uint32(1000 + n)})
				errs <- err
			}(100*i+j, addr)
		}
	}
	for k := 0; k < 4; k++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- h.e.Tick(h.ctx) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent handling failed: %v", err)
		}
	}
	if n := len(h.outbox("statement")); n != 1 || h.round(r.ID).State != store.StateSent {
		t.Fatalf("%d statements, state %s; want exactly one, sent", n, h.round(r.ID).State)
	}
}

// TestRebuildSiteRestoresWhatWasLost: the site is written from the store,
// so a start after a lost file (or an upgrade from before the index and the
// feed) makes it whole; before any statement it writes nothing.
func TestRebuildSiteRestoresWhatWasLost(t *testing.T) {
	h := newHarness(t, false)
	if err := h.e.RebuildSite(h.ctx); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(h.cfg.PublishDir); len(es) != 0 {
		t.Fatalf("files published before any statement: %v", es)
	}
	r, cons := h.open()
	for i, a := range []string{"info@baytna.example", "info@sjac.example", "info@kawakibi.example"} {
		h.handle(answerMail(cons[a], a, "DECLINE\nSign: yes", 90+i))
	}
	if h.round(r.ID).State != store.StateSent {
		t.Fatalf("round not sent")
	}
	for _, f := range []string{"index.html", "feed.xml", r.ID + ".html"} {
		os.Remove(filepath.Join(h.cfg.PublishDir, f))
	}
	if err := h.e.RebuildSite(h.ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"index.html", "feed.xml", r.ID + ".html", r.ID + ".md"} {
		if _, err := os.Stat(filepath.Join(h.cfg.PublishDir, f)); err != nil {
			t.Errorf("%s not restored: %v", f, err)
		}
	}
}
