package inert

import (
	"strings"
	"testing"
	"unicode"

	"consultd/internal/mdcheck"
)

// FuzzMarkdown: whatever the text, goldmark renders its Markdown to
// paragraphs, line breaks and web/mail links only, showing the same words.
func FuzzMarkdown(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Add("نرفض الدعوة\n\n١. المخاوف: عدم الشفافية\n٢. التوصيات")
	f.Fuzz(func(t *testing.T, s string) {
		md := Markdown(s)
		visible, bad := mdcheck.Inspect(mdcheck.Goldmark(t, md))
		if len(bad) > 0 {
			t.Fatalf("markup %q from %q (markdown %q)", bad, s, md)
		}
		if got, want := mdcheck.Words(visible), mdcheck.Words(Text(s)); got != want {
			t.Fatalf("shows %q for %q (markdown %q)", got, want, md)
		}
	})
}

// FuzzHeader: a header value never keeps a line break, a control character
// or an encoded word that a mail client would decode unchecked.
func FuzzHeader(f *testing.F) {
	for _, s := range []string{"=?utf-8?q?x=0D=0ABcc:_evil@x?=", "a\r\nBcc: b", "=?UTF-8?B?eA0KQmNjOiBldmlsQHguZXhhbXBsZQ==?=", "\u202Eabc", "=?x?q?=?="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := Header(s)
		for _, r := range h {
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || isBidiControl(r) {
				t.Fatalf("Header(%q) = %q keeps %U", s, h, r)
			}
		}
		if encodedWord.MatchString(h) {
			t.Fatalf("Header(%q) = %q keeps an encoded word", s, h)
		}
		if strings.HasPrefix(h, " ") || strings.HasSuffix(h, " ") {
			t.Fatalf("Header(%q) = %q has outer spaces", s, h)
		}
	})
}
