package forward

import (
	"strings"
	"testing"
	"time"

	"consultd/internal/mimeparse"
	"consultd/internal/testutil"
)

// TestParseBoundsWork feeds shapes that would be slow with quadratic scans.
// The limit is generous (machines under load); a quadratic scan of these
// inputs takes minutes.
func TestParseBoundsWork(t *testing.T) {
	testutil.SkipUnderRace(t, "10 s per input")
	inputs := map[string]string{
		"quoted From lines":    strings.Repeat("> From: x\n", 40000),
		"quoted nested Date":   strings.Repeat(">> Date: 1 Jan 2017\n> From: a\n", 20000),
		"markers without body": strings.Repeat("-----Original Message-----\n", 40000),
		"header-like prose":    strings.Repeat("From: a\nSubject: b\n", 20000),
		"reply-by triggers":    strings.Repeat("please confirm by ", 60000),
		"long line":            strings.Repeat("From: ", 300000),
	}
	for name, text := range inputs {
		start := time.Now()
		Parse(&mimeparse.Message{Text: text, Subject: "Fwd: x"}, now)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: Parse took %v", name, d)
		}
	}
}
