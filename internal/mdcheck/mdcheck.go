// Package mdcheck renders Markdown the way the coalition's website might
// (goldmark as in Hugo, marked as in many Node site generators) and reports
// any markup in the result, for tests that published text stays inert. Only
// tests import it.
package mdcheck

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
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

// pageTags are the elements of a published page's own frame (package site)
// with the attributes each may carry; member text is escaped, so any other
// tag or attribute in a page came from what someone wrote.
var pageTags = map[string][]string{
	"html": {"lang", "dir"}, "head": nil, "meta": {"charset", "name", "content"}, "title": nil,
	"link": {"rel", "type", "href", "hreflang"}, "style": nil, "body": {"dir", "style"}, "nav": nil,
	"h1": nil, "div": {"dir", "style", "lang"}, "bdi": {"dir"}, "p": nil, "br": nil,
	"a": {"href", "hreflang", "lang", "dir"}, "table": nil, "thead": nil, "tbody": nil, "tr": nil,
	"th": nil, "td": {"lang", "dir"}, "time": {"datetime"},
}

// sitePath is a link within the published folder: a page or the feed.
var sitePath = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*\.(html|xml)$`)

// InspectPage is Inspect for a whole published page: its frame (the
// elements and attributes package site writes, links only to pages of the
// site or the web) is allowed, anything else is returned as bad.
func InspectPage(page string) (visible string, bad []string) {
	z := xhtml.NewTokenizer(strings.NewReader(page))
	var text strings.Builder
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return text.String(), bad
		case xhtml.TextToken:
			text.Write(z.Text())
		case xhtml.StartTagToken, xhtml.EndTagToken, xhtml.SelfClosingTagToken:
			tok := z.Token()
			attrs, ok := pageTags[tok.Data]
			if !ok {
				bad = append(bad, tok.String())
			}
			for _, a := range tok.Attr {
				if !slices.Contains(attrs, a.Key) || (a.Key == "href" && !sitePath.MatchString(a.Val) && !AllowedHref(a.Val)) {
					bad = append(bad, tok.String())
					break
				}
			}
			if tok.Data != "a" && tok.Data != "bdi" {
				text.WriteByte(' ')
			}
		case xhtml.CommentToken:
			bad = append(bad, string(z.Raw()))
		}
	}
}
