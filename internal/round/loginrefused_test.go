package round

import (
	"strings"
	"testing"
)

// The daemon meets a refused sign-in on every retry; the coordinators hear of
// it once per refused credential, with the command that fixes it.
func TestARefusedSignInIsToldOncePerCredential(t *testing.T) {
	h := newHarness(t, false)
	fix := "An administrator fixes it by running:  consultd login --config /etc/consultd/config.yaml"
	for i := 0; i < 3; i++ {
		told, err := h.e.TellLoginRefused(h.ctx, "fp-1", "invalid_grant", fix)
		if err != nil || told != (i == 0) {
			t.Fatalf("attempt %d: told %v, err %v", i+1, told, err)
		}
	}
	n := h.outbox("notice")
	if len(n) != 1 {
		t.Fatalf("%d notices, want 1", len(n))
	}
	if !strings.Contains(n[0].Text, "consultd login --config /etc/consultd/config.yaml") || len(n[0].To) != 1 ||
		n[0].To[0].Addr != "rania@coal.example" {
		t.Fatalf("notice to %v:\n%s", n[0].To, n[0].Text)
	}
	// After a new sign-in (another credential) a new refusal is told again.
	if told, err := h.e.TellLoginRefused(h.ctx, "fp-2", "invalid_grant", fix); err != nil || !told {
		t.Fatalf("new credential: told %v, err %v", told, err)
	}
}
