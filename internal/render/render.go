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

	"consultd/internal/lang"
	"consultd/templates"
)

// Renderer holds the parsed templates of every language.
type Renderer struct {
	langs *lang.Registry
	sets  map[string]map[string]*template.Template // lang -> name -> template
}

// New parses the templates of every language: the built-in ones, with files
// under overrideDir/LANG/NAME.tmpl (when overrideDir is not empty) replacing
// the built-in ones of the same name, and the languages overrideDir adds
// (lang.Load). Every template is executed once with Samples, so a template
// naming a field its data lacks is an error here, naming its file.
func New(overrideDir string) (*Renderer, error) {
	langs, err := lang.Load(overrideDir)
	if err != nil {
		return nil, err
	}
	r := &Renderer{langs: langs, sets: map[string]map[string]*template.Template{}}
	samples := Samples()
	for _, l := range langs.All() {
		srcs, err := sources(l, overrideDir)
		if err != nil {
			return nil, err
		}
		r.sets[l.Code] = map[string]*template.Template{}
		for _, s := range srcs {
			sample := samples[s.name]
			if sample == nil {
				return nil, fmt.Errorf("template %s: consultd has no template %q (it renders %s)", s.origin, s.name, strings.Join(lang.All(), ", "))
			}
			t, err := template.New(s.name).Funcs(funcsFor(l)).Option("missingkey=error").Parse(string(s.src))
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", s.origin, err)
			}
			if _, _, err := execute(t, sample); err != nil {
				return nil, fmt.Errorf("template %s: %w", s.origin, err)
			}
			r.sets[l.Code][s.name] = t
		}
	}
	return r, nil
}

type source struct {
	name, origin string
	src          []byte
}

// sources reads the template files of one language: built-in ones with
// their overrides, or those of a language templates_dir adds.
func sources(l *lang.Language, overrideDir string) ([]source, error) {
	var out []source
	if l.Source != "" {
		paths, err := filepath.Glob(filepath.Join(l.Source, "*.tmpl"))
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			out = append(out, source{strings.TrimSuffix(filepath.Base(p), ".tmpl"), p, b})
		}
		return out, nil
	}
	entries, err := fs.ReadDir(templates.FS, l.Code)
	if err != nil {
		return nil, fmt.Errorf("built-in language %s: %w", l.Code, err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		src, err := fs.ReadFile(templates.FS, path.Join(l.Code, e.Name()))
		if err != nil {
			return nil, err
		}
		seen[e.Name()] = true
		out = append(out, source{strings.TrimSuffix(e.Name(), ".tmpl"), "built-in " + l.Code + "/" + e.Name(), src})
	}
	if overrideDir == "" {
		return out, nil
	}
	for i, s := range out {
		p := filepath.Join(overrideDir, l.Code, s.name+".tmpl")
		if b, err := os.ReadFile(p); err == nil {
			out[i].src, out[i].origin = b, p
		}
	}
	// An override may add a template the built-in language lacks (Arabic
	// notices to coordinators, say).
	paths, _ := filepath.Glob(filepath.Join(overrideDir, l.Code, "*.tmpl"))
	for _, p := range paths {
		if !seen[filepath.Base(p)] {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			out = append(out, source{strings.TrimSuffix(filepath.Base(p), ".tmpl"), p, b})
		}
	}
	return out, nil
}

// Languages is the registry the templates were loaded for.
func (r *Renderer) Languages() *lang.Registry { return r.langs }

// Language returns the language of code, English when it is not known.
func (r *Renderer) Language(code string) *lang.Language { return r.langs.Or(code) }

// Render executes d's template in language code (English when that language
// has no such template) and returns its subject and body.
func (r *Renderer) Render(code string, d Data) (subject, body string, err error) {
	name := d.Template()
	t := r.sets[code][name]
	if t == nil {
		code = lang.Fallback
		t = r.sets[code][name]
	}
	if t == nil {
		return "", "", fmt.Errorf("no template %q", name)
	}
	subject, body, err = execute(t, d)
	if err != nil {
		return "", "", fmt.Errorf("template %s/%s %w", code, name, err)
	}
	return subject, body, nil
}

func execute(t *template.Template, d Data) (subject, body string, err error) {
	var sb, bb bytes.Buffer
	if t.Lookup("subject") != nil {
		if err := t.ExecuteTemplate(&sb, "subject", d); err != nil {
			return "", "", fmt.Errorf("subject: %w", err)
		}
	}
	if t.Lookup("body") == nil {
		return "", "", fmt.Errorf("has no {{define \"body\"}}")
	}
	if err := t.ExecuteTemplate(&bb, "body", d); err != nil {
		return "", "", fmt.Errorf("body: %w", err)
	}
	return oneLine(sb.String()), tidy(bb.String()), nil
}

// HTML wraps a plain text in a minimal HTML document so that a right-to-left
// language is laid out right-to-left in every client; the text is escaped,
// never interpreted.
func HTML(l *lang.Language, text string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\"><head><meta charset=\"utf-8\"></head>\n<body dir=\"%s\" style=\"font-family: sans-serif; white-space: pre-wrap;\">",
		html.EscapeString(l.Code), l.Dir, l.Dir)
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

// funcsFor is the template functions of one language: date, day and num
// write in that language. dateAr, dayAr and digitsAr are the Arabic ones under
// their older names (kept for templates written before the registry), and
// headerDate writes a date as the English header lines of a quoted mail.
func funcsFor(l *lang.Language) template.FuncMap {
	return template.FuncMap{
		"date":       l.DateTime,
		"day":        l.Date,
		"num":        l.Number,
		"headerDate": lang.English.DateTime,
		"dateAr":     lang.Arabic.DateTime,
		"dayAr":      lang.Arabic.Date,
		"digitsAr":   lang.Arabic.Number,
		"inc":        func(i int) int { return i + 1 },
		"join":       strings.Join,
		"indent": func(prefix, s string) string {
			lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
			for i := range lines {
				lines[i] = prefix + lines[i]
			}
			return strings.Join(lines, "\n")
		},
		"upper": strings.ToUpper,
	}
}
