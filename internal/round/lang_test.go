package round

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"consultd/internal/demo/story"
	"consultd/internal/store"
)

// newFrenchHarness is newHarness with AlKawakbi Center and SJAC speaking French.
func newFrenchHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, false,
		"emails: [info@kawakibi.example], language: ar}", "emails: [info@kawakibi.example], language: fr}",
		"emails: [info@sjac.example], language: en}", "emails: [info@sjac.example], language: fr}")
}

func TestFrancophoneMemberIsConsultedRemindedAndAnsweredInFrench(t *testing.T) {
	h := newFrenchHarness(t)
	r, cons := h.open()
	// The invitation asks for an answer by 24 November (story.InvitationBody),
	// which consultd takes as the deadline: the end of that day, UTC.
	const deadline = "mardi 24 novembre 2026 à 23:59 (UTC)"
	c := cons["info@kawakibi.example"]
	if want := "[Consultation " + r.ID + "] " + story.InviteSubject; c.Subject != want {
		t.Errorf("subject %q, want %q", c.Subject, want)
	}
	for _, want := range []string{
		"Chères et chers collègues de AlKawakbi Center,",
		"a besoin de connaître la position de votre organisation avant le " + deadline + ".",
		"Répondre avant le : " + deadline,
		"COMMENT RÉPONDRE",
		"  ACCEPTER     - la coalition devrait accepter l'invitation",
		"  S'ABSTENIR   - votre organisation ne prend pas position",
		"  Préoccupations :", "  Recommandations :", "  Signer : oui",
		"---------- L'invitation ----------",
	} {
		if !strings.Contains(c.Body, want) {
			t.Errorf("the French consultation lacks %q:\n%s", want, c.Body)
		}
	}
	if strings.Contains(c.Body, "HOW TO ANSWER") || strings.Contains(c.Body, "Answer by") {
		t.Errorf("English left in the French consultation:\n%s", c.Body)
	}
	for _, m := range h.outbox("consultation") {
		switch m.To[0].Addr {
		case "info@kawakibi.example":
			if m.Lang != "fr" || m.HTML != "" {
				t.Errorf("French consultation: Content-Language %q, HTML part %v (French is left to right: no HTML wrapper)", m.Lang, m.HTML != "")
			}
		case "info@baytna.example":
			if !strings.Contains(m.Text, "HOW TO ANSWER") {
				t.Errorf("the English member's consultation is not English:\n%s", m.Text)
			}
		}
	}

	// An answer written as the French template teaches is understood, and
	// the receipt says so in French.
	h.handle(answerMail(c, "info@kawakibi.example", "REFUSER\n\nPréoccupations :\n1. L'invitation arrive trop tard.\n\nSigner : oui", 70))
	p := participant(t, h, r.ID, "kawakibi")
	if p.Position != "decline" || len(p.Concerns) != 1 || p.Sign == nil || !*p.Sign {
		t.Fatalf("the French answer was read as %q %q sign %v", p.Position, p.Concerns, p.Sign)
	}
	rec := h.outbox("receipt")
	if len(rec) != 1 {
		t.Fatalf("want 1 receipt, got %d", len(rec))
	}
	for _, want := range []string{"Merci. Nous avons enregistré la réponse de AlKawakbi Center pour la consultation " + r.ID,
		"Position :              décliner l'invitation (REFUSER)", "Signe le texte commun : oui",
		"    1. L'invitation arrive trop tard.", "La consultation se termine le " + deadline + "."} {
		if !strings.Contains(rec[0].Text, want) {
			t.Errorf("the French receipt lacks %q:\n%s", want, rec[0].Text)
		}
	}

	// SJAC, silent, is reminded in French.
	h.now = r.Deadline.Add(-23 * time.Hour)
	h.e.Tick(h.ctx)
	var got bool
	for _, m := range h.outbox("reminder") {
		if m.To[0].Addr != "info@sjac.example" {
			continue
		}
		got = true
		if want := "Rappel : [Consultation " + r.ID + "] " + story.InviteSubject; m.Subject != want {
			t.Errorf("reminder subject %q, want %q", m.Subject, want)
		}
		if !strings.Contains(m.Text, "Nous n'avons pas encore reçu la réponse de votre organisation") ||
			!strings.Contains(m.Text, "La consultation se termine le "+deadline+".") {
			t.Errorf("the French reminder:\n%s", m.Text)
		}
	}
	if !got {
		t.Fatal("SJAC was not reminded")
	}
}

// A coordinator's "Langue : français" makes the round French: the inviter
// receives the joint statement in French.
func TestLanguageDirectiveMakesTheStatementFrench(t *testing.T) {
	h := newFrenchHarness(t)
	fwd := story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now)
	fwd = bytes.Replace(fwd, []byte("Dear all, please see"), []byte("Langue : français\n\nDear all, please see"), 1)
	if !bytes.Contains(fwd, []byte("Langue : fran")) {
		t.Fatal("the directive was not put into the forward")
	}
	if d := h.handle(fwd); d != store.Processed {
		t.Fatalf("forward went to %s", d)
	}
	rounds, _ := store.ListRounds(h.ctx, h.e.Store.DB())
	if len(rounds) != 1 || rounds[0].Language != "fr" {
		t.Fatalf("rounds %+v: want one French round", rounds)
	}
	cons := map[string]story.Consultation{}
	for _, m := range h.outbox("consultation") {
		cons[m.To[0].Addr] = story.Consultation{MessageID: m.MessageID, Subject: m.Subject, Body: m.Text, Date: m.Date, ReplyTo: m.ReplyTo.Addr}
	}
	for i, a := range []string{"info@baytna.example", "info@sjac.example", "info@kawakibi.example"} {
		h.handle(answerMail(cons[a], a, "DECLINE\n\nRecommendations:\n1. Consult us earlier.", 80+i))
	}
	st := h.outbox("statement")
	if len(st) != 1 {
		t.Fatalf("want the statement once, got %d", len(st))
	}
	if want := "Déclaration de Test Coalition sur l'invitation à « "; !strings.HasPrefix(st[0].Text, want) || st[0].Lang != "fr" {
		t.Errorf("statement (lang %q) does not start with its French title:\n%s", st[0].Lang, st[0].Text)
	}
	for _, want := range []string{"regrettent par conséquent de ne pouvoir accepter l'invitation de " + story.InviterName,
		"\n1. Consult us earlier.\n", "\n– Baytna Syria\n"} {
		if !strings.Contains(st[0].Text, want) {
			t.Errorf("the French statement lacks %q:\n%s", want, st[0].Text)
		}
	}
}

// TestArabicMailHTMLIsolatesWhatTheTemplateInserted: the HTML part of the
// Arabic member's consultation and receipt, as queued, isolates the
// inviter's English name and address and the quoted invitation, so they
// read in order inside the right-to-left mail (internal/render's browser
// test shows it in Chromium).
func TestArabicMailHTMLIsolatesWhatTheTemplateInserted(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	var html string
	for _, m := range h.outbox("consultation") {
		if m.To[0].Addr == "info@kawakibi.example" {
			html = m.HTML
			if strings.ContainsAny(m.Text, "\uFDD0\uFDD1") {
				t.Errorf("a value mark reached the text part")
			}
		}
	}
	inviter := r.InviterName + " &lt;" + r.InviterAddress + "&gt;"
	if !strings.Contains(html, `<html lang="ar" dir="rtl">`) || !strings.Contains(html, `<bdi dir="ltr">`+inviter+`</bdi>`) {
		t.Fatalf("the Arabic consultation's HTML does not isolate the inviter %q:\n%s", inviter, html)
	}
	if !strings.Contains(html, `<div dir="ltr" style="white-space:pre-wrap">From: <bdi dir="ltr">`+inviter) {
		t.Errorf("the quoted header line is not a left-to-right line:\n%s", html)
	}
	h.handle(answerMail(cons["info@kawakibi.example"], "info@kawakibi.example", "أرفض\n\nالمخاوف:\n1. The invitation came too late.", 80))
	rec := h.outbox("receipt")
	if len(rec) != 1 || !strings.Contains(rec[0].HTML, `<bdi dir="ltr">The invitation came too late.</bdi>`) {
		t.Fatalf("the Arabic receipt does not isolate the English concern: %d receipts\n%v", len(rec), rec)
	}
}
