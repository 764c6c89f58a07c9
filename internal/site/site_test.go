package site

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"consultd/internal/inert"
	"consultd/internal/lang"
	"consultd/internal/mdcheck"
	"consultd/internal/render"
	"consultd/internal/statement"
	"consultd/internal/store"
)

var (
	day      = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	hostile  = "Envoy <script>alert(1)</script> & [office](javascript:alert(2))"
	hostileT = "Geneva <img src=x onerror=alert(3)> talks"
)

// statements is three sent rounds: an English one, then an Arabic one with
// its English version (the same round in two languages), then a French one,
// each composed by the real templates; titles and inviters carry markup.
func statements(t *testing.T) []Statement {
	t.Helper()
	r, err := render.New("")
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	ms := []statement.Member{
		{ID: "a", Name: "Baytna Syria", Position: "decline", Concerns: []string{"The invitation came too late <b>again</b>."}, Sign: &yes},
		{ID: "b", Name: "منظمة النساء الآن", Position: "decline", Concerns: []string{"لم تُرسل الوثائق مسبقاً."}, Sign: &yes},
	}
	compose := func(code, id string, at time.Time) Statement {
		inv := statement.Invitation{Title: hostileT, InviterName: hostile, Date: at.AddDate(0, 0, -7),
			Summary: "We invite you to the consultations in Geneva."}
		st, err := statement.Compose(r, code, "Syrian Civil Society Coalition", "decline", inv, ms)
		if err != nil {
			t.Fatal(err)
		}
		return Statement{RoundID: id, Lang: lang.Builtin().Get(code), Text: st.Text, Inviter: hostile, Outcome: store.Decline, SentAt: at}
	}
	return []Statement{
		compose("en", "2026-01", day),
		compose("ar", "2026-02", day.AddDate(0, 0, 10)),
		compose("en", "2026-02", day.AddDate(0, 0, 10)),
		compose("fr", "2026-03", day.AddDate(0, 0, 5)),
	}
}

func build(t *testing.T, base string) (string, []Statement) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "published")
	sts := statements(t)
	if err := (Site{Dir: dir, BaseURL: base, Coalition: "Syrian <i>Civil</i> Society Coalition", Domain: "coal.example"}).Build(sts); err != nil {
		t.Fatal(err)
	}
	return dir, sts
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var href = regexp.MustCompile(`href="([^"]+)"`)

func TestIndexListsEveryStatementNewestFirstAndPagesLinkTheirLanguages(t *testing.T) {
	dir, _ := build(t, "")
	index := read(t, dir, "index.html")
	var pages []string
	for _, m := range href.FindAllStringSubmatch(index, -1) {
		if strings.HasSuffix(m[1], ".html") {
			pages = append(pages, m[1])
		}
	}
	// 2026-02 was sent last (both languages), then 2026-03, then 2026-01.
	if got := strings.Join(pages, " "); got != "2026-02.html 2026-02.en.html 2026-03.html 2026-01.html" {
		t.Errorf("index lists %s", got)
	}
	for _, w := range []string{"13 November 2026", "Declined", "العربية", "Français", `href="feed.xml"`} {
		if !strings.Contains(index, w) {
			t.Errorf("index lacks %q", w)
		}
	}

	ar := read(t, dir, "2026-02.html")
	if !strings.Contains(ar, `<html lang="ar" dir="rtl">`) {
		t.Errorf("the Arabic page is not right-to-left Arabic:\n%.300s", ar)
	}
	if !strings.Contains(ar, `href="index.html"`) || !strings.Contains(ar, `href="2026-02.en.html" hreflang="en"`) {
		t.Errorf("the Arabic page does not link the index and its English version")
	}
	en := read(t, dir, "2026-02.en.html")
	if !strings.Contains(en, `<html lang="en" dir="ltr">`) || !strings.Contains(en, `href="2026-02.html" hreflang="ar"`) {
		t.Errorf("the English version does not link back to the Arabic one")
	}
	if fr := read(t, dir, "2026-03.html"); strings.Contains(fr, "hreflang=\"en\" href") || !strings.Contains(fr, `lang="fr"`) {
		t.Errorf("a round in one language links other languages, or lost its own")
	}
	// Every link of every file leads to a file of the site.
	for _, f := range append(pages, "index.html") {
		for _, m := range href.FindAllStringSubmatch(read(t, dir, f), -1) {
			if _, err := os.Stat(filepath.Join(dir, m[1])); err != nil {
				t.Errorf("%s links %s, which does not exist", f, m[1])
			}
		}
	}
	// The Markdown for site generators is still there.
	if md := read(t, dir, "2026-02.md"); !strings.HasPrefix(md, "# ") {
		t.Errorf("2026-02.md:\n%s", md)
	}
	if md := read(t, dir, "2026-02.en.md"); !strings.HasPrefix(md, "# Statement") {
		t.Errorf("2026-02.en.md:\n%s", md)
	}
}

func TestPagesShowWhatWasWrittenAsText(t *testing.T) {
	dir, _ := build(t, "https://coal.example/statements")
	for _, f := range []string{"index.html", "2026-01.html", "2026-02.html", "2026-02.en.html", "2026-03.html"} {
		page := read(t, dir, f)
		visible, bad := mdcheck.InspectPage(page)
		if len(bad) > 0 {
			t.Errorf("%s: what was written became markup: %q", f, bad)
		}
		shown := mdcheck.Words(visible)
		for _, w := range []string{inert.Header(hostile), hostileT} {
			if !strings.Contains(shown, mdcheck.Words(w)) {
				t.Errorf("%s does not show %q as written:\n%s", f, w, shown)
			}
		}
	}
	if feed := read(t, dir, "feed.xml"); strings.Contains(feed, "<script") || strings.Contains(feed, "<img") {
		t.Errorf("markup in the feed unescaped")
	}
}

// atom is what RFC 4287 requires of a feed and its entries (4.1.1, 4.1.2).
type atom struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"http://www.w3.org/2005/Atom id"`
	Title   string   `xml:"http://www.w3.org/2005/Atom title"`
	Updated string   `xml:"http://www.w3.org/2005/Atom updated"`
	Author  []struct {
		Name string `xml:"http://www.w3.org/2005/Atom name"`
	} `xml:"http://www.w3.org/2005/Atom author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"http://www.w3.org/2005/Atom link"`
	Entries []struct {
		Lang    string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		ID      string `xml:"http://www.w3.org/2005/Atom id"`
		Title   string `xml:"http://www.w3.org/2005/Atom title"`
		Updated string `xml:"http://www.w3.org/2005/Atom updated"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"http://www.w3.org/2005/Atom link"`
		Summary string `xml:"http://www.w3.org/2005/Atom summary"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"http://www.w3.org/2005/Atom content"`
	} `xml:"http://www.w3.org/2005/Atom entry"`
}

var tagURI = regexp.MustCompile(`^tag:[a-z0-9.-]+,\d{4}-\d{2}-\d{2}:[A-Za-z0-9/._-]+$`)

func parseFeed(t *testing.T, b []byte) atom {
	t.Helper()
	var f atom
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(&f); err != nil {
		t.Fatalf("feed.xml is not XML: %v\n%s", err, b)
	}
	return f
}

func TestFeedIsAtomWithStableIDsAndLinks(t *testing.T) {
	for _, base := range []string{"https://coal.example/statements", ""} {
		t.Run("base="+base, func(t *testing.T) {
			dir, sts := build(t, base)
			raw := []byte(read(t, dir, "feed.xml"))
			f := parseFeed(t, raw)
			if !tagURI.MatchString(f.ID) || f.Title == "" || len(f.Author) == 0 || f.Author[0].Name == "" {
				t.Errorf("feed id/title/author: %q %q %+v", f.ID, f.Title, f.Author)
			}
			if _, err := time.Parse(time.RFC3339, f.Updated); err != nil || f.Updated != "2026-11-13T10:00:00Z" {
				t.Errorf("feed updated %q (%v), want the newest statement's time", f.Updated, err)
			}
			self := ""
			for _, l := range f.Links {
				if l.Rel == "self" {
					self = l.Href
				}
			}
			if want := strings.TrimPrefix(base+"/feed.xml", "/"); self != want {
				t.Errorf("rel=self %q, want %q", self, want)
			}
			if len(f.Entries) != len(sts) {
				t.Fatalf("%d entries, want %d", len(f.Entries), len(sts))
			}
			ids := map[string]bool{}
			for _, e := range f.Entries {
				if !tagURI.MatchString(e.ID) || ids[e.ID] {
					t.Errorf("entry id %q is not a unique tag: URI", e.ID)
				}
				ids[e.ID] = true
				if _, err := time.Parse(time.RFC3339, e.Updated); err != nil || e.Title == "" {
					t.Errorf("entry %s: title %q, updated %q", e.ID, e.Title, e.Updated)
				}
				if len(e.Links) == 0 || !strings.HasSuffix(e.Links[0].Href, ".html") || e.Links[0].Rel != "alternate" {
					t.Errorf("entry %s links %+v", e.ID, e.Links)
				} else if base != "" && !strings.HasPrefix(e.Links[0].Href, base+"/") {
					t.Errorf("entry link %q is not absolute under publish_url", e.Links[0].Href)
				}
				if e.Content.Type != "html" || !strings.Contains(e.Content.Body, `dir="`) || e.Summary == "" {
					t.Errorf("entry %s content type %q, summary %q", e.ID, e.Content.Type, e.Summary)
				}
			}
			if f.Entries[0].Lang != "ar" || !strings.Contains(f.Entries[0].Content.Body, `<div lang="ar" dir="rtl">`) {
				t.Errorf("the newest entry is not the Arabic statement: %s %.80s", f.Entries[0].Lang, f.Entries[0].Content.Body)
			}
			// Built again (after a restart, the next statement): the same ids.
			if err := (Site{Dir: dir, BaseURL: base, Coalition: "Syrian <i>Civil</i> Society Coalition", Domain: "coal.example"}).Build(sts); err != nil {
				t.Fatal(err)
			}
			if again := read(t, dir, "feed.xml"); again != string(raw) {
				t.Errorf("the feed changed when built again from the same statements")
			}
		})
	}
}

func TestFromRoundsTakesSentStatementsOnly(t *testing.T) {
	rs := []*store.Round{
		{ID: "2026-05", State: store.StateSent, Language: "ar", Statement: "بيان\n\nنص", InviterName: "X", Outcome: store.Decline, SentAt: day,
			Translations: map[string]string{"fr": "Déclaration\n\ntexte", "en": "Statement\n\ntext"}},
		{ID: "2026-04", State: store.StateDraft, Language: "en", Statement: "Draft\n\ntext"},
		{ID: "2026-03", State: store.StateSent, Language: "xx", Statement: "Old\n\ntext", SentAt: day},
	}
	// The round's language first, then statement_languages' order (en
	// before fr although fr is not listed: a dropped language stays).
	sts := FromRounds(rs, lang.Builtin(), []string{"ar", "en"})
	var got []string
	for _, st := range sts {
		got = append(got, st.RoundID+":"+st.Lang.Code+":"+st.Name)
	}
	if strings.Join(got, " ") != "2026-05:ar: 2026-05:en:2026-05.en 2026-05:fr:2026-05.fr 2026-03:en:" {
		t.Fatalf("statements %q", got)
	}
	if sts[0].Title() != "بيان" {
		t.Errorf("title %q", sts[0].Title())
	}
}

func TestBuildWithNothingSentWritesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	err := Site{Dir: dir}.Build(nil)
	if err == nil {
		t.Fatal("an empty site was built")
	}
	if _, err := os.Stat(filepath.Join(dir, "feed.xml")); err == nil {
		t.Error("a feed without entries was written")
	}
}
