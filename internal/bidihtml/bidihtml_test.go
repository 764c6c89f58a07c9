package bidihtml

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"sync"
	"testing"

	"consultd/internal/inert"
	"consultd/internal/lang"
)

var (
	lineRE = regexp.MustCompile(`<div dir="(ltr|rtl)" style="white-space:pre-wrap">(.*?)</div>`)
	bdiRE  = regexp.MustCompile(`<bdi(?: dir="(ltr|rtl)")?>(.*?)</bdi>`)
)

// line is one rendered line: its direction and the runs it isolates.
type line struct {
	dir      string
	isolated []string
}

func parse(t *testing.T, out string) []line {
	t.Helper()
	var ls []line
	for _, m := range lineRE.FindAllStringSubmatch(out, -1) {
		l := line{dir: m[1]}
		for _, b := range bdiRE.FindAllStringSubmatch(m[2], -1) {
			l.isolated = append(l.isolated, html.UnescapeString(b[2]))
		}
		ls = append(ls, l)
	}
	return ls
}

// Lines as mail clients and coordinators write them into Arabic mail:
// Outlook's Arabic header block, Thunderbird's forward separator, Gmail's
// attribution, a signature list, an English note, a parenthesised keyword.
func TestPlainLinesTakeTheirDirectionAndIsolateTheOther(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []line
	}{
		{"outlook ar header with an English name and address", "من: Office of the UN Special Envoy for Syria <cssr@envoy.example>",
			[]line{{"rtl", []string{"Office of the UN Special Envoy for Syria <cssr@envoy.example>"}}}},
		{"outlook ar subject", "الموضوع: RE: Invitation – CSSR meetings (Geneva)",
			[]line{{"rtl", []string{"RE: Invitation – CSSR meetings (Geneva)"}}}},
		{"an English note keeps its final full stop", "Dear all, please see the invitation below. Let us answer together.",
			[]line{{"ltr", nil}}},
		{"an English header line in an Arabic mail", "From: Office of the UN Special Envoy for Syria <cssr@envoy.example>",
			[]line{{"ltr", nil}}},
		{"a signatory list item stays on the Arabic side", "– Baytna Syria",
			[]line{{"rtl", []string{"Baytna Syria"}}}},
		{"an Arabic-Indic numbered English concern", "١- The invitation came too late.",
			[]line{{"rtl", []string{"The invitation came too late."}}}},
		{"gmail's Arabic attribution", "في الثلاثاء، 1 ديسمبر 2026، كتب Rania Haddad <rania@coal.example>:",
			[]line{{"rtl", []string{"Rania Haddad <rania@coal.example>"}}}},
		{"a keyword in parentheses", "أوافق (ACCEPT): أن يقبل التحالف الدعوة",
			[]line{{"rtl", []string{"(ACCEPT)"}}}},
		{"guillemets around a quoted English summary", "وجاء في الدعوة: «We invite you to Geneva.»",
			[]line{{"rtl", []string{"«We invite you to Geneva.»"}}}},
		{"Arabic inside an English line", "Signed by منظمة النساء الآن and SJAC.",
			[]line{{"ltr", []string{"منظمة النساء الآن"}}}},
		{"thunderbird's Arabic forward separator", "-------- الرسالة الأصليَّة --------",
			[]line{{"rtl", nil}}},
		{"a line of digits keeps the page's direction", "2026-12-01 16:00",
			[]line{{"rtl", nil}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := parse(t, Fragment(c.in, lang.RTL))
			if len(got) != len(c.want) {
				t.Fatalf("%d lines, want %d: %s", len(got), len(c.want), Fragment(c.in, lang.RTL))
			}
			for i := range got {
				if got[i].dir != c.want[i].dir || strings.Join(got[i].isolated, "|") != strings.Join(c.want[i].isolated, "|") {
					t.Errorf("line %d: %s isolating %q, want %s isolating %q", i, got[i].dir, got[i].isolated, c.want[i].dir, c.want[i].isolated)
				}
			}
		})
	}
}

func TestMarkedValuesAreIsolatedAndMultiLineValuesAreBlocks(t *testing.T) {
	in := "  من: " + Isolate("Office <cssr@envoy.example>") + "\n" +
		"ملاحظة من المنسّق (" + Isolate("rania@coal.example") + "):\n" +
		Isolate("  Dear all,\n  please answer.") + "\n\n" +
		"---------- نص الدعوة ----------\n" +
		"From: " + Isolate("Office <cssr@envoy.example>") + "\n\n" +
		Isolate("Dear colleagues,\n\nWe invite you.")
	out := Fragment(in, lang.RTL)
	ls := parse(t, out)
	want := []line{
		{"rtl", []string{"Office <cssr@envoy.example>"}},
		{"rtl", []string{"rania@coal.example"}},
		{"ltr", nil}, {"ltr", nil}, // the note, a block of its own
		{"rtl", nil},
		{"ltr", []string{"Office <cssr@envoy.example>"}},
		{"ltr", nil}, {"ltr", nil}, // the quoted original
	}
	if len(ls) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(ls), len(want), out)
	}
	for i := range want {
		if ls[i].dir != want[i].dir || strings.Join(ls[i].isolated, "|") != strings.Join(want[i].isolated, "|") {
			t.Errorf("line %d: %+v, want %+v", i, ls[i], want[i])
		}
	}
	if n := strings.Count(out, `<div dir="ltr">`); n != 2 {
		t.Errorf("%d own-direction blocks, want 2 (the note and the original):\n%s", n, out)
	}
}

func TestStrayMarksAndControlsDoNotLeak(t *testing.T) {
	in := "a" + string(Close) + " b " + string(Open) + "c\u202Ed" + string(Open) + "e" + string(Close)
	out := Fragment(in, lang.LTR)
	if strings.ContainsAny(out, string([]rune{Open, Close, '\u202E'})) {
		t.Errorf("a mark or an override reached the HTML: %q", out)
	}
	if got := strings.ReplaceAll(visible(out), " ", ""); got != "abcde" {
		t.Errorf("shows %q", got)
	}
	if Isolate("x"+string(Open)+"y") != string(Open)+"xy"+string(Close) {
		t.Errorf("a value's own marks are kept")
	}
}

var tag = regexp.MustCompile(`<[^>]*>`)

func visible(out string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tag.ReplaceAllString(out, " "))), " ")
}

// FuzzFragment: whatever the text, the HTML shows exactly its words, and
// nothing in it becomes a tag.
func FuzzFragment(f *testing.F) {
	for _, s := range []string{"من: Office <a@b>", "– Baytna Syria\n\n١- x.", Isolate("a\nb") + " c", "<script>x</script>", "\uFDD0\uFDD0\uFDD1", "(«»)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range []lang.Direction{lang.LTR, lang.RTL} {
			out := Fragment(s, d)
			if strings.Contains(tag.ReplaceAllStringFunc(out, func(m string) string {
				if strings.HasPrefix(m, "<div") || m == "</div>" || strings.HasPrefix(m, "<bdi") || m == "</bdi>" {
					return ""
				}
				return m
			}), "<") {
				t.Fatalf("a tag of the text's own in %q", out)
			}
			want := strings.Join(strings.Fields(Strip(inert.Text(s))), " ")
			if got := visible(out); strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(want, " ", "") {
				t.Fatalf("shows %q, want %q", got, want)
			}
		}
	})
}

// fragmentUncached is Fragment with the line cache emptied first.
func fragmentUncached(s string, d lang.Direction) string {
	lineCache.Lock()
	lineCache.m = nil
	lineCache.Unlock()
	return Fragment(s, d)
}

// TestTheLineCacheWritesWhatTheLinesWouldBe: a line written again comes
// from the cache, and is the same as written afresh; lines that differ only
// in where a value starts and ends are two lines, not one.
func TestTheLineCacheWritesWhatTheLinesWouldBe(t *testing.T) {
	a := "ab" + Isolate("c") + "\n"
	b := "a" + Isolate("bc") + "\n"
	for _, d := range []lang.Direction{lang.LTR, lang.RTL} {
		fa, fb := fragmentUncached(a, d), fragmentUncached(b, d)
		if fa == fb {
			t.Fatalf("%q and %q write the same HTML %q", a, b, fa)
		}
		if got := Fragment(a, d); got != fa {
			t.Errorf("cached: %q, afresh: %q", got, fa)
		}
		if got := Fragment(b, d); got != fb {
			t.Errorf("cached: %q, afresh: %q", got, fb)
		}
	}
	// Digits alone take the direction around them: one key per direction.
	if got, other := Fragment("12 34", lang.LTR), fragmentUncached("12 34", lang.RTL); got == other {
		t.Errorf("a line in two directions writes the same HTML %q", got)
	}
}

// TestTheLineCacheStaysBounded: a daemon that writes ever new lines keeps
// at most lineCacheMax of them.
func TestTheLineCacheStaysBounded(t *testing.T) {
	for i := range lineCacheMax + 10 {
		Fragment(fmt.Sprintf("line %d", i), lang.LTR)
	}
	lineCache.Lock()
	n := len(lineCache.m)
	lineCache.Unlock()
	if n > lineCacheMax {
		t.Errorf("%d lines cached, at most %d", n, lineCacheMax)
	}
}

// FuzzFragmentCached: whatever the text, the HTML from the cache is the
// HTML written afresh, and so is the HTML written on several goroutines
// at once.
func FuzzFragmentCached(f *testing.F) {
	for _, s := range []string{"من: Office <a@b>", "a" + Isolate("b") + "c\nd", Isolate("x\ny") + "\n\nz", "\uFDD0\uFDD1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range []lang.Direction{lang.LTR, lang.RTL} {
			want := fragmentUncached(s, d)
			var wg sync.WaitGroup
			got := make([]string, 4)
			for i := range got {
				wg.Go(func() { got[i] = Fragment(s, d) })
			}
			wg.Wait()
			for _, g := range got {
				if g != want {
					t.Fatalf("cached %q, afresh %q", g, want)
				}
			}
		}
	})
}
