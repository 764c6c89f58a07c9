package reply

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"consultd/internal/mimeparse"
)

// HTMLText returns the new text of an HTML reply: the body as text
// (mimeparse's HTML→text) after dropping the quoted history that mail clients
// wrap in known containers — Gmail's div.gmail_quote (unless it holds a
// forward), Apple Mail and Thunderbird's <blockquote type="cite"> and
// moz-cite-prefix, Yahoo's yahoo_quoted, Proton's protonmail_quote, Zoho's
// zmail_extra, Spark's messageReplySection, Outlook's divRplyFwdMsg /
// appendonsend / OLK_SRC_BODY_SECTION / mail-editor-reference-message-container
// and top-bordered header blocks (and everything after them), an <hr>
// followed by a "From:"-style header block, and the last top-level
// <blockquote>. The text is then cut at the first line where history starts,
// by the same classifier as Trim (attributions, separators and header blocks
// in every language of clientmail), unless a forward comes first. When the
// cut would leave nothing, the whole text is returned.
//
// Signatures and footers are left for Trim, which readers call on the result.
func HTMLText(s string) string {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return ""
	}
	full := mimeparse.HTMLNodeText(doc)
	pruneQuotes(doc)
	reply := dropMarks(cutHistory(mimeparse.HTMLNodeText(doc)))
	if strings.TrimSpace(reply) == "" {
		return full
	}
	return reply
}

// cutHistory cuts text at the first history line that has the member's text
// above it. A forward ("---------- Forwarded message ---------", "Begin
// forwarded message:") keeps the whole text: the member passes it on.
func cutHistory(text string) string {
	b := parse(text)
	b.markHeaderBlocks()
	seenText := false
	for i, k := range b.kinds {
		switch {
		case k == kForward && isForwardOnly(b.keys[i]):
			return text
		case seenText && (b.isCut(i) || b.fromBlock(i)):
			return strings.TrimSpace(strings.Join(b.raw[:i], "\n"))
		case k == kText:
			seenText = true
		}
	}
	return text
}

// fromBlock reports a From: line (any covered language) with another header
// line among the next three: converted HTML has no ">" to tell history by, so
// a header block counts here even without an address or a time in it.
func (b *body) fromBlock(i int) bool {
	name, _, ok := headerField(b.keys[i])
	if !ok || !headerFromSet[name] {
		return false
	}
	for j, seen := i+1, 0; j < len(b.keys) && seen < 3; j++ {
		if strings.TrimSpace(b.keys[j]) == "" {
			continue
		}
		seen++
		if isHeader(b.keys[j]) {
			return true
		}
	}
	return false
}

// quoteMark is the line left where a quote container was removed: a quote
// to the classifier (the zero-width space is dropped from its key), removed
// again by dropMarks.
const quoteMark = "> \u200b"

// dropMarks removes the quoteMark lines and the blank lines they leave at the
// end.
func dropMarks(text string) string {
	if !strings.Contains(text, quoteMark) {
		return text
	}
	lines := strings.Split(text, "\n")
	out := lines[:0]
	for _, l := range lines {
		if l != quoteMark {
			out = append(out, l)
		}
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// quoteIDs are element ids after which everything is history (Outlook).
var quoteIDs = map[string]bool{
	"divRplyFwdMsg": true, "appendonsend": true, "OLK_SRC_BODY_SECTION": true, "x_appendonsend": true,
	"mail-editor-reference-message-container": true,
}

// quoteClasses are classes of containers that hold only history.
var quoteClasses = []string{" yahoo_quoted ", " moz-cite-prefix ", " applequote ", " protonmail_quote ", " zmail_extra "}

// pruneQuotes removes quoted-history containers from the tree.
func pruneQuotes(doc *html.Node) {
	var remove []*html.Node
	var cutAfter *html.Node // first node where "this and everything after" is cut
	var lastQuote *html.Node
	forEachElement(doc, func(n *html.Node) bool {
		if cutAfter != nil {
			return false
		}
		id := attr(n, "id")
		class := " " + strings.ToLower(attr(n, "class")) + " "
		switch {
		case quoteIDs[id] || strings.HasPrefix(id, "x_divRplyFwdMsg"):
			cutAfter = n
			// Outlook web puts an <hr> just before divRplyFwdMsg.
			if p := prevElement(n); p != nil && p.DataAtom == atom.Hr {
				cutAfter = p
			}
			return false
		case n.DataAtom == atom.Div && (strings.Contains(class, " gmail_quote ") || strings.Contains(class, " gmail_quote_container ")):
			if startsForward(textPrefix(n, 200)) {
				return true // a forward, not a quote
			}
			remove = append(remove, n)
			return false
		case n.DataAtom == atom.Blockquote && strings.EqualFold(attr(n, "type"), "cite"),
			hasClass(class, quoteClasses), attr(n, "name") == "messageReplySection":
			remove = append(remove, n)
			return false
		case n.DataAtom == atom.Blockquote:
			if !strings.Contains(class, " gmail_quote ") {
				lastQuote = n
			}
			return false
		case n.DataAtom == atom.Hr && startsHeaderBlock(followingText(n, 200)):
			cutAfter = n
			return false
		case n.DataAtom == atom.Div && strings.Contains(strings.ToLower(attr(n, "style")), "border-top") &&
			startsHeaderBlock(textPrefix(n, 200)):
			cutAfter = n
			return false
		}
		return true
	})
	if lastQuote != nil {
		remove = append(remove, lastQuote)
	}
	for _, n := range remove {
		if n.Parent != nil {
			// A quote line stands where the quote was, so that the line rules
			// see an attribution above a quote as they do in plain text.
			mark := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
			mark.AppendChild(&html.Node{Type: html.TextNode, Data: quoteMark})
			n.Parent.InsertBefore(mark, n)
			n.Parent.RemoveChild(n)
		}
	}
	if cutAfter != nil {
		cutFrom(cutAfter)
	}
}

func hasClass(class string, list []string) bool {
	for _, c := range list {
		if strings.Contains(class, c) {
			return true
		}
	}
	return false
}

// startsForward reports text that opens with a forward marker.
func startsForward(text string) bool {
	k := keyOf(firstLine(text))
	return isForwardOnly(k)
}

// startsHeaderBlock reports text that opens with a header label of any
// covered language ("From:", "De :", "من:", "Feladó:"). The text of an HTML
// header block is read without its line breaks, so only the first label is
// looked at.
func startsHeaderBlock(text string) bool {
	name, _, ok := headerField(keyOf(firstLine(text)))
	return ok && (headerTextSet[name] || headerDateSet[name])
}

func firstLine(s string) string {
	s = strings.TrimLeft(s, " \t\r\n\u00a0")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// cutFrom removes n, its following siblings, and the following siblings of
// each ancestor (everything after n in document order).
func cutFrom(n *html.Node) {
	// Collect the ancestors first: removing n clears its Parent.
	var chain []*html.Node
	for cur := n; cur != nil && cur.Parent != nil; cur = cur.Parent {
		if cur.DataAtom == atom.Body || cur.DataAtom == atom.Html {
			break
		}
		chain = append(chain, cur)
	}
	for i, cur := range chain {
		p := cur.Parent
		start := cur.NextSibling
		if i == 0 {
			start = cur
		}
		for c := start; c != nil; {
			next := c.NextSibling
			p.RemoveChild(c)
			c = next
		}
	}
}

func prevElement(n *html.Node) *html.Node {
	for p := n.PrevSibling; p != nil; p = p.PrevSibling {
		if p.Type == html.ElementNode {
			return p
		}
		if p.Type == html.TextNode && strings.TrimSpace(p.Data) != "" {
			return nil
		}
	}
	return nil
}

// followingText returns up to max bytes of text after n in document order.
// Like textPrefix it visits a bounded number of nodes, so that checking many
// <hr> or <div> elements stays linear.
func followingText(n *html.Node, max int) string {
	var b strings.Builder
	budget := textBudget
	for cur := n; cur != nil && b.Len() < max && budget > 0; {
		if cur.NextSibling != nil {
			cur = cur.NextSibling
			collectText(cur, &b, max, &budget)
			continue
		}
		cur = cur.Parent
		budget--
	}
	return b.String()
}

// textBudget bounds the nodes visited to read a prefix of text.
const textBudget = 500

func textPrefix(n *html.Node, max int) string {
	var b strings.Builder
	budget := textBudget
	collectText(n, &b, max, &budget)
	return b.String()
}

func collectText(n *html.Node, b *strings.Builder, max int, budget *int) {
	mimeparse.WalkHTML(n, func(c *html.Node) bool {
		*budget--
		if b.Len() >= max || *budget <= 0 {
			return false
		}
		if c.Type == html.TextNode {
			b.WriteString(strings.ReplaceAll(c.Data, "\u00a0", " "))
		}
		return !mimeparse.HTMLHidden(c)
	})
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func forEachElement(n *html.Node, visit func(*html.Node) bool) {
	mimeparse.WalkHTML(n, func(c *html.Node) bool {
		if c.Type != html.ElementNode {
			return c.Type == html.DocumentNode
		}
		return visit(c)
	})
}
