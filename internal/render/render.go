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
	"reflect"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode"
	"unicode/utf8"

	"consultd/internal/bidihtml"
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
			markValues(t)
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
	subject, marked, _, err := r.run(code, d)
	return subject, bidihtml.Strip(marked), err
}

// Mail is one rendered mail.
type Mail struct {
	Subject string
	Text    string
	// HTML is the text as an HTML document in the template's language, each
	// value the template inserted isolated from the text around it (package
	// bidihtml), so that mixed-direction lines read right.
	HTML string
	Lang *lang.Language // the language of the template used
}

// Mail executes d's template like Render, and also writes the mail's HTML.
func (r *Renderer) Mail(code string, d Data) (Mail, error) {
	subject, marked, l, err := r.run(code, d)
	if err != nil {
		return Mail{}, err
	}
	return Mail{Subject: subject, Text: bidihtml.Strip(marked), HTML: HTML(l, marked), Lang: l}, nil
}

// MailText is Mail without the HTML, for a mail sent as plain text only.
func (r *Renderer) MailText(code string, d Data) (Mail, error) {
	subject, marked, l, err := r.run(code, d)
	if err != nil {
		return Mail{}, err
	}
	return Mail{Subject: subject, Text: bidihtml.Strip(marked), Lang: l}, nil
}

// run executes d's template in code (English when that language has none),
// its inserted values marked for the HTML (package bidihtml).
func (r *Renderer) run(code string, d Data) (subject, marked string, l *lang.Language, err error) {
	name := d.Template()
	t := r.sets[code][name]
	if t == nil {
		code = lang.Fallback
		t = r.sets[code][name]
	}
	if t == nil {
		return "", "", nil, fmt.Errorf("no template %q", name)
	}
	subject, marked, err = execute(t, d)
	if err != nil {
		return "", "", nil, fmt.Errorf("template %s/%s %w", code, name, err)
	}
	return subject, marked, r.langs.Or(code), nil
}

// markValues makes every action that prints a value ({{.Round.Title}},
// {{date .Round.Deadline}}) pipe it into "isolate", which marks it, so that
// the HTML can isolate what a template inserted from the text around it.
// The subject is left alone: it is one plain line.
func markValues(t *template.Template) {
	for _, tt := range t.Templates() {
		if tt.Name() == "subject" || tt.Tree == nil {
			continue
		}
		markList(tt.Tree, tt.Tree.Root)
	}
}

func markList(tree *parse.Tree, l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 {
				continue // {{$x := …}} prints nothing
			}
			id := parse.NewIdentifier("isolate").SetTree(tree).SetPos(n.Pos)
			n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{NodeType: parse.NodeCommand, Pos: n.Pos, Args: []parse.Node{id}})
		case *parse.IfNode:
			markList(tree, n.List)
			markList(tree, n.ElseList)
		case *parse.RangeNode:
			markList(tree, n.List)
			markList(tree, n.ElseList)
		case *parse.WithNode:
			markList(tree, n.List)
			markList(tree, n.ElseList)
		case *parse.ListNode:
			markList(tree, n)
		}
	}
}

// isolate marks one printed value (see markValues); it prints v as the
// template would have: a pointer by what it points to, unless it is a
// Stringer or an error, and nothing as "<no value>".
func isolate(v any) string {
	if v == nil {
		return bidihtml.Isolate("<no value>")
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		_, str := v.(fmt.Stringer)
		_, isErr := v.(error)
		if !str && !isErr {
			v = rv.Elem().Interface()
		}
	}
	return bidihtml.Isolate(fmt.Sprint(v))
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
	return bidihtml.Strip(oneLine(sb.String())), tidy(bb.String()), nil
}

// HTML wraps a text (plain, or marked by a template) in a minimal HTML
// document in language l, so that a right-to-left language is laid out
// right-to-left in every client, with each line in its own direction and
// each embedded run isolated (package bidihtml); the text is escaped, never
// interpreted.
func HTML(l *lang.Language, text string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\"><head><meta charset=\"utf-8\"></head>\n<body dir=\"%s\" style=\"font-family: sans-serif;\">\n",
		html.EscapeString(l.Code), l.Dir, l.Dir)
	b.WriteString(bidihtml.Fragment(text, l.Dir))
	b.WriteString("</body></html>\n")
	return b.String()
}

// oneLine makes a subject a single line: no CR/LF can reach a header.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// tidy trims trailing spaces and runs of more than one blank line that
// template conditionals leave behind. The value marks are invisible to it: a
// line of an empty value is blank, and they are kept where text remains.
func tidy(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = trimRight(l)
		if onlyMarks(l) {
			l = ""
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return trimSpace(strings.Join(out, "\n")) + "\n"
}

// onlyMarks reports whether l is empty once the value marks are stripped.
func onlyMarks(l string) bool {
	for _, r := range l {
		if r != bidihtml.Open && r != bidihtml.Close {
			return false
		}
	}
	return true
}

// trimmable reports whether r is what trimRight and trimSpace look at or
// through at an end of the text: the common case, a line that ends in a
// letter, is returned as it is without being copied into runes.
func trimmable(r rune) bool {
	return unicode.IsSpace(r) || r == bidihtml.Open || r == bidihtml.Close || r == utf8.RuneError
}

// trimRight removes trailing spaces and tabs, also those inside the marks of
// a value at the end of the line ("x \uFDD0y \uFDD1" → "x \uFDD0y\uFDD1").
func trimRight(l string) string {
	if last, _ := utf8.DecodeLastRuneInString(l); l == "" || !trimmable(last) && utf8.ValidString(l) {
		return l
	}
	rs := []rune(l)
	var keep []rune // marks met at the end, kept in order
	i := len(rs)
	for i > 0 {
		r := rs[i-1]
		if r == bidihtml.Open || r == bidihtml.Close {
			keep = append([]rune{r}, keep...)
		} else if r != ' ' && r != '\t' {
			break
		}
		i--
	}
	return string(rs[:i]) + string(keep)
}

// trimSpace is strings.TrimSpace that looks through the value marks.
func trimSpace(s string) string {
	first, _ := utf8.DecodeRuneInString(s)
	if last, _ := utf8.DecodeLastRuneInString(s); s == "" || !trimmable(first) && !trimmable(last) && utf8.ValidString(s) {
		return s
	}
	rs := []rune(s)
	i := 0
	var lead []rune
	for i < len(rs) && (unicode.IsSpace(rs[i]) || rs[i] == bidihtml.Open || rs[i] == bidihtml.Close) {
		if !unicode.IsSpace(rs[i]) {
			lead = append(lead, rs[i])
		}
		i++
	}
	j := len(rs)
	var trail []rune
	for j > i && (unicode.IsSpace(rs[j-1]) || rs[j-1] == bidihtml.Open || rs[j-1] == bidihtml.Close) {
		if !unicode.IsSpace(rs[j-1]) {
			trail = append([]rune{rs[j-1]}, trail...)
		}
		j--
	}
	return string(lead) + string(rs[i:j]) + string(trail)
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
		"upper":   strings.ToUpper,
		"isolate": isolate,
	}
}
