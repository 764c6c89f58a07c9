// Package mdcheck renders Markdown the way the coalition's website might
// (goldmark as in Hugo, marked as in many Node site generators) and reports
// any markup in the result, for tests that published text stays inert. Only
// tests import it.
package mdcheck

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	goldhtml "github.com/yuin/goldmark/renderer/html"
	xhtml "golang.org/x/net/html"
)

var gm = goldmark.New(
	// Hugo's defaults plus what kramdown/Jekyll sites use; raw HTML passed
	// through (unsafe), so that any that survives escaping is seen.
	goldmark.WithExtensions(extension.GFM, extension.Footnote, extension.DefinitionList),
	goldmark.WithRendererOptions(goldhtml.WithUnsafe()),
)

// Goldmark renders md with goldmark (GFM with linkify, footnotes,
// definition lists, raw HTML allowed).
func Goldmark(t testing.TB, md string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := gm.Convert([]byte(md), &buf); err != nil {
		t.Fatalf("goldmark: %v", err)
	}
	return buf.String()
}

// Marked renders md with marked (Debian package node-marked), the renderer
// that turned a member's [x](javascript:…) into a live link. Without it the
// test is skipped, or fails under CI=true.
func Marked(t testing.TB, md string) string {
	t.Helper()
	bin, err := exec.LookPath("marked")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("marked not installed (apt-get install node-marked)")
		}
		t.Skip("marked not installed (apt-get install node-marked)")
	}
	cmd := exec.Command(bin)
	cmd.Stdin = strings.NewReader(md)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("marked: %v", err)
	}
	return string(out)
}

// AllowedHref is where a link may lead: the web and mail, nothing else.
func AllowedHref(h string) bool {
	l := strings.ToLower(strings.TrimSpace(h))
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "mailto:")
}

// Inspect returns the visible text of rendered HTML (entities decoded) and
// every piece of markup beyond the allowed tags (by default p, br and links
// to the web or mail, without other attributes but a heading's id); allow adds tag names the
// caller's own Markdown makes (e.g. "h1").
func Inspect(out string, allow ...string) (visible string, bad []string) {
	ok := map[string]bool{"p": true, "br": true}
	for _, a := range allow {
		ok[a] = true
	}
	z := xhtml.NewTokenizer(strings.NewReader(out))
	var text strings.Builder
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return text.String(), bad
		case xhtml.TextToken:
			text.Write(z.Text())
		case xhtml.StartTagToken, xhtml.EndTagToken, xhtml.SelfClosingTagToken:
			tok := z.Token()
			switch {
			case tok.Data == "a":
				for _, a := range tok.Attr {
					if a.Key != "href" || !AllowedHref(a.Val) {
						bad = append(bad, tok.String())
					}
				}
			case ok[tok.Data]:
				for _, a := range tok.Attr {
					if a.Key != "id" { // marked gives headings a slug id
						bad = append(bad, tok.String())
					}
				}
			default:
				bad = append(bad, tok.String())
			}
			if tok.Data != "a" { // a link is inline: no space around it
				text.WriteByte(' ')
			}
		case xhtml.CommentToken, xhtml.DoctypeToken:
			bad = append(bad, string(z.Raw()))
		}
	}
}

// Words joins the fields of s with single spaces, for comparing what a
// reader sees regardless of line breaks.
func Words(s string) string { return strings.Join(strings.Fields(s), " ") }
