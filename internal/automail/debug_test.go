package automail

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"consultd/internal/corpustest"
)

// TestDebugCase prints what the parser sees for AUTOMAIL_CASE=id[,id].
func TestDebugCase(t *testing.T) {
	ids := os.Getenv("AUTOMAIL_CASE")
	if ids == "" {
		t.Skip("set AUTOMAIL_CASE")
	}
	root, man := corpustest.Load(t, "sisimai-set-of-emails")
	for _, raw := range man.Cases {
		var c sisimaiCase
		_ = json.Unmarshal(raw, &c)
		if !strings.Contains(","+ids+",", ","+c.ID+",") {
			continue
		}
		m := parseRaw(corpustest.Read(t, root, c.Input))
		fmt.Printf("== %s ct=%s %v subj=%q from=%v\nDS=%q\nTEXT=%.1500q\nEMB=%d ATT=%d\n", c.ID, m.ContentType, m.Params, m.Subject, m.From, m.DeliveryStatus, m.Text, len(m.Embedded), len(m.Attachments))
		b := ParseBounce(m)
		if b != nil {
			for _, r := range b.Recipients {
				fmt.Printf("  %+v\n", r)
			}
		}
		fmt.Printf("  want %+v\n", c.Expected.Recipients)
	}
}
