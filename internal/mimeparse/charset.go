package mimeparse

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/charmap"
)

// charsetReader adapts go-message's charset tables for mime.WordDecoder.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	return charset.Reader(normCharset(label), r)
}

// charsetAliases maps misspelled or unofficial labels seen in real mail.
var charsetAliases = map[string]string{
	"uft-8":          "utf-8",
	"utf8":           "utf-8",
	"utf-8\"":        "utf-8",
	"cp-1256":        "windows-1256",
	"win-1256":       "windows-1256",
	"cp-1252":        "windows-1252",
	"latin-1":        "iso-8859-1",
	"ascii":          "us-ascii",
	"x-unknown":      "",
	"unknown-8bit":   "",
	"default":        "",
	"x-user-defined": "",
}

func normCharset(label string) string {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	if a, ok := charsetAliases[l]; ok {
		return a
	}
	return l
}

// decodeCharset converts b from the named charset to valid UTF-8. Unknown or
// missing charsets, and bytes that do not fit the declared one, fall back to
// a guess rather than keeping mojibake.
func decodeCharset(label string, b []byte) string {
	cs := normCharset(label)
	switch cs {
	case "", "utf-8", "us-ascii", "ansi_x3.4-1968", "iso-646-us":
		if utf8.Valid(b) {
			return string(b)
		}
		return guessDecode(b)
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil {
		if utf8.Valid(b) {
			return string(b)
		}
		return guessDecode(b)
	}
	out, err := io.ReadAll(r)
	if err != nil && len(out) == 0 {
		return guessDecode(b)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// guessDecode decodes bytes that are not valid UTF-8. Arabic-looking text
// (many bytes in windows-1256's letter range) is read as windows-1256,
// anything else as windows-1252.
func guessDecode(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	enc := charmap.Windows1252
	if looksArabic(b) {
		enc = charmap.Windows1256
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

// looksArabic reports whether the high bytes are mostly in windows-1256's
// Arabic letter range (0xC1-0xDF minus the few Latin letters there, plus
// 0xE1, 0xE3-0xE6, 0xEC-0xED) and words are made of runs of them, which
// Latin-1 text almost never does.
func looksArabic(b []byte) bool {
	high, arabic, runs := 0, 0, 0
	prevArabic := false
	for _, c := range b {
		if c < 0x80 {
			prevArabic = false
			continue
		}
		high++
		isAr := (c >= 0xC1 && c <= 0xDF && c != 0xD7) || c == 0xE1 || (c >= 0xE3 && c <= 0xE6) || c == 0xEC || c == 0xED
		if isAr {
			arabic++
			if prevArabic {
				runs++
			}
		}
		prevArabic = isAr
	}
	return high > 0 && arabic*10 >= high*8 && runs*2 >= arabic
}
