package forward

import (
	"encoding/json"
	"strings"
	"testing"

	"consultd/internal/corpustest"
)

// TestCorpusDiscourseForwards scores FindInline on the Discourse trimmer's
// extract_embedded cases: the forwarded message from its header block on
// ("embedded") and the text above it ("before") must both match.
func TestCorpusDiscourseForwards(t *testing.T) {
	root, m := corpustest.Load(t, "discourse-email_reply_trimmer")
	known := corpustest.LoadKnown(t, "", false)
	results := map[string]bool{}
	for _, raw := range m.Cases {
		var c struct {
			ID, Kind, Input string
			Expected        map[string]any
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if c.Kind != "extract_embedded" {
			continue
		}
		in := string(corpustest.Read(t, root, c.Input))
		wantEmb := strings.TrimSpace(string(corpustest.Read(t, root, c.Expected["embedded"].(string))))
		wantBefore := strings.TrimSpace(string(corpustest.Read(t, root, c.Expected["before"].(string))))
		got, ok := FindInline(strings.TrimSpace(in))
		pass := ok && got.Embedded == wantEmb && got.Before == wantBefore
		results[c.ID] = pass
		if !pass && known[c.ID] == "" {
			t.Logf("%s: found=%v\n--- before got:\n%s\n--- want:\n%s\n--- embedded got:\n%s\n--- want:\n%s", c.ID, ok, got.Before, wantBefore, got.Embedded, wantEmb)
		}
	}
	corpustest.Score(t, "discourse-email_reply_trimmer", "extract_embedded exact (embedded and before)", results, known)
}
