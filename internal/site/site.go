// Package site writes the published statements as a small website in
// publish_dir: one page per statement (ID.html, in the statement's language
// and direction, linking to the index and to the same round's statement in
// other languages), ID.md for site generators, index.html listing every
// statement newest first, and an Atom feed (feed.xml, RFC 4287).
//
// Build regenerates everything from the statements it is given (the store's
// sent rounds, see FromRounds), so the site is whole again after a restart
// or a failed write; each file is replaced atomically.
package site

import (
	"encoding/xml"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"consultd/internal/atomicfile"
	"consultd/internal/bidihtml"
	"consultd/internal/inert"
	"consultd/internal/lang"
	"consultd/internal/statement"
	"consultd/internal/store"
)

// Statement is one published text: a round's statement in one language.
type Statement struct {
	RoundID string
	Lang    *lang.Language
	Text    string // the title on the first line, as sent
	Inviter string
	Outcome store.Outcome
	SentAt  time.Time
	// Name is the file name without extension: the round's ID for its first
	// language, ID.LANG for the others (Build fills it when empty).
	Name string
}

// Title is the statement's first line.
func (s Statement) Title() string {
	t, _ := statement.SplitTitle(s.Text)
	return t
}

// Site is where and for whom the statements are published.
type Site struct {
	Dir       string // publish_dir
	BaseURL   string // publish_url without a trailing slash; "" for relative links
	Coalition string // the coalition's name: the feed's title and author
	Domain    string // the coalition address's domain: the authority of the tag: ids
}

// FromRounds is the published statements of the sent rounds: each in the
// round's language (English when that language is no longer known), then
// its translations, in the order of order (statement_languages) and then
// by code, so a language since dropped from the configuration stays
// published.
func FromRounds(rs []*store.Round, langs *lang.Registry, order []string) []Statement {
	var out []Statement
	for _, r := range rs {
		if r.State != store.StateSent || strings.TrimSpace(r.Statement) == "" {
			continue
		}
		st := Statement{RoundID: r.ID, Lang: langs.Or(r.Language), Text: r.Statement,
			Inviter: r.InviterName, Outcome: r.Outcome, SentAt: r.SentAt}
		out = append(out, st)
		codes := make([]string, 0, len(r.Translations))
		for code := range r.Translations {
			codes = append(codes, code)
		}
		sort.Slice(codes, func(i, j int) bool {
			oi, oj := slices.Index(order, codes[i]), slices.Index(order, codes[j])
			if oi < 0 {
				oi = len(order)
			}
			if oj < 0 {
				oj = len(order)
			}
			if oi != oj {
				return oi < oj
			}
			return codes[i] < codes[j]
		})
		for _, code := range codes {
			t := r.Translations[code]
			if code == r.Language || strings.TrimSpace(t) == "" {
				continue
			}
			tr := st
			tr.Lang, tr.Text, tr.Name = langs.Or(code), t, r.ID+"."+code
			out = append(out, tr)
		}
	}
	return out
}

// Build writes every statement's page and Markdown file, then the index and
// the feed.
func (s Site) Build(sts []Statement) error {
	if len(sts) == 0 {
		return fmt.Errorf("no sent statement to publish")
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	sts = order(sts)
	for _, st := range sts {
		others := siblings(sts, st)
		var links []statement.Link // for the Markdown: its other languages
		for _, o := range others {
			links = append(links, statement.Link{Lang: o.Lang.Code, Native: o.Lang.Native, Href: o.Name + ".md"})
		}
		if err := atomicfile.Write(filepath.Join(s.Dir, st.Name+".md"), []byte(statement.Markdown(st.Text, links...))); err != nil {
			return err
		}
		if err := atomicfile.Write(filepath.Join(s.Dir, st.Name+".html"), []byte(s.Page(st, others))); err != nil {
			return err
		}
	}
	if err := atomicfile.Write(filepath.Join(s.Dir, "index.html"), []byte(s.Index(sts))); err != nil {
		return err
	}
	feed, err := s.Feed(sts)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(s.Dir, "feed.xml"), feed)
}

// order sorts newest first (by round, then the order given: a round's first
// language first) and names the files.
func order(in []Statement) []Statement {
	sts := append([]Statement(nil), in...)
	first := map[string]int{}
	for i, st := range sts {
		if _, ok := first[st.RoundID]; !ok {
			first[st.RoundID] = i
		}
	}
	for i := range sts {
		if sts[i].Lang == nil {
			sts[i].Lang = lang.Builtin().Or("")
		}
		if sts[i].Name == "" {
			sts[i].Name = sts[i].RoundID
			if first[sts[i].RoundID] != i {
				sts[i].Name += "." + sts[i].Lang.Code
			}
		}
	}
	sent := map[string]time.Time{} // a round's time is its first statement's
	for id, i := range first {
		sent[id] = sts[i].SentAt
	}
	sort.SliceStable(sts, func(i, j int) bool {
		a, b := sts[i], sts[j]
		if a.RoundID == b.RoundID {
			return false // the same round: as given (stable)
		}
		if ta, tb := sent[a.RoundID], sent[b.RoundID]; !ta.Equal(tb) {
			return ta.After(tb)
		}
		return a.RoundID > b.RoundID
	})
	return sts
}

// siblings are the other languages of st's round.
func siblings(sts []Statement, st Statement) []Statement {
	var out []Statement
	for _, o := range sts {
		if o.RoundID == st.RoundID && o.Name != st.Name {
			out = append(out, o)
		}
	}
	return out
}

// words are the few words of the site's frame, per language.
var words = map[string]struct{ all, feed, to string }{
	"en": {"All statements", "Atom feed", "To"},
	"ar": {"كل البيانات", "خلاصة Atom", "إلى"},
	"fr": {"Toutes les déclarations", "Flux Atom", "À"},
}

func wordsFor(l *lang.Language) struct{ all, feed, to string } {
	if w, ok := words[l.Code]; ok {
		return w
	}
	return words["en"]
}

const style = `body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.5}` +
	`nav{margin-bottom:2em}table{border-collapse:collapse}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:start;vertical-align:top}td:first-child{white-space:nowrap}`

// Page is the HTML page of one statement; others are its round's other
// languages.
func (s Site) Page(st Statement, others []Statement) string {
	l := st.Lang
	title, rest := statement.SplitTitle(inert.Text(st.Text))
	w := wordsFor(l)
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"+
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>%s</title>\n"+
		"<link rel=\"alternate\" type=\"application/atom+xml\" href=\"feed.xml\">\n",
		esc(l.Code), l.Dir, esc(title))
	for _, o := range others {
		fmt.Fprintf(&b, "<link rel=\"alternate\" hreflang=\"%s\" href=\"%s.html\">\n", esc(o.Lang.Code), esc(o.Name))
	}
	fmt.Fprintf(&b, "<style>%s</style>\n</head>\n<body>\n<nav><a href=\"index.html\">%s</a>", style, esc(w.all))
	for _, o := range others {
		fmt.Fprintf(&b, " · <a href=\"%s.html\" hreflang=\"%s\" lang=\"%s\" dir=\"%s\">%s</a>",
			esc(o.Name), esc(o.Lang.Code), esc(o.Lang.Code), o.Lang.Dir, esc(o.Lang.Native))
	}
	fmt.Fprintf(&b, "</nav>\n<h1>%s</h1>\n", bidihtml.Line(title, l.Dir))
	b.WriteString(bidihtml.Fragment(rest, l.Dir))
	b.WriteString("</body>\n</html>\n")
	return b.String()
}

// Index lists every statement, newest first.
func (s Site) Index(sts []Statement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">\n<head>\n<meta charset=\"utf-8\">\n"+
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Statements by %s</title>\n"+
		"<link rel=\"alternate\" type=\"application/atom+xml\" href=\"feed.xml\">\n<style>%s</style>\n</head>\n<body>\n"+
		"<h1>Statements by <bdi>%s</bdi></h1>\n<p><a href=\"feed.xml\">Atom feed</a> (for a feed reader or a website)</p>\n"+
		"<table>\n<thead><tr><th>Date</th><th>Statement</th><th>Inviter</th><th>Outcome</th><th>Language</th></tr></thead>\n<tbody>\n",
		esc(inert.Header(s.Coalition)), style, esc(inert.Header(s.Coalition)))
	for _, st := range sts {
		fmt.Fprintf(&b, "<tr><td><time datetime=\"%s\">%s</time></td><td><a href=\"%s.html\" hreflang=\"%s\" lang=\"%s\" dir=\"%s\">%s</a></td>"+
			"<td><bdi>%s</bdi></td><td>%s</td><td lang=\"%s\" dir=\"%s\">%s</td></tr>\n",
			st.SentAt.UTC().Format("2006-01-02"), st.SentAt.UTC().Format("2 January 2006"),
			esc(st.Name), esc(st.Lang.Code), esc(st.Lang.Code), st.Lang.Dir, esc(inert.Header(st.Title())),
			esc(inert.Header(st.Inviter)), outcome(st.Outcome), esc(st.Lang.Code), st.Lang.Dir, esc(st.Lang.Native))
	}
	b.WriteString("</tbody>\n</table>\n</body>\n</html>\n")
	return b.String()
}

func outcome(o store.Outcome) string {
	switch o {
	case store.Accept:
		return "Accepted"
	case store.Decline:
		return "Declined"
	}
	return esc(string(o))
}

// Atom (RFC 4287) as written.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel      string `xml:"rel,attr"`
	Type     string `xml:"type,attr,omitempty"`
	Href     string `xml:"href,attr"`
	HrefLang string `xml:"hreflang,attr,omitempty"`
}

type atomEntry struct {
	Lang      string     `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Summary   string     `xml:"summary"`
	Content   atomText   `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// Feed is the Atom feed of the statements, newest first. Its id and each
// entry's are tag: URIs (RFC 4151) under the coalition's domain that never
// change: the feed's is dated by its oldest statement, nothing is ever
// unpublished.
func (s Site) Feed(sts []Statement) ([]byte, error) {
	if len(sts) == 0 {
		return nil, fmt.Errorf("no statement to publish")
	}
	oldest, newest := sts[0].SentAt, sts[0].SentAt
	for _, st := range sts {
		if st.SentAt.Before(oldest) {
			oldest = st.SentAt
		}
		if st.SentAt.After(newest) {
			newest = st.SentAt
		}
	}
	domain := s.Domain
	if domain == "" {
		domain = "consultd.invalid"
	}
	name := inert.Header(s.Coalition)
	f := atomFeed{
		ID:      fmt.Sprintf("tag:%s,%s:statements", domain, oldest.UTC().Format("2006-01-02")),
		Title:   "Statements by " + name,
		Updated: newest.UTC().Format(time.RFC3339),
		Author:  atomPerson{Name: name},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: s.url("feed.xml")},
			{Rel: "alternate", Type: "text/html", Href: s.url("index.html")}},
	}
	for _, st := range sts {
		title, rest := statement.SplitTitle(inert.Text(st.Text))
		f.Entries = append(f.Entries, atomEntry{
			Lang:      st.Lang.Code,
			ID:        fmt.Sprintf("tag:%s,%s:statement/%s/%s", domain, st.SentAt.UTC().Format("2006-01-02"), st.RoundID, st.Lang.Code),
			Title:     inert.Header(title),
			Updated:   st.SentAt.UTC().Format(time.RFC3339),
			Published: st.SentAt.UTC().Format(time.RFC3339),
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: s.url(st.Name + ".html"), HrefLang: st.Lang.Code}},
			Summary:   summary(rest),
			Content: atomText{Type: "html", Body: fmt.Sprintf("<div lang=\"%s\" dir=\"%s\">\n%s</div>",
				esc(st.Lang.Code), st.Lang.Dir, bidihtml.Fragment(rest, st.Lang.Dir))},
		})
	}
	out, err := xml.MarshalIndent(f, "", " ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// url is a file's link in the feed: absolute under publish_url, else
// relative to the feed.
func (s Site) url(file string) string {
	if s.BaseURL == "" {
		return file
	}
	return strings.TrimRight(s.BaseURL, "/") + "/" + file
}

// summary is the first paragraph, shortened.
func summary(text string) string {
	p, _, _ := strings.Cut(strings.TrimSpace(text), "\n\n")
	p = strings.Join(strings.Fields(p), " ")
	if rs := []rune(p); len(rs) > 300 {
		p = string(rs[:300]) + "…"
	}
	return p
}

func esc(s string) string { return html.EscapeString(s) }
