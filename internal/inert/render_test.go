package inert

import (
	"strings"
	"testing"

	"consultd/internal/mdcheck"
)

// hostile is what members have been seen (or could be expected) to write,
// aimed at the site generators that render the published Markdown.
var hostile = []string{
	"[link](javascript:alert(1))",
	"[x][r]\n\n[r]: javascript:alert(2)",
	"[r]\n\n[r]: <javascript:alert(3)> \"title\"",
	"<javascript:alert(4)>",
	"<script>alert(5)</script>",
	"<img src=x onerror=alert(6)>",
	"<a href=\"javascript:alert(7)\">click</a>",
	"![img](https://tracker.example/pixel.png)",
	"&#106;avascript:alert(8) &lt;script&gt; &amp;",
	"[a](&#106;avascript:alert(9))",
	"[a](<javascript:alert(10)>)",
	"[a](java\nscript:alert(11))",
	"Title line\n===",
	"Another\n---",
	"# heading\n## second\n####### seven",
	"- bullet\n+ plus\n* star\n1. one\n2) two\n10. ten",
	"> quoted\n>> twice",
	"```\ncode fence\n```\n~~~js\nalert(12)\n~~~",
	"    indented code\n\tand a tab",
	"| a | b |\n|---|---|\n| c | d |",
	"*em* **strong** _u_ __uu__ ~~del~~ ~single~ `code` ``two``",
	"***\n___\n- - -",
	"[^1] footnote\n\n[^1]: javascript:alert(13)",
	"term\n: definition",
	"{: onclick=\"alert(14)\"}\n*[HTML]: Hyper",
	"$$x^2$$ and \\[ math \\]",
	"trailing backslash \\\nnext",
	"ftp://files.example/x and mailto:a@b.example www.example.org https://ok.example/a_b_c",
	"<!-- comment --> <?php ?> <![CDATA[x]]> <div markdown=\"1\">*x*</div>",
	"https://evil.example/\"onmouseover=\"alert(15)",
	"\u202Eevil\u202C \u2067إيداع\u2069 RLM\u200F text",
	"نوصي بما يلي: ١. إشراك النساء [رابط](javascript:alert(16))",
	"Ctrl\x00chars\x1b[31m\x7f\u0085end",
}

func checkRendered(t *testing.T, renderer, src, md, out string) {
	t.Helper()
	visible, bad := mdcheck.Inspect(out)
	if len(bad) > 0 {
		t.Errorf("%s made markup of %q: %q\nmarkdown: %q\nhtml: %s", renderer, src, bad, md, out)
	}
	// The tokenizer has decoded entities: visible is what a reader sees.
	if got, want := mdcheck.Words(visible), mdcheck.Words(Text(src)); got != want {
		t.Errorf("%s shows\n %q\nfor what the member wrote\n %q\nmarkdown: %q", renderer, got, want, md)
	}
}

func TestMarkdownIsInertInGoldmark(t *testing.T) {
	for _, src := range hostile {
		md := Markdown(src)
		checkRendered(t, "goldmark", src, md, mdcheck.Goldmark(t, md))
	}
}

func TestMarkdownIsInertInMarked(t *testing.T) {
	// One document, as a published statement is; paragraphs keep items apart.
	var all []string
	for _, src := range hostile {
		all = append(all, Markdown(src))
	}
	md := strings.Join(all, "\n\n")
	checkRendered(t, "marked", strings.Join(hostile, "\n\n"), md, mdcheck.Marked(t, md))
}

// Before escaping, the same inputs do produce live markup in both renderers:
// the checks above can fail.
func TestRawInputIsDangerous(t *testing.T) {
	raw := "[link](javascript:alert(1)) <img src=x onerror=alert(6)>"
	if _, bad := mdcheck.Inspect(mdcheck.Goldmark(t, raw)); len(bad) == 0 {
		t.Errorf("goldmark: raw input made no markup")
	}
	if _, bad := mdcheck.Inspect(mdcheck.Marked(t, raw)); len(bad) == 0 {
		t.Errorf("marked: raw input made no markup")
	}
}
