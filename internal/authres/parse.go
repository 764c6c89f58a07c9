// Package authres reads Authentication-Results header fields (RFC 8601) into
// typed values and decides whether the coalition's own mail server vouched
// for a message's From: domain (see Check).
package authres

import (
	"errors"
	"fmt"
	"strings"
)

// Header is one parsed Authentication-Results field.
type Header struct {
	// AuthservID names the server that wrote the field, as written (compare
	// case-insensitively). Empty when the field starts with a result, as
	// Microsoft 365 writes it.
	AuthservID string
	Version    string   // the optional version after the authserv-id
	Results    []Result // empty for "authserv-id; none"
}

// Result is one "method=result" statement with its properties.
type Result struct {
	Method  string // lower case: dkim, spf, dmarc, arc, iprev, compauth, ...
	Version string // "1" in "dkim/1=pass"
	Value   string // lower case: pass, fail, none, softfail, temperror, ...
	Reason  string // reason= (or Microsoft's compauth reason code)
	Props   []Property
	Comment string // the comments after the result, joined with a space
}

// Property is "ptype.property=value", e.g. header.from=example.org; Type is
// empty for Microsoft's "action=none".
type Property struct {
	Type, Name, Value string
}

// Prop returns the value of the first property named key ("header.d"), or "".
func (r Result) Prop(key string) string {
	typ, name, ok := strings.Cut(strings.ToLower(key), ".")
	if !ok {
		typ, name = "", typ
	}
	for _, p := range r.Props {
		if p.Type == typ && p.Name == name {
			return p.Value
		}
	}
	return ""
}

// maxFieldLen bounds the work on one field: real ones are a few hundred bytes.
const maxFieldLen = 64 << 10

// Parse reads one Authentication-Results field value (without the field
// name), folded or not. It is lenient where real servers deviate from the
// grammar (no space after ";", Microsoft's missing authserv-id and stray
// "domain;" segments, properties without a ptype) and reports an error when
// the field cannot be read with confidence: empty, unbalanced quotes or
// comments, or a result without a method. On error the returned Header holds
// what was read, and must not be trusted.
func Parse(s string) (Header, error) {
	var h Header
	if len(s) > maxFieldLen {
		return h, fmt.Errorf("field of %d bytes is too long", len(s))
	}
	toks, err := lex(s)
	if err != nil {
		return h, err
	}
	segs := split(toks)
	if len(segs) == 0 || len(segs[0]) == 0 {
		return h, errors.New("empty field")
	}
	first := segs[0]
	if hasEquals(first) {
		// Microsoft 365: "spf=pass (sender IP is ...) smtp.mailfrom=...; ..."
	} else {
		if first[0].kind != tWord && first[0].kind != tQuoted {
			return h, errors.New("no authserv-id")
		}
		h.AuthservID = first[0].text
		rest := first[1:]
		if len(rest) > 0 && rest[0].kind == tWord {
			h.Version = rest[0].text
			rest = rest[1:]
		}
		for _, t := range rest {
			if t.kind != tComment {
				return h, fmt.Errorf("unexpected %q after the authserv-id", t.text)
			}
		}
		segs = segs[1:]
	}
	for _, seg := range segs {
		if !hasEquals(seg) {
			// "none" (no result), or Microsoft's stray "contoso.com;" segment.
			continue
		}
		r, err := parseResult(seg)
		if err != nil {
			return h, err
		}
		h.Results = append(h.Results, r)
	}
	return h, nil
}

// ByMethod returns the results of one method, in order.
func (h Header) ByMethod(method string) []Result {
	var out []Result
	for _, r := range h.Results {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

func parseResult(seg []token) (Result, error) {
	var r Result
	var comments []string
	seg = withoutComments(seg, &comments)
	if len(seg) < 3 || seg[0].kind != tWord || seg[1].kind != tEquals || (seg[2].kind != tWord && seg[2].kind != tQuoted) {
		return r, fmt.Errorf("result %q is not method=result", joinTokens(seg))
	}
	method, ver, _ := strings.Cut(seg[0].text, "/")
	r.Method, r.Version, r.Value = strings.ToLower(method), ver, strings.ToLower(seg[2].text)
	if r.Method == "" {
		return r, errors.New("result without a method")
	}
	rest := seg[3:]
	for len(rest) > 0 {
		if len(rest) < 3 || rest[0].kind != tWord || rest[1].kind != tEquals || (rest[2].kind != tWord && rest[2].kind != tQuoted) {
			// A word without "=value" (seen in hand-made headers): skip it
			// rather than reject a field a real server wrote.
			rest = rest[1:]
			continue
		}
		key := strings.ToLower(rest[0].text)
		val := rest[2].text
		rest = rest[3:]
		if key == "reason" {
			r.Reason = val
			continue
		}
		typ, name, ok := strings.Cut(key, ".")
		if !ok {
			typ, name = "", key
		}
		r.Props = append(r.Props, Property{Type: typ, Name: name, Value: val})
	}
	r.Comment = strings.Join(comments, " ")
	return r, nil
}

type tokKind int

const (
	tWord tokKind = iota
	tQuoted
	tComment
	tEquals
	tSemi
)

type token struct {
	kind tokKind
	text string
}

// lex splits a field into words, quoted strings (unquoted), comments (their
// text), "=" and ";". CR and LF of folded lines are white space.
func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == ';':
			out = append(out, token{tSemi, ";"})
			i++
		case c == '=':
			out = append(out, token{tEquals, "="})
			i++
		case c == '"':
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return out, errors.New("unterminated quoted string")
			}
			out = append(out, token{tQuoted, b.String()})
		case c == '(':
			var b strings.Builder
			depth := 0
			for i < len(s) {
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '(' {
					depth++
					if depth > 1 {
						b.WriteByte('(')
					}
				} else if s[i] == ')' {
					depth--
					if depth == 0 {
						i++
						break
					}
					b.WriteByte(')')
				} else {
					b.WriteByte(s[i])
				}
				i++
			}
			if depth != 0 {
				return out, errors.New("unterminated comment")
			}
			out = append(out, token{tComment, strings.Join(strings.Fields(b.String()), " ")})
		case c == ')':
			return out, errors.New("unbalanced \")\"")
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n;=\"()", rune(s[j])) {
				j++
			}
			out = append(out, token{tWord, s[i:j]})
			i = j
		}
	}
	return out, nil
}

// split cuts the tokens at ";".
func split(toks []token) [][]token {
	var segs [][]token
	cur := []token{}
	for _, t := range toks {
		if t.kind == tSemi {
			segs = append(segs, cur)
			cur = []token{}
			continue
		}
		cur = append(cur, t)
	}
	return append(segs, cur)
}

func hasEquals(seg []token) bool {
	for _, t := range seg {
		if t.kind == tEquals {
			return true
		}
	}
	return false
}

func withoutComments(seg []token, comments *[]string) []token {
	out := make([]token, 0, len(seg))
	for _, t := range seg {
		if t.kind == tComment {
			if comments != nil && t.text != "" {
				*comments = append(*comments, t.text)
			}
			continue
		}
		out = append(out, t)
	}
	return out
}

func joinTokens(seg []token) string {
	var parts []string
	for _, t := range seg {
		parts = append(parts, t.text)
	}
	s := strings.Join(parts, " ")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
