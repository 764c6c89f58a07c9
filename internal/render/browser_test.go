package render

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"consultd/internal/bidihtml"
	"consultd/internal/browser"
	"consultd/internal/lang"
	"consultd/internal/store"
)

// What the issue saw scrambled in today's Arabic consultation: an English
// name and address, and a coordinator's English note, inside right-to-left
// lines.
const (
	envoy     = "Office of the UN Special Envoy for Syria <cssr@envoy.example>"
	envoyName = "Office of the UN Special Envoy for Syria"
	note      = "Dear all, please see the invitation below. Let us answer together."
	origBody  = "Dear colleagues,\n\nWe invite you to the consultations in Geneva (Palais des Nations).\n\nBest regards,\nThe Office"
	concern   = "The invitation came too late."
)

// mixedSamples is each template's data with the English values an Arabic
// mail carries in practice.
func mixedSamples() map[string]Data {
	deadline := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	yes := true
	r := &store.Round{ID: "2026-07", State: "open", Title: "CSSR meetings in Geneva", Language: "ar",
		InviterName: envoyName, InviterAddress: "cssr@envoy.example",
		OrigSubject: "Invitation: CSSR meetings", OrigMessageID: "cssr-1@envoy.example",
		OrigDate: deadline.AddDate(0, 0, -6), OrigBody: origBody, Note: note, OpenedBy: "rania@coal.example",
		Deadline: deadline, CreatedAt: deadline.AddDate(0, 0, -3)}
	p := &store.Participant{RoundID: r.ID, MemberID: "baytna", Name: "Baytna Syria", Language: "ar",
		Emails: []string{"info@baytna.example"}, Position: "decline", Concerns: []string{concern},
		Recommendations: []string{"Consult the coalition two weeks ahead."}, Sign: &yes}
	inv := Invitation{InviterName: envoyName, Title: "CSSR meetings in Geneva", Date: deadline,
		Summary: "We invite you to the consultations in Geneva."}
	st := Statement{Outcome: "decline", Coalition: "Syrian Civil Society Coalition", Invitation: inv,
		Concerns: []string{concern}, Recommendations: []string{"Consult the coalition two weeks ahead."},
		Signatories: []string{"Baytna Syria", "SJAC"}, Attendees: []string{"SJAC"}}
	acc := st
	acc.Outcome = "accept"
	return map[string]Data{
		"consultation": Consultation{Round: r, Member: p, Coalition: "Syrian Civil Society Coalition", Inviter: envoy,
			Attachments: []string{"agenda.pdf"}, Previous: []Previous{{ID: "2026-03", Date: deadline.AddDate(0, -5, 0),
				Title: "Brussels conference", Outcome: OutcomeDeclined, Recommendations: []string{"Earlier notice."}}}},
		"reminder": Reminder{Round: r, Member: p, Coalition: "Syrian Civil Society Coalition"},
		"receipt":  Receipt{Round: r, Member: p, Coalition: "Syrian Civil Society Coalition", Sign: SignYes},
		"unclear":  Unclear{Round: r, Member: p, Coalition: "Syrian Civil Society Coalition", Text: "maybe?"},
		"confirmation": Confirmation{RoundID: r.ID, Action: "open a round", Summary: "open a consultation round for " + envoy,
			From: "rania@coal.example", Subject: "Fwd: Invitation: CSSR meetings", Received: deadline, Expires: deadline.Add(72 * time.Hour),
			Hours: 72, Why: "no authentication is configured", Fix: "Set authentication.authserv_id.", Coalition: "Syrian Civil Society Coalition"},
		"statement_decline": st,
		"statement_accept":  acc,
	}
}

// want is what a reader must see in one template: strings that read left
// to right (and the direction of the line around them), strings that read
// right to left.
type want struct {
	ltr   map[string]string // needle → direction of its line ("" any)
	rtl   []string
	block map[string]string // needle → direction of its line only
}

var wants = map[string]want{
	"consultation": {
		ltr: map[string]string{
			envoy:                "rtl", // the "من:" line stays right to left, the address reads in order
			"#2 " + envoy:        "ltr", // the quoted header line "From: …"
			note:                 "ltr", // the coordinator's note is its own block
			"rania@coal.example": "rtl",
			"We invite you to the consultations in Geneva (Palais des Nations).": "ltr", // the quoted original
			"Invitation: CSSR meetings": "ltr",
			"Earlier notice.":           "rtl",
		},
		rtl:   []string{"ردّوا على هذه الرسالة"},
		block: map[string]string{"From: ": "ltr", "Subject: ": "ltr"},
	},
	"reminder": {
		ltr: map[string]string{"CSSR meetings in Geneva": "rtl", envoyName: "rtl", "Baytna Syria": "rtl"},
		rtl: []string{"لم يصلنا بعد"},
	},
	"receipt": {
		ltr: map[string]string{concern: "rtl", "Consult the coalition two weeks ahead.": "rtl"},
		rtl: []string{"شكراً لكم"},
	},
	"unclear": {
		rtl: []string{"شكراً لرسالتكم"},
	},
	"confirmation": {
		ltr: map[string]string{"rania@coal.example": "rtl", "Fwd: Invitation: CSSR meetings": "rtl", "no authentication is configured": "rtl"},
		rtl: []string{"وصلت إلى خدمة المشاورات"},
	},
	"statement_decline": {
		ltr: map[string]string{envoyName: "rtl", concern: "rtl", "Baytna Syria": "rtl", "Consult the coalition two weeks ahead.": "rtl"},
		rtl: []string{"تشكر المنظمات الموقّعة"},
	},
	"statement_accept": {
		ltr: map[string]string{envoyName: "rtl", "Baytna Syria": "rtl"},
	},
}

// oldHTML is how the HTML part was written before values were isolated:
// the control that shows the probe sees the scrambling the issue reports.
func oldHTML(l *lang.Language, text string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\"><head><meta charset=\"utf-8\"></head>\n<body dir=\"%s\" style=\"white-space: pre-wrap;\">", l.Code, l.Dir, l.Dir)
	for _, para := range strings.Split(text, "\n\n") {
		fmt.Fprintf(&b, "<p dir=\"auto\">%s</p>\n", strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n"))
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// TestHTMLMailReadsRightInChromium renders every template of every
// right-to-left language (the mails that have an HTML part) with English
// names, addresses and notes, shows each to headless Chromium, and reads
// where each run was drawn: English runs left to right, Arabic ones right to
// left, each line in its direction. A screenshot of each is kept.
func TestHTMLMailReadsRightInChromium(t *testing.T) {
	b := browser.Start(t)
	r, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srv := browser.Serve(t, dir)
	shots := browser.Artifacts(t, "mail-html")
	checked := 0
	for _, l := range r.Languages().All() {
		if l.Dir != lang.RTL {
			continue // only right-to-left mail has an HTML part (round.Engine.queue)
		}
		for name, d := range mixedSamples() {
			t.Run(l.Code+"/"+name, func(t *testing.T) {
				m, err := r.Mail(l.Code, d)
				if err != nil {
					t.Fatal(err)
				}
				page := m.HTML
				if strings.HasPrefix(name, "statement_") {
					// The statement goes out as the stored plain text (perhaps
					// edited by a coordinator): its HTML is made from the text.
					page = HTML(l, m.Text)
				}
				file := l.Code + "-" + name + ".html"
				if err := os.WriteFile(filepath.Join(dir, file), []byte(page), 0o644); err != nil {
					t.Fatal(err)
				}
				w := wants[name]
				var needles []string
				for n := range w.ltr {
					needles = append(needles, n)
				}
				for n := range w.block {
					needles = append(needles, n)
				}
				needles = append(needles, w.rtl...)
				p := b.Open(t, srv.URL+file)
				f := p.Find(t, needles...)
				p.Screenshot(t, filepath.Join(shots, l.Code+"-"+name+".png"))
				if len(p.Errors) > 0 {
					t.Errorf("the browser reported: %q", p.Errors)
				}
				for n, line := range w.ltr {
					got := f[n]
					if !got.ReadsLTR() {
						t.Errorf("%q is not drawn left to right on one line: %+v", n, got)
					}
					if line != "" && got.Block != line {
						t.Errorf("the line of %q is %s, want %s", n, got.Block, line)
					}
				}
				for n, line := range w.block {
					if got := f[n]; !got.Found || got.Block != line {
						t.Errorf("the line of %q is %q, want %s: %+v", n, got.Block, line, got)
					}
				}
				for _, n := range w.rtl {
					if got := f[n]; !got.ReadsRTL() || got.Block != "rtl" {
						t.Errorf("%q is not drawn right to left in a right-to-left line: %+v", n, got)
					}
				}
				for _, got := range f {
					if got.PageDir != "rtl" {
						t.Errorf("the page is %s, want rtl", got.PageDir)
						break
					}
				}
				checked++
				if name != "consultation" {
					return
				}
				// The control: the old HTML drew the same strings out of
				// order, so the checks above do see what a reader sees.
				old := "old-" + file
				os.WriteFile(filepath.Join(dir, old), []byte(oldHTML(l, m.Text)), 0o644)
				of := b.Open(t, srv.URL+old).Find(t, envoy, note)
				if of[envoy].ReadsLTR() || of[note].ReadsLTR() || !of[envoy].Found || !of[note].Found {
					t.Errorf("in the old HTML the probe saw the address and the note in order: %+v %+v", of[envoy], of[note])
				}
			})
		}
	}
	if checked < len(wants) {
		t.Errorf("%d templates checked in a right-to-left language, want at least %d", checked, len(wants))
	}
	if m := srv.Missing(); len(m) > 0 {
		t.Errorf("the pages asked for what does not exist: %q", m)
	}
}

// TestMailTextHasNoMarksAndMatchesUnmarkedTemplates: marking values for
// the HTML changes nothing in the plain text, for every template and
// language.
func TestMailTextHasNoMarksAndMatchesUnmarkedTemplates(t *testing.T) {
	r, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range r.Languages().All() {
		for name, d := range Samples() {
			t.Run(l.Code+"/"+name, func(t *testing.T) {
				m, err := r.Mail(l.Code, d)
				if err != nil {
					t.Fatal(err)
				}
				if strings.ContainsAny(m.Text+m.Subject, string([]rune{bidihtml.Open, bidihtml.Close})) {
					t.Fatalf("a value mark is left in the text:\n%q", m.Text)
				}
				// The same template parsed as it was before values were marked.
				var plain *template.Template
				srcs, err := sources(m.Lang, "")
				if err != nil {
					t.Fatal(err)
				}
				for _, src := range srcs {
					if src.name == d.Template() {
						plain = template.Must(template.New(src.name).Funcs(funcsFor(m.Lang)).Option("missingkey=error").Parse(string(src.src)))
					}
				}
				if plain == nil {
					t.Fatalf("no source for %s/%s", m.Lang.Code, d.Template())
				}
				subj, body, err := execute(plain, d)
				if err != nil {
					t.Fatal(err)
				}
				if body != m.Text || subj != m.Subject {
					t.Errorf("marked values changed the text:\n%q\nwant\n%q", m.Text, body)
				}
			})
		}
	}
}

// TestMarkingKeepsWhatAnOverrideTemplatePrints: variables, with, range,
// pipelines and printf in a templates_dir template print the same text as
// before, and each printed value is isolated in the HTML.
func TestMarkingKeepsWhatAnOverrideTemplatePrints(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "ar"), 0o755)
	src := `{{define "subject"}}{{.Title}}{{end}}{{define "body"}}{{$t := .RoundID}}ملاحظة {{$t}}:
{{with .Lines}}{{range .}}- {{.}}
{{end}}{{end}}{{printf "%q" .Text}} {{.Coalition | upper}}{{end}}`
	os.WriteFile(filepath.Join(dir, "ar", "notice.tmpl"), []byte(src), 0o644)
	r, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Mail("ar", Notice{RoundID: "2026-07", Title: "T", Text: "Some text", Lines: []string{"a", "b"}, Coalition: "Test Coalition"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "ملاحظة 2026-07:\n- a\n- b\n\"Some text\" TEST COALITION\n"; m.Text != want {
		t.Errorf("text %q, want %q", m.Text, want)
	}
	for _, w := range []string{`<bdi>2026-07</bdi>`, `<bdi dir="ltr">a</bdi>`, `<bdi dir="ltr">&#34;Some text&#34;</bdi>`, `<bdi dir="ltr">TEST COALITION</bdi>`} {
		if !strings.Contains(m.HTML, w) {
			t.Errorf("HTML lacks %s:\n%s", w, m.HTML)
		}
	}
}
