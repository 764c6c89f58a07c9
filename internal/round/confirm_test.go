package round

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"consultd/internal/classify"
	"consultd/internal/command"
	"consultd/internal/demo/story"
	"consultd/internal/mimeparse"
	"consultd/internal/sender"
	"consultd/internal/store"
)

// Tests of how coordinators' mail is trusted, with the default
// coordinator_confirmation (when_unauthenticated).

const twoCoordinators = "  - {name: Rania, email: rania@coal.example}\n"

func newTrustHarness(t *testing.T, requireApproval bool, edits ...string) *harness {
	t.Helper()
	edits = append([]string{confirmationPolicy, "coordinator_confirmation: when_unauthenticated",
		twoCoordinators, twoCoordinators + "  - {name: Omar, email: omar@coal.example}\n"}, edits...)
	return newHarnessWith(t, requireApproval, edits...)
}

// withAuthres puts Authentication-Results fields on top of raw, topmost first,
// as the receiving server would have prepended them.
func withAuthres(raw []byte, fields ...string) []byte {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString("Authentication-Results: " + f + "\r\n")
	}
	return append([]byte(b.String()), raw...)
}

func (h *harness) forward(n int) []byte {
	return story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now.Add(time.Duration(n)*time.Second))
}

func (h *harness) rounds() []*store.Round {
	h.t.Helper()
	rs, err := store.ListRounds(h.ctx, h.e.Store.DB())
	if err != nil {
		h.t.Fatal(err)
	}
	return rs
}

// confirmReply is a Gmail-style top-posted reply to a confirmation request,
// the request quoted below.
func confirmReply(c sender.Mail, from, firstLine string, n int) []byte {
	quoted := "> " + strings.ReplaceAll(strings.TrimSpace(c.Text), "\n", "\r\n> ")
	return []byte(fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: Re: %s\r\nMessage-ID: <confirm-reply-%d@mail.gmail.com>\r\n"+
		"In-Reply-To: <%s>\r\nReferences: <%s>\r\nDate: Fri, 20 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"%s\r\n\r\nOn Fri, Nov 20, 2026 at 9:00 AM Test Coalition <%s> wrote:\r\n%s\r\n",
		from, c.ReplyTo.Addr, c.Subject, n, c.MessageID, c.MessageID, firstLine, c.ReplyTo.Addr, quoted))
}

func (h *harness) onlyConfirmation() sender.Mail {
	h.t.Helper()
	cs := h.outbox("confirmation")
	if len(cs) != 1 {
		h.t.Fatalf("%d confirmation requests queued, want 1", len(cs))
	}
	return cs[0]
}

func TestATrustedPassActsAtOnce(t *testing.T) {
	h := newTrustHarness(t, false, "policy:", "authentication: {authserv_id: mx.coal.example}\npolicy:")
	raw := withAuthres(h.forward(0), "mx.coal.example;\r\n dkim=pass header.d=coal.example header.s=s1;\r\n spf=pass smtp.mailfrom=coal.example;\r\n dmarc=pass (p=QUARANTINE) header.from=coal.example")
	if d := h.handle(raw); d != store.Processed || len(h.rounds()) != 1 {
		t.Fatalf("an authenticated forward went to %s and opened %d rounds, want processed and 1", d, len(h.rounds()))
	}
	if n := len(h.outbox("confirmation")); n != 0 {
		t.Errorf("%d confirmation requests for mail the server authenticated", n)
	}
	if n := len(h.outbox("consultation")); n != 3 {
		t.Errorf("%d consultations, want 3", n)
	}
}

func TestAPassPlantedBelowOurFailIsForgedAndGetsNoConfirmation(t *testing.T) {
	h := newTrustHarness(t, false, "policy:", "authentication: {authserv_id: mx.coal.example}\npolicy:")
	for i := 0; i < 3; i++ {
		raw := withAuthres(h.forward(i),
			"mx.coal.example; spf=fail smtp.mailfrom=coal.example; dkim=none; dmarc=fail (p=reject) header.from=coal.example",
			"mx.coal.example; dkim=pass header.d=coal.example; dmarc=pass header.from=coal.example")
		if d := h.handle(raw); d != store.Review {
			t.Fatalf("forged forward %d went to %s, want review", i, d)
		}
	}
	if len(h.rounds()) != 0 || len(h.outbox("consultation")) != 0 {
		t.Fatal("a forward proven forged opened a round")
	}
	if n := len(h.outbox("confirmation")); n != 0 {
		t.Errorf("%d confirmation requests for mail proven forged, want none", n)
	}
	notes := h.outbox("notice")
	if len(notes) != 1 || !strings.Contains(notes[0].Text, "dmarc=fail") {
		t.Fatalf("want one 'unverified' note an hour naming dmarc=fail, got %d: %+v", len(notes), notes)
	}
}

func TestAPassForAnotherDomainIsNotTrusted(t *testing.T) {
	h := newTrustHarness(t, false, "policy:", "authentication: {authserv_id: mx.coal.example}\npolicy:")
	raw := withAuthres(h.forward(0), "mx.coal.example; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=evil.example; dmarc=pass header.from=evil.example")
	if d := h.handle(raw); d != store.Processed {
		t.Fatalf("went to %s, want processed (awaiting confirmation)", d)
	}
	if len(h.rounds()) != 0 {
		t.Fatal("a pass for evil.example opened a round for coal.example")
	}
	c := h.onlyConfirmation()
	if !strings.Contains(c.Text, "dmarc=pass is for evil.example") {
		t.Errorf("the request does not say why it was asked:\n%s", c.Text)
	}
}

func TestWithoutAuthenticationAForwardIsConfirmedByEmailAndActsOnce(t *testing.T) {
	h := newTrustHarness(t, false)
	if d := h.handle(h.forward(0)); d != store.Processed {
		t.Fatalf("forward went to %s, want processed (awaiting confirmation)", d)
	}
	if len(h.rounds()) != 0 || len(h.outbox("consultation")) != 0 {
		t.Fatal("an unauthenticated forward opened a round before confirmation")
	}
	c := h.onlyConfirmation()
	if len(c.To) != 1 || c.To[0].Addr != "rania@coal.example" || c.Cc != nil {
		t.Fatalf("request sent to %s, want only rania@coal.example", recipients(c))
	}
	tok := strings.TrimSuffix(strings.TrimPrefix(c.ReplyTo.Addr, "coalition+"), "@coal.example")
	if len(tok) != 26 || !strings.Contains(c.MessageID, tok) {
		t.Fatalf("Reply-To %s / Message-ID %s do not carry one token", c.ReplyTo.Addr, c.MessageID)
	}
	for _, want := range []string{"Reply CONFIRM", story.InviterAddress, "expires", "72 hours", "authentication.authserv_id", "ignore this message"} {
		if !strings.Contains(c.Text, want) {
			t.Errorf("request lacks %q:\n%s", want, c.Text)
		}
	}
	if strings.Contains(c.Text, tok) {
		t.Error("the token is in the request's text (it belongs only in the headers)")
	}

	h.now = h.now.Add(5 * time.Hour) // the coordinator reads it later; the deadline counts from now
	if d := h.handle(confirmReply(c, "rania@coal.example", "CONFIRM", 1)); d != store.Processed {
		t.Fatalf("CONFIRM went to %s", d)
	}
	rs := h.rounds()
	if len(rs) != 1 || len(h.outbox("consultation")) != 3 || len(h.outbox("opened")) != 1 {
		t.Fatalf("after CONFIRM: %d rounds, %d consultations, %d opened notes; want 1, 3, 1", len(rs), len(h.outbox("consultation")), len(h.outbox("opened")))
	}
	if rs[0].OpenedBy != "rania@coal.example" || rs[0].InviterAddress != story.InviterAddress {
		t.Errorf("round opened by %s for %s", rs[0].OpenedBy, rs[0].InviterAddress)
	}
	if rs[0].DeadlineSource == "policy" && !rs[0].Deadline.Equal(h.now.Add(72*time.Hour)) {
		t.Errorf("deadline %s, want 72h after the confirmation (%s)", rs[0].Deadline, h.now)
	}
	// A replay of the token (another reply) does nothing more.
	if d := h.handle(confirmReply(c, "rania@coal.example", "CONFIRM", 2)); d != store.Processed {
		t.Errorf("a second CONFIRM went to %s, want processed (already done)", d)
	}
	if len(h.rounds()) != 1 || len(h.outbox("consultation")) != 3 {
		t.Fatal("a replayed CONFIRM acted again")
	}
}

func TestConfirmationInArabicByAPlainReplyToTheCoalitionAddress(t *testing.T) {
	h := newTrustHarness(t, false)
	h.handle(h.forward(0))
	c := h.onlyConfirmation()
	// The client replied to From: (not Reply-To); In-Reply-To carries the token.
	raw := strings.Replace(string(confirmReply(c, "Rania@coal.example", "تأكيد", 1)), "To: <"+c.ReplyTo.Addr+">", "To: <coalition@coal.example>", 1)
	if d := h.handle([]byte(raw)); d != store.Processed || len(h.rounds()) != 1 {
		t.Fatalf("تأكيد in a plain reply went to %s and opened %d rounds, want processed and 1", d, len(h.rounds()))
	}
}

func TestForgedExpiredAndWrongConfirmationsDoNothing(t *testing.T) {
	h := newTrustHarness(t, false)
	h.handle(h.forward(0))
	c := h.onlyConfirmation()
	made := c
	made.ReplyTo = &sender.Address{Addr: "coalition+aaaaaaaaaaaaaaaaaaaaaaaaaa@coal.example"}
	made.MessageID = "confirm-aaaaaaaaaaaaaaaaaaaaaaaaaa-0011@coal.example"
	cases := []struct {
		name string
		raw  []byte
		want store.Disposition
	}{
		{"made-up token", confirmReply(made, "rania@coal.example", "CONFIRM", 1), store.Review},
		{"Rania's token from the other coordinator", confirmReply(c, "omar@coal.example", "CONFIRM", 2), store.Review},
		{"Rania's token from a member", confirmReply(c, "info@baytna.example", "CONFIRM", 3), store.Review},
		{"Rania's token from a stranger", confirmReply(c, "mallory@evil.example", "CONFIRM", 4), store.Review},
		{"a reply that does not say CONFIRM", confirmReply(c, "rania@coal.example", "I did not send this, who did?", 5), store.Review},
		{"a sentence starting with confirm", confirmReply(c, "rania@coal.example", "Confirm with Omar first whether we want to go at all", 6), store.Review},
	}
	for _, cs := range cases {
		if d := h.handle(cs.raw); d != cs.want {
			t.Errorf("%s: went to %s, want %s", cs.name, d, cs.want)
		}
		if len(h.rounds()) != 0 || len(h.outbox("consultation")) != 0 {
			t.Fatalf("%s: opened a round", cs.name)
		}
	}
	seen, _ := store.GetSeen(h.ctx, h.e.Store.DB(), "confirm-reply-2@mail.gmail.com")
	if seen == nil || !strings.Contains(seen.Note, "nothing done") {
		t.Errorf("the outcome of a wrong CONFIRM is not recorded clearly: %+v", seen)
	}
	// Expired: 72h later the genuine reply does nothing, and she is told.
	h.now = h.now.Add(ConfirmationValidity + time.Minute)
	if d := h.handle(confirmReply(c, "rania@coal.example", "CONFIRM", 7)); d != store.Processed {
		t.Errorf("expired CONFIRM went to %s, want processed", d)
	}
	if len(h.rounds()) != 0 {
		t.Fatal("an expired confirmation opened a round")
	}
	var told bool
	for _, n := range h.outbox("command-reply") {
		told = told || (strings.Contains(n.Subject, "Confirmation expired") && n.To[0].Addr == "rania@coal.example")
	}
	if !told {
		t.Error("the coordinator was not told her confirmation expired")
	}
}

func TestDestructiveCommandsAreConfirmedAndStatusIsNot(t *testing.T) {
	h := newTrustHarness(t, false)
	h.handle(h.forward(0))
	h.handle(confirmReply(h.onlyConfirmation(), "rania@coal.example", "CONFIRM", 1))
	r := h.rounds()[0]

	h.handle(coordMail("Rania <rania@coal.example>", "STATUS "+r.ID, "status-1@coal.example", "", ""))
	if n := len(h.outbox("status")); n != 1 {
		t.Fatalf("STATUS answered %d times, want once and at once", n)
	}
	if d := h.handle(coordMail("Rania <rania@coal.example>", "CLOSE "+r.ID, "close-1@coal.example", "", "")); d != store.Processed {
		t.Fatalf("CLOSE went to %s", d)
	}
	if got := h.round(r.ID).State; got != store.StateOpen {
		t.Fatalf("an unconfirmed CLOSE closed the round (%s)", got)
	}
	cs := h.outbox("confirmation")
	if len(cs) != 2 || !strings.Contains(cs[1].Subject, "CLOSE "+r.ID) {
		t.Fatalf("no confirmation request for CLOSE: %+v", cs)
	}
	closeReq := cs[1]
	// CANCEL is asked too; confirmed first, it makes the CLOSE request moot,
	// and confirming that gives a clear note.
	h.handle(coordMail("Rania <rania@coal.example>", "CANCEL "+r.ID, "cancel-1@coal.example", "", ""))
	cancelReq := h.outbox("confirmation")[2]
	if got := h.round(r.ID).State; got != store.StateOpen {
		t.Fatalf("an unconfirmed CANCEL changed the round (%s)", got)
	}
	h.handle(confirmReply(cancelReq, "rania@coal.example", "CONFIRM", 2))
	if got := h.round(r.ID).State; got != store.StateCancelled {
		t.Fatalf("a confirmed CANCEL left the round %s", got)
	}
	h.handle(confirmReply(closeReq, "rania@coal.example", "CONFIRM", 3))
	var late bool
	for _, n := range h.outbox("command-reply") {
		late = late || (strings.Contains(n.Subject, "CLOSE "+r.ID+": already closed") && strings.Contains(n.Text, "cancelled"))
	}
	if !late || h.round(r.ID).State != store.StateCancelled {
		t.Errorf("confirming CLOSE of a cancelled round gave no clear note (or changed it)")
	}
}

func TestAnEditedStatementAndExtendAreConfirmed(t *testing.T) {
	h := newTrustHarness(t, true)
	h.handle(h.forward(0))
	h.handle(confirmReply(h.onlyConfirmation(), "rania@coal.example", "CONFIRM", 1))
	r := h.rounds()[0]
	h.handle(coordMail("Rania <rania@coal.example>", "EXTEND "+r.ID+" 48h", "ext-1@coal.example", "", ""))
	if got := h.round(r.ID).Deadline; !got.Equal(r.Deadline) {
		t.Fatalf("an unconfirmed EXTEND moved the deadline to %s", got)
	}
	h.handle(coordMail("Rania <rania@coal.example>", "CLOSE "+r.ID, "close-1@coal.example", "", ""))
	cs := h.outbox("confirmation")
	h.handle(confirmReply(cs[2], "rania@coal.example", "CONFIRM", 2))
	draft := h.outbox("draft")
	if h.round(r.ID).State != store.StateDraft || len(draft) != 1 {
		t.Fatalf("confirmed CLOSE with approval: state %s, %d drafts", h.round(r.ID).State, len(draft))
	}
	edited := "Thanks.\n\nWe decline, with our edits.\n" // an edited text between the markers
	h.handle(coordMail("Rania <rania@coal.example>", "Re: "+draft[0].Subject, "edit-1@coal.example", draft[0].MessageID,
		"Here is our version.\n\n"+command.BeginMarker+"\n"+edited+command.EndMarker+"\n"))
	if n := len(h.outbox("statement")); n != 0 || h.round(r.ID).State != store.StateDraft {
		t.Fatalf("an unconfirmed edited statement was sent (%d statements)", n)
	}
	cs = h.outbox("confirmation")
	if len(cs) != 4 || !strings.Contains(cs[3].Text, "edited statement") {
		t.Fatalf("no confirmation request for the edited statement: %d requests", len(cs))
	}
	h.handle(confirmReply(cs[3], "rania@coal.example", "confirm", 3))
	// With require_approval the edit comes back as a draft showing what changed, approved as such.
	draft = h.outbox("draft")
	if len(draft) != 2 || !strings.Contains(draft[1].Text, "+ We decline, with our edits.") {
		t.Fatalf("the confirmed edit did not come back as a draft with its changes: %d drafts", len(draft))
	}
	h.handle(coordMail("Rania <rania@coal.example>", "Re: "+draft[1].Subject, "approve-1@coal.example", draft[1].MessageID, "APPROVE\n"))
	cs = h.outbox("confirmation")
	h.handle(confirmReply(cs[len(cs)-1], "rania@coal.example", "CONFIRM", 5))
	st := h.outbox("statement")
	if len(st) != 1 || !strings.Contains(st[0].Text, "with our edits") {
		t.Fatalf("the confirmed edited statement was not sent as written: %d statements", len(st))
	}
	// The EXTEND request, confirmed now, no longer applies.
	h.handle(confirmReply(cs[1], "rania@coal.example", "CONFIRM", 4))
	var noted bool
	for _, n := range h.outbox("command-reply") {
		noted = noted || strings.Contains(n.Subject, "EXTEND "+r.ID+": not done")
	}
	if !noted {
		t.Error("confirming EXTEND of a sent round gave no clear note")
	}
}

func TestAlwaysConfirmsEvenAuthenticatedMailAndNeverTrustsFrom(t *testing.T) {
	pass := "mx.coal.example; dkim=pass header.d=coal.example; dmarc=pass header.from=coal.example"
	h := newTrustHarness(t, false, "policy:", "authentication: {authserv_id: mx.coal.example}\npolicy:",
		"coordinator_confirmation: when_unauthenticated", "coordinator_confirmation: always")
	h.handle(withAuthres(h.forward(0), pass))
	if len(h.rounds()) != 0 || len(h.outbox("confirmation")) != 1 {
		t.Fatalf("always: %d rounds, %d requests; want 0 and 1", len(h.rounds()), len(h.outbox("confirmation")))
	}
	if c := h.outbox("confirmation")[0]; !strings.Contains(c.Text, "set to always") {
		t.Errorf("the request does not say why it was asked:\n%s", c.Text)
	}

	h = newHarness(t, false) // never, no authentication: From: is trusted as before
	if h.handle(h.forward(0)); len(h.rounds()) != 1 || len(h.outbox("confirmation")) != 0 {
		t.Fatalf("never: %d rounds, %d requests; want 1 and 0", len(h.rounds()), len(h.outbox("confirmation")))
	}
}

func TestMicrosoft365InternalMailActsAtOnce(t *testing.T) {
	h := newTrustHarness(t, false, "policy:", "authentication: {provider: microsoft365}\npolicy:")
	raw := append([]byte("X-MS-Exchange-Organization-AuthAs: Internal\r\nX-MS-Exchange-Organization-AuthSource: AM0PR01MB1234.eurprd01.prod.outlook.com\r\n"), h.forward(0)...)
	if h.handle(raw); len(h.rounds()) != 1 {
		t.Fatal("internal Microsoft 365 mail did not open the round")
	}
	h = newTrustHarness(t, false, "policy:", "authentication: {provider: microsoft365}\npolicy:")
	raw = withAuthres(h.forward(0),
		"spf=none (sender IP is 203.0.113.9) smtp.mailfrom=coal.example; dkim=none (message not signed) header.d=none;dmarc=none action=none header.from=coal.example;compauth=fail reason=001")
	h.handle(raw)
	if len(h.outbox("confirmation")) != 1 {
		t.Fatal("outside mail that Microsoft 365 did not authenticate got no confirmation request")
	}
}

func TestConfirmationRequestsAreCappedPerCoordinator(t *testing.T) {
	h := newTrustHarness(t, false)
	var review int
	maxConfirmationsPerHour := reactionKinds["confirmation"].perSender
	for i := 0; i < maxConfirmationsPerHour+3; i++ {
		if h.handle(h.forward(i)) == store.Review {
			review++
		}
	}
	if n := len(h.outbox("confirmation")); n != maxConfirmationsPerHour {
		t.Errorf("%d requests in an hour, want %d", n, maxConfirmationsPerHour)
	}
	if review != 3 {
		t.Errorf("%d forwards beyond the cap went to review, want 3", review)
	}
}

func TestInspectSaysAForwardWouldBeConfirmedFirst(t *testing.T) {
	h := newTrustHarness(t, false)
	m, _ := mimeparse.Parse(h.forward(0))
	u := classify.Understand(h.ctx, m, h.e.Cfg, h.e.Store.DB(), nil, h.now)
	if u.Kind != "invitation" || !strings.Contains(strings.Join(u.Notes, " "), "confirmed by email first") {
		t.Fatalf("inspect: kind %s, notes %v; want an invitation that would be confirmed first", u.Kind, u.Notes)
	}
	h.handle(h.forward(0))
	c := h.onlyConfirmation()
	m, _ = mimeparse.Parse(confirmReply(c, "rania@coal.example", "CONFIRM", 1))
	u = classify.Understand(h.ctx, m, h.e.Cfg, h.e.Store.DB(), nil, h.now)
	if u.Kind != "confirmation" || !strings.Contains(strings.Join(u.Notes, " "), "open a consultation round") {
		t.Fatalf("inspect of the CONFIRM reply: kind %s, notes %v", u.Kind, u.Notes)
	}
}

func TestACommandThatWouldChangeNothingIsAnsweredWithoutConfirmation(t *testing.T) {
	h := newTrustHarness(t, false)
	h.handle(h.forward(0))
	h.handle(confirmReply(h.onlyConfirmation(), "rania@coal.example", "CONFIRM", 1))
	r := h.rounds()[0]
	for i, subj := range []string{"APPROVE " + r.ID, "EXTEND " + r.ID + " soon"} {
		h.handle(coordMail("Rania <rania@coal.example>", subj, fmt.Sprintf("noop-%d@coal.example", i), "", ""))
	}
	if n := len(h.outbox("confirmation")); n != 1 {
		t.Errorf("%d confirmation requests, want only the forward's: APPROVE of an open round and a bad EXTEND change nothing", n)
	}
	if n := len(h.outbox("command-reply")); n != 2 {
		t.Errorf("%d command replies, want 2 (each says why nothing was done)", n)
	}
}

func TestACoordinatorWritingArabicIsAskedInArabic(t *testing.T) {
	h := newTrustHarness(t, false)
	raw := strings.Replace(string(h.forward(0)), "Dear all, please see the invitation below. Let us answer together.",
		"الزملاء الأعزاء، تجدون الدعوة أدناه. لنرد عليها معاً.", 1)
	if !strings.Contains(raw, "الزملاء") {
		t.Fatal("the fixture's note was not replaced")
	}
	h.handle([]byte(raw))
	c := h.onlyConfirmation()
	if !strings.Contains(c.Subject, "يرجى التأكيد") || !strings.Contains(c.Text, "تأكيد") || !strings.Contains(c.Text, "CONFIRM") || c.Lang != "ar" {
		t.Fatalf("the request is not in Arabic (lang %s):\n%s\n%s", c.Lang, c.Subject, c.Text)
	}
	if c.HTML == "" || !strings.Contains(c.HTML, `dir="rtl"`) {
		t.Error("the Arabic request has no right-to-left HTML part")
	}
	h.handle(confirmReply(c, "rania@coal.example", "تأكيد", 1))
	if len(h.rounds()) != 1 {
		t.Fatal("تأكيد did not open the round")
	}
}
