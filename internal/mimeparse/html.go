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

// HTMLReplyText is HTMLToText after dropping the quoted history that mail
// clients wrap in known containers: Gmail's div.gmail_quote (unless it holds
// a forward), Apple Mail and Thunderbird's <blockquote type="cite"> and
// moz-cite-prefix, Yahoo's yahoo_quoted, Outlook's divRplyFwdMsg /
// appendonsend / OLK_SRC_BODY_SECTION and top-bordered header blocks (and
// everything after them), an <hr> followed by a "From:"-style header block,
// and the last top-level <blockquote>. Then the text is cut at an
// attribution line ("On … wrote:", "-----Original Message-----", a
// "From:/Sent:" block) unless a forward marker comes first. When the cut
// would leave nothing, the whole text is returned.
func HTMLReplyText(s string) string {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return ""
	}
	full := renderText(doc)
	pruneQuotes(doc)
	reply := cutAtSplitter(renderText(doc))
	if strings.TrimSpace(reply) == "" {
		return full
	}
	return reply
}

// headerLabel matches a line of a client's quoted header block in the
// languages consultd sees. Leading bidi marks (Arabic clients add them) and
// bold markers are allowed.
var headerLabel = regexp.MustCompile(`(?i)^[\s\x{200E}\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}*]*(from|date|sent|to|cc|subject|de|von|van|da|från|fra|od|от|envoyé|gesendet|enviado|inviato|verzonden|skickat|من|التاريخ|تاريخ الإرسال|أرسلت|إلى|الموضوع|发件人|寄件者)\s*\*?\s*[:：]`)

// fromLabel is the subset of headerLabel that starts a quoted header block
// in plain text (a "Date:" or "To:" line alone is too common in replies).
var fromLabel = regexp.MustCompile(`(?i)^[\s\x{200E}\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}*]*(from|de|von|van|da|från|fra|od|от|من|发件人|寄件者)\s*\*?\s*[:：]`)

// fwdMarker matches the line that starts a forwarded message.
var fwdMarker = regexp.MustCompile(`(?i)^\s*-*\s*(forwarded message|begin forwarded message|original message|message transféré|weitergeleitete nachricht|mensaje reenviado|رسالة معاد توجيهها)`)

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
		case id == "divRplyFwdMsg" || id == "appendonsend" || id == "OLK_SRC_BODY_SECTION" ||
			strings.HasPrefix(id, "x_divRplyFwdMsg") || id == "x_appendonsend":
			cutAfter = n
			// Outlook web puts an <hr> just before divRplyFwdMsg.
			if p := prevElement(n); p != nil && p.DataAtom == atom.Hr {
				cutAfter = p
			}
			return false
		case n.DataAtom == atom.Div && (strings.Contains(class, " gmail_quote ") || strings.Contains(class, " gmail_quote_container ")):
			if fwdMarker.MatchString(textPrefix(n, 200)) {
				return true // a forward, not a quote
			}
			remove = append(remove, n)
			return false
		case n.DataAtom == atom.Blockquote && strings.EqualFold(attr(n, "type"), "cite"),
			strings.Contains(class, "yahoo_quoted"), strings.Contains(class, " moz-cite-prefix "),
			strings.Contains(class, " applequote "):
			remove = append(remove, n)
			return false
		case n.DataAtom == atom.Blockquote:
			if !strings.Contains(class, " gmail_quote ") {
				lastQuote = n
			}
			return false
		case n.DataAtom == atom.Hr && headerLabel.MatchString(followingText(n, 200)):
			cutAfter = n
			return false
		case n.DataAtom == atom.Div && strings.Contains(strings.ToLower(attr(n, "style")), "border-top") &&
			headerLabel.MatchString(textPrefix(n, 200)):
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
			n.Parent.RemoveChild(n)
		}
	}
	if cutAfter != nil {
		cutFrom(cutAfter)
	}
}

var (
	wroteLine    = regexp.MustCompile(`(?i)^[\s\x{200E}\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}*]*(on|le|am|el|il|op|em|den|på|w dniu|в|في)\s.{0,250}(wrote|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|skrev|napisał|написал|كتب)\s*:?\s*$`)
	originalLine = regexp.MustCompile(`(?i)^[\s\x{200E}\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}*]*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale|الرسالة الأصلية)\s*-{2,}`)
	// Russian clients: "26.06.2014, 14:41, "Name" <a@b>:" and "Thu, 26 Jun 2014 14:00:51 +0400 от Name <a@b>:".
	dateAddrLine = regexp.MustCompile(`^\s*\S.{0,120}\d{1,2}:\d{2}.{0,120}<[^<>\s]+@[^<>\s]+>\s*:\s*$`)
)

// cutAtSplitter cuts text at the first attribution or header-block line,
// unless a forward marker comes before it.
func cutAtSplitter(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if fwdMarker.MatchString(l) && !originalLine.MatchString(l) {
			return text
		}
		joined := l
		if i+1 < len(lines) {
			joined = l + " " + lines[i+1]
		}
		isSplit := originalLine.MatchString(l) || wroteLine.MatchString(l) || dateAddrLine.MatchString(l) ||
			(wroteLine.MatchString(joined) && !wroteLine.MatchString(lines[i+1])) ||
			(fromLabel.MatchString(l) && headerBlockFollows(lines[i+1:]))
		if isSplit && i > 0 {
			return strings.TrimSpace(strings.Join(lines[:i], "\n"))
		}
	}
	return text
}

// headerBlockFollows reports whether another header label appears in the
// next few non-empty lines (From:/Sent:/To: blocks).
func headerBlockFollows(lines []string) bool {
	seen := 0
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if seen++; seen > 3 {
			return false
		}
		if headerLabel.MatchString(l) {
			return true
		}
	}
	return false
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
	walkNodes(n, func(c *html.Node) bool {
		*budget--
		if b.Len() >= max || *budget <= 0 {
			return false
		}
		if c.Type == html.TextNode {
			b.WriteString(strings.ReplaceAll(c.Data, "\u00a0", " "))
		}
		return !skipElement(c)
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

func forEachElement(n *html.Node, visit func(*html.Node) bool) {
	walkNodes(n, func(c *html.Node) bool {
		if c.Type != html.ElementNode {
			return c.Type == html.DocumentNode
		}
		return visit(c)
	})
}

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
