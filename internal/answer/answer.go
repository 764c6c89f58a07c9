// Package answer understands a member's reply: the position (accept / decline
// / abstain, negation-aware), the Concerns and Recommendations sections, and
// the sign-on, in English, Arabic and French, with other languages added as vocabulary
// in the configuration. It reads only the new text of a reply (package reply
// removes quoted history and signatures first).
//
// Arabic is read as members write it: letter variants, diacritics and tatweel
// folded, conjunctions and prepositions joined to words ("ونعتذر", "للأسباب"),
// Arabic-Indic and Eastern Arabic digits, abjad letter numbering ("أ- ب-"),
// bidi controls anywhere (dropped for matching, kept in the text, trimmed from
// the ends of points), and spoken negations ("مش", "ما رح").
//
// A point is always the member's own words: list items spread over several
// lines are joined, nothing is rewritten. Work is bounded: Read reads at most
// MaxBody bytes of a body, Parse at most MaxRead bytes of text.
package answer

import (
	"strings"
	"unicode/utf8"

	"consultd/internal/mimeparse"
	"consultd/internal/reply"
)

// Position is a member's answer to the invitation.
type Position string

const (
	None    Position = ""
	Accept  Position = "accept"
	Decline Position = "decline"
	Abstain Position = "abstain"
)

// Answer is what a reply says.
type Answer struct {
	Position        Position `json:"position"`
	Concerns        []string `json:"concerns"`
	Recommendations []string `json:"recommendations"`
	Sign            *bool    `json:"sign"` // nil when the reply does not say
	// Holding is a reply without a position that says the answer will come
	// later ("we will discuss it with our board"): not counted, not unclear.
	Holding bool   `json:"holding"`
	Text    string `json:"text"` // the trimmed text that was read
}

// Vocabulary is the words of one language. The built-in English and Arabic
// vocabularies can be extended from the configuration without code.
type Vocabulary struct {
	Language        string
	Accept          []string // e.g. "accept", "we will attend", "نوافق"
	Decline         []string // e.g. "decline", "نعتذر"
	Abstain         []string // e.g. "abstain", "نمتنع"
	Negations       []string // words that turn an accept into a decline: "cannot", "not", "عدم", "لا"
	Concerns        []string // section headings: "Concerns", "المخاوف"
	Recommendations []string // section headings: "Recommendations", "التوصيات"
	Sign            []string // "Sign", "التوقيع"
	Yes             []string
	No              []string
	// NotPosition are phrases that contain a position word but state no
	// position: "accept our apologies", "نعتذر عن التأخر في الرد" (sorry for
	// the late reply). Their words are not read as a position.
	NotPosition []string
	// NoPoints are what members write under a heading when they have nothing
	// to say: "Concerns: none", "التوصيات: لا يوجد". Such an item is no point.
	NoPoints []string
	// Holding are what members write when they will answer later: "we will
	// discuss this with our board and come back to you", "سنعود إليكم بعد
	// التشاور". A reply with no position but one of these is a holding reply.
	Holding []string
}

// Reader understands replies with the built-in vocabularies plus extra ones.
// It is not changed after NewReader, so one Reader may serve many goroutines.
type Reader struct {
	v merged
}

// Builtin are the vocabularies every Reader knows; a language is added here
// (or from the configuration) as one more Vocabulary.
var Builtin = []Vocabulary{English, Arabic, French}

// NewReader returns a Reader with the built-in and the given vocabularies.
func NewReader(extra ...Vocabulary) *Reader {
	return &Reader{v: merge(append(append([]Vocabulary{}, Builtin...), extra...))}
}

// Read picks the body of a reply message (the plain part, or for HTML-only
// mail the HTML without its quoted history), trims it and parses it.
//
// An inline reply that answers a quoted question about signing with a bare
// "yes" / "نعم" is read with the question, which reply.Trim removes.
func (r *Reader) Read(m *mimeparse.Message) Answer {
	body := Body(m)
	parsed := reply.Parse(body) // once for both trims
	a := r.Parse(parsed.Trim())
	if !hasQuoteLine(body) {
		return a
	}
	inline := headLines(parsed.TrimInline(), MaxRead)
	if blocks, ok := r.inlineBlocks(inline); ok {
		// Written under quoted headings: read with them; the text shown
		// and stored stays the trimmed one.
		a = r.parseBlocks(a.Text, blocks)
	}
	if a.Sign == nil {
		if v, ok := r.inlineSign(inline); ok {
			a.Sign = &v
		}
	}
	return a
}

// MaxBody bounds the body Read hands to reply.Trim and the HTML converter:
// the member's answer is at the top (or below a quote of the invitation), and
// what lies beyond is deep quoted history whose trimming costs time for
// nothing.
const MaxBody = 256 << 10

// headLines returns s cut to at most n bytes at a line end (or at a UTF-8
// boundary when the first line is longer).
func headLines(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	if i := strings.LastIndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	// Drop a rune the cut split in two.
	for i := len(s); i > 0 && i > len(s)-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i-1]) {
			if !utf8.FullRuneInString(s[i-1:]) {
				s = s[:i-1]
			}
			break
		}
	}
	return s
}

// inlineSign finds a member line that is only a yes or no right under a
// quoted line that mentions signing ("> … التوقيع: نعم أو لا" then "نعم").
func (r *Reader) inlineSign(text string) (value, ok bool) {
	asked := false
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
		case strings.HasPrefix(t, ">"):
			ws := words(t)
			asked = false
			for _, s := range r.v.sign {
				if findPhrase(ws, s, 0) >= 0 {
					asked = true
				}
			}
		default:
			if asked {
				if ws := words(t); len(ws) <= 3 {
					if v, ok := r.signValue(ws); ok {
						return v, true
					}
				}
			}
			asked = false
		}
	}
	return false, false
}

// Body returns the text of a reply to read: the text/plain part, or the HTML
// converted without its quoted history when the mail has no plain part.
//
// A plain part that is only the HTML converted by the client (quoted history
// unmarked) is also read from the HTML, where the history can be told apart.
// A plain part with "> " quotes is the client's own rendering, and reply.Trim
// reads it, so the HTML need not be converted to compare.
//
// Both are read up to MaxBody bytes.
func Body(m *mimeparse.Message) string {
	text, html := headLines(m.Text, MaxBody), m.HTML
	if len(html) > 2*MaxBody {
		html = html[:2*MaxBody] // the HTML parser closes what the cut leaves open
	}
	plain := strings.TrimSpace(text)
	if html != "" && (plain == "" ||
		!hasQuoteLine(plain) && plain == strings.TrimSpace(mimeparse.HTMLToText(html))) {
		return reply.HTMLText(html)
	}
	return text
}

// hasQuoteLine reports a line starting with ">".
func hasQuoteLine(s string) bool {
	return strings.HasPrefix(s, ">") || strings.Contains(s, "\n>")
}

// MaxRead bounds the text Parse reads for the position, points and sign-on
// (the whole text is still returned in Answer.Text): a member's own answer is
// a few kilobytes, and the work stays linear and small on hostile input.
const MaxRead = 64 << 10

// Parse reads an already-trimmed reply text.
func (r *Reader) Parse(text string) Answer {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	lines := strings.Split(headLines(text, MaxRead), "\n") // whole lines: no point or word is cut
	return r.parseBlocks(text, []block{{lines: lines}})
}

// parseBlocks reads the blocks of a reply, each on its own (a section does
// not run on from one block into the next), the position over all of them.
func (r *Reader) parseBlocks(text string, blocks []block) Answer {
	a := Answer{Text: text}
	var all []string
	skip := map[int]bool{}
	for _, b := range blocks {
		lines, synthetic := b.headed()
		sec := r.sections(lines)
		a.Concerns = append(a.Concerns, sec.concerns...)
		a.Recommendations = append(a.Recommendations, sec.recommendations...)
		if sec.sign != nil {
			a.Sign = sec.sign // the last one said counts
		}
		for i, l := range lines {
			skip[len(all)] = sec.inSection[i] || synthetic && i == 0
			all = append(all, l)
		}
	}
	a.Position = r.position(all, skip)
	a.Holding = a.Position == None && r.holds(all, skip)
	return a
}

// holds reports a holding phrase outside the sections.
func (r *Reader) holds(lines []string, skip map[int]bool) bool {
	for i, l := range lines {
		if skip[i] {
			continue
		}
		ws := words(l)
		for _, h := range r.v.holding {
			if findWords(ws, h, 0) >= 0 {
				return true
			}
		}
	}
	return false
}
