package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"consultd/internal/lang"
)

// writeLanguage writes templates_dir/code/ with the named templates (each a
// plain text that names no field) and, when spec is not empty, a language.yaml.
func writeLanguage(t *testing.T, dir, code, spec string, names ...string) {
	t.Helper()
	sub := filepath.Join(dir, "templates", code)
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		src := `{{define "subject"}}Assunto{{end}}{{define "body"}}Olá{{end}}`
		if err := os.WriteFile(filepath.Join(sub, n+".tmpl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if spec != "" {
		if err := os.WriteFile(filepath.Join(sub, lang.SpecFile), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// withTemplatesDir is base with templates_dir: templates and the second
// member (line 22: language: ar) speaking code.
func withTemplatesDir(code string) string {
	return edit(base, 22, "    language: "+code) + "templates_dir: templates\n"
}

func TestTemplatesDirAddsAMemberLanguage(t *testing.T) {
	path := writeConfig(t, withTemplatesDir("pt"))
	writeLanguage(t, filepath.Dir(path), "pt", "name: Portuguese\nnative: Português\nmonths: [janeiro, fevereiro, março, abril, maio, junho, julho, agosto, setembro, outubro, novembro, dezembro]\ndate: \"{day} de {month} de {year}\"\n", lang.Required...)
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("a language added in templates_dir is not accepted: %v", err)
	}
	if cfg.Members[1].Language != "pt" {
		t.Errorf("member language = %q", cfg.Members[1].Language)
	}
	// Without its folder, pt is unknown, and the error says how to add it.
	got := loadErrs(t, withTemplatesDir("pt"))
	if len(got) != 1 || !strings.Contains(got[0], `unknown language "pt" (use en, ar, fr;`) || !strings.Contains(got[0], "templates_dir/pt/") {
		t.Errorf("errors: %q", got)
	}
}

func TestTemplatesDirLanguageMissingTemplatesNamesThem(t *testing.T) {
	path := writeConfig(t, withTemplatesDir("pt"))
	var some []string
	for _, n := range lang.Required {
		if n != "reminder" && n != "unclear" {
			some = append(some, n)
		}
	}
	writeLanguage(t, filepath.Dir(path), "pt", "", some...)
	_, err := Load(path)
	if err == nil {
		t.Fatal("a language lacking templates was accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 1 {
		t.Errorf("one problem, %d error lines: %q", len(lines), lines)
	}
	first := lines[0]
	for _, want := range []string{":23:1: templates_dir: ", filepath.Join(filepath.Dir(path), "templates", "pt"), `language "pt" lacks reminder.tmpl, unclear.tmpl`} {
		if !strings.Contains(first, want) {
			t.Errorf("error %q lacks %q", first, want)
		}
	}
}

func TestTemplatesDirLanguageSpecErrors(t *testing.T) {
	cases := []struct{ name, spec, want string }{
		{"direction", "direction: up\n", `direction "up": use ltr or rtl`},
		{"month without names", "date: \"{day} {month}\"\n", "date: {month} needs months: (12 names)"},
		{"eleven months", "months: [a, b, c, d, e, f, g, h, i, j, k]\n", "months: 11 names; give 12"},
		{"unknown placeholder", "datetime: \"{hour}\"\n", "datetime: unknown placeholder {hour}"},
		{"unknown key", "dir: rtl\n", `unknown field "dir"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, withTemplatesDir("pt"))
			writeLanguage(t, filepath.Dir(path), "pt", c.spec, lang.Required...)
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), lang.SpecFile) {
				t.Fatalf("error %v, want one naming %s with %q", err, lang.SpecFile, c.want)
			}
		})
	}
}

func TestFrenchIsBuiltIn(t *testing.T) {
	cfg := mustLoad(t, edit(base, 22, "    language: fr"))
	if cfg.Members[1].Language != "fr" || !slices.Contains(lang.Builtin().Codes(), "fr") {
		t.Fatalf("fr member: %q", cfg.Members[1].Language)
	}
}
