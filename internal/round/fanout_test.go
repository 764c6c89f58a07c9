package round

import (
	"fmt"
	"strings"
	"testing"

	"consultd/internal/demo/story"
	"consultd/internal/store"
)

// TestALargeAllianceUnderASendingLimitIsToldWhenTheFanOutEnds: 450 members
// and the note, under Microsoft 365's 30 messages a minute, take 15 minutes;
// the coordinators' note says until when, and lists 100 members, not all.
func TestALargeAllianceUnderASendingLimitIsToldWhenTheFanOutEnds(t *testing.T) {
	var b strings.Builder
	b.WriteString("members:\n")
	for i := range 450 {
		fmt.Fprintf(&b, "  - {id: m%d, name: \"Member %d\", emails: [m%d@org.example], language: en}\n", i, i, i)
	}
	h := newHarnessWith(t, false,
		"smtp: {host: 127.0.0.1, port: 1025, security: none}", "smtp: {host: 127.0.0.1, port: 1025, security: none, rate: {messages_per_minute: 30}}",
		"members:\n  - {id: baytna, name: \"Baytna Syria\", emails: [info@baytna.example, backup@baytna.example], language: en}\n  - {id: sjac, name: \"Syria Justice and Accountability Center (SJAC)\", emails: [info@sjac.example], language: en}\n  - {id: kawakibi, name: \"AlKawakbi Center\", emails: [info@kawakibi.example], language: ar}\n", b.String())
	if d := h.handle(story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now)); d != store.Processed {
		t.Fatalf("forward went to %s", d)
	}
	notes := h.outbox(store.MailOpened)
	if len(notes) != 1 {
		t.Fatalf("%d opened notes", len(notes))
	}
	text := notes[0].Text
	for _, want := range []string{"Members asked: 450", "… and 350 more", "30 messages a minute", "the last should have gone out by about Fri 20 Nov 2026 09:15 UTC"} {
		if !strings.Contains(text, want) {
			t.Errorf("opened note lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Member 449 ") {
		t.Errorf("the note lists every member")
	}
}

// TestEveryMemberOfALargeRoundGetsItsOwnConsultationInOrder: the
// consultations of a round's opening are rendered several at once, in
// chunks; each member still gets exactly one, in the list's order, in its
// language, naming it, with its own reply token.
func TestEveryMemberOfALargeRoundGetsItsOwnConsultationInOrder(t *testing.T) {
	const n = 2*consultationChunk + 37 // two full chunks and a partial one
	langs := []string{"en", "ar", "fr"}
	var b strings.Builder
	b.WriteString("members:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: m%d, name: \"Org-%04d\", emails: [m%d@org.example], language: %s}\n", i, i, i, langs[i%3])
	}
	h := newHarnessWith(t, false,
		"members:\n  - {id: baytna, name: \"Baytna Syria\", emails: [info@baytna.example, backup@baytna.example], language: en}\n  - {id: sjac, name: \"Syria Justice and Accountability Center (SJAC)\", emails: [info@sjac.example], language: en}\n  - {id: kawakibi, name: \"AlKawakbi Center\", emails: [info@kawakibi.example], language: ar}\n", b.String())
	if d := h.handle(story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now)); d != store.Processed {
		t.Fatalf("forward went to %s", d)
	}
	rounds, err := store.ListRounds(h.ctx, h.e.Store.DB())
	if err != nil || len(rounds) != 1 {
		t.Fatalf("rounds: %v, %v", rounds, err)
	}
	ps, err := store.Participants(h.ctx, h.e.Store.DB(), rounds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, p := range ps {
		tokens[p.MemberID] = p.Token
	}
	cs := h.outbox(store.MailConsultation)
	if len(cs) != n {
		t.Fatalf("%d consultations for %d members", len(cs), n)
	}
	for i, m := range cs {
		id := fmt.Sprintf("m%d", i)
		if len(m.To) != 1 || m.To[0].Addr != id+"@org.example" {
			t.Fatalf("consultation %d goes to %v, want %s@org.example (the members' order)", i, m.To, id)
		}
		if m.Lang != langs[i%3] {
			t.Errorf("%s: language %q, want %q", id, m.Lang, langs[i%3])
		}
		if !strings.Contains(m.Text, fmt.Sprintf("Org-%04d", i)) {
			t.Errorf("%s: the consultation does not name Org-%04d", id, i)
		}
		if tok := tokens[id]; tok == "" || m.ReplyTo == nil || !strings.Contains(m.ReplyTo.Addr, tok) {
			t.Errorf("%s: Reply-To %v does not carry its token %q", id, m.ReplyTo, tok)
		}
	}
}
