package site

import (
	"path/filepath"
	"strings"
	"testing"

	"consultd/internal/browser"
)

// TestSiteInChromium opens the index and every page in headless Chromium:
// each loads without an error or a missing resource, the Arabic page is laid
// out right to left with its Arabic text drawn right to left and the
// inviter's English name left to right, and a screenshot of each is kept.
func TestSiteInChromium(t *testing.T) {
	b := browser.Start(t)
	dir, _ := build(t, "")
	srv := browser.Serve(t, dir)
	shots := browser.Artifacts(t, "site")
	pages := map[string]struct {
		dir      string
		ltr, rtl []string
	}{
		"index.html":      {dir: "ltr", ltr: []string{"Atom feed", "13 November 2026"}, rtl: []string{"بيان"}},
		"2026-02.html":    {dir: "rtl", ltr: []string{"Baytna Syria", "Syrian Civil Society Coalition", "The invitation came too late <b>again</b>."}, rtl: []string{"تشكر المنظمات الموقّعة", "كل البيانات"}},
		"2026-02.en.html": {dir: "ltr", ltr: []string{"Baytna Syria", "All statements"}, rtl: []string{"لم تُرسل الوثائق مسبقاً."}},
		"2026-01.html":    {dir: "ltr", ltr: []string{"Statement by"}},
		"2026-03.html":    {dir: "ltr", ltr: []string{"Toutes les déclarations"}},
	}
	for page, w := range pages {
		t.Run(page, func(t *testing.T) {
			p := b.Open(t, srv.URL+page)
			f := p.Find(t, append(append([]string{}, w.ltr...), w.rtl...)...)
			var links []string
			p.Eval(t, `Array.from(document.links).map(function (a) { return a.getAttribute("href") })`, &links)
			p.Screenshot(t, filepath.Join(shots, strings.TrimSuffix(page, ".html")+".png"))
			if len(p.Errors) > 0 {
				t.Errorf("the browser reported: %q", p.Errors)
			}
			for _, n := range w.ltr {
				if !f[n].ReadsLTR() {
					t.Errorf("%q is not drawn left to right: %+v", n, f[n])
				}
			}
			for _, n := range w.rtl {
				if !f[n].ReadsRTL() {
					t.Errorf("%q is not drawn right to left: %+v", n, f[n])
				}
			}
			for _, got := range f {
				if got.PageDir != w.dir {
					t.Errorf("the page is laid out %s, want %s", got.PageDir, w.dir)
				}
				if got.Title == "" {
					t.Errorf("the page has no title")
				}
				break
			}
			if page != "index.html" && (len(links) == 0 || links[0] != "index.html") {
				t.Errorf("the page does not link back to the index first: %q", links)
			}
			for _, l := range links {
				if l != "feed.xml" && !strings.HasSuffix(l, ".html") {
					t.Errorf("a link leads out of the site: %q", l)
				}
			}
		})
	}
	if m := srv.Missing(); len(m) > 0 {
		t.Errorf("the pages asked for what does not exist: %q", m)
	}
}
