package round

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"consultd/internal/mimeparse"
	"consultd/internal/store"
)

func tooLarge(h *harness, from, id string) {
	h.t.Helper()
	uid++
	hdr := fmt.Sprintf("From: <%s>\r\nTo: <coalition@coal.example>\r\nSubject: Fwd: Invitation with the full annexes\r\nMessage-ID: <%s>\r\n", from, id)
	if err := h.e.HandleTooLarge(h.ctx, TooLarge{Header: []byte(hdr), Size: 40 << 20, Limit: 25 << 20, Mailbox: "INBOX", UIDValidity: 1, UID: uid}); err != nil {
		h.t.Fatal(err)
	}
}

func TestTooLargeMailIsRecordedAndTheCoordinatorsToldWithoutAFlood(t *testing.T) {
	h := newHarness(t, false)
	tooLarge(h, "rania@coal.example", "big-1@coal.example")
	notes := h.outbox("notice")
	if len(notes) != 1 || !strings.Contains(notes[0].Text, "40.0 MB from rania@coal.example") ||
		!strings.Contains(notes[0].Text, "forward it again without the largest attachments") {
		t.Fatalf("coordinator not told about their too-large forward: %+v", notes)
	}
	seen, err := store.GetSeen(h.ctx, h.e.Store.DB(), "big-1@coal.example")
	if err != nil || seen == nil || seen.Kind != "too_large" || seen.Disposition != "review" || !strings.Contains(seen.Note, "not read") {
		t.Fatalf("seen record %+v (err %v)", seen, err)
	}
	// The same message offered again (after a restart): nothing more.
	tooLarge(h, "rania@coal.example", "big-1@coal.example")
	// Strangers' huge mail: one note an hour in all, however many arrive.
	for i := range 20 {
		tooLarge(h, fmt.Sprintf("spam%d@junk.example", i), fmt.Sprintf("junk-%d@junk.example", i))
	}
	if n := len(h.outbox("notice")); n != 2 {
		t.Fatalf("%d notes after one coordinator's and 20 strangers' huge messages, want 2", n)
	}
	h.now = h.now.Add(61 * time.Minute)
	tooLarge(h, "spam99@junk.example", "junk-99@junk.example")
	if n := len(h.outbox("notice")); n != 3 {
		t.Fatalf("%d notes an hour later, want 3", n)
	}
	// A header that does not parse, or none at all, is still recorded.
	uid++
	if err := h.e.HandleTooLarge(h.ctx, TooLarge{Size: 30 << 20, Limit: 25 << 20, Mailbox: "INBOX", UIDValidity: 1, UID: uid}); err != nil {
		t.Fatal(err)
	}
}

func TestWholeMessageOnlyForCoordinators(t *testing.T) {
	h := newHarness(t, false)
	for from, want := range map[string]bool{
		"Rania <rania@coal.example>": true, "RANIA@COAL.EXAMPLE": true,
		"info@baytna.example": false, "someone@else.example": false, "": false,
	} {
		if got := h.e.WholeMessage([]byte("From: " + from + "\r\nSubject: x\r\n")); got != want {
			t.Errorf("WholeMessage(From: %s) = %v, want %v", from, got, want)
		}
	}
	// The parse options give a stranger's attachments the small budget.
	big := []byte("From: x@else.example\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		strings.Repeat("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n", 40_000))
	m, err := mimeparse.ParseWith(big, h.e.parseOptions())
	if err != nil || len(m.Attachments) != 1 || !m.Attachments[0].Truncated || len(m.Attachments[0].Data) != mimeparse.SmallAttachmentBytes {
		t.Fatalf("stranger's 2 MB attachment not cut to the small budget (%d attachments, err %v)", len(m.Attachments), err)
	}
}
