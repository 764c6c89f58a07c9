package itest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"consultd/internal/mailstack"
	"consultd/internal/store"
)

// TestForwardsFromMoreClientsAndLanguages sends forwards as Yahoo, Outlook's
// "On … wrote:" form, Thunderbird (ru), HubSpot (ja), Apple Mail (cs) and
// Gmail (tr), K-9 Mail and Thunderbird (et) write them through Postfix and Dovecot: each round gets the
// right inviter, subject and note, and no marker line reaches a member. A
// forward under a marker consultd does not know still opens its round, and
// the coordinators' note says what was guessed.
func TestForwardsFromMoreClientsAndLanguages(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria"}, []string{"en"}, "")
	w.trustCoordinator()
	w.Start()
	const subject = "Invitation: consultation with civil society, Geneva, 9 November"
	const unknownMarker = "From: x\r\nTo: y\r\nSubject: Fwd: " + subject + "\r\nMessage-ID: <m>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Dear all, please see the invitation below. We need to answer this week.\r\n\r\nRania\r\n\r\n" +
		"-------- 전달된 메시지 --------\r\nSubject: \t" + subject + "\r\nDate: \tWed, 3 Nov 2021 15:51:30 +0100\r\n" +
		"From: \tOffice of the Special Envoy <office@envoy.example>\r\nTo: \tcoalition@coalition.example\r\n\r\n\r\nDear colleagues,\r\n"
	cases := []struct{ file, subject, guess string }{
		{"yahoo_en.eml", subject, ""},
		{"outlook_wrote_en.eml", subject, ""},
		{"thunderbird_ru.eml", subject, ""},
		{"hubspot_ja.eml", "市民社会との協議へのご招待", ""},
		{"apple_cs.eml", subject, ""},
		{"gmail_tr.eml", subject, ""},
		{"k9_en.eml", subject, ""},
		{"thunderbird_et.eml", subject, ""},
		{"", subject, "전달된 메시지"},
	}
	// Each forward gets its own subject, so that none is taken for another's
	// invitation (same inviter, same subject).
	for i, c := range cases {
		raw := []byte(unknownMarker)
		if c.file != "" {
			var err error
			if raw, err = os.ReadFile(filepath.Join("..", "forward", "testdata", "clients", c.file)); err != nil {
				t.Fatal(err)
			}
		}
		cases[i].subject = fmt.Sprintf("%s #%d", c.subject, i)
		raw = []byte(strings.ReplaceAll(string(raw), c.subject, cases[i].subject))
		w.send(w.coord, []string{w.coalition}, w.vouch(readdress(raw, w.coord, w.coalition)))
	}
	opened := w.inbox(w.coord, "INBOX", "Round opened", len(cases))
	cons := w.inbox(w.members[0].emails[0], "INBOX", "[Consultation ", len(cases))
	bySubject := map[string]*store.Round{}
	for _, r := range w.rounds() {
		bySubject[r.OrigSubject] = r
	}
	for _, c := range cases {
		r := bySubject[c.subject]
		if r == nil {
			t.Errorf("%s: no round with subject %q", c.file, c.subject)
			continue
		}
		if r.InviterAddress != "office@envoy.example" || r.InviterName != "Office of the Special Envoy" {
			t.Errorf("%s: round for %q <%s>", c.file, r.InviterName, r.InviterAddress)
		}
		if want := "Dear all, please see the invitation below. We need to answer this week.\n\nRania"; r.Note != want {
			t.Errorf("%s: note = %q, want %q", c.file, r.Note, want)
		}
		for _, m := range cons {
			if !strings.Contains(m.Subject, r.ID) {
				continue
			}
			for _, marker := range []string{"Forwarded", "메시지", "Перенаправленное", "転送", "Začátek", "wrote:", "Original Message", "Edastatud"} {
				if strings.Contains(m.Text, marker) {
					t.Errorf("%s: the member's consultation holds %q:\n%s", c.file, marker, m.Text)
				}
			}
			if !strings.Contains(m.Text, "Dear colleagues,") {
				t.Errorf("%s: the member's consultation lacks the invitation text:\n%s", c.file, m.Text)
			}
		}
		if c.guess == "" {
			continue
		}
		for _, m := range opened {
			if strings.Contains(m.Subject, r.ID) && !strings.Contains(m.Text, c.guess) {
				t.Errorf("the opened note does not say what was guessed (%q):\n%s", c.guess, m.Text)
			}
		}
	}
}
