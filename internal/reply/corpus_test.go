package reply_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"consultd/internal/corpustest"
	"consultd/internal/mimeparse"
	"consultd/internal/reply"
)

const (
	corpusDiscourse = "discourse-email_reply_trimmer"
	corpusGitHub    = "github-email_reply_parser"
	corpusTalon     = "mailgun-talon"
)

type corpusCase struct {
	ID        string         `json:"id"`
	Kind      string         `json:"kind"`
	Input     string         `json:"input"`
	InputText *string        `json:"input_text"`
	Expected  map[string]any `json:"expected"`
}

func loadCases(t testing.TB, corpus string) (string, []corpusCase) {
	t.Helper()
	root, m := corpustest.Load(t, corpus)
	cases := make([]corpusCase, 0, len(m.Cases))
	for _, raw := range m.Cases {
		var c corpusCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", corpus, err)
		}
		cases = append(cases, c)
	}
	return root, cases
}

func (c corpusCase) input(t testing.TB, root string) string {
	if c.InputText != nil {
		return *c.InputText
	}
	return string(corpustest.Read(t, root, c.Input))
}

var (
	reHSpace = regexp.MustCompile(`[ \t\x{00a0}]+`)
	reBlanks = regexp.MustCompile(`\n{2,}`)
)

// norm is the whitespace normalisation applied to both sides: LF line ends,
// runs of spaces as one, no trailing spaces, runs of blank lines as one blank
// line, outer whitespace trimmed.
func norm(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(reHSpace.ReplaceAllString(l, " "), " ")
	}
	s = strings.Join(lines, "\n")
	s = reBlanks.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}

// showDiffs is on with REPLY_CORPUS_DIFF=1: failing cases print got/want.
var showDiffs = os.Getenv("REPLY_CORPUS_DIFF") != ""

func report(t *testing.T, id, got, want string) {
	if showDiffs {
		t.Logf("%s\n--- got:\n%s\n--- want:\n%s\n---", id, got, want)
	}
}

// withDeadline runs f and fails when it takes longer than limit.
func withDeadline(t *testing.T, id string, limit time.Duration, f func() string) (string, bool) {
	t.Helper()
	done := make(chan string, 1)
	start := time.Now()
	go func() { done <- f() }()
	select {
	case s := <-done:
		if el := time.Since(start); el > limit {
			t.Errorf("%s: took %v, limit %v", id, el, limit)
			return s, false
		}
		return s, true
	case <-time.After(limit + 5*time.Second):
		t.Fatalf("%s: did not finish within %v", id, limit)
		return "", false
	}
}

// TestTrimCorpusDiscourse scores Trim, and TrimInline (which keeps inline
// quotes, Discourse's own convention) as "discourse-email_reply_trimmer+inline".
func TestTrimCorpusDiscourse(t *testing.T) {
	root, cases := loadCases(t, corpusDiscourse)
	for _, v := range []struct {
		name string
		fn   func(string) string
	}{{corpusDiscourse, reply.Trim}, {corpusDiscourse + "+inline", reply.TrimInline}} {
		results := map[string]bool{}
		for _, c := range cases {
			id := v.name + "/" + c.ID
			switch c.Kind {
			case "trim":
				in := c.input(t, root)
				want := norm(string(corpustest.Read(t, root, c.Expected["trimmed"].(string))))
				got := norm(v.fn(strings.TrimSpace(in)))
				results[id] = got == want
				if got != want {
					report(t, id, got, want)
				}
			case "no_hang":
				secs, _ := c.Expected["max_seconds"].(float64)
				in := c.input(t, root)
				withDeadline(t, id, time.Duration(secs*float64(time.Second)), func() string { return v.fn(in) })
			}
		}
		corpustest.Score(t, v.name, "exact", results, corpustest.LoadKnown(t, v.name+"/", false))
	}
}

// TestTrimCorpusGitHub compares Trim with github/email_reply_parser's visible
// text. Cases with parse_reply are compared exactly. For fragment-only cases the
// assertions on visible, unquoted fragments must hold in the output and those on
// hidden fragments must not; consultd drops inline ">" lines, so assertions on
// visible quoted fragments are not checked.
func TestTrimCorpusGitHub(t *testing.T) {
	root, cases := loadCases(t, corpusGitHub)
	results := map[string]bool{}
	exact := 0
	for _, c := range cases {
		id := corpusGitHub + "/" + c.ID
		in := c.input(t, root)
		limit := 5 * time.Second
		if s, ok := c.Expected["max_seconds"].(float64); ok {
			limit = time.Duration(s * float64(time.Second))
		}
		got, fast := withDeadline(t, id, limit, func() string { return reply.Trim(in) })
		ok := fast
		if want, has := c.Expected["parse_reply"].(string); has {
			exact++
			ok = ok && norm(got) == norm(want)
			if !ok {
				report(t, id, got, want)
			}
			results[id] = ok
			continue
		}
		if n, has := c.Expected["fragment_count"].(float64); has && n == 1 {
			ok = ok && norm(got) == norm(in)
		}
		frags, _ := c.Expected["fragments"].([]any)
		for _, f := range frags {
			fr := f.(map[string]any)
			idx := int(fr["index"].(float64))
			hidden, hasHidden := fr["hidden"].(bool)
			quoted, _ := fr["quoted"].(bool)
			if !hasHidden {
				hidden = idx > 0 // the manifest's note: fragment 0 is the reply
			}
			if !hidden && quoted {
				continue
			}
			for _, found := range fragmentChecks(fr, got) {
				if found == hidden {
					ok = false
					report(t, id, got, "fragment "+fmtAny(fr))
				}
			}
		}
		results[id] = ok
	}
	corpustest.Score(t, corpusGitHub, "pass ("+itoa(exact)+" exact parse_reply, the rest by fragment assertions)", results, corpustest.LoadKnown(t, corpusGitHub+"/", false))
}

// fragmentChecks evaluates equals/contains/matches of one fragment on got.
func fragmentChecks(fr map[string]any, got string) []bool {
	var out []bool
	if s, ok := fr["equals"].(string); ok && strings.TrimSpace(s) != "" {
		out = append(out, strings.Contains(norm(got), norm(s)))
	}
	if s, ok := fr["contains"].(string); ok {
		out = append(out, strings.Contains(got, s))
	}
	if s, ok := fr["matches"].(string); ok {
		out = append(out, regexp.MustCompile(s).MatchString(got))
	}
	return out
}

func TestStripQuotesCorpusTalon(t *testing.T) {
	root, cases := loadCases(t, corpusTalon)
	results := map[string]bool{}
	for _, c := range cases {
		id := corpusTalon + "/" + c.ID
		switch c.Kind {
		case "plain_reply":
			want, _ := c.Expected["reply_text"].(string)
			got := reply.StripQuotes(c.input(t, root))
			results[id] = norm(got) == norm(want)
			if !results[id] {
				report(t, id, got, want)
			}
		case "mime_plain_reply":
			want, ok := c.Expected["reply_text"].(string)
			if !ok {
				want, _ = c.Expected["reply_text_value"].(string)
			}
			got := reply.StripQuotes(mimeText(t, root, c.Input))
			results[id] = norm(got) == norm(want)
			if !results[id] {
				report(t, id, got, want)
			}
		case "plain_reply_predicate":
			got := reply.StripQuotes(mimeText(t, root, c.Input))
			bad, _ := c.Expected["must_not_contain"].(string)
			results[id] = strings.TrimSpace(got) != "" && (bad == "" || !strings.Contains(got, bad))
			if !results[id] {
				report(t, id, got, "non-empty, without "+bad)
			}
		}
	}
	corpustest.Score(t, corpusTalon, "exact (plain_reply, mime_plain_reply, predicate)", results, corpustest.LoadKnown(t, corpusTalon+"/", false))
}

// mimeText returns the text body of a corpus .eml via mimeparse.
func mimeText(t *testing.T, root, rel string) string {
	t.Helper()
	m, err := mimeparse.Parse(corpustest.Read(t, root, rel))
	if err != nil || m == nil {
		t.Fatalf("%s: mimeparse.Parse: %v", rel, err)
	}
	return m.Text
}

func fmtAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func itoa(n int) string { return fmtAny(n) }

// corpusTexts returns every plain-text reply of the three corpora, sorted by
// id, for the fuzz seeds and the benchmark.
func corpusTexts(t testing.TB) []string {
	var ids []string
	texts := map[string]string{}
	for _, corpus := range []string{corpusDiscourse, corpusGitHub, corpusTalon} {
		root, cases := loadCases(t, corpus)
		for _, c := range cases {
			switch {
			case c.Kind == "plain_reply", corpus == corpusGitHub,
				(c.Kind == "trim" || c.Kind == "no_hang") && c.InputText == nil:
			default:
				continue
			}
			id := corpus + "/" + c.ID
			ids = append(ids, id)
			texts[id] = c.input(t, root)
		}
	}
	sort.Strings(ids)
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, texts[id])
	}
	return out
}

// haveCorpus reports whether shared/corpus can be found, without skipping.
func haveCorpus() bool {
	if os.Getenv("CONSULTD_CORPUS") != "" {
		return true
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "..", "shared", "corpus", "README.md")); err == nil {
			return true
		}
		if filepath.Dir(d) == d {
			return false
		}
	}
}

func FuzzTrim(f *testing.F) {
	if haveCorpus() {
		for _, s := range corpusTexts(f) {
			f.Add(s)
		}
	}
	for _, c := range trimCases {
		f.Add(c.in)
	}
	for _, c := range multilangCases() {
		f.Add(c.in)
	}
	f.Add("reply On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:\n> Hi")
	f.Add("في ٢١\u200f/١١\u200f/٢٠١٧ ١٠:٠٢ ص، كتب X <\na@b.c>:\n> x")
	f.Fuzz(func(t *testing.T, in string) {
		norm := strings.ReplaceAll(strings.ReplaceAll(in, "\r\n", "\n"), "\r", "\n")
		for name, fn := range map[string]func(string) string{"Trim": reply.Trim, "StripQuotes": reply.StripQuotes} {
			out := fn(in)
			if len(out) > len(in) {
				t.Fatalf("%s: output longer than input: %d > %d", name, len(out), len(in))
			}
			if utf8.ValidString(in) && !utf8.ValidString(out) {
				t.Fatalf("%s: valid UTF-8 in, invalid out: %q", name, out)
			}
			for _, l := range strings.Split(out, "\n") {
				if !strings.Contains(norm, l) {
					t.Fatalf("%s: output line %q is not in the input", name, l)
				}
			}
		}
	})
}

func BenchmarkTrimCorpus(b *testing.B) {
	benchCorpus(b, reply.Trim)
}

func BenchmarkStripQuotesCorpus(b *testing.B) {
	benchCorpus(b, reply.StripQuotes)
}

// BenchmarkBaselineCorpus is the yardstick: lower-casing and splitting the
// same texts into lines, the least any line-based trimmer does.
func BenchmarkBaselineCorpus(b *testing.B) {
	benchCorpus(b, func(s string) string { return strings.Split(strings.ToLower(s), "\n")[0] })
}

// benchCorpus runs fn over every corpus reply and reports, besides the usual
// per-iteration figures, the median time per message.
func benchCorpus(b *testing.B, fn func(string) string) {
	texts := corpusTexts(b)
	per := make([]time.Duration, len(texts))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, s := range texts {
			t0 := time.Now()
			fn(s)
			per[j] += time.Since(t0)
		}
	}
	b.StopTimer()
	sort.Slice(per, func(i, j int) bool { return per[i] < per[j] })
	b.ReportMetric(float64(per[len(per)/2].Nanoseconds())/float64(b.N), "median-ns/msg")
	b.ReportMetric(float64(per[len(per)-1].Nanoseconds())/float64(b.N), "max-ns/msg")
	b.ReportMetric(float64(len(texts)), "msgs")
}
