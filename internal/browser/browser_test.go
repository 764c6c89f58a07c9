package browser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrokenPageIsReported: what the site and mail tests call "loads
// without errors" does catch a script error and a missing resource, and
// direction reading tells a scrambled line from one in order.
func TestBrokenPageIsReported(t *testing.T) {
	b := Start(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "broken.html"), []byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title></head>`+
		`<body><img src="missing.png"><script>undefinedFunction()</script>`+
		`<p dir="rtl">من: Office &lt;a@b.example&gt;</p><p dir="rtl">من: <bdi>Office &lt;a@b.example&gt;</bdi></p></body></html>`), 0o644)
	srv := Serve(t, dir)
	p := b.Open(t, srv.URL+"broken.html")
	f := p.Find(t, "Office <a@b.example>", "#2 Office <a@b.example>", "من:")
	if !strings.Contains(strings.Join(p.Errors, "\n"), "undefinedFunction") {
		t.Errorf("the script error was not reported: %q", p.Errors)
	}
	if m := srv.Missing(); len(m) != 1 || m[0] != "/missing.png" {
		t.Errorf("missing resources %q, want /missing.png", m)
	}
	if f["Office <a@b.example>"].ReadsLTR() {
		t.Errorf("the unisolated address reads in order: %+v", f["Office <a@b.example>"])
	}
	if !f["#2 Office <a@b.example>"].ReadsLTR() || !f["من:"].ReadsRTL() {
		t.Errorf("the isolated address or the Arabic label is out of order: %+v", f)
	}
	if f["من:"].Block != "rtl" || f["من:"].PageDir != "ltr" {
		t.Errorf("directions: %+v", f["من:"])
	}
}
