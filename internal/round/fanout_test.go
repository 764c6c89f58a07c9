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
