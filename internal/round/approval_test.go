package round

import (
	"fmt"
	"os"
	"path/filepath"
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

// draftText returns the text between the draft's marker lines.
func draftText(t *testing.T, d sender.Mail) string {
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
	text := strings.Replace(draftText(t, d), "لم تتم استشارة المنظمات في المواضيع", "The organisations were not consulted on the topics.", 1)
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
	text := draftText(t, d) + "\n– Syria Justice and Accountability Center (SJAC)"
	coordinatorReply(h, d, "edit-1", command.BeginMarker+"\n"+text+"\n"+command.EndMarker)
	replies := h.outbox("command-reply")
	if len(replies) != 1 || !strings.Contains(replies[0].Text, "it lists organisations that did not agree to sign: Syria Justice and Accountability Center (SJAC)") {
		t.Fatalf("adding a signatory was not refused clearly: %+v", replies)
	}
	if got, _ := store.GetRound(h.ctx, h.e.Store.DB(), r.ID); got.State != store.StateDraft || len(h.outbox("draft")) != 1 || len(h.outbox("statement")) != 0 {
		t.Fatalf("after a refused edit the round is %s with %d drafts", got.State, len(h.outbox("draft")))
	}
}

func TestBothStatementLanguagesAreDraftedTranslatedAndPublishedLinked(t *testing.T) {
	h := newHarnessYAML(t, false, "statement_languages: [en, ar]\n")
	r, cons := h.open()
	h.handle(answerMail(cons["info@baytna.example"], "info@baytna.example", "DECLINE\nConcerns:\n- Invitations come too late.", 80))
	h.handle(answerMail(cons["info@sjac.example"], "info@sjac.example", "DECLINE", 81))
	h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "نعتذر عن عدم المشاركة\nالتوصيات:\n- إشراك المنظمات في تحديد المواضيع", 82))
	drafts := h.outbox("draft")
	if len(drafts) != 1 || len(h.outbox("statement")) != 0 {
		t.Fatalf("a bilingual statement must be drafted first: %d drafts, %d statements", len(drafts), len(h.outbox("statement")))
	}
	d := drafts[0]
	begin, end := markers(r, "ar")
	en := draftText(t, d)
	ar := command.Between(d.Text, begin, end)
	if !strings.Contains(en, "إشراك المنظمات في تحديد المواضيع\n(consultd: raised by AlKawakbi Center)\n(consultd: written in Arabic — translate or remove)") {
		t.Errorf("the English version does not mark the Arabic point:\n%s", en)
	}
	if !strings.Contains(ar, "Invitations come too late.\n(consultd: raised by Baytna Syria)\n(consultd: not written in Arabic — translate or remove)") || !strings.Contains(ar, "تعتذر") {
		t.Errorf("the Arabic version does not mark the English point:\n%s", ar)
	}
	en = strings.Replace(en, "إشراك المنظمات في تحديد المواضيع", "Involve the organisations in choosing the topics.", 1)
	ar = strings.Replace(ar, "Invitations come too late.", "الدعوات تصل متأخرة.", 1)
	// Only the English version sent back: the Arabic one still has an English point.
	coordinatorReply(h, d, "edit-0", "English done.\n\n"+command.BeginMarker+"\n"+en+"\n"+command.EndMarker)
	if rs := h.outbox("command-reply"); len(h.outbox("statement")) != 0 || len(rs) != 1 || !strings.Contains(rs[0].Text, "Arabic version: “Invitations come too late.”") {
		t.Fatalf("a version left untranslated was published: %d statements, replies %+v", len(h.outbox("statement")), rs)
	}
	coordinatorReply(h, d, "edit-1", "Both translated.\n\n"+command.BeginMarker+"\n"+en+"\n"+command.EndMarker+"\n\n"+begin+"\n"+ar+"\n"+end)
	st := h.outbox("statement")
	if len(st) != 1 {
		t.Fatalf("%d statements after the translated texts came back", len(st))
	}
	if strings.Contains(st[0].Text, "تحديد") || !strings.Contains(st[0].Text, "1. Involve the organisations in choosing the topics.") {
		t.Errorf("the inviter's statement is not the English version:\n%s", st[0].Text)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(h.cfg.PublishDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if page := read(r.ID + ".html"); !strings.Contains(page, `<a href="`+r.ID+`.ar.html" hreflang="ar" lang="ar" dir="rtl">العربية</a>`) || !strings.Contains(page, "Involve the organisations") {
		t.Errorf("English page does not link the Arabic one:\n%s", page)
	}
	page := read(r.ID + ".ar.html")
	if !strings.Contains(page, `dir="rtl"`) || !strings.Contains(page, `href="`+r.ID+`.html"`) || !strings.Contains(page, "الدعوات تصل متأخرة.") || strings.Contains(page, "too late") {
		t.Errorf("Arabic page:\n%s", page)
	}
	if md := read(r.ID + ".ar.md"); !strings.Contains(md, "[English]("+r.ID+".md)") {
		t.Errorf("Arabic Markdown does not link the English one:\n%s", md)
	}
}
