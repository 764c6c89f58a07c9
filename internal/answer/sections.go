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

// normMap folds a line for matching with normRune, keeping its punctuation,
// and returns, for every
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
	return headingRestMapped(raw, n, idx, phrases)
}

// headingRestMapped is headingRest for a line already folded by normMap.
func headingRestMapped(raw, n string, idx []int, phrases []string) (bool, string) {
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
// by normMap); group 1 is the marker.
// Besides numbers and bullets it takes the letter numbering of formal
// Arabic ("أ- … ب- …", folded to "ا- … ب- …") and "a) b)".
var itemRe = regexp.MustCompile(`^(\(?\d{1,2}\s*[\).\-–:/]|\d{1,2}\s+-|[-*•·▪◦–✓✔➢►→◆■●○]|(?:\(?[a-h]\)|[ابجدهوزحطي]\s?[\)\-–])\s)\s*`)

// signOffRe ends a paragraph-mode section: the closing of the mail.
var signOffRe = regexp.MustCompile(`^(best|regards|kind regards|best regards|warm regards|many thanks|thanks|thank you|sincerely|cheers|مع التحيه|مع خالص التحيه|مع فائق الاحترام|مع الاحترام|مع التقدير|تحياتي|تحياتنا|مع الشكر|مع خالص الشكر|شكرا|وشكرا|وتفضلوا|وتقبلوا|والسلام|cordialement|bien cordialement|bien à vous|bien a vous|salutations|sincères salutations|merci|merci beaucoup)(?:$|[^\p{L}\p{N}])`)

func (r *Reader) sections(lines []string) parsed {
	p := parsed{inSection: map[int]bool{}}
	var cur *[]string
	numbered := false // the section is a list: unmarked lines continue the last item
	blank := false    // a blank line came since the last line of the section
	prev := ""        // the previous non-blank line of the section, normalised
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
		cur, numbered, blank, paraBuf, prev = nil, false, false, "", ""
	}
	open := func(list *[]string, heading, rest string) {
		end()
		cur, prev = list, heading
		if rest != "" {
			paraBuf = stripMarker(rest) // "Concerns: the notice was short" may go on on the next line
		}
	}
	for i, raw := range lines {
		folded, idx := normMap(raw)
		n := strings.TrimSpace(folded)
		if v, ok, explicit := r.signLine(n); ok {
			end()
			p.sign = &v
			if explicit { // a "Sign: yes" line says nothing else; a sentence may also state the position
				p.inSection[i] = true
			}
			continue
		}
		if ok, rest := headingRestMapped(raw, folded, idx, r.v.concerns); ok {
			open(&p.concerns, n, rest)
			p.inSection[i] = true
			continue
		}
		if ok, rest := headingRestMapped(raw, folded, idx, r.v.recommendations); ok {
			open(&p.recommendations, n, rest)
			p.inSection[i] = true
			continue
		}
		if concerns, ok := r.sentenceHeading(n); ok {
			// "We decline for the following reasons:" opens a list but may
			// also state the position, so the line is still read for it.
			open(map[bool]*[]string{true: &p.concerns, false: &p.recommendations}[concerns], n, "")
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
		hasText := len(*cur) > 0 || paraBuf != ""
		switch {
		case hasText && signatureLine(raw, n, numbered || blank || endsSentence(prev) || notWrapped(prev, n)) &&
			r.signatureTail(lines[i+1:]):
			// "Al-Haq Foundation", "— Lina", "Lina Haddad" after the last
			// point is who wrote it, not another point.
			end()
			continue
		case itemRe.MatchString(n):
			if !numbered {
				flushPara()
			}
			numbered = true
			*cur = append(*cur, stripMarker(raw))
		case signOffRe.MatchString(strings.ToLower(n)) && len(words(n)) <= 5:
			// The closing of the mail; a longer line is a point that
			// starts with thanks ("Thank you for the invitation, but …").
			end()
			continue
		case hasText && (blank || endsSentence(prev)) && r.opensWithPosition(n):
			// "Therefore we decline." after the points is the answer, not a point.
			end()
			continue
		case numbered && blank:
			// A paragraph after a blank line that is not an item ends a list.
			end()
			continue
		case numbered && len(*cur) > 0:
			(*cur)[len(*cur)-1] += " " + trimFormat(raw)
		default:
			if paraBuf != "" && endsSentence(prev) && utf8.RuneCountInString(prev) < shortLine {
				// One point per line: a short line that ends a sentence is
				// not a paragraph hard-wrapped by the mail client.
				flushPara()
			}
			if paraBuf != "" {
				paraBuf += " "
			}
			paraBuf += trimFormat(raw)
		}
		blank, prev = false, n
		p.inSection[i] = true
	}
	end()
	p.concerns = r.cleanItems(p.concerns)
	p.recommendations = r.cleanItems(p.recommendations)
	return p
}

// notWrapped reports that line cannot be the rest of prev wrapped by a mail
// client: its first word would have fitted on prev within 72 characters, the
// narrowest width clients wrap at (Thunderbird; Outlook 76, Gmail 78).
func notWrapped(prev, line string) bool {
	first, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	return utf8.RuneCountInString(prev)+1+utf8.RuneCountInString(first) <= 72
}

// shortLine is the length (in characters) under which a line that ends a
// sentence was ended by the member: mail clients that hard-wrap text (Gmail's
// plain part, Outlook's) fill lines to 72-78 characters.
const shortLine = 60

// endsSentence reports whether a line ends with sentence punctuation.
func endsSentence(s string) bool {
	s = trimFormat(s)
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune(".!?؟…;؛", r)
}

// opensWithPosition reports a line whose first sentence states a position in
// its first words: "Decline.", "Therefore we decline", "لذلك نعتذر عن المشاركة".
// An English verb alone at the start of a longer sentence is an imperative,
// which in a section is a point: "Attend only if the agenda is shared."
func (r *Reader) opensWithPosition(n string) bool {
	ws := words(sentenceSplit.Split(n, 2)[0])
	for _, m := range r.mentions(ws) {
		if m.pos == None || m.strongAt > 1 {
			continue
		}
		w := ws[m.strongAt]
		if len(ws) <= 3 || isArabicWord(w) || w == "we" || w == "i" || w == "we'll" {
			return true
		}
	}
	return false
}

// Words that make a short line ending in a colon a heading, besides the
// vocabulary's headings: "We decline for the following reasons:", "نوصي بما يلي:".
var (
	concernWords   = []string{"reasons", "reason", "الاسباب", "اسباب", "سبب"}
	recommendWords = []string{"recommend", "suggest", "propose", "نوصي", "نقترح", "ونوصي", "ونقترح"}
)

// sentenceHeading reads a short line ending with a colon that announces
// concerns or recommendations: "Our main concerns are:", "لدينا المخاوف التالية:".
func (r *Reader) sentenceHeading(n string) (concerns, ok bool) {
	t := strings.TrimRight(n, " *_")
	if !strings.HasSuffix(t, ":") && !strings.HasSuffix(t, "：") {
		return false, false
	}
	ws := words(t)
	if len(ws) < 2 || len(ws) > 10 {
		return false, false
	}
	for _, list := range [][]string{r.v.concerns, concernWords} {
		for _, h := range list {
			if findPhrase(ws, h, 0) >= 0 {
				return true, true
			}
		}
	}
	for _, list := range [][]string{r.v.recommendations, recommendWords} {
		for _, h := range list {
			if findPhrase(ws, h, 0) >= 0 {
				return false, true
			}
		}
	}
	return false, false
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
// letter or digit (a stray "...", a bidi mark left alone on a line) and the
// ones that say there is nothing ("none", "لا يوجد").
func (r *Reader) cleanItems(items []string) []string {
	var out []string
	for _, it := range items {
		it = trimFormat(strings.Join(strings.Fields(it), " "))
		if r.v.noPoints[strings.Join(words(it), " ")] {
			continue
		}
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
		v, ok := r.signValue(words(rest))
		return v, ok, ok
	}
	// "Sign the joint statement: yes", "التوقيع على البيان: نعم"
	if i := strings.IndexAny(n, ":："); i > 0 {
		head := words(n[:i])
		for _, s := range r.v.sign {
			if len(head) <= 6 && findPhrase(head, s, 0) == 0 {
				v, ok := r.signValue(words(n[i:]))
				return v, ok, ok
			}
		}
	}
	for _, sentence := range sentenceSplit.Split(n, -1) {
		if v, ok := r.signSentence(words(sentence)); ok {
			return v, true, false
		}
	}
	// "We will attend. Sign: yes", "يشرفنا الحضور، والتوقيع: نعم": a sign
	// heading after the position on the same line. The line is still read
	// for the position (explicit is false).
	for _, clause := range clauseSplit.Split(n, -1) {
		clause = strings.TrimSpace(clause)
		if c, ok := strings.CutPrefix(clause, "و"); ok {
			clause = c // joined "and": "والتوقيع"
		}
		if ok, rest := headingRest(clause, r.v.sign); ok && rest != "" {
			if v, ok := r.signValue(words(rest)); ok {
				return v, true, false
			}
		}
	}
	return false, false, false
}

// clauseSplit cuts a line at sentence ends and commas.
var clauseSplit = regexp.MustCompile(`[.!?؟;؛,،]+`)

// signValue reads the answer after a sign heading: yes, no, or neither.
func (r *Reader) signValue(ws []string) (value, ok bool) {
	if len(ws) == 0 {
		return false, false
	}
	for _, y := range r.v.yes {
		if findPhrase(ws, y, 0) == 0 {
			return true, true
		}
	}
	for _, no := range r.v.no {
		if findPhrase(ws, no, 0) == 0 {
			return false, true
		}
	}
	return false, false
}

// signVerbs say "we sign" on their own (Arabic first person plural); a
// negation before them ("لن نوقع", "ولا نوقع") says no.
var signVerbs = []string{"نوقع", "سنوقع", "سوف نوقع"}

// signOnPhrases ask to be listed among the signatories: "please list us among
// the signatories", "أضيفوا اسمنا إلى الموقعين"; a negation before them says no.
var signOnPhrases = []string{"list us among the signatories", "list us as signatories", "list us as a signatory",
	"add us to the signatories", "add our name", "include us among the signatories", "include our name",
	"count us among the signatories", "we'll sign", "we are happy to sign", "put our name",
	"اضيفوا اسمنا", "اضافه اسمنا", "ادرجوا اسمنا", "ادراج اسمنا", "ضعوا اسمنا", "ضمن الموقعين", "من الموقعين",
	"لا مانع من التوقيع", "لا مانع لدينا من التوقيع"}

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
	// Asking to be listed is a sign-on in a sentence of any length: "We
	// abstain on attending, but please list us among the signatories if …".
	for _, v := range signOnPhrases {
		if k := findPhrase(ws, v, 0); k >= 0 {
			return !r.negated(ws, k), true
		}
	}
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

// orgWords name an organisation: a line with one is a signature when it ends
// the reply ("Al-Haq Foundation", "جمعية الحقوق").
var orgWords = map[string]bool{"foundation": true, "association": true, "network": true, "centre": true, "center": true,
	"institute": true, "organisation": true, "organization": true, "coalition": true, "society": true, "union": true,
	"league": true, "council": true, "committee": true, "forum": true, "ngo": true, "initiative": true, "observatory": true,
	"جمعيه": true, "مؤسسه": true, "موسسه": true, "منظمه": true, "مركز": true, "شبكه": true, "رابطه": true, "اتحاد": true,
	"هيئه": true, "لجنه": true, "المرصد": true, "مرصد": true, "ائتلاف": true, "منتدي": true, "مبادره": true, "الجمعيه": true,
	"المؤسسه": true, "الموسسه": true, "المنظمه": true, "المركز": true, "الشبكه": true, "الرابطه": true, "الاتحاد": true}

// nameConnectors may be lower case inside a name: "League for Human Rights".
var nameConnectors = map[string]bool{"of": true, "for": true, "and": true, "the": true, "de": true, "du": true, "des": true,
	"al": true, "el": true, "in": true, "on": true, "&": true, "la": true, "le": true}

// signatureLine reports a line that names who wrote the reply: a dash and a
// name ("— Lina"), a line with an organisation word, or a short name in
// capitals ("Lina Haddad", "Programme Coordinator") or in Arabic. A bare name
// needs what comes before it to be finished (settled says so): a list, a blank
// line, a sentence end, a short line; otherwise it may be the end of a point
// the mail client wrapped.
func signatureLine(raw, n string, settled bool) bool {
	t := trimFormat(raw)
	if strings.HasPrefix(t, "—") || strings.HasPrefix(t, "--") || strings.HasPrefix(t, "~") {
		return len(words(t)) >= 1 && len(words(t)) <= 4
	}
	if itemRe.MatchString(n) || utf8.RuneCountInString(t) > 60 {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(t)
	if strings.ContainsRune(".!?؟:;؛…)\"'", last) {
		return false
	}
	ws := words(t)
	if len(ws) == 0 || len(ws) > 6 {
		return false
	}
	for _, w := range ws {
		if orgWords[w] {
			return true
		}
	}
	if !settled || len(ws) > 4 {
		return false
	}
	if isArabicWord(ws[0]) {
		return len(ws) <= 3
	}
	capital := false
	for _, f := range strings.FieldsFunc(t, func(r rune) bool { return unicode.IsSpace(r) || r == ',' }) {
		r, _ := utf8.DecodeRuneInString(f)
		switch {
		case nameConnectors[strings.ToLower(f)]:
		case unicode.IsUpper(r):
			capital = true
		case unicode.IsLetter(r):
			return false
		}
	}
	return capital
}

// contactRe is a line of a signature block: an address, a site, a phone.
var contactRe = regexp.MustCompile(`(?i)@|https?://|www\.|^(tel|phone|mobile|fax|هاتف|جوال|موبايل)\b|^[+()\d][\d\s().\-/]{6,}$`)

// signatureTail reports that the lines after a signature line are a
// signature too (names, titles, contacts, closings) or nothing.
func (r *Reader) signatureTail(rest []string) bool {
	left := 0
	for _, raw := range rest {
		n := strings.TrimSpace(strings.Map(normRune, raw))
		if n == "" {
			continue
		}
		if left++; left > 6 {
			return false
		}
		if signatureLine(raw, n, true) || contactRe.MatchString(trimFormat(raw)) ||
			signOffRe.MatchString(strings.ToLower(n)) && len(words(n)) <= 5 {
			continue
		}
		return false
	}
	return true
}
