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
		ends := sentenceSplit.FindAllString(raw, -1)
		for si, sentence := range sentenceSplit.Split(raw, -1) {
			if si < len(ends) && strings.ContainsAny(ends[si], "?؟") {
				continue // "Who else will be there?" asks, it does not answer
			}
			ws := words(dropConditions(sentence))
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
		// Two positions stated plainly ("ACCEPT ... DECLINE", "We accept.
		// We decline.") are a question for the member, never a guess.
		for _, p := range append(strong[1:], weak...) {
			if p != strong[0] {
				return None
			}
		}
		return strong[0]
	}
	return agree(weak)
}

// conditionRe is a condition clause, up to the next comma: what the member
// would do, or what the coalition might do, is not the member's position:
// "please list us among the signatories if the coalition declines", "سنوقع إذا
// قرر التحالف الاعتذار". The main clause after the comma still counts: "If the
// agenda is shared, we will attend."
var conditionRe = regexp.MustCompile(`(?i)(?:^|[^\p{L}'])(?:if|unless|in case|provided that|in the event that|whether|si|s'il|sauf si|au cas où|à condition que|[وف]?(?:إذا|اذا|إن كان|في حال|في حاله|في حالة|لو))(?:$|[^\p{L}'][^,،]*)`)

// dropConditions blanks the condition clauses of a sentence.
func dropConditions(s string) string {
	return conditionRe.ReplaceAllString(s, " ")
}

// contrasts are the words after which a sentence says what the member
// decided: "We would have liked to attend, but we must decline", "كنا نميل إلى
// الاعتذار، لكننا قررنا المشاركة".
var contrasts = [][]string{{"but"}, {"however"}, {"although"}, {"mais"}, {"cependant"}, {"toutefois"}, {"لكن"}, {"لكننا"}, {"لكنا"}, {"الا", "اننا"}, {"الا", "انه"}, {"غير", "اننا"}}

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

// agree returns the position all mentions share, else None: with two
// positions mentioned the member is asked, never outvoted by word count.
func agree(ps []Position) Position {
	for _, p := range ps {
		if p != ps[0] {
			return None
		}
	}
	if len(ps) == 0 {
		return None
	}
	return ps[0]
}

type mention struct {
	signal
	strongAt int // word index where the mention starts
	end      int // word index after the mention
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
			if slices.Contains(used[k:k+n], true) || c.atEnd && k+n != len(ws) {
				continue
			}
			for j := k; j < k+n; j++ {
				used[j] = true
			}
			pos := c.pos
			if !c.ownNo && r.negated(ws, k) {
				if pos == Accept {
					pos = Decline
				} else {
					pos = None
				}
			}
			out = append(out, mention{signal: signal{pos: pos}, strongAt: k, end: k + n})
		}
	}
	// Keep the order of appearance.
	slices.SortStableFunc(out, func(a, b mention) int { return a.strongAt - b.strongAt })
	return dropObjects(ws, out)
}

// dropObjects drops an attending word that is the object of a decline or an
// abstention right before it: "we abstain on attending", "we decline the
// invitation to attend", "we refuse to take part" state one position, not two.
// Only small words may stand between: after "but" the member decided anew.
func dropObjects(ws []string, ms []mention) []mention {
	var out []mention
	for i, m := range ms {
		if i > 0 && m.pos == Accept {
			if p := out[len(out)-1]; (p.pos == Decline || p.pos == Abstain) && m.strongAt-p.end <= 3 &&
				allObjectWords(ws[p.end:m.strongAt]) {
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// objectWords may stand between a decline and its object.
var objectWords = map[string]bool{"on": true, "from": true, "to": true, "in": true, "the": true, "this": true,
	"that": true, "for": true, "of": true, "invitation": true, "meeting": true, "event": true, "عن": true, "من": true,
	"في": true, "علي": true, "هذه": true, "الدعوه": true, "de": true, "d'y": true, "à": true, "y": true, "la": true,
	"le": true, "l'invitation": true, "réunion": true}

func allObjectWords(ws []string) bool {
	for _, w := range ws {
		if !objectWords[w] {
			return false
		}
	}
	return true
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
	// A negation does not reach over "but": "we can't attend but we'll sign".
	for _, c := range contrasts {
		for j := findWords(ws[:k], c, lo); j >= 0; j = findWords(ws[:k], c, j+1) {
			lo = max(lo, j+len(c))
		}
	}
	window := ws[lo:k]
	for _, n := range r.v.negations {
		if findWords(window, n, 0) >= 0 {
			return true
		}
	}
	return false
}
