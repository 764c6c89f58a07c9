// Package bidihtml writes plain text as HTML whose mixed-direction runs read
// right: an English name, address or note inside an Arabic paragraph (or the
// reverse) is isolated, so its trailing "." or ">" stays on its side instead
// of jumping to the other end of the line.
//
// Each line becomes a block with its own direction: that of its first strong
// character outside isolated values (the rule of HTML's dir="auto"), or its
// parent's when it has none or starts with a list marker. The direction is
// written out explicitly rather than as dir="auto" because Outlook's Word
// engine ignores "auto". Values a template inserted (delimited by Open and
// Close, see package render) become <bdi>, or a block of their own when they
// span lines (the quoted invitation, a coordinator's note); in text without
// marks (a statement, perhaps edited by a coordinator) every run in the other
// direction is isolated.
package bidihtml

import (
	"html"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/bidi"

	"consultd/internal/inert"
	"consultd/internal/lang"
)

// Open and Close delimit a value inside a template's output. They are Unicode
// noncharacters (reserved for a program's internal use), so no mail carries
// them on purpose; Isolate removes any from the value itself.
const (
	Open  = '\uFDD0'
	Close = '\uFDD1'
)

// Isolate marks s as one value.
func Isolate(s string) string {
	return string(Open) + Strip(s) + string(Close)
}

// Strip removes the value marks: the plain text of a marked text.
func Strip(s string) string {
	if !strings.ContainsAny(s, string(Open)+string(Close)) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == Open || r == Close {
			return -1
		}
		return r
	}, s)
}

// Dir is the direction of the first strong character of s ("" when it has none).
func Dir(s string) lang.Direction {
	for _, r := range s {
		if d := strong(r); d != "" {
			return d
		}
	}
	return ""
}

func strong(r rune) lang.Direction {
	if r < 0x80 {
		if unicode.IsLetter(r) {
			return lang.LTR
		}
		return ""
	}
	p, _ := bidi.LookupRune(r)
	switch p.Class() {
	case bidi.L:
		return lang.LTR
	case bidi.R, bidi.AL:
		return lang.RTL
	}
	return ""
}

// Fragment writes text (marked or not) as HTML blocks in a parent of
// direction dir: one <div> per paragraph, one per line. Everything is
// escaped; nothing becomes a link or markup.
func Fragment(text string, dir lang.Direction) string {
	var b strings.Builder
	writeBlock(&b, inert.Text(text), dir)
	return b.String()
}

// Line writes one line of plain text as inline HTML in a parent of
// direction dir (a heading), each run in the other direction isolated.
func Line(text string, dir lang.Direction) string {
	var b strings.Builder
	t := strings.Join(strings.Fields(Strip(inert.Text(text))), " ")
	writeRuns(&b, t, dir, true, true)
	return b.String()
}

// item is a piece of a line: literal template text, or a value.
type item struct {
	text  string
	value bool
}

// writeBlock writes the paragraphs of text; a value spanning lines on its own
// becomes a nested block in its own direction.
func writeBlock(b *strings.Builder, text string, dir lang.Direction) {
	var para [][]item
	flush := func() {
		if len(para) == 0 {
			return
		}
		b.WriteString(`<div style="margin:0 0 1em 0">`)
		for _, l := range para {
			writeLine(b, l, dir)
		}
		b.WriteString("</div>\n")
		para = nil
	}
	for _, l := range lines(text) {
		if v, ok := blockValue(l); ok {
			flush()
			d := Dir(v)
			if d == "" {
				d = dir
			}
			// The quoted original (or a note) reads in its own direction.
			b.WriteString(`<div dir="` + string(d) + `">` + "\n")
			writeBlock(b, v, d)
			b.WriteString("</div>\n")
			continue
		}
		if blank(l) {
			flush()
			continue
		}
		para = append(para, l)
	}
	flush()
}

// lines splits a marked text into lines of items. A value spanning lines
// stays one item when it is alone on its lines (blockValue), else it is cut
// into one value per line.
func lines(text string) [][]item {
	var out [][]item
	var cur []item
	var lit strings.Builder
	endLit := func() {
		if lit.Len() > 0 {
			cur = append(cur, item{text: lit.String()})
			lit.Reset()
		}
	}
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '\n':
			endLit()
			out = append(out, cur)
			cur = nil
		case Open:
			j := i + 1
			for j < len(rs) && rs[j] != Close && rs[j] != Open {
				j++
			}
			v := string(rs[i+1 : j])
			if j < len(rs) && rs[j] == Open {
				j-- // an Open without Close: the value ends before the next one
			}
			i = j
			endLit()
			if !strings.Contains(v, "\n") {
				if v != "" {
					cur = append(cur, item{text: v, value: true})
				}
				continue
			}
			if onlySpace(cur) && restOfLineBlank(rs, j+1) {
				cur = append(cur, item{text: v, value: true})
				continue
			}
			parts := strings.Split(v, "\n")
			for k, p := range parts {
				if k > 0 {
					out = append(out, cur)
					cur = nil
				}
				if p != "" {
					cur = append(cur, item{text: p, value: true})
				}
			}
		case Close:
			// a stray Close: dropped
		default:
			lit.WriteRune(r)
		}
	}
	endLit()
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func onlySpace(l []item) bool {
	for _, it := range l {
		if it.value || strings.TrimSpace(it.text) != "" {
			return false
		}
	}
	return true
}

func restOfLineBlank(rs []rune, from int) bool {
	for i := from; i < len(rs) && rs[i] != '\n'; i++ {
		if !unicode.IsSpace(rs[i]) && rs[i] != Close {
			return false
		}
	}
	return true
}

// blockValue reports the value of a line that is only a multi-line value.
func blockValue(l []item) (string, bool) {
	var v string
	n := 0
	for _, it := range l {
		switch {
		case it.value:
			v = it.text
			n++
		case strings.TrimSpace(it.text) != "":
			return "", false
		}
	}
	return v, n == 1 && strings.Contains(v, "\n")
}

func blank(l []item) bool {
	for _, it := range l {
		if strings.TrimSpace(it.text) != "" {
			return false
		}
	}
	return true
}

// lineCache holds lines already written by writeLine, which depends on
// nothing but its line and direction. A round's opening writes every
// member's consultation, and all but a few of its lines (the invitation,
// the instructions) are the same for every member of a language: a 15,000-
// member opening wrote the same lines 15,000 times. Bounded: emptied when
// full, so a long-running daemon keeps at most lineCacheMax lines.
var lineCache struct {
	sync.Mutex
	m map[string]string
}

const lineCacheMax = 4096

// writeLine writes one line as a block in its direction.
func writeLine(b *strings.Builder, l []item, parent lang.Direction) {
	var key strings.Builder
	key.WriteString(string(parent))
	for _, it := range l {
		// Length-prefixed, so that no text can make two lines one key.
		if it.value {
			key.WriteByte('v')
		} else {
			key.WriteByte('t')
		}
		key.WriteString(strconv.Itoa(len(it.text)))
		key.WriteByte(':')
		key.WriteString(it.text)
	}
	k := key.String()
	lineCache.Lock()
	out, ok := lineCache.m[k]
	lineCache.Unlock()
	if !ok {
		var w strings.Builder
		writeLineUncached(&w, l, parent)
		out = w.String()
		lineCache.Lock()
		if lineCache.m == nil || len(lineCache.m) >= lineCacheMax {
			lineCache.m = make(map[string]string)
		}
		lineCache.m[k] = out
		lineCache.Unlock()
	}
	b.WriteString(out)
}

func writeLineUncached(b *strings.Builder, l []item, parent lang.Direction) {
	d := lineDir(l, parent)
	b.WriteString(`<div dir="` + string(d) + `" style="white-space:pre-wrap">`)
	first := true
	for i, it := range l {
		if it.value {
			writeIsolate(b, it.text, Dir(it.text))
			first = false
			continue
		}
		writeRuns(b, it.text, d, first, i == len(l)-1)
		first = false
	}
	b.WriteString("</div>\n")
}

// lineDir is the direction of a line: the parent's for a list item (its
// marker stays on the parent's side), else that of its first strong literal
// character, else (a line of values only, an English note in an Arabic
// mail) that of its values, else the parent's.
func lineDir(l []item, parent lang.Direction) lang.Direction {
	var all strings.Builder
	for _, it := range l {
		all.WriteString(it.text)
	}
	if listMarker(all.String()) > 0 {
		return parent
	}
	for _, it := range l {
		if !it.value {
			if d := Dir(it.text); d != "" {
				return d
			}
		}
	}
	if d := Dir(all.String()); d != "" {
		return d
	}
	return parent
}

// listMarker returns the length in bytes of a list marker at the start of s
// (after indentation): a bullet or dash, or a number in any digits followed
// by ".", ")" or "-", with the space after it; 0 when there is none.
func listMarker(s string) int {
	t := strings.TrimLeft(s, " \t")
	ind := len(s) - len(t)
	rs := []rune(t)
	n := 0
	switch {
	case len(rs) > 0 && strings.ContainsRune("-–—•*·◦▪", rs[0]):
		n = 1
	default:
		for n < len(rs) && unicode.IsDigit(rs[n]) {
			n++
		}
		if n == 0 || n >= len(rs) || !strings.ContainsRune(".)-–", rs[n]) {
			return 0
		}
		n++
	}
	if n < len(rs) && rs[n] != ' ' && rs[n] != '\t' {
		return 0
	}
	return ind + len(string(rs[:n]))
}

func writeIsolate(b *strings.Builder, s string, d lang.Direction) {
	if d == "" {
		b.WriteString("<bdi>")
	} else {
		b.WriteString(`<bdi dir="` + string(d) + `">`)
	}
	b.WriteString(html.EscapeString(s))
	b.WriteString("</bdi>")
}

const (
	openers = "(<[{«\"'“‘"
	closers = ")>]}»\"'”’"
)

// writeRuns writes literal text in a line of direction d, isolating each run
// in the other direction: from its first to its last strong character, with
// the brackets and quotes around it; at the start or end of the line (atStart,
// atEnd) the neutral characters there (a final ".") belong to the run too,
// since nothing of the line's direction claims them.
func writeRuns(b *strings.Builder, s string, d lang.Direction, atStart, atEnd bool) {
	rs := []rune(s)
	skip := 0
	if atStart {
		skip = len([]rune(s[:listMarker(s)]))
	}
	i := 0
	for i < len(rs) {
		start := -1
		for k := max(i, skip); k < len(rs); k++ {
			if sd := strong(rs[k]); sd != "" && sd != d {
				start = k
				break
			}
		}
		if start < 0 {
			b.WriteString(html.EscapeString(string(rs[i:])))
			return
		}
		end := start // last strong character of the run
		next := len(rs)
		for k := start + 1; k < len(rs); k++ {
			sd := strong(rs[k])
			if sd == d {
				next = k
				break
			}
			if sd != "" {
				end = k
			}
		}
		from, to := start, end+1
		if next == len(rs) && atEnd && noStrong(rs[skip:start], d) {
			// Nothing of the line's direction before or after: the rest
			// (a final ".") is the run's.
			to = len([]rune(strings.TrimRightFunc(string(rs), unicode.IsSpace)))
		} else {
			// Closing brackets and quotes are the run's, with the
			// punctuation inside them («… Geneva.»); punctuation after the
			// last one belongs to the sentence around it.
			for k := to; k < next && strings.ContainsRune(closers+".,;!?…", rs[k]); k++ {
				if strings.ContainsRune(closers, rs[k]) {
					to = k + 1
				}
			}
		}
		if lead := firstNonSpace(rs, max(i, skip)); atStart && i <= skip && lead < start && noStrong(rs[lead:start], d) {
			from = lead
		} else {
			for from > max(i, skip) && strings.ContainsRune(openers, rs[from-1]) {
				from--
			}
		}
		b.WriteString(html.EscapeString(string(rs[i:from])))
		writeIsolate(b, string(rs[from:to]), Dir(string(rs[from:to])))
		i = to
	}
}

func firstNonSpace(rs []rune, from int) int {
	for from < len(rs) && unicode.IsSpace(rs[from]) {
		from++
	}
	return from
}

func noStrong(rs []rune, d lang.Direction) bool {
	for _, r := range rs {
		if strong(r) == d {
			return false
		}
	}
	return true
}
