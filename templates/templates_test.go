package templates_test

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"consultd/internal/lang"
	"consultd/internal/render"
	"consultd/templates"
)

// In the manner of miniflux's locale test: every registered language has
// every template it needs, each executes with its data struct, and what a
// member must read to answer is in it.

func TestEveryLanguageHasItsTemplates(t *testing.T) {
	for _, l := range lang.Builtin().All() {
		if problems := missingTemplates(templates.FS, l); len(problems) > 0 {
			t.Errorf("%s: %s", l.Code, strings.Join(problems, "; "))
		}
	}
	// Every folder is a registered language: a folder added without its
	// registry entry would never be used.
	entries, err := fs.ReadDir(templates.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && lang.Builtin().Get(e.Name()) == nil {
			t.Errorf("templates/%s has no entry in internal/lang", e.Name())
		}
	}
}

func TestEveryTemplateSaysHowToAnswerInItsLanguage(t *testing.T) {
	r, err := render.New("")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lang.Builtin().All() {
		for _, name := range lang.RequiredFor(l.Code) {
			t.Run(l.Code+"/"+name, func(t *testing.T) {
				subj, body, err := r.Render(l.Code, render.Samples()[name])
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range missingKeys(l, name, subj, body) {
					t.Error(p)
				}
			})
		}
	}
}

// TestTheChecksFailOnABrokenLanguage proves the two checks above can fail:
// a language with a template missing, and one whose consultation forgets
// a keyword and writes the deadline in English.
func TestTheChecksFailOnABrokenLanguage(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, name := range lang.RequiredFor(lang.French.Code) {
		if name != "unclear" {
			fsys[path.Join("fr", name+".tmpl")] = &fstest.MapFile{Data: []byte("x")}
		}
	}
	if got := missingTemplates(fsys, lang.French); !slices.Contains(got, "no unclear.tmpl") {
		t.Errorf("a missing template went unnoticed: %v", got)
	}
	d := render.Samples()["consultation"].(render.Consultation)
	body := fmt.Sprintf("ACCEPTER REFUSER Préoccupations : Recommandations : Signer : oui, Signer : non %s %s",
		d.Round.OrigSubject, lang.English.DateTime(d.Round.Deadline))
	got := missingKeys(lang.French, "consultation", "[Consultation "+d.Round.ID+"]", body)
	if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "S'ABSTENIR") }) ||
		!slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "deadline") }) {
		t.Errorf("a missing keyword or an English date went unnoticed: %v", got)
	}
}

func missingTemplates(fsys fs.FS, l *lang.Language) []string {
	var out []string
	for _, name := range lang.RequiredFor(l.Code) {
		if _, err := fs.Stat(fsys, path.Join(l.Code, name+".tmpl")); err != nil {
			out = append(out, "no "+name+".tmpl")
		}
	}
	return out
}

// missingKeys lists what a rendered template (with render.Samples) lacks.
func missingKeys(l *lang.Language, name, subj, body string) []string {
	var out []string
	need := func(what, s string) {
		if !strings.Contains(body, s) {
			out = append(out, fmt.Sprintf("%s/%s: the body lacks %s %q", l.Code, name, what, s))
		}
	}
	// needLine wants "Key: value" (or the French "Key : value") as a member
	// would copy it.
	needLine := func(what, key, value string) {
		re := regexp.MustCompile(regexp.QuoteMeta(key) + `\s?:\s*` + regexp.QuoteMeta(value))
		if !re.MatchString(body) {
			out = append(out, fmt.Sprintf("%s/%s: the body lacks %s %q", l.Code, name, what, key+": "+value))
		}
	}
	k := l.Keywords
	samples := render.Samples()
	switch name {
	case "consultation", "unclear", "reminder":
		need("the accept keyword", k.Accept)
		need("the decline keyword", k.Decline)
		need("the abstain keyword", k.Abstain)
		need("the concerns heading", k.Concerns)
		need("the recommendations heading", k.Recommendations)
		needLine("the sign line", k.Sign, k.Yes)
		needLine("the sign line", k.Sign, k.No)
	case "receipt":
		needLine("the concerns heading", k.Concerns, "")
		needLine("the recommendations heading", k.Recommendations, "")
		for _, c := range samples[name].(render.Receipt).Member.Concerns {
			need("the member's concern", c)
		}
	case "statement_accept", "statement_decline":
		st := samples[name].(render.Statement)
		for _, s := range append(append(st.Signatories, st.Concerns...), st.Recommendations...) {
			need("a signatory or point", s)
		}
		need("the day of the invitation in the language", l.Date(st.Invitation.Date))
		if !strings.Contains(subj, st.Invitation.Title) {
			out = append(out, fmt.Sprintf("%s/%s: the title lacks the invitation's title", l.Code, name))
		}
	}
	if name == "holding" {
		// What to write once decided, in the words of the language.
		need("the accept keyword", k.Accept)
		need("the decline keyword", k.Decline)
		need("the abstain keyword", k.Abstain)
	}
	switch name {
	case "consultation", "unclear", "reminder", "receipt", "holding":
		r := samples["consultation"].(render.Consultation).Round
		need("the deadline in the language", l.DateTime(r.Deadline))
		// Replies are matched by this tag (package round); it is never translated.
		if !strings.Contains(subj, "[Consultation "+r.ID+"]") {
			out = append(out, fmt.Sprintf("%s/%s: the subject %q lacks the tag [Consultation %s]", l.Code, name, subj, r.ID))
		}
	}
	if name == "consultation" {
		need("the invitation's text", "We invite you.")
	}
	return out
}
