package answer

import (
	"sort"
	"strings"
	"unicode"
)

// English is the built-in English vocabulary. Phrases ending in "$" count
// only at the end of a sentence: "Yes, we're in." states a position, "we are
// in Geneva that week" does not.
var English = Vocabulary{
	Language: "en",
	Accept: []string{"accept", "accepts", "accepted", "we accept", "i accept", "agree to attend", "will attend",
		"we will participate", "will take part", "happy to attend", "count us in", "join the meeting", "yes we attend",
		"should accept", "in favour of accepting", "in favor of accepting", "support accepting", "attend", "attending",
		"participate", "participating", "take part",
		// as members say it
		"be there", "we'll be there", "we will be there", "count me in", "we're in$", "we are in$", "i'm in$",
		"we're on board", "we are on board", "sign us up", "we'll join", "we will join", "we'd be glad to join",
		"happy to join", "glad to join", "we can make it$", "we'll make it$", "we will make it$", "be able to make it",
		"go for it$", "let's go for it"},
	Decline: []string{"decline", "declines", "declined", "declining", "we decline", "reject", "rejects", "refuse",
		"not attend", "should not attend", "boycott", "apologise for not", "apologize for not", "against accepting",
		"in favour of declining", "in favor of declining", "support declining", "count us out",
		// as members say it; the negation inside these is the phrase's own
		"count me out", "we're out$", "we are out$", "i'm out$", "not this time", "not this one", "not for us$",
		"can't join", "cannot join", "can not join", "won't join", "will not join", "unable to join",
		"we'll pass", "we will pass", "we pass$", "have to pass", "must pass", "pass on this one", "pass this time",
		"sit this one out", "sit this out", "sit it out", "can't make it", "cannot make it", "can not make it",
		"won't make it", "will not make it", "not make it", "unable to make it", "we'd rather not", "we would rather not",
		"we won't go", "we will not go", "not take part"},
	Abstain: []string{"abstain", "abstains", "abstaining", "abstention", "no position", "no opinion", "neutral",
		"no preference", "no strong view", "no strong views", "no view either way", "either way is fine",
		"fine either way", "take no position", "not take a position", "not taking a position", "don't have a position",
		"do not have a position", "no stance", "go with the majority", "follow the majority", "leave it to the coalition",
		"leave the decision to the coalition", "whatever the coalition decides", "whatever the majority decides"},
	Negations:       []string{"not", "cannot", "can't", "cant", "won't", "wont", "will not", "do not", "don't", "dont", "unable to", "never", "no longer", "would not", "wouldn't", "shouldn't", "should not"},
	Concerns:        []string{"concerns", "concern", "our concerns", "concerns raised", "issues"},
	Recommendations: []string{"recommendations", "recommendation", "our recommendations", "suggestions", "suggestion", "proposals"},
	Sign:            []string{"sign", "signature", "sign-on", "sign on", "signing", "we sign", "signatory"},
	Yes:             []string{"yes", "y", "ok", "okay", "agreed", "we sign", "sure"},
	No:              []string{"no", "n", "we do not sign", "not signing"},
	NotPosition: []string{"accept our apologies", "accept my apologies", "accept our apology", "accept my apology",
		"sorry for the late reply", "sorry for the delay", "sorry for the late response"},
	NoPoints: []string{"none", "n/a", "na", "nil", "nothing", "no", "none at this time", "no concerns", "no recommendations",
		"nothing to add", "not applicable"},
	Holding: []string{"come back to you", "get back to you", "revert to you", "revert back", "we will revert", "we'll revert",
		"will let you know", "we'll let you know", "let you know by", "discuss this with our board", "discuss it with our board",
		"discuss with our board", "discuss this internally", "discuss it internally", "discuss internally", "consult our board",
		"consult our members", "consult with our board", "consult with our members", "need more time", "need some time",
		"need a few days", "after our board meeting", "still discussing", "still consulting",
		"haven't decided yet", "have not decided yet", "not decided yet", "not yet decided", "will answer by",
		"will reply by", "will respond by", "will follow up", "come back with our position",
		"our position shortly", "our answer shortly"},
}

// Arabic is the built-in Arabic vocabulary (matched after normalising alef
// forms, ta marbuta, alef maqsura, diacritics and tatweel).
var Arabic = Vocabulary{
	Language: "ar",
	Accept: []string{"أوافق", "نوافق", "موافق", "موافقون", "موافقة", "أقبل", "نقبل", "قبول", "نقبل الدعوة", "قبول الدعوة",
		"سنشارك", "سوف نشارك", "نشارك", "نؤيد القبول", "نؤيد المشاركة", "مع المشاركة", "مع القبول",
		"سنحضر", "سوف نحضر", "نحضر", "نؤكد الحضور", "نؤكد مشاركتنا", "يسعدنا المشاركة", "يسعدنا قبول", "يسرنا المشاركة",
		"يسرنا قبول", "أشارك", "سأشارك", "سأحضر", "لا مانع", "لا مانع لدينا", "لا مانع لدينا من", "نتمكن من الحضور", "نتمكن من المشاركة",
		"سنتمكن من الحضور", "سنتمكن من المشاركة", "موافقين", "قررنا المشاركة", "قررنا القبول", "قررنا الحضور",
		// as members say it
		"نحن معكم", "نحنا معكم", "سنكون معكم", "سنكون حاضرين", "سنكون حاضرون", "سنكون هناك", "حاضرون$", "حاضرين$",
		"سنلبي الدعوة", "نلبي الدعوة", "يشرفنا الحضور", "يشرفنا المشاركة", "يسعدنا الحضور", "بنحضر", "رح نحضر", "رح نشارك",
		"حنحضر", "حنشارك", "راح نحضر", "راح نشارك", "نحن مع القبول"},
	Decline: []string{"أرفض", "نرفض", "رفض", "نعتذر", "أعتذر", "اعتذار", "الاعتذار", "نعتذر عن", "عدم قبول", "عدم المشاركة",
		"لن نشارك", "نؤيد الاعتذار", "مع الاعتذار", "ضد المشاركة", "مقاطعة", "نقاطع", "سنقاطع",
		"لا نستطيع الحضور", "لا نستطيع المشاركة", "لا يمكننا الحضور", "لا يمكننا المشاركة", "يتعذر علينا الحضور",
		"يتعذر علينا المشاركة", "رافضون", "رافضين", "معتذرين", "معتذرون", "قررنا الاعتذار", "قررنا عدم المشاركة",
		// as members say it; the negation inside these is the phrase's own
		"لسنا معكم", "لن نكون معكم", "لن نكون حاضرين", "لن نحضر", "لن نلبي", "ليس هذه المره", "مش هالمره", "مو هالمره",
		"مش هذه المره", "نعتذر هذه المره", "ما رح نحضر", "مش رح نحضر", "ما راح نحضر", "مش حنحضر", "لن نتمكن من الحضور",
		"لن نتمكن من المشاركة", "لن نستطيع الحضور", "لن نستطيع المشاركة", "نعتذر عن الحضور", "نعتذر عن المشاركة", "لن نكون جزءا منها",
		"لن نكون جزءا منه", "لن نكون جزءا من"},
	Abstain: []string{"أمتنع", "نمتنع", "امتناع", "ممتنع", "ممتنعون", "الامتناع", "محايد", "لا موقف لنا", "ممتنعين",
		"محايدون", "محايدين", "لا رأي لنا", "ليس لدينا موقف", "ليس لنا موقف", "نترك القرار للتحالف", "نترك القرار لكم",
		"مع رأي الأغلبية", "مع ما تقرره الأغلبية", "نلتزم بقرار الأغلبية", "نلتزم بما يقرره التحالف"},
	// "مش", "مو" and "ما" negate in the spoken Arabic members also write:
	// "مش حنقدر نحضر", "ما رح نقدر نشارك".
	Negations:       []string{"لا", "لن", "لم", "عدم", "غير", "ليس", "لسنا", "لا يمكننا", "لا نستطيع", "يتعذر", "مش", "مو", "ما"},
	Concerns:        []string{"المخاوف", "مخاوف", "مخاوفنا", "الملاحظات", "ملاحظات", "المخاوف والملاحظات"},
	Recommendations: []string{"التوصيات", "توصيات", "توصية", "توصياتنا", "المقترحات", "مقترحات", "الاقتراحات"},
	Sign:            []string{"التوقيع", "توقيع", "نوقع", "الموافقة على التوقيع"},
	Yes:             []string{"نعم", "أجل", "موافق", "موافقون", "نوقع", "سنوقع", "بالتأكيد", "لا مانع"},
	No:              []string{"لا", "كلا", "لن نوقع"},
	NotPosition: []string{"نعتذر عن التأخر", "نعتذر عن التأخير", "نعتذر على التأخر", "نعتذر على التأخير", "نعتذر عن تأخر",
		"نعتذر عن تأخرنا", "نعتذر للتأخر", "نعتذر للتأخير", "نعتذر عن الإزعاج", "مع الاعتذار عن التأخير",
		"مع الاعتذار عن التأخر", "الاعتذار عن التأخير", "الاعتذار عن التأخر", "أعتذر عن التأخر", "أعتذر عن التأخير",
		// agreeing to sign the joint text is not accepting the invitation
		"لا مانع من التوقيع", "لا مانع لدينا من التوقيع",
		"نوافق على التوقيع", "موافقون على التوقيع", "موافق على التوقيع", "موافقين على التوقيع", "نؤيد التوقيع"},
	NoPoints: []string{"لا يوجد", "لا توجد", "لا شيء", "لا شي", "لا", "ليس لدينا", "لا يوجد لدينا", "لا توجد لدينا", "لا تعليق",
		"لا ملاحظات", "لا توصيات", "لا مخاوف"},
	Holding: []string{"سنعود إليكم", "سنعود لكم", "نعود إليكم", "سنرجع إليكم", "سنرجع لكم", "بنرجعلكم", "منرجعلكم",
		"سنوافيكم بالرد", "سنوافيكم بردنا", "سنوافيكم بموقفنا", "نوافيكم بالرد", "سنبلغكم بموقفنا", "سنبلغكم بقرارنا",
		"سنرد عليكم", "سنعلمكم", "سنتواصل معكم", "بعد التشاور", "سنتشاور", "نتشاور مع", "سنناقش الأمر", "سنناقش الموضوع", "سنعرض الأمر على",
		"سنعرض الموضوع على", "نحتاج إلى وقت", "نحتاج إلى بعض الوقت", "نحتاج إلى التشاور", "لم نقرر بعد", "لم نتخذ قرارا بعد",
		"لم نحسم موقفنا بعد", "ما زلنا نتشاور", "لا زلنا نتشاور", "ما زلنا ندرس"},
}

// French is the built-in French vocabulary (matched after folding accents, so
// "Preoccupations" written without them is read too, and after the elided
// articles l' d' j' joined to a word: "d'accepter"). "ne … pas" surrounds the
// verb, so the negated forms members write are listed as declines.
var French = Vocabulary{
	Language: "fr",
	Accept: []string{"accepter", "accepte", "acceptons", "accepté", "acceptée", "nous acceptons", "j'accepte",
		"accepter l'invitation", "participer", "participerons", "nous participerons", "nous y participerons",
		"nous serons présents", "serons présents", "nous serons présentes", "d'accord pour participer", "favorable",
		"favorables", "pour l'acceptation", "en faveur de l'acceptation", "oui pour participer", "comptez sur nous",
		"ne manquerons pas de participer", "ne manquerons pas d'y participer",
		// as members say it
		"nous serons là", "on sera là", "nous y serons", "on y sera", "nous viendrons", "nous serons de la partie",
		"nous sommes partants", "on est partants", "partants$", "on en est$", "nous en sommes$", "avec plaisir$"},
	Decline: []string{"refuser", "refuse", "refusons", "refusé", "nous refusons", "décliner", "décline", "déclinons",
		"nous déclinons", "décliner l'invitation", "rejeter", "rejetons", "boycotter", "boycottons", "boycott",
		"ne pas participer", "ne participerons pas", "ne participera pas", "ne pouvons pas participer",
		"ne pourrons pas participer", "ne serons pas présents", "n'acceptons pas", "n'accepte pas", "n'acceptera pas",
		"n'accepterons pas", "contre l'acceptation", "en faveur du refus", "défavorable", "défavorables", "ne pas accepter",
		// as members say it; the negation inside these is the phrase's own
		"pas cette fois", "pas pour cette fois", "sans nous$", "nous passons notre tour", "on passe notre tour",
		"passons notre tour", "ne serons pas là", "ne sera pas là", "n'y serons pas", "n'y sera pas", "ne viendrons pas",
		"ne pourrons pas venir", "ne pourrons pas être présents", "ne pourrons pas être là"},
	Abstain: []string{"s'abstenir", "abstention", "nous nous abstenons", "abstenons", "je m'abstiens", "m'abstiens",
		"s'abstient", "pas de position", "sans position", "aucune position", "neutre", "sans avis",
		"pas d'avis", "nous suivrons la majorité", "nous suivrons l'avis de la majorité", "peu importe$",
		"nous laissons la coalition décider", "nous nous rangerons à l'avis de la majorité"},
	// "ne" opens the verb it negates ("nous ne pourrons pas participer"), so
	// it counts with that verb: "ne" alone would read "our members in NE
	// Syria will attend" as a decline. Not "pas", "plus" or "sans" alone
	// either: "Pas de souci, nous acceptons", "De plus, nous participerons",
	// "sans réserve".
	Negations: []string{"ne pas", "ne pourrons", "ne pouvons", "ne pourra", "ne pourront", "ne peut", "ne peuvent",
		"ne souhaitons", "ne souhaite", "ne voulons", "ne sommes", "ne serons", "ne sera", "ne serait", "ne pensons",
		"ne nous", "ne participerons", "ne participera", "n'acceptons", "n'accepterons", "n'accepte", "n'avons",
		"n'est", "n'êtes", "n'y", "jamais", "impossible de", "incapables de", "incapable de", "pas en mesure de",
		"pas possible de"},
	Concerns:        []string{"préoccupations", "préoccupation", "nos préoccupations", "inquiétudes", "nos inquiétudes", "réserves", "nos réserves"},
	Recommendations: []string{"recommandations", "recommandation", "nos recommandations", "propositions", "nos propositions", "suggestions"},
	Sign:            []string{"signer", "signature", "signataire", "signer le texte", "signer la déclaration"},
	Yes:             []string{"oui", "d'accord", "nous signons", "bien sûr", "volontiers"},
	No:              []string{"non", "nous ne signons pas", "ne signons pas", "pas de signature"},
	NotPosition: []string{"acceptez nos excuses", "accepter nos excuses", "veuillez accepter nos excuses",
		"excusez le retard", "désolés pour le retard", "désolé pour le retard", "pardon pour le retard",
		// agreeing to sign the joint text is not accepting the invitation
		"acceptons de signer", "accepte de signer", "d'accord pour signer"},
	NoPoints: []string{"aucune", "aucun", "rien", "néant", "sans objet", "rien à ajouter", "pas de préoccupations",
		"pas de recommandations", "non"},
	Holding: []string{"nous reviendrons vers vous", "nous revenons vers vous", "je reviens vers vous", "je reviendrai vers vous",
		"nous vous tiendrons au courant", "nous vous répondrons", "après consultation de notre conseil",
		"après discussion avec notre conseil", "nous devons consulter", "nous allons en discuter", "nous en discutons",
		"pas encore décidé", "pas encore pris de décision", "besoin de plus de temps", "besoin d'un peu de temps"},
}

// merged is every vocabulary's words, normalised.
type merged struct {
	accept, decline, abstain, concerns, recommendations, sign, yes, no []string
	// Split into words once: they are matched against every sentence.
	holding     [][]string
	cands       []cand           // position phrases, longest first
	byFirst     map[string][]int // indices into cands by first word
	negations   [][]string       // "can not", "لا يمكننا"
	notPosition [][]string
	noPoints    map[string]bool // normalised words joined by spaces
}

// cand is a position phrase split into words.
type cand struct {
	words []string
	pos   Position
	atEnd bool // counts only at the end of a sentence ("we're in$")
	ownNo bool // has its own negation ("not this time"): a negation before it does not turn it
}

func merge(vs []Vocabulary) merged {
	var m merged
	for _, v := range vs {
		m.accept = append(m.accept, endNorms(v.Accept)...)
		m.decline = append(m.decline, endNorms(v.Decline)...)
		m.abstain = append(m.abstain, endNorms(v.Abstain)...)
		m.negations = append(m.negations, split(norms(v.Negations))...)
		m.holding = append(m.holding, split(norms(v.Holding))...)
		m.concerns = append(m.concerns, norms(v.Concerns)...)
		m.recommendations = append(m.recommendations, norms(v.Recommendations)...)
		m.sign = append(m.sign, norms(v.Sign)...)
		m.yes = append(m.yes, norms(v.Yes)...)
		m.no = append(m.no, norms(v.No)...)
		m.notPosition = append(m.notPosition, split(norms(v.NotPosition))...)
		for _, p := range norms(v.NoPoints) {
			if m.noPoints == nil {
				m.noPoints = map[string]bool{}
			}
			m.noPoints[p] = true
		}
	}
	for _, l := range []struct {
		phrases []string
		pos     Position
	}{{m.decline, Decline}, {m.abstain, Abstain}, {m.accept, Accept}} {
		for _, p := range l.phrases {
			c := cand{pos: l.pos, atEnd: strings.HasSuffix(p, "$")}
			c.words = strings.Split(strings.TrimSuffix(p, "$"), " ")
			for _, n := range m.negations {
				c.ownNo = c.ownNo || findWords(c.words, n, 0) >= 0
			}
			m.cands = append(m.cands, c)
		}
	}
	sort.SliceStable(m.cands, func(i, j int) bool { return len(m.cands[i].words) > len(m.cands[j].words) })
	m.byFirst = map[string][]int{}
	for i, c := range m.cands {
		m.byFirst[c.words[0]] = append(m.byFirst[c.words[0]], i)
	}
	// Headings are matched as prefixes of a line: the longest first, so that
	// "sign-on: yes" is not read as "sign" followed by "-on: yes".
	for _, l := range [][]string{m.concerns, m.recommendations, m.sign} {
		sort.SliceStable(l, func(i, j int) bool { return len(l[i]) > len(l[j]) })
	}
	return m
}

// endNorms is norms keeping a final "$" (see English).
func endNorms(ws []string) []string {
	var out []string
	for _, w := range ws {
		if n := strings.Join(words(w), " "); n != "" {
			if strings.HasSuffix(strings.TrimSpace(w), "$") {
				n += "$"
			}
			out = append(out, n)
		}
	}
	return out
}

func norms(ws []string) []string {
	var out []string
	for _, w := range ws {
		if n := strings.Join(words(w), " "); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// normRune folds a rune for matching: lower case, Arabic letter variants
// unified, Arabic-Indic and Eastern Arabic digits to ASCII; -1 drops it.
func normRune(r rune) rune {
	switch {
	case r >= 0x064B && r <= 0x065F, r == 0x0670, r == 0x0640: // harakat, superscript alef, tatweel
		return -1
	case r >= 0x80 && unicode.Is(unicode.Cf, r):
		return -1 // bidi marks, embeddings and isolates, zero-width characters, soft hyphen
	case r == 'أ' || r == 'إ' || r == 'آ' || r == 'ٱ':
		return 'ا'
	case r == 'ة':
		return 'ه'
	case r == 'ى':
		return 'ي'
	case r >= '٠' && r <= '٩':
		return '0' + (r - '٠')
	case r >= '۰' && r <= '۹':
		return '0' + (r - '۰')
	case r == '’' || r == 'ʼ':
		return '\''
	}
	r = unicode.ToLower(r)
	if f, ok := latinFold[r]; ok {
		return f
	}
	return r
}

// latinFold drops the accents of French (and its neighbours' vowels): members
// write "Preoccupations", "refuse" or "présents" on phones alike. ñ is kept:
// in Spanish it makes another word.
var latinFold = map[rune]rune{
	'à': 'a', 'â': 'a', 'ä': 'a', 'á': 'a', 'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e',
	'î': 'i', 'ï': 'i', 'í': 'i', 'ô': 'o', 'ö': 'o', 'ó': 'o', 'ù': 'u', 'û': 'u', 'ü': 'u', 'ú': 'u',
	'ç': 'c', 'ÿ': 'y',
}

// words splits s into normalised words (letters, digits and apostrophes).
func words(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		r = normRune(r)
		switch {
		case r == -1:
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		case r == '-' && b.Len() > 0:
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

// arabicPrefixes are the conjunctions and prepositions written joined to the
// next word ("ونعتذر", "فنحن", "بالتوقيع").
var arabicPrefixes = []string{"و", "ف", "ب", "ل"}

// frenchElisions are the elided words joined to the next one; "n'" is not
// among them (it negates: its forms are listed as declines), nor "s'"
// ("s'abstenir" is itself a word of the vocabulary).
var frenchElisions = []string{"l'", "d'", "j'"}

// wordEq compares a text word with a vocabulary word, allowing a joined Arabic prefix.
func wordEq(text, vocab string) bool {
	if text == vocab {
		return true
	}
	// Every Arabic prefix is one two-byte letter; the "لل" form is as long as
	// the word with its article. Most pairs differ in length: a cheap no.
	if len(text) != len(vocab) && len(text) != len(vocab)+2 {
		return false
	}
	// "لل" is "ل" joined to the article: "للأسباب" is "ل" + "الأسباب".
	if strings.HasPrefix(vocab, "ال") && strings.HasPrefix(text, "لل") && text[len("ل"):] == vocab[len("ا"):] {
		return true
	}
	// French elides "le/la", "de", "je" before a vowel: "d'accepter", "l'invitation".
	for _, p := range frenchElisions {
		if strings.HasPrefix(text, p) && text[len(p):] == vocab {
			return true
		}
	}
	for _, p := range arabicPrefixes {
		if strings.HasPrefix(text, p) && text[len(p):] == vocab && isArabicWord(vocab) {
			return true
		}
	}
	return false
}

func isArabicWord(w string) bool {
	for _, r := range w {
		return unicode.Is(unicode.Arabic, r)
	}
	return false
}

func split(phrases []string) [][]string {
	out := make([][]string, len(phrases))
	for i, p := range phrases {
		out[i] = strings.Split(p, " ")
	}
	return out
}

// findPhrase returns the index of the first occurrence of phrase (a normalised,
// space-joined word sequence) in ws at or after from, or -1.
func findPhrase(ws []string, phrase string, from int) int {
	return findWords(ws, strings.Split(phrase, " "), from)
}

// findWords is findPhrase for a phrase already split into words.
func findWords(ws, pw []string, from int) int {
	for i := from; i+len(pw) <= len(ws); i++ {
		ok := true
		for j, p := range pw {
			if !wordEq(ws[i+j], p) {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}
