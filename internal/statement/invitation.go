package statement

import (
	"regexp"
	"strings"
)

// Details are what an invitation says about its meeting, as the statement's
// opening repeats it: when and where the meeting is, and what it would focus
// on. Each is "" when the invitation does not say it plainly enough.
type Details struct {
	When, Where, Focus string
}

// maxDetail bounds each detail: past that it is a paragraph, not a detail.
const maxDetail = 300

var (
	enMonth = `(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?`
	arMonth = `(?:كانون الثاني|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين الأول|تشرين الثاني|كانون الأول|يناير|فبراير|مارس|أبريل|إبريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر)`
	day     = `[0-9٠-٩]{1,2}(?:st|nd|rd|th)?`
	year    = `[0-9٠-٩]{4}`
	upto    = `\s*(?:-|–|—|to|until|and|through|إلى|الى|حتى|و)\s*`
	// "15 December 2026 to 17 December 2026", "28-30 November 2026", "28–30 November"
	dayMonth = day + `(?:` + upto + day + `)?\s+(?:` + enMonth + `|` + arMonth + `)(?:,?\s+` + year + `)?`
	// "November 28-30, 2026", "November 28 to December 1"
	monthDay = enMonth + `\s+` + day + `(?:` + upto + `(?:` + enMonth + `\s+)?` + day + `)?(?:,?\s+` + year + `)?`
	dateRe   = regexp.MustCompile(`(?i)(?:` + dayMonth + `(?:` + upto + dayMonth + `)?|` + monthDay + `)`)

	// A sentence about the meeting itself, not the reply-by date.
	meetingRe = regexp.MustCompile(`(?i)\b(?:attend|held|hold|take place|takes place|convene|meetings?|sessions?|workshop|conference|consultations?|roundtable|hearing)\b|تعقد|تُعقد|ستعقد|ستُعقد|ينعقد|سينعقد|اجتماع|الاجتماعات|ورشة|مؤتمر|جلسة|حضور`)
	replyByRe = regexp.MustCompile(`(?i)\b(?:confirm|reply|respond|rsvp|register|registration|deadline|no later than)\b|تأكيد|الرد|التسجيل|موعد أقصاه`)

	placeRe   = regexp.MustCompile(`\b(?:in|at)\s+((?:(?:conference\s+)?room\s+[\p{Lu}\p{N}]+\s+(?:of|at)\s+)?(?:the\s+)?\p{Lu}[\p{L}'’.-]*(?:\s+(?:\p{Lu}[\p{L}'’.-]*|des|de|du|of|the|la|le))*(?:,\s*\p{Lu}[\p{L}'’.-]*)*(?:\s+(?:in|at)\s+\p{Lu}[\p{L}'’.-]*)?)`)
	arPlaceRe = regexp.MustCompile(`(?:تعقد|تُعقد|ستعقد|ستُعقد|ينعقد|سينعقد|تنعقد|ستنعقد)[^.،\n]*?\s(?:في|ب)\s*(?:مدينة\s+)?([\p{Arabic}]+)`)
	focusRe   = regexp.MustCompile(`(?i)\b(?:will|would|shall|is to|are to)\s+(?:focus|concentrate|centre|center)\s+on\s+([^.\n]+)|\bfocus(?:es|ing)?\s+on\s+([^.\n]+)|\b(?:will|would)\s+(?:address|discuss|cover|examine)\s+([^.\n]+)|\b(?:topics|agenda|themes)\s+(?:will\s+)?includes?\s+([^.\n]+)`)
	arFocusRe = regexp.MustCompile(`(?:ستركز|تركز|ستتركز|ستتناول|تتناول|ستناقش|تناقش|ستبحث)\s+(?:(?:الاجتماعات|اللقاءات|الجلسات|الاجتماع|الورشة)\s+)?(?:على\s+)?([^.؟!\n]+)`)
	labelRe   = regexp.MustCompile(`(?im)^\s*(date|dates|when|venue|location|place|where|topics?|focus|theme|التاريخ|الموعد|المكان|الموضوع|المواضيع|المحاور)\s*[:：]\s*(.+?)\s*$`)
)

var ampmRe = regexp.MustCompile(`(?i)\b([ap])\.m\.`)

var monthWords = regexp.MustCompile(`(?i)^(?:` + enMonth + `)$`)

// Describe finds the meeting's dates, place and focus in an invitation's text.
// Labelled lines ("Date: …", "Venue: …", "المكان: …") win; otherwise the first
// date and place in a sentence about the meeting (not the reply-by date),
// and what the invitation says the meeting will focus on.
func Describe(body string) Details {
	var d Details
	for _, m := range labelRe.FindAllStringSubmatch(body, -1) {
		v := clip(m[2])
		switch strings.ToLower(m[1]) {
		case "date", "dates", "when", "التاريخ", "الموعد":
			setOnce(&d.When, v)
		case "venue", "location", "place", "where", "المكان":
			setOnce(&d.Where, v)
		default:
			setOnce(&d.Focus, v)
		}
	}
	for _, s := range sentences(body) {
		if !meetingRe.MatchString(s) || replyByRe.MatchString(s) {
			continue
		}
		if d.When == "" {
			if m := dateRe.FindString(s); m != "" {
				d.When = clip(m)
			}
		}
		if d.Where == "" {
			d.Where = place(s)
		}
	}
	if d.Focus == "" {
		if m := focusRe.FindStringSubmatch(body); m != nil {
			for _, g := range m[1:] {
				setOnce(&d.Focus, clip(g))
			}
		} else if m := arFocusRe.FindStringSubmatch(body); m != nil {
			d.Focus = clip(m[1])
		}
	}
	return d
}

func place(s string) string {
	for _, m := range placeRe.FindAllStringSubmatch(s, -1) {
		p := strings.TrimRight(m[1], ".,")
		first := strings.Fields(strings.TrimPrefix(p, "the "))
		if len(first) == 0 || monthWords.MatchString(first[0]) || len(strings.Fields(p)) > 8 {
			continue
		}
		return clip(p)
	}
	if m := arPlaceRe.FindStringSubmatch(s); m != nil && !dateRe.MatchString(m[1]) {
		return clip(m[1])
	}
	return ""
}

// sentences cuts a text at sentence ends and paragraph breaks.
func sentences(body string) []string {
	var out []string
	body = ampmRe.ReplaceAllString(body, "${1}m") // "10.00 a.m. to 1.00 p.m." is one sentence
	for _, para := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		p := strings.Join(strings.Fields(para), " ")
		for p != "" {
			i := strings.IndexAny(p, ".!?؟")
			// A dot inside a number or an abbreviation ("No. 5", "U.N.") is not an end.
			for i >= 0 && i+1 < len(p) && p[i+1] != ' ' {
				j := strings.IndexAny(p[i+1:], ".!?؟")
				if j < 0 {
					i = -1
					break
				}
				i += 1 + j
			}
			if i < 0 {
				out = append(out, p)
				break
			}
			out = append(out, p[:i+1])
			p = strings.TrimSpace(p[i+1:])
		}
	}
	return out
}

func setOnce(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func clip(s string) string {
	s = strings.TrimSpace(strings.Join(strings.Fields(s), " "))
	s = strings.TrimRight(s, ".,;:،؛")
	if r := []rune(s); len(r) > maxDetail {
		s = string(r[:maxDetail]) + "…"
	}
	return s
}
