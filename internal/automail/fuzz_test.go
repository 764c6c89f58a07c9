package automail

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"consultd/internal/corpustest"
	"consultd/internal/mimeparse"
)

// FuzzParseBounce feeds raw messages through mimeparse.Parse and every
// classifier. (Work bounds are checked by TestBoundedWork, not here: a
// wall-clock limit fails spuriously on a loaded machine.) The unexported parseBounce is called too, because ParseBounce
// recovers from panics and would hide them from the fuzzer.
func FuzzParseBounce(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := mimeparse.Parse(raw)
		if err != nil || m == nil {
			return
		}
		b := parseBounce(m)
		if b != nil && len(b.Recipients) > MaxRecipients {
			t.Fatalf("%d recipients, more than the bound %d", len(b.Recipients), MaxRecipients)
		}
		auto, why := IsAutoReply(m)
		if auto && why == "" {
			t.Fatal("auto-reply without a reason")
		}
		if auto && b != nil {
			t.Fatal("a bounce called an auto-reply")
		}
		if (auto || b != nil) && !IsMachineGenerated(m) {
			t.Fatal("auto-reply or bounce not machine-generated")
		}
		ParseDeliveryStatus(m.DeliveryStatus)
	})
}

// addSeeds adds the fixtures and, when the shared corpus is present, every
// sisimai message and the enmime DSNs.
func addSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	if os.Getenv("CONSULTD_CORPUS") == "" && !corpusBeside() {
		return
	}
	for _, corpus := range []string{"sisimai-set-of-emails", "enmime-testdata"} {
		root, man := corpustest.Load(f, corpus)
		for _, raw := range man.Cases {
			var c struct {
				Input string `json:"input"`
				API   string `json:"api"`
			}
			if json.Unmarshal(raw, &c) != nil || c.Input == "" {
				continue
			}
			if corpus == "enmime-testdata" && c.API != "dsn" {
				continue
			}
			f.Add(corpustest.Read(f, root, c.Input))
		}
	}
}

// corpusBeside reports whether ../shared/corpus exists above the package, so
// that seeding never skips the fuzz target when the corpus is absent.
func corpusBeside() bool {
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "..", "shared", "corpus", "README.md")); err == nil {
			return true
		}
		if filepath.Dir(d) == d {
			return false
		}
	}
}
