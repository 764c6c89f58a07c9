package render

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"consultd/templates"
)

// Representative data shaped like what package round passes; maps keep this
// test independent of the store's types while exercising every field used.
func sampleData(name string) any {
	deadline := time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)
	round := map[string]any{"ID": "2026-07", "OrigSubject": "Invitation: CSSR meetings\r\nBcc: x@y", "Title": "CSSR meetings in Geneva",
		"Deadline": deadline, "OrigDate": deadline.AddDate(0, 0, -6), "CreatedAt": deadline.AddDate(0, 0, -3),
		"Note": "Please answer quickly.\nThanks", "OpenedBy": "rania@coal.example", "InviterName": "Office of the Envoy",
		"OrigBody": "Dear colleagues,\n\nWe invite you.", "OrigMessageID": "cssr-1@envoy.example", "Language": "en"}
	member := map[string]any{"Name": "Baytna Syria", "Position": "decline", "Concerns": []string{"Too late", "{{.Round.ID}}"},
		"Recommendations": []string{"Consult earlier"}}
	switch name {
	case "consultation":
		return map[string]any{"Round": round, "Member": member, "Coalition": "Test Coalition", "Inviter": "Office <cssr@envoy.example>",
			"Attachments": []string{"agenda.pdf"}, "Previous": []map[string]any{{"ID": "2026-03", "Date": deadline.AddDate(0, -5, 0),
				"Title": "Brussels conference", "Outcome": "declined", "OutcomeAr": "اعتذار", "Recommendations": []string{"Earlier notice"}}}}
	case "notice":
		return map[string]any{"RoundID": "2026-07", "Title": "Status\nBcc: x@y", "Text": "Some text", "Lines": []string{"a", "b"}, "Coalition": "Test Coalition"}
	case "opened":
		return map[string]any{"Round": round, "Inviter": "Office <cssr@envoy.example>", "DeadlineSource": "the policy", "Attachments": []string{"agenda.pdf"},
			"Participants": []map[string]any{{"Name": "Baytna", "Emails": []string{"info@baytna.example"}, "Language": "en"}}, "Warnings": []string{"check"}}
	case "confirmation":
		return map[string]any{"RoundID": "", "Action": "open a round for Office <cssr@envoy.example>", "Summary": "open a consultation round",
			"From": "rania@coal.example", "Subject": "Fwd: Invitation", "Received": deadline, "Expires": deadline.Add(72 * time.Hour),
			"Hours": 72, "Why": "no authentication is configured", "Fix": "Set authentication.authserv_id.", "Coalition": "Test Coalition"}
	case "receipt":
		return map[string]any{"Round": round, "Member": member, "Replaced": true, "Sign": "yes"}
	case "reminder", "unclear":
		return map[string]any{"Round": round, "Member": member, "Text": "hm"}
	case "statement_accept", "statement_decline":
		return map[string]any{"Coalition": "Test Coalition", "Invitation": map[string]any{"Title": "CSSR meetings", "InviterName": "Office",
			"Date": deadline, "Summary": "We invite you.", "When": "28-30 November", "Where": "Geneva", "Focus": "reform"}, "Concerns": []string{"Too late"}, "Recommendations": []string{"Consult earlier"},
			"Signatories": []string{"Baytna Syria", "SJAC"}, "Attendees": []string{"SJAC"}}
	}
	return nil
}

func TestEveryTemplateRendersWithRepresentativeData(t *testing.T) {
	r, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages {
		entries, err := fs.ReadDir(templates.FS, lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := strings.TrimSuffix(e.Name(), ".tmpl")
			t.Run(lang+"/"+name, func(t *testing.T) {
				data := sampleData(name)
				if data == nil {
					t.Fatalf("no sample data for template %s: add it here", name)
				}
				subj, body, err := r.Text(lang, name, data)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				if strings.ContainsAny(subj, "\r\n") {
					t.Errorf("subject is not one line: %q", subj)
				}
				if strings.TrimSpace(body) == "" || strings.Contains(body, "<no value>") {
					t.Errorf("body empty or with a missing value:\n%s", body)
				}
				if lang == "ar" && !hasArabic(body) {
					t.Errorf("Arabic template without Arabic:\n%s", body)
				}
				if strings.Contains(body, "\n\n\n") {
					t.Errorf("runs of blank lines left in:\n%s", body)
				}
			})
		}
	}
}

func TestMissingKeyIsAnErrorNotBlankText(t *testing.T) {
	r, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Text("en", "notice", map[string]any{"Title": "x"}); err == nil {
		t.Fatal("a template rendered with missing keys without error")
	}
}

func TestUnknownLanguageFallsBackToEnglish(t *testing.T) {
	r, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	_, body, err := r.Text("fr", "reminder", sampleData("reminder"))
	if err != nil || !strings.Contains(body, "Dear colleagues") {
		t.Fatalf("fr reminder: %v\n%s", err, body)
	}
	// Arabic has no notice template: coordinators' notices are English.
	if _, _, err := r.Text("ar", "notice", sampleData("notice")); err != nil {
		t.Fatal(err)
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
	subj, _, err := r.Text("en", "reminder", sampleData("reminder"))
	if err != nil || subj != "Nudge 2026-07" {
		t.Fatalf("override not used: %q %v", subj, err)
	}
	os.WriteFile(filepath.Join(dir, "en", "receipt.tmpl"), []byte(`{{define "body"}}{{if}}{{end}}`), 0o644)
	if _, err := New(dir); err == nil || !strings.Contains(err.Error(), "receipt.tmpl") {
		t.Fatalf("a broken override did not name its file: %v", err)
	}
}

func TestHTMLEscapesAndSetsDirection(t *testing.T) {
	h := HTML("ar", "عنوان\n\n<script>alert(1)</script>")
	if !strings.Contains(h, `dir="rtl"`) || strings.Contains(h, "<script>") {
		t.Fatalf("HTML:\n%s", h)
	}
	if h := HTML("en", "x"); !strings.Contains(h, `dir="ltr"`) {
		t.Fatalf("English HTML not ltr:\n%s", h)
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
