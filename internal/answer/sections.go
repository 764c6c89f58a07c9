package answer

import (
	"regexp"
	"strings"
)

// parsed holds what the line scan found.
type parsed struct {
	concerns, recommendations []string
	sign                      *bool
	inSection                 map[int]bool // lines that belong to a section or a sign line
}

// normLine folds a line for matching, keeping its punctuation.
func normLine(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r = normRune(r); r != -1 {
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// headingRest reports whether line n (normalised) starts with one of the
// phrases followed by a colon or nothing, and returns the text after the colon.
func headingRest(raw, n string, phrases []string) (bool, string) {
	n = strings.TrimLeft(n, "*_#> ") // markdown emphasis and headings: "**Concerns**"
	for _, p := range phrases {
		if !strings.HasPrefix(n, p) {
			continue
		}
		after := strings.TrimSpace(strings.TrimLeft(n[len(p):], "*_ "))
		if after == "" {
			return true, ""
		}
		if strings.HasPrefix(after, ":") || strings.HasPrefix(after, "：") || strings.HasPrefix(after, "-") || strings.HasPrefix(after, "–") {
			i := strings.IndexAny(raw, ":：")
			if i < 0 {
				return true, ""
			}
			return true, strings.TrimSpace(strings.Trim(raw[i+len(":"):], "*_ "))
		}
	}
	return false, ""
}

// itemRe matches a numbered or bulleted item (digits already folded to ASCII
// by normLine); group 1 is the marker.
var itemRe = regexp.MustCompile(`^(\(?\d{1,2}\s*[\).\-–:]|\d{1,2}\s+-|[-*•·▪◦–])\s*`)

// signOffRe ends a paragraph-mode section: the closing of the mail.
var signOffRe = regexp.MustCompile(`^(best|regards|kind regards|best regards|warm regards|many thanks|thanks|thank you|sincerely|cheers|مع التحيه|مع خالص التحيه|تحياتي|مع الشكر|شكرا|وتفضلوا)\b`)

func (r *Reader) sections(lines []string) parsed {
	p := parsed{inSection: map[int]bool{}}
	var cur *[]string
	numbered := false
	blank := false
	paraBuf := ""
	flushPara := func() {
		if cur != nil && strings.TrimSpace(paraBuf) != "" {
			*cur = append(*cur, strings.TrimSpace(paraBuf))
		}
		paraBuf = ""
	}
	end := func() {
		if !numbered {
			flushPara()
		}
		cur, numbered, blank, paraBuf = nil, false, false, ""
	}
	for i, raw := range lines {
		n := normLine(raw)
		if v, ok, explicit := r.signLine(n); ok {
			end()
			p.sign = &v
			if explicit { // a "Sign: yes" line says nothing else; a sentence may also state the position
				p.inSection[i] = true
			}
			continue
		}
		if ok, rest := headingRest(raw, n, r.v.concerns); ok {
			end()
			cur = &p.concerns
			p.inSection[i] = true
			if rest != "" {
				p.concerns = append(p.concerns, stripMarker(rest))
			}
			continue
		}
		if ok, rest := headingRest(raw, n, r.v.recommendations); ok {
			end()
			cur = &p.recommendations
			p.inSection[i] = true
			if rest != "" {
				p.recommendations = append(p.recommendations, stripMarker(rest))
			}
			continue
		}
		if cur == nil {
			continue
		}
		if n == "" {
			blank = true
			if !numbered {
				flushPara()
			}
			continue
		}
		isItem := itemRe.MatchString(n)
		switch {
		case isItem:
			if !numbered {
				flushPara()
			}
			numbered = true
			*cur = append(*cur, stripMarker(raw))
		case signOffRe.MatchString(strings.ToLower(n)):
			end()
			continue
		case numbered && blank:
			// A paragraph after a blank line that is not an item ends a list.
			end()
			continue
		case numbered && len(*cur) > 0:
			(*cur)[len(*cur)-1] += " " + strings.TrimSpace(raw)
		default:
			if paraBuf != "" {
				paraBuf += " "
			}
			paraBuf += strings.TrimSpace(raw)
		}
		blank = false
		p.inSection[i] = true
	}
	end()
	p.concerns = cleanItems(p.concerns)
	p.recommendations = cleanItems(p.recommendations)
	return p
}

// stripMarker removes a list marker (any digit system) from an item.
func stripMarker(s string) string {
	s = strings.TrimSpace(s)
	n := normLine(s)
	if loc := itemRe.FindStringIndex(n); loc != nil {
		// Count the runes of the marker in the normalised line and drop as many
		// runes (skipping dropped controls) from the original.
		want := len([]rune(n[:loc[1]]))
		rs := []rune(s)
		k := 0
		for k < len(rs) && want > 0 {
			if normRune(rs[k]) != -1 {
				want--
			}
			k++
		}
		s = string(rs[k:])
	}
	return strings.TrimSpace(s)
}

func cleanItems(items []string) []string {
	var out []string
	for _, it := range items {
		it = strings.Join(strings.Fields(it), " ")
		if it != "" && it != "..." && it != "…" {
			out = append(out, it)
		}
	}
	return out
}

// signLine reads "Sign: yes" / "التوقيع: نعم" and a few sentences such as
// "We will sign" / "لن نوقع".
func (r *Reader) signLine(n string) (value, ok, explicit bool) {
	if ok, rest := headingRest(n, n, r.v.sign); ok && rest != "" {
		ws := words(rest)
		if len(ws) == 0 {
			return false, false, false
		}
		for _, y := range r.v.yes {
			if findPhrase(ws, y, 0) == 0 {
				return true, true, true
			}
		}
		for _, no := range r.v.no {
			if findPhrase(ws, no, 0) == 0 {
				return false, true, true
			}
		}
		return false, false, false
	}
	ws := words(n)
	if len(ws) == 0 || len(ws) > 8 {
		return false, false, false
	}
	joined := " " + strings.Join(ws, " ") + " "
	for _, s := range []string{" will not sign ", " won't sign ", " do not sign ", " don't sign ", " not sign ", " لن نوقع ", " لا نوقع "} {
		if strings.Contains(joined, s) {
			return false, true, false
		}
	}
	for _, s := range []string{" we will sign ", " we sign ", " happy to sign ", " we'll sign ", " سنوقع ", " نوقع "} {
		if strings.Contains(joined, s) {
			return true, true, false
		}
	}
	return false, false, false
}
