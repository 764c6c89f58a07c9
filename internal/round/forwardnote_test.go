package round

import (
	"strings"
	"testing"

	"consultd/internal/store"
)

// TestOpenedNoteSaysWhatWasGuessed: a forward whose shape is uncertain still
// opens the round, and the coordinators' note says what was guessed and how
// to correct it.
func TestOpenedNoteSaysWhatWasGuessed(t *testing.T) {
	h := newHarness(t, false)
	raw := []byte("From: Rania <rania@coal.example>\r\nTo: <coalition@coal.example>\r\nSubject: Fwd: Invitation to the consultation\r\n" +
		"Message-ID: <guess-1@coal.example>\r\nDate: Fri, 20 Nov 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Please handle.\r\n\r\n-------- \xec\xa0\x84\xeb\x8b\xac\xeb\x90\x9c \xeb\xa9\x94\xec\x8b\x9c\xec\xa7\x80 --------\r\n" +
		"Subject: \tInvitation to the consultation\r\nDate: \tWed, 3 Nov 2026 15:51:30 +0100\r\n" +
		"From: \tOffice of the Special Envoy <office@envoy.example>\r\nTo: \tcoalition@coal.example\r\n\r\n\r\nDear colleagues,\r\n\r\nPlease join us.\r\n")
	if d := h.handle(raw); d != store.Processed {
		t.Fatalf("went to %s, want processed", d)
	}
	opened := h.outbox("opened")
	if len(opened) != 1 {
		t.Fatalf("%d opened notes, want 1", len(opened))
	}
	text := opened[0].Text
	for _, want := range []string{"Please check:", "전달된 메시지", "left out of your note", "CANCEL ", "as an attachment", "Inviter: Name <address>"} {
		if !strings.Contains(text, want) {
			t.Errorf("opened note lacks %q:\n%s", want, text)
		}
	}
	for _, c := range h.outbox("consultation") {
		if strings.Contains(c.Text, "전달된") {
			t.Errorf("the unknown marker line reached a member's consultation:\n%s", c.Text)
		}
	}
}

// TestForwardWithoutInviterSaysWhy: a header block whose From label consultd
// does not know (Icelandic) opens no round, and the coordinator is told which line it
// could not read.
func TestForwardWithoutInviterSaysWhy(t *testing.T) {
	h := newHarness(t, false)
	raw := []byte("From: Rania <rania@coal.example>\r\nTo: <coalition@coal.example>\r\nSubject: Fwd: Invitation to the consultation\r\n" +
		"Message-ID: <guess-2@coal.example>\r\nDate: Fri, 20 Nov 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"---------- Forwarded message ---------\r\nFr\xc3\xa1: Office of the Special Envoy <office@envoy.example>\r\n" +
		"Date: Wed, Oct 27, 2026 at 9:31 AM\r\nSubject: Invitation to the consultation\r\nTo: <coalition@coal.example>\r\n\r\nDear colleagues,\r\n")
	if d := h.handle(raw); d != store.Review {
		t.Fatalf("went to %s, want review", d)
	}
	if n := len(h.rounds()); n != 0 {
		t.Fatalf("%d rounds opened without an inviter", n)
	}
	var found bool
	for _, m := range h.outbox(store.MailNotice) {
		if strings.Contains(m.Text, "Inviter: Name <address>") && strings.Contains(m.Text, "Fr\xc3\xa1:") {
			found = true
		}
	}
	if !found {
		t.Error("no notice names the line that could not be read")
	}
}
