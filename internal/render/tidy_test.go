package render

import (
	"strings"
	"testing"
	"unicode"

	"consultd/internal/bidihtml"
)

// tidySlow is tidy as it was before its fast paths, every line and the
// whole text copied into runes: the oracle the fast paths must agree with.
func tidySlow(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = trimRightSlow(l)
		if bidihtml.Strip(l) == "" {
			l = ""
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return trimSpaceSlow(strings.Join(out, "\n")) + "\n"
}

func trimRightSlow(l string) string {
	rs := []rune(l)
	var keep []rune
	i := len(rs)
	for i > 0 {
		r := rs[i-1]
		if r == bidihtml.Open || r == bidihtml.Close {
			keep = append([]rune{r}, keep...)
		} else if r != ' ' && r != '\t' {
			break
		}
		i--
	}
	return string(rs[:i]) + string(keep)
}

func trimSpaceSlow(s string) string {
	rs := []rune(s)
	i := 0
	var lead []rune
	for i < len(rs) && (unicode.IsSpace(rs[i]) || rs[i] == bidihtml.Open || rs[i] == bidihtml.Close) {
		if !unicode.IsSpace(rs[i]) {
			lead = append(lead, rs[i])
		}
		i++
	}
	j := len(rs)
	var trail []rune
	for j > i && (unicode.IsSpace(rs[j-1]) || rs[j-1] == bidihtml.Open || rs[j-1] == bidihtml.Close) {
		if !unicode.IsSpace(rs[j-1]) {
			trail = append([]rune{rs[j-1]}, trail...)
		}
		j--
	}
	return string(lead) + string(rs[i:j]) + string(trail)
}

var tidyCases = []string{
	"",
	"Dear Baytna Syria,\n\nPlease answer.\n",
	"line with trailing spaces   \n\t\nnext\t\n",
	"value at the end " + bidihtml.Isolate("Geneva ") + "\n",
	"\n\n\n  lead\n\n\n\ntrail  \n\n",
	"nbsp at the end\u00a0\n",
	"\u00a0\u2003both ends\u3000",
	"invalid \xff utf-8\n",
	"ends invalid \xe2\x82",
	"\xffstarts invalid",
	"crlf\r\nlines\r\n\r\n\r\nend",
	bidihtml.Isolate("") + "\n" + bidihtml.Isolate("x") + "  \n",
	"\uFDD0\uFDD1 \n\uFDD0 text\uFDD1 ",
	"مرحبا " + bidihtml.Isolate("Baytna") + " \n\n\nشكرا",
}

// TestTidyKeepsItsBytes: tidy's fast paths (a line that ends in a letter
// is returned as it is) write what copying every line into runes wrote,
// whatever the ends of the lines: spaces of every kind, value marks,
// invalid UTF-8.
func TestTidyKeepsItsBytes(t *testing.T) {
	for _, s := range tidyCases {
		if got, want := tidy(s), tidySlow(s); got != want {
			t.Errorf("tidy(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzTidy(f *testing.F) {
	for _, s := range tidyCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := tidy(s), tidySlow(s); got != want {
			t.Fatalf("tidy(%q) = %q, want %q", s, got, want)
		}
	})
}
