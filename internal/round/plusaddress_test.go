package round

import (
	"strings"
	"testing"

	"consultd/internal/store"
)

// Where the provider does not deliver coalition+TOKEN@… (plus_addressing:
// false), consultations and confirmation requests carry the bare address in
// Reply-To, and a member's plain reply is still matched by its token, found
// in the In-Reply-To/References that point at the consultation's Message-ID.
func TestWithoutPlusAddressingAReplyIsMatchedByItsThreadingHeaders(t *testing.T) {
	y := strings.Replace(testConfig, "POLICY_APPROVAL", "false", 1)
	y = strings.Replace(y, "address: coalition@coal.example}", "address: coalition@coal.example, plus_addressing: false}", 1)
	h := newHarnessConfig(t, y)
	r, cons := h.open()
	c := cons["info@baytna.example"]
	if c.ReplyTo != "coalition@coal.example" {
		t.Fatalf("consultation Reply-To %q, want the bare coalition address", c.ReplyTo)
	}
	p := participant(t, h, r.ID, "baytna")
	if !strings.Contains(c.MessageID, p.Token) {
		t.Fatalf("the consultation's Message-ID %q does not carry the member's token", c.MessageID)
	}
	if d := h.handle(answerMail(c, "info@baytna.example", "DECLINE", 1)); d != store.Processed {
		t.Fatalf("the reply went to %s", d)
	}
	if p := participant(t, h, r.ID, "baytna"); p.Position != "decline" {
		t.Fatalf("the reply by In-Reply-To was not counted: %+v", p)
	}
	// Only References (some clients drop In-Reply-To on a reply-all).
	c2 := cons["info@sjac.example"]
	raw := strings.Replace(string(answerMail(c2, "info@sjac.example", "ACCEPT", 2)), "In-Reply-To: <"+c2.MessageID+">\r\n", "", 1)
	h.handle([]byte(raw))
	if p := participant(t, h, r.ID, "sjac"); p.Position != "accept" {
		t.Fatalf("the reply by References alone was not counted: %+v", p)
	}
	// A new mail to the bare address with no thread is not guessed.
	c3 := cons["info@kawakibi.example"]
	c3.MessageID = "unrelated@example.org"
	if d := h.handle(answerMail(c3, "info@kawakibi.example", "ACCEPT", 3)); d != store.Review {
		t.Fatalf("an untokened mail went to %s", d)
	}
	if p := participant(t, h, r.ID, "kawakibi"); p.Answered() {
		t.Fatalf("an untokened mail was counted: %+v", p)
	}
}
