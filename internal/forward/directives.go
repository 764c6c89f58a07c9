package forward

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"consultd/internal/lang"
)

// directiveKeys maps folded directive names (English, Arabic, French) to canonical ones.
var directiveKeys = map[string]string{}

func init() {
	for canon, names := range map[string][]string{
		"deadline": {"deadline", "الموعد النهائي", "موعد نهائي", "الموعد الأخير", "date limite", "échéance"},
		"inviter":  {"inviter", "الداعي", "الجهة الداعية", "invitant", "organisateur"},
		"title":    {"title", "العنوان", "titre"},
		"language": {"language", "lang", "اللغة", "langue"},
	} {
		for _, n := range names {
			directiveKeys[fold(n)] = canon
		}
	}
}

var reDirective = regexp.MustCompile(`^[*_]{0,2}([^:*_：]{1,30}?)[*_]{0,2}\s*[:：][*_]{0,2}\s*(.*?)\s*$`)

// readDirectives takes the directive lines out of the coordinator's text and
// returns them with the remaining text (the note).
func readDirectives(text string) (Directives, string) {
	var d Directives
	var note []string
	for n, line := range splitLines(text) {
		key, val, ok := directiveLine(line)
		if !ok {
			note = append(note, line)
			continue
		}
		if err := d.set(key, val); err != "" {
			d.Errors = append(d.Errors, fmt.Sprintf("line %d %q: %s", n+1, strings.TrimSpace(stripBidi(line)), err))
		}
	}
	return d, collapseBlankLines(strings.Join(note, "\n"))
}

// collapseBlankLines trims the text and keeps at most one blank line in a
// row, so removed directive lines leave no gaps.
func collapseBlankLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	out := lines[:0]
	for i, l := range lines {
		if strings.TrimSpace(l) == "" && i > 0 && strings.TrimSpace(lines[i-1]) == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// directiveLine recognises "Key: value" for a directive key.
func directiveLine(line string) (key, value string, ok bool) {
	m := reDirective.FindStringSubmatch(strings.TrimSpace(stripBidi(line)))
	if m == nil {
		return "", "", false
	}
	key, ok = directiveKeys[fold(strings.TrimSpace(m[1]))]
	return key, strings.TrimSpace(strings.Trim(m[2], "*_")), ok
}

// set applies one directive; it returns a message for the coordinator when
// the value cannot be read.
func (d *Directives) set(key, val string) string {
	if val == "" {
		return "empty value"
	}
	switch key {
	case "deadline":
		t, err := parseDeadline(val)
		if err != "" {
			return err
		}
		d.Deadline = t
	case "inviter":
		a, ok := parseAddress(val)
		if !ok || a.Address == "" {
			return "cannot read an e-mail address; write it like Inviter: Name <office@envoy.example>"
		}
		d.Inviter = &a
	case "title":
		d.Title = cleanValue(val)
	case "language":
		code, ok := languageCode(val)
		if !ok {
			return "unknown language; write " + strings.Join(lang.Builtin().Codes(), ", ") + " or a language code"
		}
		d.Language = code
	}
	return ""
}

// ParseDeadline reads a deadline the way the Deadline directive does:
// "2026-12-02 18:00 +02:00", "2026-12-02 18:00" (UTC), "2026-12-02T18:00:00+02:00",
// "2 December 2026 18:00 +0200", Arabic month names and Arabic-Indic digits.
// A date with no time means 23:59 that day. Commands such as EXTEND can use it.
func ParseDeadline(s string) (time.Time, error) {
	t, msg := parseDeadline(s)
	if msg != "" {
		return time.Time{}, fmt.Errorf("deadline %q: %s", strings.TrimSpace(s), msg)
	}
	return t, nil
}

// parseDeadline reads a directive deadline. It needs a full date with a year;
// no time means the end of that day, no zone means UTC.
func parseDeadline(val string) (time.Time, string) {
	p := readDate(val, 0)
	if !p.complete() || !p.hasYear {
		return time.Time{}, "cannot read the date; write it like 2026-12-02 18:00 +02:00"
	}
	if !p.hasTime {
		p.hour, p.min = 23, 59
	}
	t, ok := p.resolve(time.Time{})
	if !ok {
		return time.Time{}, "no such date or time; write it like 2026-12-02 18:00 +02:00"
	}
	return t, ""
}

// languageCode accepts the codes and names of the built-in languages
// (package lang) as coordinators write them, and anything shaped like a
// language code ("pt", "pt-br"): whether consultd has templates for it (a
// language added in templates_dir) is for package round to say.
func languageCode(v string) (string, bool) {
	if l, ok := lang.Builtin().Lookup(v, fold); ok {
		return l.Code, true
	}
	if c := strings.ToLower(strings.TrimSpace(v)); codeShape.MatchString(c) {
		return c, true
	}
	return "", false
}

var codeShape = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})?$`)
