package statement

import (
	"strings"
	"testing"
	"time"

	"consultd/internal/inert"
	"consultd/internal/lang"
	"consultd/internal/mdcheck"
)

// hostileRound is a statement whose every member field carries markup.
func hostileRound(t *testing.T, lang string) (*Statement, []string) {
	t.Helper()
	yes := true
	points := []string{
		"The agenda is [decided elsewhere](javascript:alert(1)).",
		"<script>alert(2)</script> and <img src=x onerror=alert(3)>",
		"[ref]: javascript:alert(4)",
		"<javascript:alert(5)> &#106;avascript:alert(6)",
		"# Not a heading | not | a table |",
		"- not a list\n===",
		"```\nnot code\n```",
		"\u202Egnp.exe spoofed\u202C",
		"إشراك النساء في [كل](javascript:alert(7)) المراحل",
	}
	ms := []Member{
		{ID: "a", Name: "[Amal](javascript:alert(8)) <b>NGO</b>", Position: "decline", Concerns: points[:5], Recommendations: points[5:], Sign: &yes},
		{ID: "b", Name: "*Nour* _Foundation_", Position: "decline", Sign: &yes},
	}
	inv := Invitation{Title: "Geneva <script>alert(9)</script> talks", InviterName: "Envoy [office](javascript:alert(10))",
		Date: time.Date(2026, 11, 19, 9, 0, 0, 0, time.UTC), Summary: "We invite you to ![x](https://tracker.example/p.png) meetings."}
	st, err := Compose(renderer(t), lang, "Coalition <i>X</i>", "decline", inv, ms)
	if err != nil {
		t.Fatal(err)
	}
	return st, append(points, ms[0].Name, ms[1].Name, inv.InviterName)
}

func TestPublishedMarkdownIsInert(t *testing.T) {
	for _, lang := range []string{"en", "ar"} {
		st, written := hostileRound(t, lang)
		md := Markdown(st.Text)
		// Each renderer gets the subtest's t: Marked skips (or fails under CI)
		// when marked is missing, which must end the subtest, not its parent.
		for name, out := range map[string]func(testing.TB) string{
			"goldmark": func(t testing.TB) string { return mdcheck.Goldmark(t, md) },
			"marked":   func(t testing.TB) string { return mdcheck.Marked(t, md) },
		} {
			t.Run(lang+"/"+name, func(t *testing.T) {
				html := out(t)
				visible, bad := mdcheck.Inspect(html, "h1")
				if len(bad) > 0 {
					t.Errorf("member text became markup: %q\nmarkdown:\n%s", bad, md)
				}
				if n := strings.Count(html, "<h1"); n != 1 {
					t.Errorf("%d headings, want the title only", n)
				}
				shown := mdcheck.Words(visible)
				for _, w := range written {
					if !strings.Contains(shown, mdcheck.Words(inert.Text(w))) {
						t.Errorf("the page does not show %q as written:\n%s", w, shown)
					}
				}
				if strings.ContainsRune(shown, '\u202E') {
					t.Errorf("a bidi override reached the page")
				}
			})
		}
	}
}

func TestPublishedHTMLIsInert(t *testing.T) {
	st, written := hostileRound(t, "ar")
	page := HTML(lang.Arabic, st.Text)
	visible, bad := mdcheck.InspectPage(page)
	if len(bad) > 0 {
		t.Errorf("member text became markup in the page: %q", bad)
	}
	shown := mdcheck.Words(visible)
	for _, w := range written {
		if !strings.Contains(shown, mdcheck.Words(inert.Text(w))) {
			t.Errorf("the page does not show %q", w)
		}
	}
	if strings.ContainsRune(page, '\u202E') || !strings.Contains(page, `dir="rtl"`) {
		t.Errorf("bidi override kept, or direction lost")
	}
}
