package forward

import (
	"strings"
	"unicode/utf8"
)

// Bounds on the work done for one message: forwards of interest are far smaller.
const (
	maxTextBytes = 2 << 20 // text examined per message
	maxLines     = 40000   // lines examined per message
)

// isBidi reports Unicode bidirectional formatting characters, which Gmail and
// Outlook put around names and dates in right-to-left UIs, plus zero-width
// characters that carry nothing a reader would see.
func isBidi(r rune) bool {
	switch {
	case r == '\u200e', r == '\u200f', r == '\u061c':
		return true
	case r >= '\u202a' && r <= '\u202e':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	case r == '\u200b', r == '\ufeff':
		return true
	}
	return false
}

// stripBidi removes bidi and zero-width characters.
func stripBidi(s string) string {
	if !strings.ContainsFunc(s, isBidi) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBidi(r) {
			return -1
		}
		return r
	}, s)
}

// asciiDigits maps Arabic-Indic (٠-٩) and Eastern Arabic (۰-۹) digits to 0-9,
// and the Arabic comma, semicolon and percent-free separators to ASCII.
func asciiDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		case r == '،':
			return ','
		case r == '؛':
			return ';'
		case r == '\u066b': // Arabic decimal separator
			return '.'
		case r == '\u066c': // Arabic thousands separator
			return ','
		case r == '\u00a0', r == '\u202f', r == '\u2009':
			return ' '
		}
		return r
	}, s)
}

// fold prepares text for matching keys and phrases: no bidi marks, ASCII
// digits, lower case, Arabic written without vowel marks or tatweel and with
// one form of alef and yeh, so "المُعاد" matches "المعاد" and "إلى" matches "الى".
func fold(s string) string {
	s = asciiDigits(stripBidi(s))
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '\u064b' && r <= '\u065f', r == '\u0670', r == '\u0640':
			return -1
		case r == 'أ', r == 'إ', r == 'آ', r == 'ٱ':
			return 'ا'
		case r == 'ى':
			return 'ي'
		}
		return r
	}, s)
}

// cleanValue tidies an extracted header value or directive for display.
func cleanValue(s string) string {
	s = stripBidi(s)
	s = strings.Map(func(r rune) rune {
		if r == '\u00a0' || r == '\t' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// splitLines normalises CRLF and CR to LF and splits, within the work bounds.
func splitLines(text string) []string {
	if len(text) > maxTextBytes {
		cut := maxTextBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	if len(lines) > maxLines {
		lines = lines[:maxLines]
	}
	return lines
}
