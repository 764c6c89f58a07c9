package mimeparse

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToText converts an HTML body to plain text: scripts, styles and the
// head are dropped, block elements and <br> give line breaks, list items
// become "- item", whitespace is collapsed, entities decoded and NBSP turned
// into a space. Right-to-left text and bidi marks are kept as they are.
func HTMLToText(s string) string {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return ""
	}
	return renderText(doc)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// walkNodes visits n and its descendants in document order without
// recursion (HTML in the wild nests very deep). visit returns false to skip a
// node's children.
func walkNodes(n *html.Node, visit func(*html.Node) bool) {
	cur := n
	for cur != nil {
		if visit(cur) && cur.FirstChild != nil {
			cur = cur.FirstChild
			continue
		}
		for cur != nil && cur != n && cur.NextSibling == nil {
			cur = cur.Parent
		}
		if cur == nil || cur == n {
			return
		}
		cur = cur.NextSibling
	}
}

// WalkHTML visits n and its descendants in document order without recursion;
// visit returns false to skip a node's children. Exported for readers of
// parsed HTML such as the reply trimmer.
func WalkHTML(n *html.Node, visit func(*html.Node) bool) { walkNodes(n, visit) }

// HTMLHidden reports a node whose text a reader never sees: comments,
// scripts, styles, the head, and elements hidden with display:none.
func HTMLHidden(n *html.Node) bool { return skipElement(n) }

// HTMLNodeText is HTMLToText for an already parsed document (or subtree), so
// that a caller can remove nodes first (reply.HTMLText drops quoted history).
func HTMLNodeText(n *html.Node) string { return renderText(n) }

func skipElement(n *html.Node) bool {
	if n.Type == html.CommentNode {
		return true
	}
	if n.Type != html.ElementNode {
		return false
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template, atom.Object, atom.Iframe:
		return true
	}
	// Hidden preheaders and tracking blocks.
	st := strings.ToLower(strings.ReplaceAll(attr(n, "style"), " ", ""))
	return strings.Contains(st, "display:none")
}

// blockNewlines says how many line breaks surround an element's content.
func blockNewlines(n *html.Node) int {
	switch n.DataAtom {
	case atom.P:
		if strings.Contains(strings.ToLower(attr(n, "class")), "msonormal") {
			return 1 // Outlook writes one <p> per line and empty ones for blank lines
		}
		return 2
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Pre, atom.Table, atom.Hr:
		return 2
	case atom.Div, atom.Ul, atom.Ol, atom.Li, atom.Tr, atom.Blockquote, atom.Section, atom.Article,
		atom.Header, atom.Footer, atom.Address, atom.Form, atom.Dl, atom.Dt, atom.Dd, atom.Center,
		atom.Main, atom.Nav, atom.Aside, atom.Figure, atom.Figcaption, atom.Fieldset, atom.Caption,
		atom.Tbody, atom.Thead, atom.Tfoot, atom.Body:
		return 1
	}
	return 0
}

// textWriter builds text with collapsed whitespace and requested breaks.
type textWriter struct {
	b       strings.Builder
	nl      int  // trailing newlines already written
	want    int  // newlines wanted before the next text
	space   bool // a space is pending before the next text
	started bool
	pre     int // inside <pre>
}

func (w *textWriter) breakLines(n int) {
	if n > w.want {
		w.want = n
	}
	w.space = false
}

func (w *textWriter) hardBreak() {
	// A pending block break is made real first, so that <div><br></div>
	// gives an empty line as it does in a browser.
	if w.started {
		for w.nl < w.want {
			w.b.WriteByte('\n')
			w.nl++
		}
	}
	w.b.WriteByte('\n')
	w.nl++
	w.want = 0
	w.space = false
}

func (w *textWriter) text(s string) {
	if strings.Contains(s, "\u00a0") && strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", "")) == "" {
		// Only NBSPs (Outlook's <p>&nbsp;</p> blank line): keep the line.
		w.emit(" ")
		w.space = false
		return
	}
	s = strings.ReplaceAll(s, "\u00a0", " ")
	if w.pre > 0 {
		w.emit(strings.ReplaceAll(s, "\r\n", "\n"))
		return
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && !isHTMLSpace(s[i]) {
			continue
		}
		if i > start {
			if w.space && w.nl == 0 && w.want == 0 {
				w.b.WriteByte(' ')
			}
			w.space = false
			w.emit(s[start:i])
		}
		if i < len(s) {
			w.space = true
		}
		start = i + 1
	}
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func (w *textWriter) emit(s string) {
	if s == "" {
		return
	}
	if w.started {
		for w.nl < w.want {
			w.b.WriteByte('\n')
			w.nl++
		}
	}
	w.want = 0
	w.b.WriteString(s)
	w.started = true
	if strings.HasSuffix(s, "\n") {
		w.nl = len(s) - len(strings.TrimRight(s, "\n"))
	} else {
		w.nl = 0
	}
}

func renderText(doc *html.Node) string {
	w := &textWriter{}
	exit := func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		if n.DataAtom == atom.Pre && w.pre > 0 {
			w.pre--
		}
		switch n.DataAtom {
		case atom.Td, atom.Th:
			w.space = true
		}
		if k := blockNewlines(n); k > 0 {
			w.breakLines(k)
		}
	}
	cur := doc
	for cur != nil {
		descend := enter(w, cur)
		if descend && cur.FirstChild != nil {
			cur = cur.FirstChild
			continue
		}
		if descend {
			exit(cur)
		}
		for cur != doc && cur.NextSibling == nil {
			cur = cur.Parent
			exit(cur)
		}
		if cur == doc {
			break
		}
		cur = cur.NextSibling
	}
	return tidyText(w.b.String())
}

// enter handles a node on the way down; false skips its children (and exit).
func enter(w *textWriter, n *html.Node) bool {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return true
	case html.ElementNode:
	case html.DocumentNode:
		return true
	default:
		return false
	}
	if skipElement(n) {
		return false
	}
	switch n.DataAtom {
	case atom.Br:
		w.hardBreak()
	case atom.Pre:
		w.breakLines(2)
		w.pre++
	case atom.Li:
		w.breakLines(1)
		w.emit("- ")
		w.space = false
		return true
	case atom.Img:
		// Alt text of images is usually noise (logos, spacers): skip it.
	}
	if k := blockNewlines(n); k > 0 {
		w.breakLines(k)
	}
	return true
}

var manyBlankLines = regexp.MustCompile(`\n{3,}`)

// tidyText trims trailing spaces on each line and collapses runs of blank
// lines to one.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s = strings.Join(lines, "\n")
	s = manyBlankLines.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}
