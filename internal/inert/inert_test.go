package inert

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain English stays", "We decline.\n\tIndented line", "We decline.\n\tIndented line"},
		{"Arabic with RLM and ZWNJ stays", "نعتذر عن المشاركة\u200F، شكراً\u200C", "نعتذر عن المشاركة\u200F، شكراً\u200C"},
		{"CRLF and lone CR become LF", "a\r\nb\rc", "a\nb\nc"},
		{"NUL, BEL, ESC and DEL dropped", "a\x00b\x07c\x1b[31md\x7f", "abc[31md"},
		{"C1 controls dropped", "a\u0080b\u009bc", "abc"},
		{"NEL and line separators are line breaks", "a\u0085b\u2028c\u2029d", "a\nb\nc\nd"},
		{"RLO spoofing removed", "invoice\u202Egnp.exe", "invoicegnp.exe"},
		{"embeddings and isolates removed", "\u202Bعربي\u202C \u2067x\u2069 \u2066y\u2069 \u2068z\u2069", "عربي x y z"},
		{"BOM inside text removed", "a\uFEFFb", "ab"},
		{"invalid UTF-8 replaced", "a\xffb", "a\uFFFDb"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "Office of the Special Envoy", "Office of the Special Envoy"},
		{"CRLF injection", "Envoy\r\nBcc: evil@x.example", "Envoy Bcc: evil@x.example"},
		{"encoded CRLF (Q)", "=?utf-8?q?x=0D=0ABcc:_evil@x.example?=", "x Bcc: evil@x.example"},
		{"encoded CRLF (B)", "=?UTF-8?B?eA0KQmNjOiBldmlsQHguZXhhbXBsZQ==?=", "x Bcc: evil@x.example"},
		{"nested encoded word", "=?utf-8?q?=3D=3Futf-8=3Fq=3Fx=3D0D=3D0ABcc:=5Fe@x=3F=3D?=", "x Bcc: e@x"},
		{"Arabic encoded word", "=?utf-8?b?2YXZg9iq2Kgg2KfZhNmF2KjYudmI2Ks=?=", "مكتب المبعوث"},
		{"windows-1256 encoded word", "=?windows-1256?q?=E3=DF=CA=C8?=", "مكتب"},
		{"undecodable encoded word is broken up", "=?x-unknown?q?a=0D=0Ab?=", "= ?x-unknown?q?a=0D=0Ab?="},
		{"RLO and NUL in a name", "Amal\u202E\x00 NGO", "Amal NGO"},
		{"tabs, NBSP and runs of spaces", "a\t b\u00a0\u00a0c  ", "a b c"},
		{"unicode line separator", "a\u2028Bcc: x", "a Bcc: x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Header(tc.in)
			if got != tc.want {
				t.Errorf("Header(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("line break left in %q", got)
			}
		})
	}
}

func TestMarkdownLine(t *testing.T) {
	cases := []struct{ in, want string }{
		{"[link](javascript:alert(1))", `\[link\]\(javascript\:alert\(1\)\)`},
		{"![img](x.png)", `\!\[img\]\(x.png\)`},
		{"<script>alert(1)</script>", `&lt;script&gt;alert\(1\)&lt;/script&gt;`},
		{"&#106;avascript:x", `&amp;\#106;avascript\:x`},
		{"# Heading", `\# Heading`},
		{"- item", `\- item`},
		{"+ item", `\+ item`},
		{"12. item", `12\. item`},
		{"3) item", `3\) item`},
		{"===", `\===`},
		{"---", `\---`},
		{"a - b = c + d. 2025 elections", `a - b = c + d. 2025 elections`},
		{"*bold* _em_ `code` ~~del~~ a|b", `\*bold\* \_em\_ \` + "`" + `code\` + "`" + ` &#126;&#126;del&#126;&#126; a\|b`},
		{`back\slash`, `back\\slash`},
		{"{: .class} $$x$$ ^note", `\{\: .class\} \$\$x\$\$ &#94;note`},
		{"تعزيز المشاركة: ١. النساء", `تعزيز المشاركة\: ١. النساء`},
	}
	for _, tc := range cases {
		if got := MarkdownLine(tc.in); got != tc.want {
			t.Errorf("MarkdownLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMarkdownKeepsLinesAndParagraphs(t *testing.T) {
	got := Markdown("Dear Envoy,\n\n1. First concern\n    2. indented second\n\n\n\nRegards\n")
	want := "Dear Envoy,\n\n1\\. First concern  \n2\\. indented second\n\nRegards"
	if got != want {
		t.Errorf("Markdown =\n%q\nwant\n%q", got, want)
	}
}
