package forward

import (
	"regexp"
	"strings"
	"time"
)

// replyByTriggers find the phrase that introduces a reply-by date, in folded
// text (lower case, Arabic without hamza forms or vowel marks).
var replyByTriggers = []*regexp.Regexp{
	regexp.MustCompile(`\br\.?s\.?v\.?p\.?(?:\s*(?:by|before|until|no later than|on or before|:))?`),
	regexp.MustCompile(`\b(?:no|not) later than\b`),
	regexp.MustCompile(`\b(?:confirm\w*|repl(?:y|ies)|respond|response|register\w*|registration|answer|let us know|inform us|notify us|acknowledge)\b[^.\n]{0,80}?\b(?:on or before|by|before|until|till)\b`),
	regexp.MustCompile(`\bdeadline\b[^.\n]{0,50}?(?:\bis\b|:|\bon\b|\bby\b)`),
	regexp.MustCompile(`(?:تاكيد|الرد|ردكم|الاجابه|الاجابة|التسجيل|ابلاغ|افادتنا|اعلامنا|موافاتنا)[^.\n]{0,80}?(?:في موعد اقصاه|موعد اقصاه|في موعد لا يتجاوز|لا يتجاوز|قبل|بحلول|حتي)`),
	regexp.MustCompile(`(?:في )?موعد (?:اقصاه|لا يتجاوز)`),
	regexp.MustCompile(`اخر موعد[^.\n]{0,40}?(?:هو|:|في)`),
}

// findReplyBy returns the first reply-by date the invitation text gives:
// "Please confirm your participation by 24 November 2017", "RSVP by Friday
// 24 Nov", "no later than 24/11/2017", "يرجى تأكيد المشاركة قبل ٢٤ نوفمبر".
// A date without a year takes the year that puts it after now (within two
// months back); a date without a time means the end of that day (UTC unless
// a zone is given).
func findReplyBy(body string, now time.Time) time.Time {
	text := fold(body)
	if len(text) > 256<<10 {
		text = text[:256<<10]
	}
	best := -1
	var when time.Time
	for _, re := range replyByTriggers {
		for _, loc := range re.FindAllStringIndex(text, 20) {
			if best >= 0 && loc[0] >= best {
				break
			}
			if t, ok := dateAfter(text[loc[1]:], now); ok {
				best, when = loc[0], t
				break
			}
		}
	}
	return when
}

// dateAfter reads a date at the start of s (a few words may come first:
// "by close of business on 24 November").
func dateAfter(s string, now time.Time) (time.Time, bool) {
	if len(s) > 120 {
		s = s[:120]
	}
	// A date may wrap onto the next line, but not past a paragraph or sentence.
	s = strings.NewReplacer("a.m.", "am", "p.m.", "pm").Replace(s)
	for _, end := range []string{"\n\n", ". ", ".\n", "!", "?", "؟"} {
		if i := strings.Index(s, end); i >= 0 {
			s = s[:i]
		}
	}
	p := readDate(s, 3)
	if !p.complete() {
		return time.Time{}, false
	}
	if !p.hasTime {
		p.hour, p.min = 23, 59
	}
	return p.resolve(now)
}
