package reply

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"consultd/internal/clientmail"
)

// Line kinds. The selection rules in select.go work on one kind per line, in the
// spirit of Discourse's email_reply_trimmer, with Arabic and more clients added.
const (
	kEmpty     = 'e' // blank
	kText      = 't' // anything else: the member's words (or unmarked history)
	kQuote     = 'q' // "> …", "Name> …", "| …"
	kDelim     = 'd' // a line of -_=*#~+ (signature / footer rule)
	kSig       = 's' // mobile footer: "Sent from my iPhone", "Get Outlook for Android"
	kAttrib    = 'b' // attribution "On … wrote:", "في … كتب …:"
	kForward   = 'f' // "-----Original Message-----", "---------- Forwarded message ---------"
	kHeader    = 'h' // one "From: / Sent: / من: …" line
	kMerged    = 'x' // continuation of a wrapped attribution, removed with it
	kWeak      = 'w' // an attribution only if a quote follows (see confirmWeak)
	maxKeyLen  = 1000
	maxJoinLen = 400
)

// keyOf returns the form of a line that the classifier looks at: cleanOf in
// lower case, so that the expressions need no case folding (the costliest part
// of matching otherwise).
func keyOf(s string) string {
	return strings.ToLower(cleanOf(s))
}

// cleanOf returns at most maxKeyLen bytes of a line, without the invisible
// bidi/format marks that Arabic and Hebrew clients sprinkle anywhere, without
// Arabic diacritics and tatweel, with Arabic-Indic digits as ASCII digits and
// NBSP as a space, right-trimmed.
func cleanOf(s string) string {
	if len(s) > maxKeyLen {
		cut := maxKeyLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.TrimRight(s, " \t\r")
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == 0x200E || r == 0x200F || r == 0x061C || r == 0xFEFF || r == 0x200B || r == 0x200C || r == 0x200D,
			r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			// bidi and zero-width marks: dropped
		case r >= 0x064B && r <= 0x065F, r == 0x0670, r == 0x0640:
			// harakat and tatweel: dropped so "أُرسلت" matches "أرسلت"
		case r >= 0x0660 && r <= 0x0669:
			b.WriteByte(byte('0' + r - 0x0660))
		case r >= 0x06F0 && r <= 0x06F9:
			b.WriteByte(byte('0' + r - 0x06F0))
		case r == 0x00A0 || r == 0x202F || r == 0x2007 || r == 0x3000:
			b.WriteByte(' ')
		case r == utf8.RuneError:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimRight(b.String(), " \t\r")
}

// Vocabulary. Each list is a regexp alternation over lower-case keys. The
// client strings come from the shared table (clientmail.Attributions and
// AttributionWeekdays); the words written out here are the ones the peer
// corpora (Talon, Discourse, GitHub) and consultd's Arabic fixtures showed
// beside them.
var (
	// words that open an attribution line: "On …", "Le …", "Am …", "في …", "在 …"
	leadWords = alternation(append(tableLeads(),
		"on", "op", "le", "il", "em", "el", "am", "den", "d.", "på", "pa", "dnia", "w dniu", "vào", "at",
		"في", "بتاريخ", "在", "于", "el día", "le dijous"))
	// words that close it ("… wrote:"); latin ones need a space or ">" before them
	wroteVerbs = append(tableWrote(false),
		"wrote", "writes", "a écrit", "a ecrit", "ha scritto", "schrieb", "schreef", "het volgende geschreven", "geschreven",
		"napisał(a)", "napisała", "napisał", "napisal", "escreveu", "escribió", "escribio", "skrev", "kirjoitti", "đã viết",
		"написал(а)", "написала", "написал", "написав", "пише", "yazdı", "كتب", "كتبت")
	// "sent" closes Talon's "On …, X sent:" but is too common a word to close
	// a line that has no lead word.
	wroteWords = alternation(append(wroteVerbs, "sent"))
	cjkWrote   = `写道|寫道`
	// verbs that may stand before the name: "Am … schrieb Name <addr>:", "في … كتب Name:"
	wroteBeforeName = alternation(append(tableWrote(true),
		"schrieb", "schreef", "skrev", "wrote", "كتب", "كتبت", "escribió", "a écrit", "escreveu", "napisał(a)", "napisał", "написал", "пише", "đã viết"))
	// a weekday opens an attribution when a date follows ("tir. 18. apr.",
	// "вт, 18 апр."): two-letter names ("to", "so", "ma") are words too
	weekdayStart = `(?:` + alternation(tableWeekdays()) + `)\.?,?\s+\d|(?:` + weekdayNames + `)[\s,.]`
	weekdayNames = `mon|tue|wed|thu|fri|sat|sun|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье|` +
		`понеділок|вівторок|середа|четвер|пʼятниця|субота|неділя`
)

func tableLeads() []string {
	var out []string
	for _, a := range clientmail.Attributions {
		if a.Lead != "" {
			out = append(out, strings.ToLower(a.Lead))
		}
	}
	return out
}

func tableWrote(beforeName bool) []string {
	var out []string
	for _, a := range clientmail.Attributions {
		if a.Wrote != "" && (!beforeName || a.BeforeName) {
			out = append(out, strings.ToLower(a.Wrote))
		}
	}
	return out
}

func tableWeekdays() []string {
	var out []string
	for _, days := range clientmail.AttributionWeekdays {
		out = append(out, days...)
	}
	return out
}

// alternation quotes and joins words for a regexp, longest first (RE2 takes
// the leftmost alternative that matches, and "napisał(a)" must win over
// "napisał"), without duplicates.
func alternation(words []string) string {
	seen := map[string]bool{}
	var list []string
	for _, w := range words {
		if w != "" && !seen[w] {
			seen[w] = true
			list = append(list, w)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if len(list[i]) != len(list[j]) {
			return len(list[i]) > len(list[j])
		}
		return list[i] < list[j]
	})
	for i, w := range list {
		list[i] = regexp.QuoteMeta(w)
	}
	return strings.Join(list, "|")
}

var (
	reDelim    = regexp.MustCompile(`^[ \t]*[-_,=+~#*ᐧ]+[ \t]*$`)
	reFenceOn  = regexp.MustCompile("^```")
	reFenceOff = regexp.MustCompile("^ {0,3}```[ \t]*$")

	wroteTail = `(?:[\s>)"'»\]](?:` + wroteWords + `)|(?:` + cjkWrote + `))\s*[:：]?[\s\-*]*$`

	attribRes = []*regexp.Regexp{
		// On <date>, <name> wrote:   Le … a écrit :   في … كتب:   (may start with "---- ")
		regexp.MustCompile(`^[\s>*\-]*(?:` + leadWords + `)\s.*` + wroteTail),
		// Am <date> schrieb <name> <addr>:   في <date>، كتب <name> <addr>:
		regexp.MustCompile(`^[\s>*\-]*(?:` + leadWords + `)\s.{1,300}[\s,،](?:` + wroteBeforeName + `)\s.{1,200}[:：]$`),
		// <date> <name> <addr> wrote:   20 окт. 2016 г. 19:37 пользователь "X" <addr> написал:
		regexp.MustCompile(`^[\s>*\-]*(?:\d|` + weekdayStart + `).{0,300}` + wroteTail),
		// ---- John Smith wrote ----
		regexp.MustCompile(`^[\s>]*-{2,}\s*\S.{0,200}[\s>)"](?:` + wroteWords + `)\s*[:：]?\s*-{2,}\s*$`),
		// X via Discourse Meta wrote:
		regexp.MustCompile(`^[\s>]*\S.{0,150}\svia\s.{1,150}\s(?:wrote|schrieb)\s*:?\s*$`),
	}
	// Name <addr> wrote:   Name <addr> schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:
	reAddrWrote = regexp.MustCompile(`@[^\s<>()\[\]]+\.[^\s<>()\[\]]+[>)\]]*\s*(?:` + wroteWords + `)(?:\s*[:：]|\s.{0,100}[:：])?[\s\-*]*$`)
	// 2013/7/20 sam via Discourse Meta <info@discourse.org>   вт, 5 янв. 2016 г. в 23:39, X <addr>:
	reDateAddr = regexp.MustCompile(`<[^@<>\s]+@[^@<>\s]+\.[^@<>\s]+>\s*([:：]?)$`)
	reDateHead = regexp.MustCompile(`^[\s>]*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\s`)
	// 2016-03-03 17:21 GMT+01:00 Some One
	reISODate = regexp.MustCompile(`^[\s>]*\d{4}-\d\d-\d\d \d\d?:\d\d gmt[+-]\d\d?:?\d\d\s+\S`)

	reTime  = regexp.MustCompile(`\d{1,2}[:.h]\d\d`)
	reYear  = regexp.MustCompile(`(?:^|\D)(?:19|20)\d\d(?:\D|$)`)
	reStart = regexp.MustCompile(`^[\s>*\-]*(?:(?:` + leadWords + `)\s|\d|` + weekdayStart + `)`)

	// Outlook / Gmail header block lines: the labels of clientmail's table.
	headerTextSet = labelSet(clientmail.FieldFrom, clientmail.FieldTo, clientmail.FieldCc, clientmail.FieldBcc,
		clientmail.FieldReplyTo, clientmail.FieldSubject)
	headerDateSet = labelSet(clientmail.FieldDate)
	headerFromSet = labelSet(clientmail.FieldFrom)

	// Mobile footers. "Sent from/with/via …" is checked by sentFrom below.
	reSentFrom = regexp.MustCompile(`^[\s>]*[(<\[]*\s*(?:sent wirelessly|sent|send|envoyé|enviado|gesendet|verzonden|verstuurd|inviato|` +
		`wysłane|отправлено|надіслано|skickat|sendt)\s+(?:from|with|via|by|using|on|depuis|de|desde|do|von|mit|met|vanaf|` +
		`da|dal|z|с|з|fra|från|med)\s+(.*)$`)
	// Other mobile footers, one alternation so a text line costs one match:
	// 從我的 iPhone 傳送, 发自我的 iPhone, "Nik from mobile", "From my iPhone 6",
	// Envoyé depuis mon iPhone, Von meinem … gesendet, Diese Nachricht wurde von …
	// gesendet, Enviado desde mi …, Inviato da …, Verzonden met …, Sendt fra min …,
	// Get Outlook for iOS/Android, and Arabic: أُرسلت من الـ iPhone الخاص بي, مرسل من
	// iPhone, تم الإرسال من …, احصل على Outlook for Android.
	reSig = regexp.MustCompile(`^[\s>]*(?:` +
		`從我的\s?\S+\s?傳送|` +
		`发自我的\s?\S+|` +
		`\S+ from (?:my )?(?:mobile|phone|iphone|ipad|android)\.?\s*$|` +
		`from my (?:iphone|ipad|ipod|android|mobile|phone|samsung|galaxy|blackberry|smartphone|tablet)\b.{0,20}$|` +
		`envoyé (?:depuis|de) (?:mon|ma|l'|un|une)\s?.{1,40}$|` +
		`von meine[mr]? .{1,40} gesendet\.?$|` +
		`diese nachricht wurde von .{1,80} gesendet\.?$|` +
		`enviado (?:desde|de|do|via) (?:mi|meu|o|un|my)\s.{1,40}$|` +
		`inviato da .{1,40}$|` +
		`(?:verzonden|verstuurd) (?:vanaf|van|met) .{1,40}$|` +
		`(?:sendt|skickat) fr[aå]n? (?:min|mi|my)\s.{1,40}$|` +
		`get\s*\[?\s*outlook for (?:ios|android)|` +
		`(?:أرسلت|أرسل|ارسلت|ارسل|مرسل|مرسلة|تم الإرسال|تم الارسال|تم إرسالها)\s+(?:من|عبر|بواسطة)\s+.{0,60}$|` +
		`(?:احصل على|الحصول على|نزّل|نزل)\s*\[?\s*outlook)`)
	deviceWords = map[string]bool{
		"iphone": true, "ipad": true, "ipod": true, "blackberry": true, "android": true, "galaxy": true,
		"samsung": true, "mobile": true, "phone": true, "cell": true, "cellphone": true, "smartphone": true,
		"device": true, "tablet": true, "htc": true, "huawei": true, "xiaomi": true, "nokia": true,
		"motorola": true, "pixel": true, "windows": true, "mail": true, "gmail": true, "outlook": true,
		"yahoo": true, "aol": true, "mailbox": true, "airmail": true, "sparrow": true, "acompli": true,
		"spark": true, "protonmail": true, "proton": true, "newton": true, "bluemail": true, "edison": true,
		"k": true, "pc": true, "mac": true, "verizon": true, "wireless": true, "zoho": true, "thunderbird": true,
	}

	// Legal disclaimers that start a closing paragraph.
	reDisclaimer = regexp.MustCompile(`^[\s*_>]*(?:` +
		`this (?:e-?mail|message|communication|transmission)(?: message)?,? (?:and any|and all|and its|\(and any|\(including any|` +
		`including any|together with any|may contain|contains (?:confidential|privileged|proprietary)|` +
		`is (?:strictly )?(?:confidential|private|privileged|intended (?:only|solely|exclusively)))|` +
		`the (?:information|content|contents) (?:contained )?(?:in|of) this (?:e-?mail|message|communication|transmission)|` +
		`confidential(?:ity)?(?: notice| note| statement| warning| disclaimer| notification)?\s*[:：]|` +
		`(?:legal )?disclaimer\s*[:：]|privileged (?:and|&) confidential|if you are not the intended recipient|` +
		`ce (?:message|courriel|e-mail|mail)(?: et (?:ses|toutes)| est (?:confidentiel|strictement)| peut contenir)|` +
		`(?:diese|dieses) (?:e-?mail|nachricht)(?: und (?:alle|eventuelle|jegliche)| ist vertraulich| enthält vertrauliche| kann vertrauliche)|` +
		`إخلاء (?:ال)?مسؤولية|إشعار (?:ال)?سرية|` +
		`(?:هذه|إن هذه) الرسالة (?:الإلكترونية |الالكترونية )?(?:و ?مرفقاتها|سرية|قد تحتوي)|` +
		`(?:هذا|إن هذا) البريد (?:الإلكتروني |الالكتروني )?(?:و ?مرفقاته|سري|قد يحتوي)|` +
		`المعلومات (?:الواردة|الموجودة|المتضمنة) في هذه الرسالة)`)

	reListItem    = regexp.MustCompile(`^\s*(?:\d{1,3}[.)]\s|[-*•·]\s|\(\w\)\s)`)
	reSentenceEnd = regexp.MustCompile(`\pL\pL[.!?]["'”’)]*$`)
	reDashName    = regexp.MustCompile(`^-\p{Lu}[\p{L}.'’]*(?:\s[\p{L}.'’-]+){0,2}\s*$`)
	reLinkPiece   = regexp.MustCompile(`^\s*\(?https?://\S*\)?\s*>?\s*$`)
	reCutWrote    = regexp.MustCompile(`^(.*?\S)(?:\s+|-{2,}\s*)((?:On|Le|Am|Op|El|Em|Il)\s.{5,300})$`)
	reHasWord     = regexp.MustCompile(`[\pL\pN]`)
)

// isQuote reports a quoted line: "> …", "Name> …" (up to 12 ASCII letters
// before ">"), or "| …". "| a | b |" (a table row) is not a quote. Written out
// by hand because every line goes through it.
func isQuote(k string) bool {
	i := 0
	for i < len(k) && (k[i] == ' ' || k[i] == '\t') {
		i++
	}
	j := i
	for j < len(k) && j-i <= 12 && (k[j] >= 'a' && k[j] <= 'z' || k[j] >= 'A' && k[j] <= 'Z') {
		j++
	}
	if j < len(k) && k[j] == '>' && j-i <= 12 {
		return true
	}
	if i < len(k) && k[i] == '|' {
		t := strings.TrimSpace(k)
		return len(t) == 1 || !strings.HasSuffix(t, "|")
	}
	return false
}

// isDelimiter reports a rule line: two or more of -_=*#~+, or Gmail's ᐧ tracker.
func isDelimiter(k string) bool {
	if !reDelim.MatchString(k) {
		return false
	}
	t := strings.TrimSpace(k)
	return utf8.RuneCountInString(t) >= 2 || t == "ᐧ"
}

// isAttribution reports an "On … wrote:" style line in any covered language.
// Cheap checks on the end of the line come first so that ordinary lines never
// reach the larger expressions (Go's regexp has no DFA; cost is per byte and
// per expression).
func isAttribution(k string) bool {
	k = strings.TrimRight(k, " \t")
	if len(k) < 6 || len(k) > maxJoinLen+100 {
		return false
	}
	tail := tailOf(k, 80)
	colon := strings.HasSuffix(k, ":") || strings.HasSuffix(k, "：")
	dash := strings.HasSuffix(k, "-")
	gt := strings.HasSuffix(k, ">") || colon && strings.Contains(tail, ">")
	wrote := colon || dash || wroteEnding(tail)
	if !wrote && !gt {
		return k[0] >= '0' && k[0] <= '9' && reISODate.MatchString(k)
	}
	hasAt := strings.Contains(k, "@")
	if wrote && (hasDigit(k) || hasAt || dash || strings.Contains(k, "via")) {
		for i, re := range attribRes {
			if !re.MatchString(k) {
				continue
			}
			if i == 3 || i == 4 { // "---- X wrote ----" and "X via Y wrote:" carry no date
				return true
			}
			if hasAt || reTime.MatchString(k) || reYear.MatchString(k) {
				return true
			}
		}
		if hasAt && reAddrWrote.MatchString(k) {
			return true
		}
	}
	if gt && hasAt && len(k) <= 300 {
		if m := reDateAddr.FindStringSubmatch(tailOf(k, 160)); m != nil {
			if reDateHead.MatchString(k) || (m[1] != "" && reTime.MatchString(k)) {
				return true
			}
		}
	}
	return hasDigit(k[:1]) && reISODate.MatchString(k)
}

// Weak attributions: name first, verb last, no lead word. They count only
// above a quote (confirmWeak).
var (
	verbWords = alternation(wroteVerbs)
	// Thunderbird's "Name wrote on <date> <time>:", "Name kirjutas <date> <time>:"
	reNameWroteDate = regexp.MustCompile(`^[\s>*]*\S.{0,100}?\s(?:` + verbWords + `)\s.{0,100}[:：]$`)
	reVerbFirst     = regexp.MustCompile(`^[\s>*]*(?:` + wroteBeforeName + `)\s.{1,100}[:：]$`)
)

// isWeakAttribution reports a line that is an attribution when a quote
// follows: an address, a date or time, and a closing verb with a colon
// ("Test user <test@example.com>, 18 Nis 2017 Sal, 13:09 tarihinde şunu
// yazdı:"), or a name, a verb and a date with a time.
func isWeakAttribution(k string) bool {
	k = strings.TrimRight(k, " \t")
	if len(k) < 6 || len(k) > 300 || !strings.HasSuffix(k, ":") && !strings.HasSuffix(k, "：") {
		return false
	}
	hasTime := reTime.MatchString(k)
	if strings.Contains(k, "@") && (hasTime || reYear.MatchString(k)) && verbEnding(tailOf(k, 80)) {
		return true
	}
	if hasTime && reYear.MatchString(k) && reNameWroteDate.MatchString(k) {
		return true
	}
	return isShortAttribution(k)
}

// isShortAttribution reports Thunderbird's short forms: "Test user wrote:",
// "كتب Test user:", "Test user, 18.04.2017 13:09 tarihinde yazdı:". With no
// address, they count only above the quote that ends the message
// (confirmWeak): "As our director wrote:" above a quote the member answers
// stays the member's text.
func isShortAttribution(k string) bool {
	k = strings.TrimRight(k, " \t")
	return len(k) <= 150 && (strings.HasSuffix(k, ":") || strings.HasSuffix(k, "：")) &&
		(verbEnding(tailOf(k, 80)) || reVerbFirst.MatchString(k))
}

// verbEnding is wroteEnding without "sent".
func verbEnding(s string) bool {
	s = strings.TrimRight(s, " \t-*:：")
	for _, w := range wroteVerbs {
		if !strings.HasSuffix(s, w) {
			continue
		}
		r, _ := utf8.DecodeLastRuneInString(s[:len(s)-len(w)])
		if strings.ContainsRune(" \t>)\"'»]", r) {
			return true
		}
	}
	return false
}

// wroteList is wroteWords as plain strings, for wroteEnding.
var wroteList = append(wroteVerbs, "sent")

// wroteEnding reports a line ending in a wrote-word ("… Name wrote", "… كتب"),
// by suffix comparison: most lines run this, and a regexp alternation anchored
// at the end would be tried at every byte.
func wroteEnding(s string) bool {
	s = strings.TrimRight(s, " \t-*:：")
	if strings.HasSuffix(s, "写道") || strings.HasSuffix(s, "寫道") {
		return true
	}
	for _, w := range wroteList {
		if !strings.HasSuffix(s, w) {
			continue
		}
		pre := s[:len(s)-len(w)]
		r, _ := utf8.DecodeLastRuneInString(pre)
		if pre == "" || strings.ContainsRune(" \t>)\"'»]", r) {
			return true
		}
	}
	return false
}

// tailOf returns the last n bytes of s, cut at a rune boundary.
func tailOf(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// isForward reports a forward marker or an original-message separator in any
// language of clientmail's table ("-----Original Message-----",
// "---------- Forwarded message ---------", "Begin forwarded message:").
func isForward(k string) bool {
	return clientmail.MatchMarkerLine(k) != clientmail.NoMarker
}

// isForwardOnly reports a marker that announces a forward, not the history
// of a reply: the member passes the message on, so it all stays.
func isForwardOnly(k string) bool {
	return clientmail.MatchMarkerLine(k) == clientmail.MarkerForwarded
}

// isHeader reports one line of an Outlook-style header block: a known field
// name (any covered language, optionally in *bold* or quoted) and a colon
// within the first 60 bytes, then a value with a word (a digit for dates).
func isHeader(k string) bool {
	name, value, ok := headerField(k)
	if !ok {
		return false
	}
	if headerDateSet[name] && hasDigit(value) {
		return true
	}
	return headerTextSet[name] && reHasWord.MatchString(value)
}

// isFromHeader reports a From: or Date: line (or a translation), which may
// open a two-line header block.
func isFromHeader(k string) bool {
	name, _, ok := headerField(k)
	return ok && (headerFromSet[name] || headerDateSet[name])
}

func headerField(k string) (name, value string, ok bool) {
	i := strings.IndexAny(k, ":：")
	if i < 0 || i > 60 {
		return "", "", false
	}
	name = strings.Trim(k[:i], " \t>*")
	value = strings.TrimLeft(k[i:], ":：")
	return name, value, name != ""
}

func labelSet(fields ...clientmail.Field) map[string]bool {
	m := map[string]bool{}
	for _, w := range clientmail.LabelTexts(fields...) {
		m[w] = true
	}
	return m
}

// isSignature reports a mobile/app footer line.
func isSignature(k string) bool {
	if m := reSentFrom.FindStringSubmatch(k); m != nil && deviceTail(m[1]) {
		return true
	}
	return len(k) <= 200 && (reSig.MatchString(k) || clientmail.FooterIn(k))
}

// deviceTail decides whether the words after "Sent from" name a device or app
// ("my iPhone", "Mailbox for iPad", "my cell, please excuse typos") rather than
// being a sentence ("my desk, is much easier then my mobile phone", "by post").
func deviceTail(s string) bool {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7f && r != 0xa0)
	})
	if len(words) == 0 {
		return false
	}
	if words[0] == "my" && len(words) <= 4 { // "Sent from my TI-85"
		return true
	}
	for i, w := range words {
		if i >= 5 {
			break
		}
		if deviceWords[w] || strings.HasPrefix(w, "iphone") || strings.HasPrefix(w, "ios") {
			return true
		}
	}
	return false
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}
