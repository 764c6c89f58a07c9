package statement

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"
)

// How two points are found to say the same thing, in words a coordinator can
// check:
//
//  1. Each point becomes a set of features: its content words, normalised
//     (English: lower case, -ize → -ise, a small suffix stemmer; Arabic: alef
//     forms, ya/alef maksura, ta marbuta, hamza seats unified, diacritics and
//     tatweel dropped, the prefixes ال و ب ل ف and common suffixes cut), with
//     stop words dropped and a few domain synonyms mapped to one word
//     (consultation/involvement, topics/agenda, sent/arrive, …); plus each
//     pair of neighbouring content words (a bigram), which rewards the same
//     phrase over the same bag of words.
//  2. Each feature weighs by how rare it is among the round's points (an IDF,
//     ln(1+N/df)): "invitation" in every point says little, "press conference"
//     says a lot.
//  3. The score is the mean of the weighted Dice overlap (how much the two
//     share overall) and the weighted containment (how much of the shorter one
//     the longer one contains, so a short version joins its long version).
//  4. Whatever the score, two points never merge when one is negated and the
//     other is not ("victims were consulted" / "were not consulted"), when
//     they carry different numbers ("3 days" / "30 days"), or when one says a
//     word and the other its opposite (earlier/later, more/less).
//
// Threshold was chosen on testdata/pairs.tsv (TestCorpusStatementPairs logs the
// sweep): 0.30 gives precision 0.955 and recall 0.930, 0.35 gives 0.963 and
// 0.912, 0.40 gives 0.961 and 0.860. 0.35 keeps a margin above the 0.95
// precision a merge needs (a wrong merge goes out unless a coordinator spots
// it) while still grouping nine in ten paraphrases.
const Threshold = 0.35

// minShared is how many content words two points must share at least: two
// points that share one rare word are not the same point.
const minShared = 2

// minSharedShare is the part of the shorter point's words the longer one must
// share: two points that share only their subject ("families of the missing
// should take part…" / "…should receive support") make different points.
const minSharedShare = 0.5

// analysed is a point ready for comparison.
type analysed struct {
	words   []string        // content stems in order
	feats   map[string]bool // stems and bigrams
	neg     map[string]bool // stems right after a negation: "not consulted"
	plain   map[string]bool // stems said without one
	numbers map[string]bool
	// Computed once per point, so that comparing it with thousands of
	// others (a 15,000-member round) costs bit operations, not map walks.
	slot    [len(slotWords)]uint64 // the words of each of slots it names
	anto    uint64                 // the antonym words it says (bits 2i, 2i+1: pair i)
	weights []featWeight           // feats with their weights (Similarity.weigh)
	total   float64                // their sum
}

// featWeight is a feature by its number in one Similarity, so that two
// points' features are intersected by merging two sorted lists.
type featWeight struct {
	id     int32
	w      float64
	bigram bool
}

// Similarity compares points against the weights of one round's points.
// It is not safe for concurrent use (features get their ids as they come).
type Similarity struct {
	idf map[string]float64
	n   int
	ids map[string]int32 // each feature's number, for analysed.weights
}

// NewSimilarity computes the feature weights over a round's points.
func NewSimilarity(points []string) *Similarity {
	s := &Similarity{idf: map[string]float64{}, n: len(points), ids: map[string]int32{}}
	df := map[string]int{}
	for _, p := range points {
		for f := range analyse(p).feats {
			df[f]++
		}
	}
	for f, d := range df {
		s.idf[f] = math.Log(1 + float64(s.n)/float64(d))
	}
	return s
}

func (s *Similarity) weight(f string) float64 {
	w, ok := s.idf[f]
	if !ok {
		w = math.Log(1 + float64(s.n+1))
	}
	if strings.Contains(f, " ") {
		return w * 0.5 // a bigram confirms its two words, it does not count as a third
	}
	return w
}

// Score is the similarity of two points in [0,1]; 0 when a rule blocks the merge.
func (s *Similarity) Score(a, b string) float64 {
	return s.score(analyse(a), analyse(b))
}

func (s *Similarity) score(a, b analysed) float64 {
	if blocked(a, b) {
		return 0
	}
	if opposite(a, b) || opposite(b, a) {
		return 0
	}
	return s.overlap(a, b)
}

// opposite says whether a is b with a negation added: a is negated, b is not,
// and every word a says without negation b says too ("لم تنعكس النتائج في
// الإحاطات" / "انعكست النتائج في الإحاطات", where the verb's form changes).
func opposite(a, b analysed) bool {
	if len(a.neg) == 0 || len(b.neg) > 0 || len(a.plain) == 0 {
		return false
	}
	for w := range a.plain {
		if !b.feats[w] {
			return false
		}
	}
	return true
}

// weigh gives a its features' weights in this round, once.
func (s *Similarity) weigh(a *analysed) {
	if a.weights != nil || len(a.feats) == 0 {
		return
	}
	a.weights = make([]featWeight, 0, len(a.feats))
	for f := range a.feats {
		id, ok := s.ids[f]
		if !ok {
			id = int32(len(s.ids))
			s.ids[f] = id
		}
		w := s.weight(f)
		a.weights = append(a.weights, featWeight{id: id, w: w, bigram: strings.Contains(f, " ")})
		a.total += w
	}
	slices.SortFunc(a.weights, func(x, y featWeight) int { return cmp.Compare(x.id, y.id) })
}

func (s *Similarity) overlap(a, b analysed) float64 {
	s.weigh(&a)
	s.weigh(&b)
	var both float64
	shared := 0
	for i, j := 0, 0; i < len(a.weights) && j < len(b.weights); {
		switch x, y := a.weights[i], b.weights[j]; {
		case x.id < y.id:
			i++
		case x.id > y.id:
			j++
		default:
			both += x.w
			if !x.bigram {
				shared++
			}
			i++
			j++
		}
	}
	wa, wb := a.total, b.total
	if shared < minShared || wa == 0 || wb == 0 || float64(shared) < minSharedShare*float64(min(len(a.plain)+len(a.neg), len(b.plain)+len(b.neg))) {
		return 0
	}
	dice := 2 * both / (wa + wb)
	contain := both / math.Min(wa, wb)
	return (dice + contain) / 2
}

// blocked says whether two points must stay apart whatever their words.
func blocked(a, b analysed) bool {
	if (len(a.neg) == 0) != (len(b.neg) == 0) && (contradicts(a, b) || contradicts(b, a)) {
		return true
	}
	// Each names a member of a class that the other does not.
	for i := range a.slot {
		if a.slot[i]&^b.slot[i] != 0 && b.slot[i]&^a.slot[i] != 0 {
			return true
		}
	}
	if len(a.numbers) > 0 && len(b.numbers) > 0 && !sameSet(a.numbers, b.numbers) {
		return true
	}
	// One says the first word of an antonym pair and not the second, the
	// other the second and not the first.
	if a.anto != 0 && b.anto != 0 {
		for i := range antonyms {
			first, second := uint64(1)<<(2*i), uint64(1)<<(2*i+1)
			has := func(x analysed, bit uint64) bool { return x.anto&bit != 0 }
			if (has(a, first) && has(b, second) && !has(a, second) && !has(b, first)) ||
				(has(a, second) && has(b, first) && !has(a, first) && !has(b, second)) {
				return true
			}
		}
	}
	return false
}

// contradicts says whether a negates a word that b says without negation:
// "victims were not consulted" against "victims were consulted".
func contradicts(a, b analysed) bool {
	for w := range a.neg {
		if b.plain[w] && !b.neg[w] {
			return true
		}
	}
	return false
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// antonyms are words whose presence on opposite sides keeps two points
// apart (written as members write them; stemmed at start).
var antonyms = stemPairs([][2]string{
	{"earlier", "later"}, {"more", "less"}, {"more", "fewer"}, {"increase", "reduce"}, {"before", "after"},
	{"include", "exclude"}, {"public", "private"}, {"open", "closed"}, {"accept", "decline"}, {"support", "oppose"},
	{"مبكرا", "متأخرة"}, {"زيادة", "تقليل"}, {"قبل", "بعد"}, {"علنية", "سرية"},
})

// slotWords are classes of things a point is about (written as members
// write them): two points that each name a different member of one class
// ("invitations arrive late" / "visas arrive late"; "women" / "youth") are
// about different things however alike the rest of their words.
var slotWords = [...][]string{
	// What is done about the topics: asking the organisations, or telling everyone.
	{"consult", "publish", "استشارة", "نشر"},
	{"women", "youth", "men", "victims", "refugees", "detainees", "diaspora", "children", "disabilities", "lawyers",
		"النساء", "الشباب", "الرجال", "الضحايا", "اللاجئين", "المعتقلين", "الأطفال"},
	// What is asked of what is sent: its language, a translation, its timing,
	// or only that it be sent.
	{"arabic", "translated", "earlier", "send", "العربية", "ترجمة", "مسبقا", "إرسال"},
	{"invitations", "visas", "venue", "topics", "results", "documents", "names", "budget", "travel", "safety",
		"confidentiality", "discussions", "الدعوات", "النقاشات", "التأشيرات", "مكان", "المواضيع", "النتائج", "الوثائق", "أسماء", "ميزانية", "السفر", "سلامة", "سرية"},
}

// slotBits and antonymBits give each stem of slotWords and antonyms its bit
// (analysed.slot, analysed.anto). They are filled by init, after antonyms,
// whose stemming runs analyse before any bit exists.
var (
	slotBits    [len(slotWords)]map[string]uint64
	antonymBits = map[string]uint64{}
)

func init() {
	for i, class := range slotWords {
		slotBits[i] = map[string]uint64{}
		for _, w := range class {
			st := stemOf(w)
			if _, ok := slotBits[i][st]; !ok {
				if len(slotBits[i]) == 64 {
					panic("statement: a class of slotWords has more than 64 stems")
				}
				slotBits[i][st] = 1 << len(slotBits[i])
			}
		}
	}
	if len(antonyms) > 32 {
		panic("statement: more than 32 antonym pairs")
	}
	for i, p := range antonyms {
		antonymBits[p[0]] |= 1 << (2 * i)
		antonymBits[p[1]] |= 1 << (2*i + 1)
	}
}

func stemOf(w string) string {
	a := analyse(w)
	if len(a.words) != 1 {
		panic("statement: not one content word: " + w)
	}
	return a.words[0]
}

func stemPairs(ps [][2]string) [][2]string {
	out := make([][2]string, len(ps))
	for i, p := range ps {
		out[i] = [2]string{stemOf(p[0]), stemOf(p[1])}
	}
	return out
}

// Language is the script a point is written in: "ar" when most of its
// letters are Arabic, "en" when most are Latin (English, French, …), ""
// otherwise. Telling English from French is not needed: a point is marked
// for translation when its script is not its statement's (script).
func Language(s string) string {
	var ar, lat int
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r):
			ar++
		case unicode.Is(unicode.Latin, r):
			lat++
		}
	}
	switch {
	case ar == 0 && lat == 0:
		return ""
	case ar > lat:
		return "ar"
	default:
		return "en"
	}
}

// script is what Language says of text in a statement language.
func script(lang string) string {
	switch lang {
	case "ar", "fa", "ur", "ps", "ckb":
		return "ar"
	}
	return "en"
}

func analyse(p string) analysed {
	a := analysed{feats: map[string]bool{}, numbers: map[string]bool{}, neg: map[string]bool{}, plain: map[string]bool{}}
	p = numberingRe.ReplaceAllString(p, "")
	p = enExpand.Replace(strings.ReplaceAll(p, "’", "'"))
	negate := false // the next content word is negated
	for _, w := range splitWords(p) {
		if n, ok := number(w); ok {
			a.numbers[n] = true
			continue
		}
		var stem string
		if isArabic(w) {
			w = normaliseArabic(w)
			if arabicNegation(w) {
				negate = true
				continue
			}
			if n, ok := arNumbers[w]; ok {
				a.numbers[n] = true
				continue
			}
			stem = stemArabic(w)
			if arStop[w] || arStop[stem] || len([]rune(stem)) < 2 {
				continue
			}
		} else {
			w = strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "'"))
			if enNegation[w] {
				negate = true
				continue
			}
			if n, ok := enNumbers[w]; ok {
				a.numbers[n] = true
				continue
			}
			if enStop[w] {
				continue
			}
			if syn, ok := synonyms[w]; ok {
				stem = syn
			} else {
				stem = stemEnglish(w)
			}
			if enNegationStem[stem] {
				negate = true
				continue
			}
		}
		if syn, ok := synonyms[stem]; ok {
			stem = syn
		}
		if stem == "" {
			continue
		}
		if negate {
			a.neg[stem] = true
			negate = false
		} else {
			a.plain[stem] = true
		}
		a.words = append(a.words, stem)
	}
	for i, w := range a.words {
		a.feats[w] = true
		if i > 0 {
			a.feats[a.words[i-1]+" "+w] = true
		}
	}
	for f := range a.feats {
		for i, bits := range slotBits {
			a.slot[i] |= bits[f]
		}
		a.anto |= antonymBits[f]
	}
	return a
}

// enExpand spells out words that carry a negation inside them, so that the
// negation lands on the word it negates ("insufficient knowledge" reads as
// "not sufficient knowledge").
var enExpand = strings.NewReplacer("take part", "participate", "takes part", "participate", "take place", "hold",
	"takes place", "hold", "well enough", "sufficient", "Take part", "participate", "not only", "only", "Not only", "only", "not always", "", "not just", "only", "n't", " not", "N'T", " NOT", "cannot", "can not", "Cannot", "Can not",
	"insufficient", "not sufficient", "Insufficient", "Not sufficient", "inadequate", "not adequate",
	"unable", "not able", "Unable", "Not able")

// splitWords cuts text at anything but letters, digits, marks and apostrophes.
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '\'' || r == 'ـ')
	})
}

func number(w string) (string, bool) {
	var b strings.Builder
	for _, r := range w {
		if !unicode.IsDigit(r) {
			return "", false
		}
		// Any script's digits (٣, ۳, 3) compare alike.
		b.WriteRune('0' + rune(digitValue(r)))
	}
	return b.String(), true
}

func digitValue(r rune) int {
	for _, z := range []rune{'0', '٠', '۰', '०'} {
		if r >= z && r <= z+9 {
			return int(r - z)
		}
	}
	return 0
}

func isArabic(w string) bool {
	for _, r := range w {
		if unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// normaliseArabic unifies the spellings Arabic writers mix freely.
func normaliseArabic(w string) string {
	var b strings.Builder
	for _, r := range w {
		switch {
		case r == 'ـ' || (r >= 0x064B && r <= 0x065F) || r == 0x0670:
			// tatweel and diacritics
		case r == 'أ' || r == 'إ' || r == 'آ' || r == 'ٱ':
			b.WriteRune('ا')
		case r == 'ى' || r == 'ئ':
			b.WriteRune('ي')
		case r == 'ؤ':
			b.WriteRune('و')
		case r == 'ة':
			b.WriteRune('ه')
		case r == 'ک':
			b.WriteRune('ك')
		case r == 'ی':
			b.WriteRune('ي')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var arPrefixes = []string{"وال", "بال", "كال", "فال", "لل", "ال"}
var arSuffixes = []string{"ها", "هم", "كم", "نا", "ان", "ات", "ون", "ين", "يه", "ه", "ي"}

// stemArabic is a light stemmer in the manner of Larkey's light10: it cuts a
// leading و, the article with its particles, a leading ب ل ف, and suffixes,
// while at least three letters remain.
func stemArabic(w string) string {
	r := []rune(w)
	if len(r) > 3 && r[0] == 'و' {
		r = r[1:]
	}
	for _, p := range arPrefixes {
		pr := []rune(p)
		if len(r)-len(pr) >= 2 && string(r[:len(pr)]) == p {
			r = r[len(pr):]
			break
		}
	}
	if len(r) > 4 && (r[0] == 'ب' || r[0] == 'ل' || r[0] == 'ف') {
		r = r[1:]
	}
	for _, s := range arSuffixes {
		sr := []rune(s)
		if len(r)-len(sr) >= 3 && string(r[len(r)-len(sr):]) == s {
			r = r[:len(r)-len(sr)]
		}
	}
	// The present tense's person prefix, once its suffixes are gone:
	// يترك / تترك / نترك, تصلنا / تصل.
	if len(r) >= 4 && (r[0] == 'ي' || r[0] == 'ت' || r[0] == 'ن') {
		r = r[1:]
	}
	return string(r)
}

func arabicNegation(w string) bool {
	if arNeg[w] {
		return true
	}
	r := []rune(w)
	// ولا، ولم، فلا، وبدون، وعدم
	return len(r) > 2 && (r[0] == 'و' || r[0] == 'ف') && arNeg[string(r[1:])]
}

var arNeg = set("لا", "لم", "لن", "ليس", "ليست", "غير", "دون", "بدون", "عدم", "بعدم", "غياب", "انعدام", "لايوجد", "لاتوجد", "لاتتم", "لايتم", "ما")

var arStop = set("في", "من", "علي", "الي", "عن", "مع", "هذا", "هذه", "ذلك", "تلك", "التي", "الذي", "الذين", "ان", "انه", "كان", "كانت", "قد",
	"او", "ثم", "كل", "بين", "عند", "حتي", "نحن", "هو", "هي", "هم", "يتم", "تم", "اي", "كما", "حول", "لدي", "لها", "له", "اجل", "ايضا", "تتم", "يكون", "تكون",
	"بشكل", "خلال", "مما", "فيها", "به", "بها", "عليه", "عليها", "يجب", "ينبغي", "نرجو", "نطلب", "نوصي", "نقترح", "ضروره", "جدا", "فقط", "منظمتنا", "نري")

var enNegation = set("not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without", "hardly", "absence", "absent")

var arNumbers = map[string]string{"واحد": "1", "اثنين": "2", "يومين": "2", "اسبوعين": "2", "شهرين": "2", "ثلاث": "3", "ثلاثه": "3",
	"اربع": "4", "اربعه": "4", "خمس": "5", "خمسه": "5", "ست": "6", "سته": "6", "سبعه": "7", "عشره": "10", "عشر": "10"}

// enNegationStem are negation words after stemming (lack, lacks, lacking; fail, failed).
var enNegationStem = set("lack", "fail")

var enNumbers = map[string]string{"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
	"eight": "8", "nine": "9", "ten": "10", "twelve": "12", "fifteen": "15", "twenty": "20", "thirty": "30"}

var enStop = set("a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from", "as", "into", "about", "is", "are",
	"was", "were", "be", "been", "being", "am", "do", "does", "did", "has", "have", "had", "having", "it", "its", "this", "that", "these",
	"those", "there", "their", "they", "them", "we", "our", "us", "you", "your", "i", "my", "me", "he", "she", "his", "her", "which", "who",
	"whom", "what", "so", "such", "than", "then", "too", "very", "also", "only", "just", "should", "would", "could", "must", "can", "may",
	"might", "will", "shall", "please", "ask", "request", "recommend", "suggest", "urge", "call", "calls", "like", "any", "all", "some",
	"each", "every", "other", "own", "both", "again", "still", "even", "much", "many", "really", "ensure", "make", "made", "get",
	"given", "give", "rather", "often", "always", "usually", "organisation", "organization", "organisations", "organizations", "ngos",
	"ngo", "us", "ourselves", "whether", "if", "because", "while", "when", "where", "how", "why", "way", "being", "upon", "via", "etc",
	"believe", "think", "feel", "felt", "seems", "seem", "quite", "well", "mr", "ms", "dr", "need", "needs", "want", "hope", "provide", "offer", "allow", "let", "one's", "it's", "that's", "there's", "let")

// synonyms map stems the members use for the same thing to one stem. Small on
// purpose: each entry is a claim that the two words never tell points apart
// in a coalition's answer.
var synonyms = map[string]string{
	// consulting the organisations
	"involv": "consult", "involvement": "consult", "engag": "consult", "engagement": "consult",
	"input": "consult", "participat": "participat",
	// the topics of a meeting
	"subject": "topic", "them": "topic", "theme": "topic", "agenda": "topic", "issu": "topic",
	// invitations reaching the organisations
	"sent": "send", "arriv": "send", "come": "send", "came": "send", "receiv": "send", "reach": "send", "deliver": "send",
	// timing
	"notic": "late", "delay": "late", "short": "late", "last": "late", "minut": "late", "advanc": "earl", "lat": "late", "ear": "earl", "earli": "earl", "earl": "earl", "after": "after", "ahead": "earl",
	"prior": "befor", "beforehand": "befor", "previous": "past", "past": "past", "earlier": "earl", "early": "earl",
	"usual": "same", "few": "small", "widen": "wide", "wider": "wide", "broader": "wide", "broaden": "wide",
	"expand": "wide", "circle": "range", "fund": "cover", "pay": "cover", "member": "participant", "attende": "participant",
	"chosen": "choos", "chose": "choos", "choose": "choos", "select": "choos", "pick": "choos", "picked": "choos", "held": "hold",
	"enough": "sufficient", "explain": "inform", "explan": "inform", "clarify": "inform", "clarif": "inform", "information": "inform",
	"transl": "translat", "translated": "translat", "discussion": "discuss", "discus": "discuss",
	// results of the meetings
	"outcom": "result", "output": "result", "conclus": "result", "finding": "result", "recommendat": "result",
	// the envoy's briefings
	"report": "brief", "briefing": "brief", "present": "brief",
	// the people who send the invitations
	"staff": "person", "people": "person", "focal": "contact", "expert": "specialis", "specialist": "specialis",
	"knowledg": "knowledg", "know": "knowledg", "familiar": "knowledg", "understand": "knowledg", "expertis": "specialis",
	// telling the public
	"media": "press", "journalist": "press", "public": "public", "publish": "public", "publicis": "public",
	"announc": "public", "communicat": "public", "share": "public",
	// method
	"method": "methodolog", "methodology": "methodolog", "systemat": "methodolog", "system": "methodolog", "plan": "methodolog",
	"framework": "frame", "structur": "frame",
	"ignor": "ignor", "disregard": "ignor", "overlook": "ignor", "neglect": "ignor",
	"woman": "women", "female": "women", "man": "men", "male": "men",
	"invitat": "invit", "meet": "meet", "session": "meet", "room": "meet",
	"seriou": "seriou", "serious": "seriou", "token": "seriou", "formal": "seriou",
	"dat": "date", "schedul": "date", "timelin": "date",
	// Arabic (after normalising and stemming)
	"دعو": "دعوه", "دعوات": "دعوه", "اجتماع": "اجتماع", "لقاء": "اجتماع", "جلس": "اجتماع",
	"موضوع": "موضوع", "مواضيع": "موضوع", "محاور": "موضوع", "اجند": "موضوع", "قضاي": "موضوع",
	"استشار": "استشار", "تشاور": "استشار", "اشراك": "استشار", "مشارك": "استشار", "اشتراك": "استشار",
	"متاخر": "متاخر", "تاخير": "متاخر", "قصير": "متاخر", "ضيق": "متاخر",
	"احاط": "احاط", "تقرير": "احاط", "تقارير": "احاط",
	"نتائج": "نتيج", "مخرج": "نتيج", "مخرجات": "نتيج", "توصي": "نتيج",
	"اعلام": "اعلام", "صحف": "اعلام", "صحفي": "اعلام", "اعلامي": "اعلام",
	"منهجي": "منهج", "منهجيه": "منهج", "منهج": "منهج", "خط": "منهج",
	"ايام": "يوم", "يوم": "يوم", "اسبوع": "يوم",
}

func set(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// stemEnglish is a small suffix stemmer: enough that invite, invited,
// invitation and invitations compare alike, not a full Porter stemmer.
func stemEnglish(w string) string {
	w = strings.ReplaceAll(w, "iz", "is") // organize → organise
	for _, rule := range enSuffixes {
		if strings.HasSuffix(w, rule[0]) && len(w)-len(rule[0]) >= 3 && (rule[0] != "s" || !strings.HasSuffix(w, "ss")) {
			w = w[:len(w)-len(rule[0])] + rule[1]
			break
		}
	}
	if strings.HasSuffix(w, "e") && len(w) > 4 {
		w = w[:len(w)-1]
	}
	if n := len(w); n > 4 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiousl", rune(w[n-1])) {
		w = w[:n-1] // planned → plann → plan
	}
	return w
}

var enSuffixes = [][2]string{
	{"ational", "at"}, {"ations", ""}, {"ation", ""}, {"itions", ""}, {"ition", ""}, {"ements", ""}, {"ement", ""}, {"ments", ""},
	{"ment", ""}, {"nesses", ""}, {"ness", ""}, {"ically", "ic"}, {"ities", ""}, {"ity", ""}, {"ings", ""}, {"ing", ""}, {"ies", "y"},
	{"ied", "y"}, {"ives", "iv"}, {"ive", "iv"}, {"ists", "ist"}, {"ers", ""}, {"ed", ""}, {"er", ""}, {"es", ""}, {"ly", ""},
	{"s", ""},
}
