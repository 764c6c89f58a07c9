package answer

import (
	"strings"
	"unicode/utf8"
)

// An inline answer is written under the quoted lines it answers: "ABSTAIN"
// under the quoted instructions, "1. Victims' associations were not
// consulted" under the quoted "> Concerns:" and its "> 1. ..." placeholders,
// "yes" under "> Sign: yes (or no)". Once the quote is dropped nothing says
// which heading a line was written under, so this reads the text with its
// quotes (reply.TrimInline keeps them when the member wrote between quoted
// passages) and gives each block of the member's lines the heading a reader
// would give it.

// block is a run of the member's own lines and the quoted heading they were
// written under ("" when none).
type block struct {
	head  string // a heading line to read before the lines: "concerns:", "sign:"
	lines []string
}

// quotedKind is what a quoted line is to the member's lines below it.
type quotedKind int

const (
	quotedOther       quotedKind = iota // ends any heading above
	quotedPlaceholder                   // "> 1. ...", "> -": keeps the heading above
	quotedHeading
)

// inlineBlocks splits an inline reply (quotes kept) into the member's blocks.
// ok is false when no block was written under a quoted heading: the reply is
// then read as reply.Trim gives it, as before.
func (r *Reader) inlineBlocks(text string) (blocks []block, ok bool) {
	head := ""
	var cur *block
	for _, line := range strings.Split(text, "\n") {
		t := trimFormat(line)
		if strings.HasPrefix(t, ">") {
			cur = nil
			q := trimFormat(strings.TrimLeft(t, "> \t"))
			switch kind, h := r.quotedLine(q); kind {
			case quotedHeading:
				head = h
			case quotedOther:
				head = ""
			}
			continue
		}
		if cur == nil {
			if t == "" {
				continue // blank lines between a quote and the member's text
			}
			blocks = append(blocks, block{})
			cur = &blocks[len(blocks)-1]
			if head != "" && !r.ownHeading(t) {
				cur.head = head
				ok = true
			}
		}
		cur.lines = append(cur.lines, line)
	}
	return blocks, ok
}

// quotedLine classifies a quoted line (without its ">" marks). For a heading
// it returns the heading to read the member's lines under: the sign heading
// with the member's answer after it, a section heading on a line of its own.
func (r *Reader) quotedLine(q string) (quotedKind, string) {
	n := strings.TrimSpace(strings.Map(normRune, q))
	if n == "" {
		return quotedPlaceholder, ""
	}
	for _, h := range []struct {
		list []string
		head string
	}{{r.v.concerns, "concerns:"}, {r.v.recommendations, "recommendations:"}, {r.v.sign, "sign:"}} {
		if ok, _ := headingRest(n, h.list); ok {
			return quotedHeading, h.head
		}
	}
	if placeholder(n) {
		return quotedPlaceholder, ""
	}
	return quotedOther, ""
}

// placeholder reports a template line with nothing in it: "1. ...", "-",
// "أ- ...", "(one per line)".
func placeholder(n string) bool {
	rest := n
	if loc := itemRe.FindStringIndex(n); loc != nil {
		rest = n[loc[1]:]
	}
	if strings.TrimFunc(rest, func(r rune) bool { return r == '.' || r == '…' || r == ' ' || r == '_' }) == "" {
		return true
	}
	return strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") && utf8.RuneCountInString(rest) < 60
}

// ownHeading reports a member's block that carries its own heading or
// position, which wins over the quoted heading above: "DECLINE" written under
// "> Concerns:" is still the position, "Recommendations:" is its own section,
// "Best regards," is the closing.
func (r *Reader) ownHeading(line string) bool {
	n := strings.TrimSpace(strings.Map(normRune, line))
	for _, l := range [][]string{r.v.concerns, r.v.recommendations, r.v.sign} {
		if ok, _ := headingRest(n, l); ok {
			return true
		}
	}
	if t := trimFormat(line); strings.HasPrefix(t, "—") || strings.HasPrefix(t, "--") ||
		signOffRe.MatchString(strings.ToLower(n)) && len(words(n)) <= 5 {
		return true // "Thanks, Lina" under the last quoted heading closes the mail
	}
	return len(words(n)) <= 3 && r.opensWithPosition(n)
}

// headed returns the lines of a block for the section reader, with the quoted
// heading first, and whether the first line is that heading (not the
// member's words, so not read for a position).
func (b block) headed() (lines []string, synthetic bool) {
	switch b.head {
	case "":
		return b.lines, false
	case "sign:":
		// "yes" under "> Sign: yes (or no)" is read as "sign: yes".
		return append([]string{b.head + " " + b.lines[0]}, b.lines[1:]...), false
	}
	return append([]string{b.head}, b.lines...), true
}
