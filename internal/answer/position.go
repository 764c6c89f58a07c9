package answer

import (
	"regexp"
	"slices"
	"strings"
)

// signal is one mention of a position.
type signal struct {
	pos    Position
	strong bool // the line starts with it: "DECLINE", "Position: accept", "أرفض"
	line   int
}

var sentenceSplit = regexp.MustCompile(`[.!?؟;؛\n]+`)

// positionHeadings may stand before the keyword on a strong line.
var positionHeadings = split([]string{"position", "our position", "answer", "our answer", "vote", "our vote", "decision",
	"الموقف", "موقفنا", "الرد", "ردنا", "القرار"})

// position finds the reply's position. A line that starts with a position word
// decides; otherwise the mentions in sentences must agree. Negations ("we
// cannot accept", "عدم قبول") turn an acceptance into a decline; a negated
// decline or abstention says nothing. Lines inside sections are not read.
func (r *Reader) position(lines []string, skip map[int]bool) Position {
	var sigs []signal
	for i, raw := range lines {
		if skip[i] {
			continue
		}
		for si, sentence := range sentenceSplit.Split(raw, -1) {
			ws := words(sentence)
			if len(ws) == 0 {
				continue
			}
			start := 0
			if si == 0 {
				for _, h := range positionHeadings {
					if len(h) < len(ws) && findWords(ws[:len(h)], h, 0) == 0 {
						start = len(h)
					}
				}
			}
			for _, s := range afterContrast(ws, r.mentions(ws)) {
				s.line = i
				s.strong = si == 0 && s.line == i && s.strongAt == start && s.pos != None
				sigs = append(sigs, s.signal)
			}
		}
	}
	var strong, weak []Position
	for _, s := range sigs {
		if s.pos == None {
			continue
		}
		if s.strong {
			strong = append(strong, s.pos)
		} else {
			weak = append(weak, s.pos)
		}
	}
	if len(strong) > 0 {
		return strong[0]
	}
	return agree(weak)
}

// contrasts are the words after which a sentence says what the member
// decided: "We would have liked to attend, but we must decline", "كنا نميل إلى
// الاعتذار، لكننا قررنا المشاركة".
var contrasts = [][]string{{"but"}, {"however"}, {"although"}, {"لكن"}, {"لكننا"}, {"لكنا"}, {"الا", "اننا"}, {"الا", "انه"}, {"غير", "اننا"}}

// afterContrast drops the mentions before the last contrast word of a
// sentence when a position is mentioned after it.
func afterContrast(ws []string, ms []mention) []mention {
	c := -1
	for _, w := range contrasts {
		for k := findWords(ws, w, 0); k >= 0; k = findWords(ws, w, k+1) {
			c = max(c, k)
		}
	}
	if c < 0 {
		return ms
	}
	var after []mention
	for _, m := range ms {
		if m.strongAt > c && m.pos != None {
			after = append(after, m)
		}
	}
	if len(after) == 0 {
		return ms
	}
	return after
}

// agree returns the position all mentions share; with disagreement, the one
// mentioned at least twice as often as any other, else None.
func agree(ps []Position) Position {
	count := map[Position]int{}
	for _, p := range ps {
		count[p]++
	}
	var best Position
	for p, n := range count {
		if n > count[best] {
			best = p
		}
	}
	for p, n := range count {
		if p != best && 2*n > count[best] {
			return None
		}
	}
	return best
}

type mention struct {
	signal
	strongAt int // word index where the mention starts
}

// mentions finds the position words in a sentence, longest phrases first, each
// word used once, and applies negation.
func (r *Reader) mentions(ws []string) []mention {
	used := make([]bool, len(ws))
	for _, p := range r.v.notPosition {
		for k := findWords(ws, p, 0); k >= 0; k = findWords(ws, p, k+len(p)) {
			for j := k; j < k+len(p); j++ {
				used[j] = true
			}
		}
	}
	var out []mention
	// Only the phrases whose first word is in the sentence, in the order of
	// r.v.cands: longest first, so "not attend" wins over "attend".
	var idx []int
	for w := range wordForms(ws) {
		idx = append(idx, r.v.byFirst[w]...)
	}
	slices.Sort(idx)
	for _, ci := range slices.Compact(idx) {
		c := r.v.cands[ci]
		n := len(c.words)
		for k := findWords(ws, c.words, 0); k >= 0; k = findWords(ws, c.words, k+1) {
			if slices.Contains(used[k:k+n], true) {
				continue
			}
			for j := k; j < k+n; j++ {
				used[j] = true
			}
			pos := c.pos
			if r.negated(ws, k) {
				if pos == Accept {
					pos = Decline
				} else {
					pos = None
				}
			}
			out = append(out, mention{signal: signal{pos: pos}, strongAt: k})
		}
	}
	// Keep the order of appearance.
	slices.SortStableFunc(out, func(a, b mention) int { return a.strongAt - b.strongAt })
	return out
}

// wordForms returns the words of a sentence and the forms wordEq would match
// them to: without a joined Arabic prefix, "لل" as "ال", without an elided
// French article ("d'accepter").
func wordForms(ws []string) map[string]bool {
	m := make(map[string]bool, 2*len(ws))
	for _, w := range ws {
		m[w] = true
		for _, p := range frenchElisions {
			if strings.HasPrefix(w, p) {
				m[w[len(p):]] = true
			}
		}
		if !isArabicWord(w) {
			continue
		}
		if strings.HasPrefix(w, "لل") {
			m["ا"+w[len("ل"):]] = true
		}
		for _, p := range arabicPrefixes {
			if strings.HasPrefix(w, p) {
				m[w[len(p):]] = true
			}
		}
	}
	return m
}

// negated reports a negation within the four words before index k ("we
// won't be able to attend").
func (r *Reader) negated(ws []string, k int) bool {
	lo := k - 4
	if lo < 0 {
		lo = 0
	}
	window := ws[lo:k]
	for _, n := range r.v.negations {
		if findWords(window, n, 0) >= 0 {
			return true
		}
	}
	return false
}
