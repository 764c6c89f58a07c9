package forward

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"consultd/internal/clientmail"
)

// dateParts is what the tolerant date reader found in a piece of text.
type dateParts struct {
	year, month, day     int // 0 when absent
	hour, min, sec       int
	hasTime              bool
	meridiem             string // "am", "pm" or ""
	zone                 *time.Location
	consumed             int // tokens that carried date information
	hasYear, hasTimeZone bool
}

var monthNames = map[string]int{}
var headerMonthNames = map[string]int{}
var weekdayNames = map[string]bool{}

// fillerWords may sit between date parts: "Tue, Nov 21, 2017 at 10:02 AM",
// "الثلاثاء، ٢١ نوفمبر ٢٠١٧ في ١٠:٠٢ ص", "le 24 novembre".
var fillerWords = map[string]bool{}

func init() {
	months := [][]string{
		{"january", "jan", "يناير", "كانون الثاني", "janvier", "janv", "januar", "enero", "ene", "gennaio", "gen", "janeiro"},
		{"february", "feb", "فبراير", "شباط", "février", "fevrier", "févr", "fevr", "februar", "febrero", "febbraio", "fevereiro", "fev"},
		{"march", "mar", "مارس", "آذار", "mars", "märz", "marz", "marzo", "março", "marco"},
		{"april", "apr", "أبريل", "ابريل", "إبريل", "نيسان", "avril", "avr", "abril", "abr", "aprile"},
		{"may", "مايو", "أيار", "mai", "mayo", "maggio", "mag", "maio"},
		{"june", "jun", "يونيو", "يونيه", "حزيران", "juin", "juni", "junio", "giugno", "giu", "junho"},
		{"july", "jul", "يوليو", "يوليه", "تموز", "juillet", "juil", "juli", "julio", "luglio", "lug", "julho"},
		{"august", "aug", "أغسطس", "اغسطس", "آب", "août", "aout", "agosto", "ago"},
		{"september", "sep", "sept", "سبتمبر", "أيلول", "septembre", "septiembre", "settembre", "set", "setembro"},
		{"october", "oct", "أكتوبر", "اكتوبر", "تشرين الأول", "octobre", "oktober", "okt", "octubre", "ottobre", "ott", "outubro", "out"},
		{"november", "nov", "نوفمبر", "تشرين الثاني", "novembre", "noviembre", "novembro"},
		{"december", "dec", "ديسمبر", "كانون الأول", "décembre", "decembre", "déc", "dezember", "dez", "diciembre", "dic", "dicembre", "dezembro"},
	}
	// Only for header dates, where every word is about the date: short
	// abbreviations ("pro", "tem") would misread prose. The languages of clientmail's table, as their clients write dates:
	// genitive forms ("26 października", "26. října") and abbreviations
	// ("27 paź", "27 Eki", "27. lokak."). "listopad(a)" is November in Polish
	// and Czech but October in Croatian: see monthsByLang.
	more := [][]string{
		{"januari", "jan", "ocak", "oca", "января", "янв", "січня", "січ", "stycznia", "sty", "ledna", "led", "januára", "január", "ianuarie", "ian", "tammikuuta", "tammik", "jaanuar", "jaan", "janúar", "ژانویه"},
		{"februari", "şubat", "şub", "февраля", "фев", "февр", "лютого", "лют", "lutego", "lut", "února", "úno", "februára", "február", "februarie", "helmikuuta", "helmik", "veebruar", "veebr", "فوریه"},
		{"maart", "mars", "mart", "марта", "мар", "березня", "бер", "marca", "března", "bře", "március", "márc", "martie", "maaliskuuta", "maalisk", "märts", "marts", "mär"},
		{"april", "nisan", "nis", "апреля", "апр", "квітня", "квіт", "kwietnia", "kwi", "dubna", "dub", "apríla", "április", "ápr", "aprilie", "huhtikuuta", "huhtik", "aprill", "آوریل"},
		{"mei", "maj", "mayıs", "may", "мая", "травня", "трав", "maja", "května", "kvě", "mája", "május", "máj", "toukokuuta", "toukok", "مه"},
		{"juni", "haziran", "haz", "июня", "июн", "червня", "черв", "czerwca", "cze", "června", "čvn", "júna", "június", "jún", "iunie", "kesäkuuta", "kesäk", "juuni", "ژوئن"},
		{"juli", "temmuz", "tem", "июля", "июл", "липня", "лип", "lipca", "lip", "července", "čvc", "júla", "július", "júl", "iulie", "heinäkuuta", "heinäk", "juuli", "ژوئیه"},
		{"augustus", "augusti", "ağustos", "ağu", "августа", "авг", "серпня", "серп", "sierpnia", "sie", "srpna", "srp", "augusta", "augusztus", "aug", "elokuuta", "elok", "اوت"},
		{"september", "eylül", "eyl", "сентября", "сен", "сент", "вересня", "вер", "września", "wrz", "září", "zář", "septembra", "szeptember", "szept", "septembrie", "syyskuuta", "syysk", "سپتامبر"},
		{"oktober", "ekim", "eki", "октября", "окт", "жовтня", "жовт", "października", "paź", "října", "říj", "októbra", "október", "okt", "octombrie", "lokakuuta", "lokak", "oktoober", "اکتبر"},
		{"november", "kasım", "kas", "ноября", "ноя", "нояб", "листопада", "лист", "listopada", "lis", "listopadu", "novembra", "noiembrie", "noi", "marraskuuta", "marrask", "نوامبر"},
		{"december", "aralık", "ara", "декабря", "дек", "грудня", "груд", "grudnia", "gru", "prosince", "pro", "decembra", "decembrie", "joulukuuta", "jouluk", "detsember", "dets", "دسامبر"},
	}
	for i, names := range more {
		for _, n := range names {
			headerMonthNames[fold(n)] = i + 1
		}
	}
	for i, names := range months {
		for _, n := range names {
			monthNames[fold(n)] = i + 1
		}
	}
	for _, d := range []string{
		"monday", "mon", "tuesday", "tue", "tues", "wednesday", "wed", "thursday", "thu", "thur", "thurs",
		"friday", "fri", "saturday", "sat", "sunday", "sun",
		"الأحد", "الاحد", "الإثنين", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت",
		"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
		"montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "mo", "di", "mi", "do", "fr", "sa", "so", "don",
		"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo",
		"lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica",
	} {
		weekdayNames[fold(d)] = true
	}
	for _, w := range []string{"at", "on", "the", "of", "في", "يوم", "الساعة", "الموافق", "le", "à", "um", "de", "del", "a", "las", "alle", "ore", "h", "-",
		"by", "before", "until", "till", "قبل", "بحلول", "حتى"} {
		fillerWords[fold(w)] = true
	}
}

// zoneAbbrevs are the abbreviations mail clients print after times. Ambiguous
// ones (IST, CST) are left out: no zone is better than a wrong one.
var zoneAbbrevs = map[string]int{
	"gmt": 0, "utc": 0, "ut": 0, "z": 0, "wet": 0, "bst": 1 * 3600, "cet": 1 * 3600, "cest": 2 * 3600,
	"eet": 2 * 3600, "eest": 3 * 3600, "msk": 3 * 3600, "ast": 3 * 3600, "gst": 4 * 3600,
	"est": -5 * 3600, "edt": -4 * 3600, "cdt": -5 * 3600, "mst": -7 * 3600, "mdt": -6 * 3600,
	"pst": -8 * 3600, "pdt": -7 * 3600,
	// German (Apple Mail de): MEZ/MESZ Central European, OEZ/OESZ Eastern European.
	"mez": 1 * 3600, "mesz": 2 * 3600, "oez": 2 * 3600, "oesz": 3 * 3600,
}

// monthsByLang are month names whose meaning depends on the language: in
// Croatian "listopad" is October and "studeni" November.
var monthsByLang = map[string]map[string]int{
	"hr": {"siječnja": 1, "sij": 1, "veljače": 2, "velj": 2, "ožujka": 3, "ožu": 3, "travnja": 4, "tra": 4, "svibnja": 5, "svi": 5,
		"lipnja": 6, "lip": 6, "srpnja": 7, "srp": 7, "kolovoza": 8, "kol": 8, "rujna": 9, "ruj": 9, "listopada": 10, "lis": 10,
		"studenoga": 11, "studenog": 11, "stu": 11, "prosinca": 12, "pro": 12},
}

var (
	reJaDate    = regexp.MustCompile(`(\d{4})年(\d{1,2})月(\d{1,2})日`)
	reSpacedDMY = regexp.MustCompile(`\b(\d{1,2})\.\s+(\d{1,2})\.\s+(\d{4})\b`)
	reDotClock  = regexp.MustCompile(`^(\d{1,2})\.(\d{2})(?:\.(\d{2}))?$`)
	reNumDate   = regexp.MustCompile(`\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\b`)
)

// readHeaderDate reads the date line of a forwarded header block, where
// every word is about the date: unknown words (weekdays, "kl.", "г.") are
// skipped rather than ending the date. lang, when known, picks the meaning
// of month names that differ between languages.
func readHeaderDate(s, lang string) dateParts {
	s = reJaDate.ReplaceAllString(s, " $1-$2-$3 ")
	s = reSpacedDMY.ReplaceAllString(s, "$1.$2.$3")
	var p dateParts
	skipped := 0
	for _, tok := range tokenizeDate(s) {
		if mo, ok := monthsByLang[lang][tok]; ok && p.month == 0 {
			p.month = mo
			p.consumed++
			continue
		}
		if mo, ok := headerMonthNames[tok]; ok && p.month == 0 && monthNames[tok] == 0 {
			p.month = mo
			p.consumed++
			continue
		}
		if m := reDotClock.FindStringSubmatch(tok); m != nil && p.month != 0 && p.day != 0 && !p.hasTime {
			p.hour, p.min, p.sec, p.hasTime = atoi(m[1]), atoi(m[2]), atoi(m[3]), true
			p.consumed++
			continue
		}
		if !p.take(tok) {
			if skipped++; skipped > 6 {
				break
			}
		}
	}
	return p
}

// ambiguousNumericDate reports a numeric date whose day and month could be
// swapped ("05/10/2021"), which is read day first.
func ambiguousNumericDate(s string) bool {
	m := reNumDate.FindStringSubmatch(asciiDigits(s))
	return m != nil && atoi(m[1]) <= 12 && atoi(m[2]) <= 12 && m[1] != m[2]
}

// numericOrder is the order a header date's numbers are in, as far as the
// client's language or labels tell it (clientmail.NumericDateOrders). English
// does not: there a 12-hour clock ("5:46 PM") points to en-US, month first,
// and a 24-hour one stays day first; both are still flagged by the caller.
func numericOrder(s, lang string, known clientmail.DateOrder) clientmail.DateOrder {
	if known != clientmail.OrderUnknown {
		return known
	}
	if o := clientmail.NumericDateOrder(lang); o != clientmail.OrderUnknown {
		return o
	}
	if lang == "" || lang == "en" {
		if reMeridiem.MatchString(strings.ToLower(s)) {
			return clientmail.MonthFirst
		}
	}
	return clientmail.OrderUnknown
}

var reMeridiem = regexp.MustCompile(`\d\s?(?:am|pm|a\.m\.|p\.m\.)(?:\W|$)`)

var (
	reISO     = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:t(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(z|[+-]\d{2}:?\d{2})?)?$`)
	reDMY     = regexp.MustCompile(`^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$`)
	reYMD     = regexp.MustCompile(`^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$`)
	reClock   = regexp.MustCompile(`^(\d{1,2}):(\d{2})(?::(\d{2}))?(am|pm)?$`)
	reZone    = regexp.MustCompile(`^(?:gmt|utc)?([+-])(\d{1,2})(?::?(\d{2}))?$`)
	reDay     = regexp.MustCompile(`^(\d{1,2})(?:st|nd|rd|th|er|\.)?$`)
	reYear    = regexp.MustCompile(`^(\d{4})$`)
	reHourAMP = regexp.MustCompile(`^(\d{1,2})(am|pm)$`)
)

// tokenizeDate splits folded text into date tokens.
func tokenizeDate(s string) []string {
	s = fold(s)
	s = strings.NewReplacer("a.m.", "am", "p.m.", "pm", "a. m.", "am", "p. m.", "pm").Replace(s)
	for _, pair := range [][2]string{
		{fold("كانون الثاني"), "january"}, {fold("كانون الأول"), "december"},
		{fold("تشرين الأول"), "october"}, {fold("تشرين الثاني"), "november"},
	} {
		s = strings.ReplaceAll(s, pair[0], pair[1])
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case ',', '(', ')', '[', ']', '"', '\'', '*', ';', '،':
			return ' '
		}
		return r
	}, s)
	toks := strings.Fields(s)
	if len(toks) > 40 {
		toks = toks[:40]
	}
	out := toks[:0]
	for _, t := range toks {
		if tt := strings.TrimRight(t, ".!?:"); tt != "" {
			t = tt
		}
		switch t {
		case "ص", "صباحا":
			t = "am"
		case "م", "مساء", "ظهرا":
			t = "pm"
		}
		// "5 pm" reads as one clock token.
		if (t == "am" || t == "pm") && len(out) > 0 && reHour.MatchString(out[len(out)-1]) {
			out[len(out)-1] += t
			continue
		}
		out = append(out, t)
	}
	return out
}

var reHour = regexp.MustCompile(`^\d{1,2}$`)

// readDate reads date parts from the start of s, skipping up to skipLead
// unknown words before the date and stopping at the first unknown word after
// it, so "Friday 24 Nov so that we can plan" reads as 24 November.
func readDate(s string, skipLead int) dateParts {
	var p dateParts
	for _, tok := range tokenizeDate(s) {
		if !p.take(tok) {
			if p.consumed > 0 {
				break
			}
			if skipLead--; skipLead < 0 {
				break
			}
		}
	}
	return p
}

// take records one token; false when it carries no date information.
func (p *dateParts) take(tok string) bool {
	if tok == "" {
		return false
	}
	if m := reISO.FindStringSubmatch(tok); m != nil && p.month == 0 {
		p.year, p.month, p.day = atoi(m[1]), atoi(m[2]), atoi(m[3])
		p.hasYear = true
		if m[4] != "" {
			p.hour, p.min, p.sec, p.hasTime = atoi(m[4]), atoi(m[5]), atoi(m[6]), true
		}
		if m[7] != "" {
			p.zone = parseOffset(m[7])
		}
		p.consumed++
		return true
	}
	if m := reYMD.FindStringSubmatch(tok); m != nil && p.month == 0 {
		p.year, p.month, p.day, p.hasYear = atoi(m[1]), atoi(m[2]), atoi(m[3]), true
		p.consumed++
		return true
	}
	if m := reDMY.FindStringSubmatch(tok); m != nil && p.month == 0 {
		a, b, y := atoi(m[1]), atoi(m[2]), atoi(m[3])
		if len(m[3]) == 2 {
			y += 2000
		}
		// Day first, as everywhere but the US; a second number above 12 can
		// only be a day.
		if b > 12 && a <= 12 {
			a, b = b, a
		}
		p.day, p.month, p.year, p.hasYear = a, b, y, true
		p.consumed++
		return true
	}
	if m := reClock.FindStringSubmatch(tok); m != nil && !p.hasTime {
		p.hour, p.min, p.sec, p.hasTime = atoi(m[1]), atoi(m[2]), atoi(m[3]), true
		if m[4] != "" {
			p.meridiem = m[4]
		}
		p.consumed++
		return true
	}
	if m := reHourAMP.FindStringSubmatch(tok); m != nil && !p.hasTime {
		p.hour, p.hasTime, p.meridiem = atoi(m[1]), true, m[2]
		p.consumed++
		return true
	}
	switch tok {
	case "am", "pm":
		p.meridiem = tok
		return p.consumed > 0
	}
	if m := reZone.FindStringSubmatch(tok); m != nil && p.consumed > 0 && p.zone == nil && (p.hasTime || strings.HasPrefix(tok, "gmt") || strings.HasPrefix(tok, "utc")) {
		p.zone = parseOffset(tok)
		p.hasTimeZone = p.zone != nil
		return p.zone != nil
	}
	if off, ok := zoneAbbrevs[tok]; ok && p.consumed > 0 && p.zone == nil {
		p.zone = time.FixedZone(strings.ToUpper(tok), off)
		p.hasTimeZone = true
		return true
	}
	if mo, ok := monthNames[tok]; ok && p.month == 0 {
		p.month = mo
		p.consumed++
		return true
	}
	if m := reYear.FindStringSubmatch(tok); m != nil && !p.hasYear {
		if y := atoi(m[1]); y >= 1970 && y <= 2200 {
			p.year, p.hasYear = y, true
			p.consumed++
			return true
		}
		return false
	}
	if m := reDay.FindStringSubmatch(tok); m != nil && p.day == 0 {
		if d := atoi(m[1]); d >= 1 && d <= 31 {
			p.day = d
			p.consumed++
			return true
		}
		return false
	}
	if weekdayNames[tok] {
		return true
	}
	if fillerWords[tok] {
		return true
	}
	return false
}

// parseOffset reads "+0200", "+02:00", "-5", "gmt+2", "utc+02:00", "z".
func parseOffset(s string) *time.Location {
	s = strings.ToLower(s)
	if s == "z" {
		return time.UTC
	}
	m := reZone.FindStringSubmatch(s)
	if m == nil {
		return nil
	}
	hh, mm := atoi(m[2]), atoi(m[3])
	if hh > 14 || mm > 59 {
		return nil
	}
	off := hh*3600 + mm*60
	if m[1] == "-" {
		off = -off
	}
	return time.FixedZone("", off)
}

// complete reports whether day and month were found (year may be inferred).
func (p dateParts) complete() bool { return p.day >= 1 && p.month >= 1 && p.month <= 12 }

// resolve turns parts into a time. A missing year is the one that puts the
// date nearest after now (an invitation's reply-by lies ahead); a missing
// zone is UTC; a missing time is midnight.
func (p dateParts) resolve(now time.Time) (time.Time, bool) {
	if !p.complete() {
		return time.Time{}, false
	}
	h := p.hour
	switch p.meridiem {
	case "pm":
		if h < 12 {
			h += 12
		}
	case "am":
		if h == 12 {
			h = 0
		}
	}
	if h > 23 || p.min > 59 || p.sec > 60 {
		return time.Time{}, false
	}
	loc := p.zone
	if loc == nil {
		loc = time.UTC
	}
	year := p.year
	if !p.hasYear {
		if now.IsZero() {
			return time.Time{}, false
		}
		year = now.Year()
		// Dates more than two months back are next year's ("RSVP by 5 Jan" in December).
		if time.Date(year, time.Month(p.month), p.day, 23, 59, 0, 0, loc).Before(now.AddDate(0, -2, 0)) {
			year++
		}
	}
	t := time.Date(year, time.Month(p.month), p.day, h, p.min, p.sec, 0, loc)
	if t.Day() != p.day || int(t.Month()) != p.month {
		return time.Time{}, false // 31 November and the like
	}
	return t, true
}

// parseDate reads a header or directive date such as "Tue, Nov 21, 2017 at
// 10:02 AM", "Tuesday, November 21, 2017 10:02 AM", "21 November 2017 at
// 10:02:33 GMT+2", "Tue, 21 Nov 2017 10:02:33 +0200" or "الثلاثاء، ٢١ نوفمبر
// ٢٠١٧ في ١٠:٠٢ ص".
func parseDate(s string, now time.Time) (time.Time, bool) {
	p := readDate(s, 0)
	return p.resolve(now)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
