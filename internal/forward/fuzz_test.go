package forward

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"consultd/internal/mimeparse"
)

// FuzzParse feeds arbitrary plain and HTML bodies to Parse. Seeds are the
// real-client fixtures and the Discourse trimmer's forward cases.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	more, _ := filepath.Glob("testdata/clients/*.eml")
	files = append(files, more...)
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		m, err := mimeparse.Parse(raw)
		if err != nil {
			f.Fatalf("%s: %v", name, err)
		}
		f.Add(m.Text, m.HTML)
		f.Add("", m.HTML)
	}
	if b, err := os.ReadFile("testdata/outlook_newer_ar.txt"); err == nil {
		f.Add(string(b), "")
	}
	for _, s := range discourseForwardSeeds() {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, text, html string) {
		m := &mimeparse.Message{Text: text, HTML: html, Subject: "Fwd: x"}
		r := Parse(m, now)
		for _, e := range r.Directives.Errors {
			if e == "" {
				t.Error("empty directive error")
			}
		}
		if inv := r.Invitation; inv != nil {
			for _, u := range inv.Uncertain {
				if strings.TrimSpace(u) == "" {
					t.Error("an empty guess in Uncertain")
				}
			}
			if inv.Form == "" {
				t.Error("invitation without a form")
			}
			if strings.ContainsFunc(inv.Inviter.Name+inv.Inviter.Address+inv.Subject, isBidi) {
				t.Errorf("bidi marks left in %q %q %q", inv.Inviter.Name, inv.Inviter.Address, inv.Subject)
			}
			if utf8.ValidString(text) && html == "" && !utf8.ValidString(inv.Body) {
				t.Errorf("valid input gave invalid UTF-8 body %q", inv.Body)
			}
		}
		// The text-level parser alone must keep the forwarded text intact.
		if in, ok := FindInline(text); ok && utf8.ValidString(text) {
			if !utf8.ValidString(in.Embedded) || !utf8.ValidString(in.Before) {
				t.Errorf("FindInline split a character: %q | %q", in.Before, in.Embedded)
			}
			// The coordinator's note never holds a forward marker line.
			for _, l := range strings.Split(in.Before, "\n") {
				if u, _ := unquote(l); markerForm(u) != "" {
					t.Errorf("marker line %q left in the text above the forward", l)
				}
			}
		}
	})
}

// discourseForwardSeeds returns the Discourse extract_embedded inputs when the
// shared corpus is beside the repository; fuzzing runs without it too.
func discourseForwardSeeds() []string {
	root := os.Getenv("CONSULTD_CORPUS")
	if root == "" {
		wd, _ := os.Getwd()
		for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
			c := filepath.Join(d, "..", "shared", "corpus")
			if _, err := os.Stat(filepath.Join(c, "README.md")); err == nil {
				root = c
				break
			}
		}
	}
	root = filepath.Join(root, "discourse-email_reply_trimmer")
	b, err := os.ReadFile(filepath.Join(root, "MANIFEST.json"))
	if err != nil {
		return nil
	}
	var man struct {
		Cases []struct{ Kind, Input string }
	}
	if json.Unmarshal(b, &man) != nil {
		return nil
	}
	var seeds []string
	for _, c := range man.Cases {
		if c.Kind != "extract_embedded" {
			continue
		}
		if in, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(c.Input))); err == nil {
			seeds = append(seeds, string(in))
		}
	}
	return seeds
}
