package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDatesAreWrittenAsEachLanguageWritesThem(t *testing.T) {
	first := time.Date(2026, 12, 1, 18, 5, 0, 0, time.UTC)
	second := time.Date(2026, 12, 2, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		l              *Language
		t              time.Time
		date, dateTime string
	}{
		{English, first, "1 December 2026", "Tuesday 1 December 2026, 18:05 UTC"},
		{Arabic, first, "1 ديسمبر 2026", "1 ديسمبر 2026، الساعة 18:05 (UTC)"},
		// French writes the first of the month 1er, the others as numbers.
		{French, first, "1er décembre 2026", "mardi 1er décembre 2026 à 18:05 (UTC)"},
		{French, second, "2 décembre 2026", "mercredi 2 décembre 2026 à 09:00 (CET)"},
		{French, time.Time{}, "date inconnue", "date inconnue"},
	}
	for _, c := range cases {
		if got := c.l.Date(c.t); got != c.date {
			t.Errorf("%s Date = %q, want %q", c.l.Code, got, c.date)
		}
		if got := c.l.DateTime(c.t); got != c.dateTime {
			t.Errorf("%s DateTime = %q, want %q", c.l.Code, got, c.dateTime)
		}
	}
	if got := Arabic.Number(12); got != "١٢" {
		t.Errorf("Arabic 12 = %q", got)
	}
	if got := French.Number(12); got != "12" {
		t.Errorf("French 12 = %q", got)
	}
}

func TestLookupByWhatCoordinatorsWrite(t *testing.T) {
	fold := strings.ToLower
	for in, want := range map[string]string{"fr": "fr", "French": "fr", "Français": "fr", "francais": "fr", "الفرنسية": "fr",
		"ar": "ar", "Arabic": "ar", "العربية": "ar", "EN": "en", "english": "en"} {
		if l, ok := Builtin().Lookup(in, fold); !ok || l.Code != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", in, l, ok, want)
		}
	}
	if l, ok := Builtin().Lookup("klingon", fold); ok {
		t.Errorf("klingon found: %v", l.Code)
	}
}

func TestBuiltinRegistry(t *testing.T) {
	if got := strings.Join(Builtin().Codes(), ","); got != "en,ar,fr" {
		t.Errorf("codes %s", got)
	}
	if Builtin().Or("de") != English || Builtin().Get("de") != nil {
		t.Error("an unknown code must fall back to English, and not be known")
	}
	for _, l := range Builtin().All() {
		k := l.Keywords
		if l.Name == "" || l.Native == "" || l.DateTime == nil || l.Date == nil || k.Accept == "" || k.Decline == "" ||
			k.Abstain == "" || k.Concerns == "" || k.Recommendations == "" || k.Sign == "" || k.Yes == "" || k.No == "" {
			t.Errorf("%s is incomplete: %+v", l.Code, l)
		}
	}
}

func TestLoadTemplatesDir(t *testing.T) {
	write := func(dir string, files ...string) {
		for _, f := range files {
			p := filepath.Join(dir, f)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("x"), 0o644)
		}
	}
	all := func(code string) []string {
		var out []string
		for _, n := range Required {
			out = append(out, code+"/"+n+".tmpl")
		}
		return out
	}
	t.Run("overrides, notes and a new language", func(t *testing.T) {
		dir := t.TempDir()
		write(dir, append(all("pt-br"), "en/reminder.tmpl", "images/logo.png", ".git/HEAD")...)
		r, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(r.Codes(), ","); got != "en,ar,fr,pt-br" {
			t.Errorf("codes %s", got)
		}
		l := r.Get("pt-br")
		if l.Dir != LTR || l.Name != "pt-br" || l.Source != filepath.Join(dir, "pt-br") ||
			l.DateTime(time.Date(2026, 12, 1, 18, 5, 0, 0, time.UTC)) != "2026-12-01 18:05 (UTC)" {
			t.Errorf("a language without language.yaml: %+v, %q", l, l.DateTime(time.Date(2026, 12, 1, 18, 5, 0, 0, time.UTC)))
		}
	})
	t.Run("a folder that is not a code", func(t *testing.T) {
		dir := t.TempDir()
		write(dir, all("Portuguese")...)
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), `"Portuguese" is not a language code`) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("missing templates, every folder reported", func(t *testing.T) {
		dir := t.TempDir()
		write(dir, "pt/consultation.tmpl", "sw/"+SpecFile)
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), `language "pt" lacks reminder.tmpl, receipt.tmpl, unclear.tmpl, holding.tmpl, statement_accept.tmpl, statement_decline.tmpl`) ||
			!strings.Contains(err.Error(), `language "sw" lacks consultation.tmpl`) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("a templates_dir not made yet", func(t *testing.T) {
		if r, err := Load(filepath.Join(t.TempDir(), "none")); err != nil || r != Builtin() {
			t.Errorf("%v %v", r, err)
		}
	})
}
