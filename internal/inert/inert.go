// Package inert makes text that members, inviters and coordinators wrote
// safe to put in what consultd produces: plain-text mail, header fields and
// Markdown for the coalition's website (HTML output escapes with
// html.EscapeString after Text). Each output format has one function here,
// called at the one place that format is written, so that nothing a member
// wrote can become a header, a link, an image, markup or a spoofed line
// order.
package inert

import (
	"mime"
	"regexp"
	"strings"
	"unicode"

	"github.com/emersion/go-message/charset"
)

// Text is s as plain text for a mail body or a page: line breaks are "\n",
// invalid UTF-8 becomes U+FFFD, and control characters other than newline
// and tab are removed, as are the bidi embedding, override and isolate
// controls (U+202A–U+202E, U+2066–U+2069) that can make text display in an
// order other than the one it was written in ("Trojan Source"). The bidi
// marks LRM, RLM and ALM and the joiners ZWJ/ZWNJ stay: Arabic text needs
// them and they cannot reorder anything beyond one character.
func Text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == '\r' || r == '\u2028' || r == '\u2029' || r == '\u0085' || r == '\v' || r == '\f':
			b.WriteByte('\n')
		case unicode.IsControl(r) || isBidiControl(r) || r == '\uFEFF':
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') || (r >= '\u206A' && r <= '\u206F')
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// encodedWord is an RFC 2047 encoded word, which a mail client decodes when
// it displays a header.
var encodedWord = regexp.MustCompile(`=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=`)

// Header is s as one header value: encoded words (RFC 2047) are decoded
// first, several times if they were nested, so that what they hide is
// checked too (=?utf-8?q?x=0D=0ABcc:...?= would otherwise reach a reader as a
// line break); then Text, then every line break and space run becomes one
// space. An encoded word that cannot be decoded is broken up, so that no
// client decodes what was not checked. The MIME writer encodes the result
// again where it is not ASCII.
func Header(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for range 4 {
		if !encodedWord.MatchString(s) {
			break
		}
		d, err := wordDecoder.DecodeHeader(s)
		if err != nil || d == s {
			break
		}
		s = strings.ToValidUTF8(d, "\uFFFD")
	}
	s = encodedWord.ReplaceAllStringFunc(s, func(w string) string { return "= " + w[1:] })
	s = Text(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

// Markdown writes plain text as Markdown that renders as that same text in
// CommonMark/GFM (marked, goldmark/Hugo) and kramdown (Jekyll): every
// character that can start markup is escaped, so nothing becomes a link, an
// image, HTML, an entity, emphasis, code, a table, a heading or a list.
// Paragraphs stay paragraphs and each line break is kept as a hard break
// (two trailing spaces). Indentation is dropped: four spaces would make a
// code block.
func Markdown(text string) string {
	var out []string
	blank := true
	for _, l := range strings.Split(Text(text), "\n") {
		l = strings.Trim(l, " \t")
		if l == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		if !blank {
			out[len(out)-1] += "  "
		}
		out = append(out, MarkdownLine(l))
		blank = false
	}
	if len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n")
}

// MarkdownLine escapes one line of plain text (no line breaks) for Markdown,
// e.g. for a heading's text after "# ".
func MarkdownLine(l string) string {
	l = strings.Trim(strings.ReplaceAll(Text(l), "\n", " "), " \t")
	// "12." or "12)" at the start is an ordered list marker.
	num := 0
	for num < len(l) && l[num] >= '0' && l[num] <= '9' {
		num++
	}
	var b strings.Builder
	b.Grow(len(l) + len(l)/4)
	for i, r := range l {
		switch {
		// Entities, not backslashes: kramdown does not honour every escape,
		// and a character reference is never markup in any of them.
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '~':
			b.WriteString("&#126;")
		case r == '^':
			b.WriteString("&#94;")
		// ASCII punctuation every one of them unescapes: links, images,
		// emphasis, code, tables, headings, scheme colons of autolinks
		// (ftp://), kramdown's {: attributes} and $$ math.
		case strings.ContainsRune("\\`*_{}[]()#!|$:", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		// Block markers count only at the start of a line: bullets, setext
		// underlines and thematic breaks, ordered list numbers.
		case i == 0 && strings.ContainsRune("-+=", r), i == num && num > 0 && r == '.':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
