package answer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"consultd/internal/mimeparse"
	"consultd/internal/reply"
)

// maxSeed keeps fuzz seeds small enough for many executions per second.
const maxSeed = 64 << 10

// fixtureMessages returns the raw .eml fixtures of our own corpora.
func fixtureMessages(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, dir := range []string{"arabic", "english"} {
		for _, c := range loadCorpus(t, dir) {
			out = append(out, readFixture(t, dir, c.Input))
		}
	}
	return out
}

// sharedCorpusDir finds ../shared/corpus like corpustest.Dir, but returns ""
// instead of skipping: fuzz targets run without the shared corpora too.
func sharedCorpusDir() string {
	if d := os.Getenv("CONSULTD_CORPUS"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
		c := filepath.Join(d, "..", "shared", "corpus")
		if _, err := os.Stat(filepath.Join(c, "README.md")); err == nil {
			return c
		}
	}
	return ""
}

// sharedCorpusInputs returns the inputs (files and literal texts) of the
// reply corpora in shared/corpus, read in place, when it exists.
func sharedCorpusInputs() [][]byte {
	dir := sharedCorpusDir()
	if dir == "" {
		return nil
	}
	var out [][]byte
	for _, name := range []string{"discourse-email_reply_trimmer", "github-email_reply_parser", "mailgun-talon"} {
		b, err := os.ReadFile(filepath.Join(dir, name, "MANIFEST.json"))
		if err != nil {
			continue
		}
		var m struct {
			Cases []struct {
				Input     string `json:"input"`
				InputText string `json:"input_text"`
			} `json:"cases"`
		}
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		for _, c := range m.Cases {
			switch {
			case c.InputText != "":
				out = append(out, []byte(c.InputText))
			case c.Input != "":
				if b, err := os.ReadFile(filepath.Join(dir, name, filepath.FromSlash(c.Input))); err == nil && len(b) <= maxSeed {
					out = append(out, b)
				}
			}
		}
	}
	return out
}

// FuzzParse checks Reader.Parse on any text: no panic, valid UTF-8 in gives
// valid UTF-8 out, a known position, and every point is made of the member's
// own words (nothing invented, nothing normalised into the statement).
func FuzzParse(f *testing.F) {
	for _, raw := range fixtureMessages(f) {
		if m, err := mimeparse.Parse(raw); err == nil {
			f.Add(reply.Trim(Body(m)))
			f.Add(Body(m))
		}
	}
	for _, in := range sharedCorpusInputs() {
		f.Add(string(in))
	}
	for _, s := range []string{"", "Concerns:", "التوقيع: نعم", "\u202bالتوصيات:\u202c\n\u202b١- نص\u202c", "Sign:\u200f", "أ- ب- ج-",
		"S’ABSTENIR\nPréoccupations :\n1. …", "Signer : oui", "Nous n'acceptons pas"} {
		f.Add(s)
	}
	r := NewReader()
	f.Fuzz(func(t *testing.T, text string) {
		a := r.Parse(text)
		switch a.Position {
		case None, Accept, Decline, Abstain:
		default:
			t.Fatalf("unknown position %q", a.Position)
		}
		if !utf8.ValidString(text) {
			return
		}
		points := append(slices.Clone(a.Concerns), a.Recommendations...)
		for _, s := range append(points, a.Text) {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 out of valid input: %q", s)
			}
		}
		for _, p := range points {
			if strings.TrimSpace(p) == "" {
				t.Fatalf("empty point in %+v", a)
			}
			for _, w := range strings.Fields(p) {
				if !strings.Contains(text, w) {
					t.Fatalf("point %q has %q, which the input does not contain", p, w)
				}
			}
		}
	})
}

// FuzzReadText checks Read on a plain body of any shape, quotes included (the
// inline path: blocks under quoted headings): no panic, a known position, a
// holding reply only without a position, and every point made of words the
// body contains (a quoted heading gives a block its section, never its words).
func FuzzReadText(f *testing.F) {
	for _, c := range heldOutAnswers() {
		f.Add(c.body)
	}
	for _, s := range []string{"> Concerns:\nx", "> Sign:\n", ">\n>\nyes", "> التوصيات:\n> ١. ...\n\nنص\n> x", "> 1. ...\n\n1."} {
		f.Add(s)
	}
	r := NewReader()
	f.Fuzz(func(t *testing.T, body string) {
		a := r.Read(&mimeparse.Message{Text: body})
		switch a.Position {
		case None, Accept, Decline, Abstain:
		default:
			t.Fatalf("unknown position %q", a.Position)
		}
		if a.Holding && a.Position != None {
			t.Fatalf("holding with a position: %+v", a)
		}
		if !utf8.ValidString(body) {
			return
		}
		for _, p := range append(slices.Clone(a.Concerns), a.Recommendations...) {
			if strings.TrimSpace(p) == "" {
				t.Fatalf("empty point in %+v", a)
			}
			for _, w := range strings.Fields(p) {
				if !strings.Contains(body, w) {
					t.Fatalf("point %q has %q, which the body does not contain", p, w)
				}
			}
		}
	})
}

// FuzzRead checks the whole path from raw message bytes: mimeparse.Parse, then
// Read (body choice, HTML, reply.Trim, Parse). It must not panic or hang.
func FuzzRead(f *testing.F) {
	for _, raw := range fixtureMessages(f) {
		f.Add(raw)
	}
	for _, in := range sharedCorpusInputs() {
		f.Add(in)
	}
	r := NewReader()
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := mimeparse.Parse(raw)
		if err != nil || m == nil {
			return
		}
		start := time.Now()
		a := r.Read(m)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Read took %v on %d bytes", d, len(raw))
		}
		if utf8.ValidString(Body(m)) && !utf8.ValidString(a.Text) {
			t.Fatalf("invalid UTF-8 text from a valid body: %q", a.Text)
		}
	})
}

// benchMessages returns every fixture once, for the benchmarks.
func benchMessages(b *testing.B) [][]byte {
	msgs := fixtureMessages(b)
	if len(msgs) == 0 {
		b.Fatal("no fixtures")
	}
	return msgs
}

// benchPerMessage runs fn over every message b.N times and reports the
// median time per message besides Go's ns/op (one op = all messages).
func benchPerMessage(b *testing.B, msgs [][]byte, fn func([]byte)) {
	b.ReportAllocs()
	var samples []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, raw := range msgs {
			start := time.Now()
			fn(raw)
			if len(samples) < 1<<20 {
				samples = append(samples, time.Since(start))
			}
		}
	}
	b.StopTimer()
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	b.ReportMetric(float64(samples[len(samples)/2].Nanoseconds()), "median-ns/msg")
	b.ReportMetric(float64(len(msgs)), "msgs/op")
}

// BenchmarkReadCorpus measures the whole reading of a reply: MIME parsing,
// body choice, trimming and understanding, over all fixtures.
func BenchmarkReadCorpus(b *testing.B) {
	r := NewReader()
	benchPerMessage(b, benchMessages(b), func(raw []byte) {
		m, err := mimeparse.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		r.Read(m)
	})
}

// BenchmarkReadCorpusBaseline is only the MIME parsing of the same messages,
// so that BenchmarkReadCorpus's cost can be read relative to it.
func BenchmarkReadCorpusBaseline(b *testing.B) {
	benchPerMessage(b, benchMessages(b), func(raw []byte) {
		if _, err := mimeparse.Parse(raw); err != nil {
			b.Fatal(err)
		}
	})
}
