package forward

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlText is a small HTML-to-text conversion for messages that carry only
// HTML: block elements and <br> end lines, script/style/head are dropped,
// entities are decoded. Used when mimeparse left Text empty.
func htmlText(s string) string {
	if len(s) > maxTextBytes {
		s = s[:maxTextBytes]
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyHTMLText(b.String())
		case html.TextToken:
			if skip == 0 {
				t := strings.Map(func(r rune) rune {
					if r == '\n' || r == '\r' || r == '\t' {
						return ' '
					}
					return r
				}, string(z.Text()))
				b.WriteString(t)
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title:
				if tt == html.EndTagToken {
					if skip > 0 {
						skip--
					}
				} else {
					skip++
				}
			case atom.Br, atom.P, atom.Div, atom.Tr, atom.Li, atom.H1, atom.H2, atom.H3, atom.H4,
				atom.H5, atom.H6, atom.Blockquote, atom.Hr, atom.Table, atom.Ul, atom.Ol, atom.Pre:
				b.WriteByte('\n')
			}
		}
	}
}

// tidyHTMLText trims each line and collapses runs of blank lines.
func tidyHTMLText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\u00a0", " "), "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			if blank++; blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
