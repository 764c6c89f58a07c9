// Package render turns consultd's templates (text/template files with a
// "subject" and a "body" block) into mail texts, in the recipient's language.
// Member-written text is always data passed to the template, never template
// code, so it cannot change the template or inject headers.
package render

import (
	"bytes"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"consultd/templates"
)

// Languages with built-in templates.
var Languages = []string{"en", "ar"}

// Renderer holds the parsed templates of every language.
type Renderer struct {
	sets map[string]map[string]*template.Template // lang -> name -> template
}

// New parses the built-in templates, with files under overrideDir/LANG/NAME.tmpl
// (when overrideDir is not empty) replacing the built-in ones of the same name.
func New(overrideDir string) (*Renderer, error) {
	r := &Renderer{sets: map[string]map[string]*template.Template{}}
	for _, lang := range Languages {
		r.sets[lang] = map[string]*template.Template{}
		entries, err := fs.ReadDir(templates.FS, lang)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := strings.TrimSuffix(e.Name(), ".tmpl")
			src, err := fs.ReadFile(templates.FS, path.Join(lang, e.Name()))
			if err != nil {
				return nil, err
			}
			origin := "built-in " + lang + "/" + e.Name()
			if overrideDir != "" {
				p := filepath.Join(overrideDir, lang, e.Name())
				if b, err := os.ReadFile(p); err == nil {
					src, origin = b, p
				}
			}
			t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(string(src))
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", origin, err)
			}
			r.sets[lang][name] = t
		}
	}
	return r, nil
}

// Text renders template name in lang (English when lang has no such template)
// and returns its subject and body.
func (r *Renderer) Text(lang, name string, data any) (subject, body string, err error) {
	t := r.sets[lang][name]
	if t == nil {
		t = r.sets["en"][name]
	}
	if t == nil {
		return "", "", fmt.Errorf("no template %q", name)
	}
	var sb, bb bytes.Buffer
	if t.Lookup("subject") != nil {
		if err := t.ExecuteTemplate(&sb, "subject", data); err != nil {
			return "", "", fmt.Errorf("template %s/%s subject: %w", lang, name, err)
		}
	}
	if err := t.ExecuteTemplate(&bb, "body", data); err != nil {
		return "", "", fmt.Errorf("template %s/%s body: %w", lang, name, err)
	}
	return oneLine(sb.String()), tidy(bb.String()), nil
}

// HTML wraps a plain text in a minimal HTML document so that Arabic is laid out
// right-to-left in every client; the text is escaped, never interpreted.
func HTML(lang, text string) string {
	dir := "ltr"
	if lang == "ar" {
		dir = "rtl"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\"><head><meta charset=\"utf-8\"></head>\n<body dir=\"%s\" style=\"font-family: sans-serif; white-space: pre-wrap;\">", lang, dir, dir)
	for _, para := range strings.Split(text, "\n\n") {
		fmt.Fprintf(&b, "<p dir=\"auto\">%s</p>\n", strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n"))
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// oneLine makes a subject a single line: no CR/LF can reach a header.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// tidy trims trailing spaces and runs of more than one blank line that
// template conditionals leave behind.
func tidy(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}

var arabicDigits = strings.NewReplacer("0", "٠", "1", "١", "2", "٢", "3", "٣", "4", "٤", "5", "٥", "6", "٦", "7", "٧", "8", "٨", "9", "٩")

var arMonths = []string{"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"}

var funcs = template.FuncMap{
	// date formats a time for English readers, with its zone.
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "unknown"
		}
		return t.Format("Monday 2 January 2006, 15:04 MST")
	},
	"day": func(t time.Time) string {
		if t.IsZero() {
			return "unknown"
		}
		return t.Format("2 January 2006")
	},
	// dateAr formats a time for Arabic readers.
	"dateAr": func(t time.Time) string {
		if t.IsZero() {
			return "غير معروف"
		}
		return fmt.Sprintf("%d %s %d، الساعة %s (%s)", t.Day(), arMonths[t.Month()-1], t.Year(), t.Format("15:04"), t.Format("MST"))
	},
	"dayAr": func(t time.Time) string {
		if t.IsZero() {
			return "غير معروف"
		}
		return fmt.Sprintf("%d %s %d", t.Day(), arMonths[t.Month()-1], t.Year())
	},
	"digitsAr": func(v any) string { return arabicDigits.Replace(fmt.Sprint(v)) },
	"inc":      func(i int) int { return i + 1 },
	"join":     strings.Join,
	"indent": func(prefix, s string) string {
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		for i := range lines {
			lines[i] = prefix + lines[i]
		}
		return strings.Join(lines, "\n")
	},
	"upper": strings.ToUpper,
}
