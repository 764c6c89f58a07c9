package reply

import (
	"slices"
	"strings"
)

// mode selects the convention: Trim drops signatures and disclaimers and treats
// text below a quoted block as footer (Discourse); StripQuotes keeps signatures
// and text written below a quote (Talon).
type mode int

const (
	modeTrim mode = iota
	modeQuotes
	modeInline // Trim, but '>' passages between the member's lines are kept
)

// body is one message split into lines with their classification.
type body struct {
	raw   []string // original lines, CR removed
	keys  []string // normalised form used for matching (see keyOf)
	kinds []byte
	start []bool // first line of an Outlook header block that counts as history
	mode  mode
}

// clone copies what trimming changes (the lines' kinds and header starts);
// the lines and their keys are only read once parsed.
func (b *body) clone() *body {
	c := *b
	c.kinds = slices.Clone(b.kinds)
	c.start = slices.Clone(b.start)
	return &c
}

func parse(text string) *body {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	raw := strings.Split(text, "\n")
	raw = splitSharedAttribution(raw)
	b := &body{raw: raw, keys: make([]string, len(raw)), kinds: make([]byte, len(raw)), start: make([]bool, len(raw))}
	for i, l := range raw {
		b.keys[i] = keyOf(l)
	}
	b.markFences()
	b.classify()
	b.confirmWeak()
	b.joinWrapped()
	b.fixLinkPieces()
	return b
}

// splitSharedAttribution splits "reply On Wed, … wrote:" into two lines, as
// some webmails glue the attribution to the last line of the reply.
func splitSharedAttribution(raw []string) []string {
	var out []string
	for i, l := range raw {
		if !strings.HasSuffix(strings.TrimRight(l, " \t"), "wrote:") || len(l) > maxJoinLen || isQuote(l) {
			if out != nil {
				out = append(out, l)
			}
			continue
		}
		m := reCutWrote.FindStringSubmatch(strings.TrimRight(l, " \t"))
		if m == nil || !reHasWord.MatchString(m[1]) || !isAttribution(keyOf(m[2])) {
			if out != nil {
				out = append(out, l)
			}
			continue
		}
		if out == nil {
			out = append(make([]string, 0, len(raw)+1), raw[:i]...)
		}
		out = append(out, strings.TrimRight(m[1], "- \t"), m[2])
	}
	if out == nil {
		return raw
	}
	return out
}

// markFences protects fenced code blocks: nothing inside is a delimiter or quote.
func (b *body) markFences() {
	open := -1
	for i, k := range b.keys {
		switch {
		case open < 0 && reFenceOn.MatchString(k):
			open = i
		case open >= 0 && reFenceOff.MatchString(k):
			for j := open; j <= i; j++ {
				b.kinds[j] = kText
			}
			open = -1
		}
	}
}

func (b *body) classify() {
	for i, k := range b.keys {
		if b.kinds[i] != 0 {
			continue
		}
		b.kinds[i] = classifyLine(k)
	}
}

func classifyLine(k string) byte {
	switch {
	case strings.TrimSpace(k) == "":
		return kEmpty
	case isQuote(k):
		return kQuote
	case isDelimiter(k):
		return kDelim
	case isForward(k):
		return kForward
	case isAttribution(k):
		return kAttrib
	case isWeakAttribution(k):
		return kWeak
	case isHeader(k):
		return kHeader
	case isSignature(k):
		return kSig
	}
	return kText
}

// confirmWeak keeps a weak attribution ("Name <addr>, <date> tarihinde şunu
// yazdı:", "Name kirjutas <date>:") only when quoted text follows it: the same
// words can end a sentence of the member's own.
func (b *body) confirmWeak() {
	for i, k := range b.kinds {
		if k != kWeak {
			continue
		}
		short := !strings.Contains(b.keys[i], "@") && !reTime.MatchString(b.keys[i]) && isShortAttribution(b.keys[i])
		if b.quoteAfter(i) && (!short || !b.textAfterQuote(i)) {
			b.kinds[i] = kAttrib
		} else {
			b.kinds[i] = kText
		}
	}
}

// textAfterQuote reports a line of text below the quote that follows line i,
// looking at most 500 lines down so that many such lines stay linear.
func (b *body) textAfterQuote(i int) bool {
	inQuote := false
	for j := i + 1; j < min(len(b.kinds), i+500); j++ {
		switch b.kinds[j] {
		case kQuote:
			inQuote = true
		case kText:
			if inQuote {
				return true
			}
		}
	}
	return false
}

// quoteAfter reports a quoted line after line i, with at most two blank
// lines between.
func (b *body) quoteAfter(i int) bool {
	for j, blanks := i+1, 0; j < len(b.kinds) && blanks <= 2; j++ {
		switch b.kinds[j] {
		case kEmpty:
			blanks++
		case kQuote:
			return true
		default:
			return false
		}
	}
	return false
}

// joinWrapped finds attributions wrapped over several lines ("On …, Name <\n
// addr> wrote:", Polymail's "…\n\n<\nmailto:…\n> wrote:") and marks them.
func (b *body) joinWrapped() {
	n := len(b.keys)
	for i := 0; i < n; i++ {
		k := b.keys[i]
		if b.kinds[i] != kText && b.kinds[i] != kHeader || len(k) > 300 {
			continue
		}
		leads := reStart.MatchString(k)
		// "18. 4. 2017 13:09 …" (sk, cs) reads like a list item; a year and a
		// time say it is a date
		listItem := reListItem.MatchString(k) && !(reYear.MatchString(k) && reTime.MatchString(k))
		if !leads && !strings.Contains(k, "<") || listItem || reSentenceEnd.MatchString(k) {
			continue
		}
		joined := strings.TrimSpace(k)
		blanks := 0
		for j := i + 1; j < n && j <= i+5; j++ {
			c := strings.TrimLeft(b.keys[j], " \t>-")
			if c == "" {
				if blanks++; blanks > 1 {
					break
				}
				continue
			}
			if len(c) > 200 || b.kinds[j] == kForward ||
				(reStart.MatchString(b.keys[j]) && (!leads || b.kinds[j] == kAttrib)) {
				break
			}
			// Gmail wraps inside the address ("<test@" / "example.com>:"):
			// no space goes into an address that is still open.
			if strings.Count(joined, "<") > strings.Count(joined, ">") || strings.HasSuffix(joined, "@") {
				joined += c
			} else {
				joined += " " + c
			}
			if len(joined) > maxJoinLen {
				break
			}
			if !endsLikeAttribution(c) || !strings.Contains(joined, "@") && !reTime.MatchString(joined) ||
				!isAttribution(joined) && !(isWeakAttribution(joined) && b.quoteAfter(j)) {
				if reSentenceEnd.MatchString(c) {
					break // a sentence, not a wrapped header
				}
				continue
			}
			b.kinds[i] = kAttrib
			for m := i + 1; m <= j; m++ {
				b.kinds[m] = kMerged
			}
			i = j
			break
		}
	}
}

func endsLikeAttribution(c string) bool {
	if strings.HasSuffix(c, ":") || strings.HasSuffix(c, "：") || strings.HasSuffix(c, "-") {
		return true
	}
	return wroteEnding(tailOf(c, 80))
}

// fixLinkPieces: a long link broken out of a quoted line ("> View (http://x\n
// _nonce=1)\n>") is part of the quote, not an inline answer.
func (b *body) fixLinkPieces() {
	for i := 1; i+1 < len(b.kinds); i++ {
		if b.kinds[i] != kText || b.kinds[i-1] != kQuote || b.kinds[i+1] != kQuote {
			continue
		}
		t := strings.TrimSpace(b.keys[i])
		if reLinkPiece.MatchString(t) || (!strings.ContainsAny(t, " \t") && len(t) < 200) {
			b.kinds[i] = kQuote
		}
	}
}

// markHeaderBlocks turns runs of header lines into history blocks: three or
// more headers, or two when the run starts with From:/Date: (or a translation).
// Lone header-like lines ("Date: 3 December") stay text.
func (b *body) markHeaderBlocks() {
	n := len(b.kinds)
	for i := 0; i < n; i++ {
		if b.kinds[i] != kHeader {
			continue
		}
		end, count := i, 0
		for j := i; j < n; j++ {
			if b.kinds[j] == kHeader {
				count++
				end = j
				continue
			}
			// allow wrapped header values: up to 2 text lines before the next header
			if b.kinds[j] == kText && j+1 < n && (b.kinds[j+1] == kHeader ||
				(b.kinds[j+1] == kText && j+2 < n && b.kinds[j+2] == kHeader)) {
				continue
			}
			break
		}
		// real header blocks carry an address or a time somewhere
		mailish := false
		for j := i; j <= end && !mailish; j++ {
			mailish = strings.Contains(b.keys[j], "@") || reTime.MatchString(b.keys[j])
		}
		if mailish && (count >= 3 || count >= 2 && isFromHeader(b.keys[i])) {
			b.start[i] = true
			for j := i; j <= end; j++ {
				b.kinds[j] = kHeader
			}
		} else {
			for j := i; j <= end; j++ {
				if b.kinds[j] == kHeader {
					b.kinds[j] = kText
				}
			}
		}
		i = end
	}
}

// isCut reports a line where quoted history starts.
func (b *body) isCut(i int) bool {
	k := b.kinds[i]
	return k == kAttrib || k == kForward || (k == kHeader && b.start[i])
}

// cutEnd returns the index after the history marker at i: the attribution
// with its wrapped lines, or the whole header block.
func (b *body) cutEnd(i int) int {
	j := i + 1
	for j < len(b.kinds) && (b.kinds[j] == kMerged || (b.kinds[i] == kHeader && b.kinds[j] == kHeader && !b.start[j])) {
		j++
	}
	return j
}

func (b *body) firstCut(from int) int {
	for i := from; i < len(b.kinds); i++ {
		if b.isCut(i) {
			return i
		}
	}
	return -1
}

// cutSignatureDelimiter drops everything from the first signature rule.
// "--", "-- " and "____" (Outlook's rule, and a common signature rule)
// always cut. Any other rule (----, ====, ****, ~~~~) is a cut only when quoted
// history follows it after a short block (a signature above the quote): a
// member's own section separator or table rule never cuts their text.
func (b *body) cutSignatureDelimiter() {
	seenText := false
	for i, k := range b.kinds {
		switch k {
		case kText, kQuote:
			seenText = seenText || k == kText
			continue
		case kDelim:
		default:
			continue
		}
		if !seenText {
			continue
		}
		t := strings.TrimSpace(b.keys[i])
		if t == "--" || t == "ᐧ" || strings.Trim(t, "_") == "" || b.historyAfter(i+1) {
			b.kinds = b.kinds[:i]
			return
		}
		b.kinds[i] = kText
	}
}

// cutAtFooter drops everything from the first mobile footer under the
// member's text ("Sent from my iPhone", "Envoyé à partir de Outlook pour
// iOS"): mobile clients put the original under it, quoted or not. When the
// member answered between quoted passages below it, nothing is cut.
func (b *body) cutAtFooter() {
	seenText := false
	for i, k := range b.kinds {
		switch {
		case k == kText:
			seenText = true
		case k == kSig && seenText:
			if !b.inlineAfter(i) {
				b.kinds = b.kinds[:i]
			}
			return
		}
	}
}

// historyAfter reports whether quoted history follows line i directly or
// after a signature: at most four short lines (a name, a title, an
// organisation, a number), none a sentence or a list item. Eight lines of
// the member's text under a table rule are never taken for a signature.
func (b *body) historyAfter(i int) bool {
	lines := 0
	// at most 50 lines are looked at, so a message of rules stays linear
	for stop := min(len(b.kinds), i+50); i < stop && lines <= 4; i++ {
		switch b.kinds[i] {
		case kAttrib, kForward, kQuote:
			return true
		case kHeader:
			if b.start[i] {
				return true
			}
		case kEmpty, kDelim, kSig, kMerged:
			continue
		}
		k := strings.TrimSpace(b.keys[i])
		if lines++; len(k) > 80 || reSentenceEnd.MatchString(k) || reListItem.MatchString(k) {
			return false
		}
	}
	return false
}

// selectTrim returns the indexes of the lines that are the member's new text.
func (b *body) selectTrim(from int) []int {
	n := len(b.kinds)
	first := b.firstCut(from)
	hasTextBefore := false
	end := n
	if first >= 0 {
		end = first
	}
	for i := from; i < end; i++ {
		if b.kinds[i] == kText {
			hasTextBefore = true
			break
		}
	}
	keepText := func(lo, hi int) []int {
		var out []int
		for i := lo; i < hi; i++ {
			if k := b.kinds[i]; k == kText || k == kEmpty || k == kQuote && b.mode == modeInline {
				out = append(out, i)
			} else {
				out = append(out, -1) // removed line, for blank-line handling
			}
		}
		return out
	}
	switch {
	case first < 0:
		return keepText(from, n)
	case !hasTextBefore && b.mode == modeInline && b.kinds[first] == kAttrib && b.inlineAfter(first):
		return keepText(from, b.hardCutAfter(first))
	case !hasTextBefore:
		// bottom-posting: skip the leading history, then read what follows
		for i := first; i < n; i++ {
			if b.kinds[i] == kText {
				return append([]int{-1}, b.selectTrim(i)...)
			}
		}
		return nil
	case b.kinds[first] == kAttrib && b.inlineAfter(first):
		// inline answers between quoted blocks: keep the answers up to any
		// forwarded/Outlook block
		return keepText(from, b.hardCutAfter(first))
	default:
		return keepText(from, first)
	}
}

// dropTrailingQuotes removes, for TrimInline, quoted lines after the member's
// last line, and returns nothing when no line of text was selected.
func (b *body) dropTrailingQuotes(sel []int) []int {
	last := -1
	for j, i := range sel {
		if i >= 0 && b.kinds[i] == kText {
			last = j
		}
	}
	return sel[:last+1]
}

// hardCutAfter returns the first forward marker or header block after i (or
// the end): inline answers never continue past one.
func (b *body) hardCutAfter(i int) int {
	for j := i + 1; j < len(b.kinds); j++ {
		if b.isCut(j) && b.kinds[j] != kAttrib {
			return j
		}
	}
	return len(b.kinds)
}

// inlineAfter reports a quote, then text, then a quote again after line i:
// the member answered between quoted passages.
func (b *body) inlineAfter(i int) bool {
	state := 0 // 0: before a quote, 1: in/after quote, 2: text after quote
	for j := i + 1; j < len(b.kinds); j++ {
		switch b.kinds[j] {
		case kQuote:
			if state == 2 {
				return true
			}
			state = 1
		case kText:
			if state == 1 {
				state = 2
			}
		case kForward:
			return false
		case kHeader:
			if b.start[j] {
				return false
			}
		}
	}
	return false
}

// selectQuotes implements the Talon convention (signatures kept).
func (b *body) selectQuotes() []int {
	n := len(b.kinds)
	for i, k := range b.kinds {
		if k == kDelim || k == kSig {
			b.kinds[i] = kText
		}
	}
	first := b.firstCut(0)
	out := make([]int, 0, n)
	if first < 0 {
		quotes := 0
		for _, k := range b.kinds {
			if k == kQuote {
				quotes++
			}
		}
		for i, k := range b.kinds {
			if k == kQuote && quotes >= 3 {
				out = append(out, -1)
			} else {
				out = append(out, i)
			}
		}
		return out
	}
	onlyText := true
	for i := 0; i < first; i++ {
		if b.kinds[i] != kText && b.kinds[i] != kEmpty {
			onlyText = false
		}
	}
	if onlyText && b.kinds[first] == kForward && isForwardOnly(b.keys[first]) {
		// a forward, not a reply: everything is the message
		for i := range b.kinds {
			out = append(out, i)
		}
		return out
	}
	// history directly followed by unquoted text runs to the end (Talon)
	for c := first; c >= 0; c = b.firstCut(b.cutEnd(c)) {
		j := b.cutEnd(c)
		for j < len(b.kinds) && b.kinds[j] == kEmpty {
			j++
		}
		if j < len(b.kinds) && b.kinds[j] == kText {
			b.kinds = b.kinds[:c]
			n = c
			break
		}
	}
	for i := 0; i < first; i++ {
		if b.kinds[i] == kQuote {
			out = append(out, -1)
		} else {
			out = append(out, i)
		}
	}
	// rule lines just above the history belong to it
	for len(out) > 0 {
		last := out[len(out)-1]
		if last < 0 || b.kinds[last] == kEmpty || !isDelimiter(b.keys[last]) {
			break
		}
		out = out[:len(out)-1]
	}
	afterQuote := false
	for i := first; i < n; i++ {
		switch b.kinds[i] {
		case kQuote:
			afterQuote = true
			out = append(out, -1)
		case kText:
			if afterQuote {
				out = append(out, i)
			} else {
				out = append(out, -1)
			}
		case kEmpty:
			out = append(out, i)
		default:
			afterQuote = false
			out = append(out, -1)
		}
	}
	return out
}

// render joins the selected lines: blank lines right after removed lines go
// with them, trailing spaces and outer blank lines are dropped.
func (b *body) render(sel []int, m mode) []string {
	out := make([]string, 0, len(sel))
	afterRemoved := false
	for _, i := range sel {
		if i < 0 {
			afterRemoved = true
			continue
		}
		l := b.raw[i]
		if m != modeQuotes {
			l = strings.TrimRight(l, " \t")
		}
		if b.kinds[i] == kEmpty || strings.TrimSpace(b.keys[i]) == "" {
			// Talon lets a removed block take the blank lines below it; Trim
			// keeps one blank line between paragraphs it joins.
			if afterRemoved && (m == modeQuotes || len(out) == 0 || out[len(out)-1] == "") {
				continue
			}
			l = ""
		}
		afterRemoved = false
		out = append(out, l)
	}
	for len(out) > 0 && strings.TrimSpace(out[0]) == "" {
		out = out[1:]
	}
	for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
		out = out[:len(out)-1]
	}
	return out
}

// dropClosing removes, in Trim mode, a closing legal disclaimer and a "-Name"
// sign-off line (the dash acts as a signature delimiter).
func dropClosing(lines []string) []string {
	firstText := -1
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			firstText = i
			break
		}
	}
	// a disclaimer is a closing block: look only at the last 60 lines
	for i := max(firstText+1, len(lines)-60); firstText >= 0 && i < len(lines); i++ {
		if !reDisclaimer.MatchString(keyOf(lines[i])) {
			continue
		}
		tail := 0
		for _, t := range lines[i:] {
			tail += len(t)
		}
		if tail <= 6000 {
			lines = lines[:i]
			break
		}
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	if n := len(lines); n > 1 && reDashName.MatchString(strings.TrimSpace(cleanOf(lines[n-1]))) {
		lines = lines[:n-1]
		for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
			lines = lines[:len(lines)-1]
		}
	}
	return lines
}
