package render

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"consultd/internal/lang"
	"consultd/templates"
)

func TestEveryTemplateRendersWithItsData(t *testing.T) {
	r, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range r.Languages().All() {
		entries, err := fs.ReadDir(templates.FS, l.Code)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := strings.TrimSuffix(e.Name(), ".tmpl")
			t.Run(l.Code+"/"+name, func(t *testing.T) {
				data := Samples()[name]
				if data == nil {
					t.Fatalf("no sample data for template %s: add it to Samples", name)
				}
				subj, body, err := r.Render(l.Code, data)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				if strings.ContainsAny(subj, "\r\n") {
					t.Errorf("subject is not one line: %q", subj)
				}
				if strings.TrimSpace(body) == "" || strings.Contains(body, "<no value>") {
					t.Errorf("body empty or with a missing value:\n%s", body)
				}
				if l.Code == "ar" && !hasArabic(body) {
					t.Errorf("Arabic template without Arabic:\n%s", body)
				}
				if strings.Contains(body, "\n\n\n") {
					t.Errorf("runs of blank lines left in:\n%s", body)
				}
			})
		}
	}
}

func TestMissingFieldIsAnErrorAtLoad(t *testing.T) {
	// A template naming a field its data struct lacks fails when loaded,
	// naming its file, not when the mail is sent.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "en"), 0o755)
	os.WriteFile(filepath.Join(dir, "en", "notice.tmpl"), []byte(`{{define "body"}}{{.Round.ID}}{{end}}`), 0o644)
	if _, err := New(dir); err == nil || !strings.Contains(err.Error(), "notice.tmpl") || !strings.Contains(err.Error(), "Round") {
		t.Fatalf("a template naming a missing field loaded: %v", err)
	}
}

func TestUnknownLanguageFallsBackToEnglish(t *testing.T) {
	r, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	// "de" has no templates (a vocabulary-only language): English mail.
	_, body, err := r.Render("de", Samples()["reminder"])
	if err != nil || !strings.Contains(body, "Dear colleagues") {
		t.Fatalf("de reminder: %v\n%s", err, body)
	}
	// Arabic has no notice template: coordinators' notices are English.
	if _, body, err := r.Render("ar", Samples()["notice"]); err != nil || !strings.Contains(body, "consultation service") {
		t.Fatalf("ar notice: %v\n%s", err, body)
	}
}

func TestOverrideDirReplacesOneTemplateAndReportsSyntaxErrors(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "en"), 0o755)
	os.WriteFile(filepath.Join(dir, "en", "reminder.tmpl"), []byte(`{{define "subject"}}Nudge {{.Round.ID}}{{end}}{{define "body"}}Please answer.{{end}}`), 0o644)
	r, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	subj, _, err := r.Render("en", Samples()["reminder"])
	if err != nil || subj != "Nudge 2026-07" {
		t.Fatalf("override not used: %q %v", subj, err)
	}
	os.WriteFile(filepath.Join(dir, "en", "receipt.tmpl"), []byte(`{{define "body"}}{{if}}{{end}}`), 0o644)
	if _, err := New(dir); err == nil || !strings.Contains(err.Error(), "receipt.tmpl") {
		t.Fatalf("a broken override did not name its file: %v", err)
	}
}

func TestHTMLEscapesAndSetsDirection(t *testing.T) {
	h := HTML(lang.Arabic, "عنوان\n\n<script>alert(1)</script>")
	if !strings.Contains(h, `dir="rtl"`) || strings.Contains(h, "<script>") {
		t.Fatalf("HTML:\n%s", h)
	}
	if h := HTML(lang.French, "x"); !strings.Contains(h, `dir="ltr"`) {
		t.Fatalf("French HTML not ltr:\n%s", h)
	}
}

func hasArabic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) {
			return true
		}
	}
	return false
}

// A language added in templates_dir: its own folder with every required
// template and a language.yaml saying how it writes dates and which way.
func TestTemplatesDirAddsALanguage(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "fa")
	os.MkdirAll(sub, 0o755)
	for _, name := range lang.Required {
		src := `{{define "subject"}}موضوع{{end}}{{define "body"}}سلام{{end}}`
		if name == "reminder" {
			src = `{{define "subject"}}یادآوری: [Consultation {{.Round.ID}}]{{end}}{{define "body"}}مهلت: {{date .Round.Deadline}} — {{num 12}}{{end}}`
		}
		os.WriteFile(filepath.Join(sub, name+".tmpl"), []byte(src), 0o644)
	}
	os.WriteFile(filepath.Join(sub, lang.SpecFile), []byte(`name: Persian
native: فارسی
direction: rtl
months: [ژانویه, فوریه, مارس, آوریل, مه, ژوئن, ژوئیه, اوت, سپتامبر, اکتبر, نوامبر, دسامبر]
datetime: "{day} {month} {year}، ساعت {time} ({zone})"
digits: "۰۱۲۳۴۵۶۷۸۹"
`), 0o644)
	r, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	subj, body, err := r.Render("fa", Samples()["reminder"])
	if err != nil {
		t.Fatal(err)
	}
	if subj != "یادآوری: [Consultation 2026-07]" || body != "مهلت: 1 دسامبر 2026، ساعت 16:00 (UTC) — ۱۲\n" {
		t.Errorf("fa reminder: %q\n%q", subj, body)
	}
	if l := r.Language("fa"); l.Dir != lang.RTL || l.Native != "فارسی" || !strings.Contains(HTML(l, body), `dir="rtl"`) {
		t.Errorf("fa: %+v", l)
	}
	// Coordinators' mail has no Persian template: English.
	if _, body, err := r.Render("fa", Samples()["notice"]); err != nil || !strings.Contains(body, "consultation service") {
		t.Errorf("fa notice: %v %q", err, body)
	}
	// A template naming a field its data lacks is refused when loaded.
	os.WriteFile(filepath.Join(sub, "unclear.tmpl"), []byte(`{{define "body"}}{{.Round.Deadlin}}{{end}}`), 0o644)
	if _, err := New(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(sub, "unclear.tmpl")) {
		t.Errorf("a template with a misspelt field loaded: %v", err)
	}
}
