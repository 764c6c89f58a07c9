package answer

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// parsed holds what the line scan found.
type parsed struct {
	concerns, recommendations []string
	sign                      *bool
	inSection                 map[int]bool // lines that belong to a section or a sign line
}

// normLine folds a line for matching, keeping its punctuation.
func normLine(s string) string {
	n, _ := normMap(s)
	return strings.TrimSpace(n)
}

// normMap folds s like normLine (without trimming) and returns, for every
// byte of the folded string, the offset of the rune in s it came from, plus
// len(s) at the end, so that a position found in the folded text can be cut
// from the member's own text.
func normMap(s string) (string, []int) {
	var b strings.Builder
	b.Grow(len(s))
	idx := make([]int, 0, len(s)+1)
	for i, r := range s {
		if r = normRune(r); r != -1 {
			n := b.Len()
			b.WriteRune(r)
			for ; n < b.Len(); n++ {
				idx = append(idx, i)
			}
		}
	}
	return b.String(), append(idx, len(s))
}

// headingSeparators may stand between a heading and its text: "Concerns:",
// "المخاوف :", "التوقيع - لا".
const headingSeparators = ":：-–—"

// headingRest reports whether the line starts with one of the phrases
// (normalised words) followed by a separator or nothing, and returns the
// member's text after the separator, as written.
func headingRest(raw string, phrases []string) (bool, string) {
	n, idx := normMap(raw)
	start := len(n) - len(strings.TrimLeft(n, " \t*_#>")) // markdown emphasis and headings: "**Concerns**"
	body := n[start:]
	for _, p := range phrases {
		if !strings.HasPrefix(body, p) {
			continue
		}
		rest := strings.TrimLeft(n[start+len(p):], " \t*_")
		if rest == "" {
			return true, ""
		}
		r, size := utf8.DecodeRuneInString(rest)
		if !strings.ContainsRune(headingSeparators, r) {
			continue // "Concerns were raised ...", "concerned": not a heading
		}
		sepEnd := len(n) - len(rest) + size
		return true, strings.TrimFunc(raw[idx[sepEnd]:], func(r rune) bool {
			return unicode.IsSpace(r) || isFormat(r) || r == '*' || r == '_'
		})
	}
	return false, ""
}

// itemRe matches a numbered or bulleted item (digits already folded to ASCII
// by normLine); group 1 is the marker.
var itemRe = regexp.MustCompile(`^(\(?\d{1,2}\s*[\).\-–:]|\d{1,2}\s+-|[-*•·▪◦–])\s*`)

// signOffRe ends a paragraph-mode section: the closing of the mail.
var signOffRe = regexp.MustCompile(`^(best|regards|kind regards|best regards|warm regards|many thanks|thanks|thank you|sincerely|cheers|مع التحيه|مع خالص التحيه|تحياتي|مع الشكر|شكرا|وتفضلوا)(?:$|[^\p{L}\p{N}])`)

func (r *Reader) sections(lines []string) parsed {
	p := parsed{inSection: map[int]bool{}}
	var cur *[]string
	numbered := false
	blank := false
	paraBuf := ""
	flushPara := func() {
		if cur != nil && strings.TrimSpace(paraBuf) != "" {
			*cur = append(*cur, strings.TrimSpace(paraBuf))
		}
		paraBuf = ""
	}
	end := func() {
		if !numbered {
			flushPara()
		}
		cur, numbered, blank, paraBuf = nil, false, false, ""
	}
	for i, raw := range lines {
		n := normLine(raw)
		if v, ok, explicit := r.signLine(n); ok {
			end()
			p.sign = &v
			if explicit { // a "Sign: yes" line says nothing else; a sentence may also state the position
				p.inSection[i] = true
			}
			continue
		}
		if ok, rest := headingRest(raw, r.v.concerns); ok {
			end()
			cur = &p.concerns
			p.inSection[i] = true
			if rest != "" {
				p.concerns = append(p.concerns, stripMarker(rest))
			}
			continue
		}
		if ok, rest := headingRest(raw, r.v.recommendations); ok {
			end()
			cur = &p.recommendations
			p.inSection[i] = true
			if rest != "" {
				p.recommendations = append(p.recommendations, stripMarker(rest))
			}
			continue
		}
		if cur == nil {
			continue
		}
		if n == "" {
			blank = true
			if !numbered {
				flushPara()
			}
			continue
		}
		isItem := itemRe.MatchString(n)
		switch {
		case isItem:
			if !numbered {
				flushPara()
			}
			numbered = true
			*cur = append(*cur, stripMarker(raw))
		case signOffRe.MatchString(strings.ToLower(n)):
			end()
			continue
		case numbered && blank:
			// A paragraph after a blank line that is not an item ends a list.
			end()
			continue
		case numbered && len(*cur) > 0:
			(*cur)[len(*cur)-1] += " " + trimFormat(raw)
		default:
			if paraBuf != "" {
				paraBuf += " "
			}
			paraBuf += trimFormat(raw)
		}
		blank = false
		p.inSection[i] = true
	}
	end()
	p.concerns = cleanItems(p.concerns)
	p.recommendations = cleanItems(p.recommendations)
	return p
}

// stripMarker removes a list marker (any digit system) from an item, and the
// bidi controls around it.
func stripMarker(s string) string {
	n, idx := normMap(s)
	lead := len(n) - len(strings.TrimLeft(n, " \t"))
	if loc := itemRe.FindStringIndex(n[lead:]); loc != nil {
		s = s[idx[lead+loc[1]]:]
	}
	return trimFormat(s)
}

// cleanItems collapses white space inside items and drops the ones with no
// letter or digit (a stray "...", a bidi mark left alone on a line).
func cleanItems(items []string) []string {
	var out []string
	for _, it := range items {
		it = trimFormat(strings.Join(strings.Fields(it), " "))
		if strings.IndexFunc(it, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			out = append(out, it)
		}
	}
	return out
}

// trimFormat trims white space and invisible format characters (bidi marks,
// embeddings and isolates, zero-width joiners) from both ends: Outlook wraps
// every right-to-left line in RLE…PDF, and a mark at the end of an item
// carries nothing once the item is cut from its line.
func trimFormat(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || isFormat(r) })
}

// isFormat reports the invisible characters normRune drops.
func isFormat(r rune) bool {
	return unicode.Is(unicode.Cf, r)
}

// signLine reads "Sign: yes" / "التوقيع: نعم" and a few sentences such as
// "We will sign" / "لن نوقع".
func (r *Reader) signLine(n string) (value, ok, explicit bool) {
	if ok, rest := headingRest(n, r.v.sign); ok && rest != "" {
		ws := words(rest)
		if len(ws) == 0 {
			return false, false, false
		}
		for _, y := range r.v.yes {
			if findPhrase(ws, y, 0) == 0 {
				return true, true, true
			}
		}
		for _, no := range r.v.no {
			if findPhrase(ws, no, 0) == 0 {
				return false, true, true
			}
		}
		return false, false, false
	}
	for _, sentence := range sentenceSplit.Split(n, -1) {
		if v, ok := r.signSentence(words(sentence)); ok {
			return v, true, false
		}
	}
	return false, false, false
}

// signVerbs say "we sign" on their own (Arabic first person plural); a
// negation before them ("لن نوقع", "ولا نوقع") says no.
var signVerbs = []string{"نوقع", "سنوقع", "سوف نوقع"}

// signWords need a subject or an agreement before them to say yes: "we will
// sign", "happy to sign", "نوافق على التوقيع".
var signWords = map[string][]string{
	"sign":    {"we", "will", "we'll", "to", "shall"},
	"signing": {"are", "we're", "be"},
	"التوقيع": {"نوافق علي", "موافقون علي", "موافق علي", "نؤيد"},
}

// signSentence reads a short sentence about signing: "We will sign.", "We
// won't sign", "ولن نوقع على البيان", "نوافق على التوقيع".
func (r *Reader) signSentence(ws []string) (value, ok bool) {
	if len(ws) == 0 || len(ws) > 12 {
		return false, false
	}
	for _, v := range signVerbs {
		if k := findPhrase(ws, v, 0); k >= 0 {
			return !r.negated(ws, k), true
		}
	}
	for w, before := range signWords {
		k := findPhrase(ws, w, 0)
		if k < 0 {
			continue
		}
		if r.negated(ws, k) {
			return false, true
		}
		lo := max(k-3, 0)
		for _, b := range before {
			if findPhrase(ws[lo:k], b, 0) >= 0 {
				return true, true
			}
		}
	}
	return false, false
}
