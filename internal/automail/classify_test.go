package automail

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"consultd/internal/corpustest"
	"consultd/internal/mimeparse"
)

// oldOrder is how the workflow decided before Classify: three predicates,
// each running the bounce parser again.
func oldOrder(m *mimeparse.Message) Verdict {
	if b := ParseBounce(m); b != nil {
		return Verdict{Kind: Bounced, Bounce: b}
	}
	if ok, why := IsAutoReply(m); ok {
		return Verdict{Kind: AutoReplied, Why: why}
	}
	if IsMachineGenerated(m) {
		return Verdict{Kind: Machine, Why: "machine-generated"}
	}
	return Verdict{}
}

// TestClassifyDecidesAsThePredicatesDo: the one-pass verdict is the one the
// three predicates give, on every fixture and every peer-corpus message.
func TestClassifyDecidesAsThePredicatesDo(t *testing.T) {
	var msgs []*mimeparse.Message
	var names []string
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, f := range files {
		msgs, names = append(msgs, readFixture(t, filepath.Base(f))), append(names, f)
	}
	root, man := corpustest.Load(t, "sisimai-set-of-emails")
	for _, raw := range man.Cases {
		var c sisimaiCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		msgs, names = append(msgs, parseRaw(corpustest.Read(t, root, c.Input))), append(names, c.ID)
	}
	kinds := map[Kind]int{}
	for i, m := range msgs {
		got, want := Classify(m), oldOrder(m)
		kinds[got.Kind]++
		if got.Kind != want.Kind || got.Why != want.Why || (got.Bounce == nil) != (want.Bounce == nil) {
			t.Errorf("%s: Classify = %v %q, the predicates say %v %q", names[i], got.Kind, got.Why, want.Kind, want.Why)
		}
	}
	if kinds[Bounced] == 0 || kinds[AutoReplied] == 0 || kinds[Person] == 0 {
		t.Fatalf("the fixtures should hold every kind: %v", kinds)
	}
	if Classify(nil).Kind != Person || !strings.Contains(Machine.String(), "machine") {
		t.Fatal("nil message or names")
	}
}
