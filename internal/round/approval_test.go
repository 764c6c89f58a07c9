package round

import (
	"fmt"
	"strings"
	"testing"

	"consultd/internal/command"
	"consultd/internal/sender"
	"consultd/internal/store"
)

func coordinatorReply(h *harness, d sender.Mail, id, text string) {
	h.t.Helper()
	h.handle([]byte(fmt.Sprintf("From: Rania <rania@coal.example>\r\nTo: <coalition@coal.example>\r\nSubject: Re: %s\r\nMessage-ID: <%s@coal.example>\r\nIn-Reply-To: <%s>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		d.Subject, id, d.MessageID, strings.ReplaceAll(text, "\n", "\r\n"))))
}

// between returns the text between the draft's marker lines.
func between(t *testing.T, d sender.Mail) string {
	t.Helper()
	_, rest, ok := strings.Cut(d.Text, command.BeginMarker+"\n")
	text, _, ok2 := strings.Cut(rest, "\n"+command.EndMarker)
	if !ok || !ok2 {
		t.Fatalf("draft has no marker lines:\n%s", d.Text)
	}
	return text
}

func TestGroupedAndArabicPointsGoToTheCoordinatorsEvenWithoutRequireApproval(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE\nConcerns:\n1. Invitations arrive only days before the meeting.", 60))
	h.handle(answerMail(cons["info@sjac.example"], "info@sjac.example", "DECLINE\nConcerns:\n- We were invited three days before the meeting, too late to prepare.", 61))
	h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "نعتذر عن عدم المشاركة\nالمخاوف:\n- لم تتم استشارة المنظمات في المواضيع", 62))
	if got, _ := store.GetRound(h.ctx, h.e.Store.DB(), r.ID); got.State != store.StateDraft || len(h.outbox("statement")) != 0 {
		t.Fatalf("round %s with %d statements: a statement with grouped and Arabic points went out unreviewed", got.State, len(h.outbox("statement")))
	}
	d := h.outbox("draft")[0]
	for _, want := range []string{
		"it needs your review: 1 point was grouped with others written differently, 1 point is not written in English",
		"(consultd: raised by Baytna Syria, Syria Justice and Accountability Center (SJAC))",
		"(consultd: grouped by similarity with “Invitations arrive only days before the meeting.”",
		"لم تتم استشارة المنظمات في المواضيع\n(consultd: raised by AlKawakbi Center)\n(consultd: written in Arabic — translate or remove)",
	} {
		if !strings.Contains(d.Text, want) {
			t.Errorf("draft lacks %q:\n%s", want, d.Text)
		}
	}
	// A plain APPROVE would send Arabic in an English statement: refused, with the points named.
	coordinatorReply(h, d, "approve-1", "APPROVE")
	replies := h.outbox("command-reply")
	if len(h.outbox("statement")) != 0 || len(replies) != 1 || !strings.Contains(replies[0].Text, "“لم تتم استشارة المنظمات في المواضيع”") {
		t.Fatalf("plain APPROVE of a mixed-language draft: %d statements, replies %+v", len(h.outbox("statement")), replies)
	}
	// The coordinator translates the Arabic point in the draft, notes left in place, and sends it back.
	text := strings.Replace(between(t, d), "لم تتم استشارة المنظمات في المواضيع", "The organisations were not consulted on the topics.", 1)
	coordinatorReply(h, d, "edit-1", "Translated.\n\n"+command.BeginMarker+"\n"+text+"\n"+command.EndMarker)
	st := h.outbox("statement")
	if len(st) != 1 {
		t.Fatalf("the translated text was not sent: %d statements", len(st))
	}
	for _, bad := range []string{"consultd:", "لم تتم"} {
		if strings.Contains(st[0].Text, bad) {
			t.Errorf("the statement carries %q:\n%s", bad, st[0].Text)
		}
	}
	if !strings.Contains(st[0].Text, "2- The organisations were not consulted on the topics.\n") || strings.Count(st[0].Text, "days before the meeting") != 1 {
		t.Errorf("statement:\n%s", st[0].Text)
	}
}

func TestAnEditThatAddsASignatoryIsRefused(t *testing.T) {
	h := newHarness(t, true)
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE", 70))
	h.handle(answerMail(cons["info@sjac.example"], "info@sjac.example", "DECLINE\nSign: no", 71))
	h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "DECLINE", 72))
	d := h.outbox("draft")[0]
	text := between(t, d) + "\n– Syria Justice and Accountability Center (SJAC)"
	coordinatorReply(h, d, "edit-1", command.BeginMarker+"\n"+text+"\n"+command.EndMarker)
	replies := h.outbox("command-reply")
	if len(replies) != 1 || !strings.Contains(replies[0].Text, "it lists organisations that did not agree to sign: Syria Justice and Accountability Center (SJAC)") {
		t.Fatalf("adding a signatory was not refused clearly: %+v", replies)
	}
	if got, _ := store.GetRound(h.ctx, h.e.Store.DB(), r.ID); got.State != store.StateDraft || len(h.outbox("draft")) != 1 || len(h.outbox("statement")) != 0 {
		t.Fatalf("after a refused edit the round is %s with %d drafts", got.State, len(h.outbox("draft")))
	}
}
