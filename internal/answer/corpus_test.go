package answer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"consultd/internal/automail"
	"consultd/internal/corpustest"
	"consultd/internal/mimeparse"
)

// corpusCase is one entry of testdata/arabic/MANIFEST.json (the shape of the
// shared corpora's manifests: id, input, expected, tests).
type corpusCase struct {
	ID       string `json:"id"`
	Input    string `json:"input"`
	Expected struct {
		Position        Position `json:"position"`
		Concerns        []string `json:"concerns"`
		Recommendations []string `json:"recommendations"`
		Sign            *bool    `json:"sign"`
		Text            string   `json:"text"`
		AutoReply       bool     `json:"auto_reply"`
	} `json:"expected"`
	Tests string `json:"tests"`
}

// loadCorpus reads one of our own corpora in testdata (not the shared ones).
func loadCorpus(t testing.TB, dir string) []corpusCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Corpus    string       `json:"corpus"`
		CaseCount int          `json:"case_count"`
		Cases     []corpusCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("testdata/%s/MANIFEST.json: %v", dir, err)
	}
	if m.CaseCount != len(m.Cases) {
		t.Fatalf("testdata/%s/MANIFEST.json: case_count %d, %d cases", dir, m.CaseCount, len(m.Cases))
	}
	return m.Cases
}

func readFixture(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorpusArabic runs every Arabic fixture the way the daemon does:
// mimeparse.Parse, then automail.IsAutoReply (an auto-reply is never read or
// counted), then Reader.Read, and compares all of the answer exactly.
func TestCorpusArabic(t *testing.T) {
	cases := loadCorpus(t, "arabic")
	if len(cases) < 40 {
		t.Fatalf("Arabic corpus has %d cases, want at least 40", len(cases))
	}
	r := NewReader()
	results := map[string]bool{}
	for _, c := range cases {
		raw := readFixture(t, "arabic", c.Input)
		diffs := checkCase(r, raw, c)
		results[c.ID] = len(diffs) == 0
		if len(diffs) > 0 {
			t.Logf("%s (%s):\n\t%s", c.ID, c.Tests, strings.Join(diffs, "\n\t"))
		}
	}
	corpustest.Score(t, "consultd-arabic", "exact", results, corpustest.LoadKnown(t, "", false))
}

// checkCase returns what differs from the expectation ("" entries none).
func checkCase(r *Reader, raw []byte, c corpusCase) []string {
	m, err := mimeparse.Parse(raw)
	if err != nil {
		return []string{"mimeparse: " + err.Error()}
	}
	auto, why := automail.IsAutoReply(m)
	if auto != c.Expected.AutoReply {
		return []string{fmt.Sprintf("auto-reply = %v (%s), want %v", auto, why, c.Expected.AutoReply)}
	}
	if auto {
		return nil // never read, never counted
	}
	a := r.Read(m)
	e := c.Expected
	var d []string
	if a.Position != e.Position {
		d = append(d, fmt.Sprintf("position = %q, want %q", a.Position, e.Position))
	}
	if !sameItems(a.Concerns, e.Concerns) {
		d = append(d, fmt.Sprintf("concerns = %q, want %q", a.Concerns, e.Concerns))
	}
	if !sameItems(a.Recommendations, e.Recommendations) {
		d = append(d, fmt.Sprintf("recommendations = %q, want %q", a.Recommendations, e.Recommendations))
	}
	if !sameSign(a.Sign, e.Sign) {
		d = append(d, fmt.Sprintf("sign = %v, want %v", ptr(a.Sign), ptr(e.Sign)))
	}
	if a.Text != e.Text {
		d = append(d, fmt.Sprintf("text = %q, want %q", a.Text, e.Text))
	}
	return d
}

func sameItems(got, want []string) bool {
	return (len(got) == 0 && len(want) == 0) || slices.Equal(got, want)
}

func sameSign(got, want *bool) bool {
	return (got == nil) == (want == nil) && (got == nil || *got == *want)
}

// TestReadEnglishClients reads English replies in the shapes real clients
// produce (Gmail top-posted, Outlook header block, iPhone, Thunderbird bottom-
// posted and inline, Outlook web HTML-only, Apple Mail) end to end.
func TestReadEnglishClients(t *testing.T) {
	r := NewReader()
	for _, c := range loadCorpus(t, "english") {
		t.Run(c.ID, func(t *testing.T) {
			for _, d := range checkCase(r, readFixture(t, "english", c.Input), c) {
				t.Error(d)
			}
		})
	}
}
