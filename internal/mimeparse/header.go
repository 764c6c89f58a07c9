package mimeparse

import (
	"bytes"
	"encoding/base64"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// encodedWord matches one RFC 2047 encoded-word. Adjacent words without
// whitespace between them are matched too (common in the wild).
var encodedWord = regexp.MustCompile(`=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=`)

// decodeHeader decodes RFC 2047 encoded-words in any charset the charset
// tables know, leniently: words may touch, a multibyte character may be split
// across words, and raw 8-bit bytes are repaired. It never fails; what cannot
// be decoded is kept as sent.
func decodeHeader(s string) string {
	if !strings.Contains(s, "=?") {
		return fixText(s)
	}
	locs := encodedWord.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return fixText(s)
	}
	var out strings.Builder
	var pendCharset string
	var pend []byte
	flush := func() {
		if pend != nil {
			out.WriteString(decodeCharset(pendCharset, pend))
			pend, pendCharset = nil, ""
		}
	}
	prev := 0
	for _, l := range locs {
		between := s[prev:l[0]]
		// Whitespace between two encoded-words is not displayed (RFC 2047 §6.2).
		if !(pend != nil && strings.TrimSpace(between) == "") {
			flush()
			out.WriteString(fixText(between))
		}
		cs := strings.ToLower(s[l[2]:l[3]])
		if i := strings.IndexByte(cs, '*'); i >= 0 { // RFC 2231 language suffix
			cs = cs[:i]
		}
		enc := s[l[4]:l[5]]
		text := s[l[6]:l[7]]
		b, ok := decodeWord(enc, text)
		if !ok {
			flush()
			out.WriteString(fixText(s[l[0]:l[1]]))
			prev = l[1]
			continue
		}
		if pend != nil && cs != pendCharset {
			flush()
		}
		pendCharset = cs
		pend = append(pend, b...)
		if pend == nil {
			pend = []byte{}
		}
		prev = l[1]
	}
	flush()
	out.WriteString(fixText(s[prev:]))
	return out.String()
}

func decodeWord(enc, text string) ([]byte, bool) {
	switch enc {
	case "B", "b":
		t := strings.TrimRight(text, "=")
		b, err := base64.RawStdEncoding.DecodeString(t)
		if err != nil {
			// Keep what decodes: some senders pad or cut words badly.
			b, err = base64.RawStdEncoding.DecodeString(t[:len(t)/4*4])
			if err != nil {
				return nil, false
			}
		}
		return b, true
	default:
		var buf bytes.Buffer
		for i := 0; i < len(text); i++ {
			c := text[i]
			switch {
			case c == '_':
				buf.WriteByte(' ')
			case c == '=' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
				buf.WriteByte(unhex(text[i+1])<<4 | unhex(text[i+2]))
				i += 2
			default:
				buf.WriteByte(c)
			}
		}
		return buf.Bytes(), true
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// fixText returns s as valid UTF-8, guessing a legacy charset for raw 8-bit
// bytes instead of keeping mojibake.
func fixText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return guessDecode([]byte(s))
}

// wordDecoder lets net/mail decode display names with our charset tables.
var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

var (
	angleAddr = regexp.MustCompile(`<\s*([^<>\s]+@[^<>\s]+?)\s*(?:>|$)`)
	bareAddr  = regexp.MustCompile(`[^\s<>"(),;:\[\]]+@[^\s<>"(),;:\[\]]+`)
)

// parseAddressList parses an address header leniently: the standard parser
// first, then element by element, then a regex for addr-specs. ok is false
// when the value held something that could not be read as a mailbox.
func parseAddressList(v string) (list []Address, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, true
	}
	p := mail.AddressParser{WordDecoder: wordDecoder}
	if as, err := p.ParseList(v); err == nil {
		for _, a := range as {
			list = append(list, newAddress(a.Name, a.Address))
		}
		return list, true
	}
	ok = true
	var carry string // a part with no @ is a display name cut by an unquoted comma
	for _, el := range splitAddressList(v) {
		el = strings.TrimSpace(el)
		if el == "" {
			continue
		}
		if carry != "" {
			el = carry + ", " + el
			carry = ""
		}
		if !strings.Contains(el, "@") {
			carry = el
			continue
		}
		if a, err := p.Parse(el); err == nil {
			list = append(list, newAddress(a.Name, a.Address))
			continue
		}
		ok = false
		if m := angleAddr.FindStringSubmatchIndex(el); m != nil {
			name := cleanName(el[:m[0]])
			list = append(list, newAddress(name, el[m[2]:m[3]]))
			continue
		}
		for _, a := range bareAddr.FindAllString(el, -1) {
			list = append(list, newAddress("", a))
		}
	}
	if carry != "" {
		ok = false
	}
	return list, ok
}

// splitAddressList splits on commas (and semicolons) outside quotes, angle
// brackets and comments.
func splitAddressList(v string) []string {
	var parts []string
	depthAngle, depthParen, quoted, start := 0, 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depthAngle++
		case c == '>' && depthAngle > 0:
			depthAngle--
		case c == '(':
			depthParen++
		case c == ')' && depthParen > 0:
			depthParen--
		case (c == ',' || c == ';') && depthAngle == 0 && depthParen == 0:
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

func cleanName(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, `"`)
	s = strings.ReplaceAll(s, `\"`, `"`)
	return strings.TrimSpace(decodeHeader(s))
}

func newAddress(name, addr string) Address {
	addr = strings.TrimSpace(addr)
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		addr = addr[:i] + strings.ToLower(addr[i:])
	}
	return Address{Name: fixText(strings.TrimSpace(name)), Address: fixText(addr)}
}

var msgIDRe = regexp.MustCompile(`<([^<>\s]+)>`)

// parseMsgIDs returns the ids in a Message-ID / In-Reply-To / References
// value, without <>. Ids without brackets are accepted when nothing else is.
func parseMsgIDs(v string) []string {
	var ids []string
	for _, m := range msgIDRe.FindAllStringSubmatch(v, -1) {
		ids = append(ids, m[1])
	}
	if len(ids) == 0 {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
			if strings.Contains(f, "@") {
				ids = append(ids, strings.Trim(f, "<>"))
			}
		}
	}
	return ids
}

var (
	dateComment = regexp.MustCompile(`\([^()]*\)`)
	colonZone   = regexp.MustCompile(`([+-]\d\d):(\d\d)\s*$`)
	dateSpaces  = regexp.MustCompile(`\s+`)
	longNames   = strings.NewReplacer(
		"Monday", "Mon", "Tuesday", "Tue", "Wednesday", "Wed", "Thursday", "Thu",
		"Friday", "Fri", "Saturday", "Sat", "Sunday", "Sun",
		"January", "Jan", "February", "Feb", "March", "Mar", "April", "Apr",
		"June", "Jun", "July", "Jul", "August", "Aug", "September", "Sep",
		"October", "Oct", "November", "Nov", "December", "Dec", "Sept", "Sep",
	)
	dateLayouts = []string{
		"Mon, 2 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 2006 15:04 -0700",
		"2 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 2006 15:04:05 MST",
		"Mon, 2 Jan 2006 15:04:05",
		"2 Jan 2006 15:04:05",
		"Mon, Jan 2 2006 15:04:05 -0700",
		"Mon, Jan 2, 2006 15:04:05 -0700",
		"Mon, Jan 2, 2006 3:04:05 PM -0700",
		"Mon, Jan 2, 2006 3:04 PM -0700",
		"Mon Jan 2 15:04:05 2006",
		"Mon Jan 2 15:04:05 MST 2006",
		"Mon Jan 2 15:04:05 -0700 2006",
		"2006-01-02T15:04:05Z07:00",
		"2006-01-02 15:04:05 -0700",
		"2006-01-02 15:04:05",
		"Mon, 2 Jan 2006 3:04:05 PM -0700",
		"Mon, 2 Jan 2006 3:04 PM -0700",
	}
)

// parseDate parses a Date header, accepting shapes net/mail rejects (full
// day and month names, "+03:00" zones, missing commas, asctime).
func parseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	s := dateComment.ReplaceAllString(v, " ")
	s = longNames.Replace(s)
	s = colonZone.ReplaceAllString(strings.TrimSpace(s), "$1$2")
	s = strings.ReplaceAll(s, ",", ", ")
	s = strings.TrimSpace(dateSpaces.ReplaceAllString(s, " "))
	s = strings.Replace(s, " ,", ",", -1)
	if t, err := mail.ParseDate(s); err == nil {
		return t, true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
		// Without the weekday (some senders write it wrong or in another language).
		if i := strings.Index(s, ", "); i > 0 && i < 12 {
			if t, err := time.Parse(strings.TrimPrefix(l, "Mon, "), s[i+2:]); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

var paramRe = regexp.MustCompile(`(?i)([a-z0-9!#$%&'*+.^_` + "`" + `{|}~-]+)\s*=\s*("((?:[^"\\]|\\.)*)("|$)|[^;]*)`)

// parseMediaType parses a Content-Type or Content-Disposition value. When
// mime.ParseMediaType rejects it (duplicate or malformed parameters, missing
// quotes), the parameters are pulled out one by one; strict reports whether
// the standard parser accepted it. Parameter values are RFC 2047-decoded.
func parseMediaType(v string) (typ string, params map[string]string, strict bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", map[string]string{}, true
	}
	t, p, err := mime.ParseMediaType(v)
	if err == nil {
		for k, val := range p {
			p[k] = decodeHeader(val)
		}
		if strings.Contains(v, "*=") {
			// mime drops RFC 2231 values in charsets other than UTF-8 and
			// US-ASCII (windows-1256 file names): recover them leniently.
			_, lp, _ := parseMediaTypeLenient(v)
			for k, val := range lp {
				if _, have := p[k]; !have && !strings.Contains(k, "*") {
					p[k] = val
				}
			}
		}
		return t, p, true
	}
	return parseMediaTypeLenient(v)
}

func parseMediaTypeLenient(v string) (typ string, params map[string]string, strict bool) {
	typ = v
	rest := ""
	if i := strings.IndexByte(v, ';'); i >= 0 {
		typ, rest = v[:i], v[i+1:]
	}
	typ = strings.ToLower(strings.TrimSpace(typ))
	if f := strings.Fields(typ); len(f) > 0 {
		typ = f[0]
	}
	typ = strings.Trim(typ, `"'`)
	params = map[string]string{}
	for _, m := range paramRe.FindAllStringSubmatch(rest, -1) {
		k := strings.ToLower(m[1])
		val := strings.TrimSpace(m[2])
		if strings.HasPrefix(val, `"`) {
			val = strings.ReplaceAll(m[3], `\"`, `"`)
		}
		if _, dup := params[k]; dup || val == "" {
			continue // first non-empty value wins
		}
		params[k] = decodeHeader(val)
	}
	joinContinuations(params)
	// RFC 2231 parameters (name*=utf-8''..., name*0*=...) when the standard
	// parser failed on something else.
	for k, val := range params {
		if strings.HasSuffix(k, "*") {
			base := strings.TrimSuffix(k, "*")
			if _, have := params[base]; !have || params[base] == "" {
				if d, ok := decode2231(val); ok {
					params[base] = d
				}
			}
		}
	}
	return typ, params, false
}

func decode2231(v string) (string, bool) {
	parts := strings.SplitN(v, "'", 3)
	if len(parts) != 3 {
		return "", false
	}
	var buf []byte
	s := parts[2]
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			buf = append(buf, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		buf = append(buf, s[i])
	}
	return decodeCharset(strings.ToLower(parts[0]), buf), true
}

// joinContinuations joins RFC 2231 continuations (name*0*=, name*1=, ...)
// into name* (encoded) or name (plain).
func joinContinuations(params map[string]string) {
	type seg struct {
		val     string
		encoded bool
	}
	groups := map[string][]seg{}
	for k, v := range params {
		i := strings.Index(k, "*")
		if i < 0 || i == len(k)-1 {
			continue
		}
		rest := strings.TrimSuffix(k[i+1:], "*")
		n := 0
		for _, c := range rest {
			if c < '0' || c > '9' {
				n = -1
				break
			}
			n = n*10 + int(c-'0')
		}
		if n < 0 || n > 100 {
			continue
		}
		base := k[:i]
		g := groups[base]
		for len(g) <= n {
			g = append(g, seg{})
		}
		g[n] = seg{v, strings.HasSuffix(k, "*") && strings.Count(k, "*") == 2}
		groups[base] = g
	}
	for base, g := range groups {
		var b strings.Builder
		enc := len(g) > 0 && g[0].encoded
		for _, sg := range g {
			b.WriteString(sg.val)
		}
		if enc {
			params[base+"*"] = b.String()
		} else if _, have := params[base]; !have {
			params[base] = b.String()
		}
	}
}
