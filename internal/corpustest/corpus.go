// Package corpustest loads the peer e-mail test corpora in ../shared/corpus for
// tests. The corpora are read in place and never copied into this repository.
package corpustest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus folder: $CONSULTD_CORPUS, or the first ../shared/corpus
// found walking up from the test's directory. When it is missing the test is
// skipped with a note, except under CI (CI=true), where a missing corpus fails.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("CONSULTD_CORPUS"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		c := filepath.Join(d, "..", "shared", "corpus")
		if fi, err := os.Stat(filepath.Join(c, "README.md")); err == nil && !fi.IsDir() {
			abs, _ := filepath.Abs(c)
			return abs
		}
		if filepath.Dir(d) == d {
			if os.Getenv("CI") == "true" {
				t.Fatal("shared/corpus not found beside the repository (required under CI); set CONSULTD_CORPUS")
			}
			t.Skip("shared/corpus not found beside the repository; corpus tests skipped (set CONSULTD_CORPUS to run them)")
			return ""
		}
	}
}

// Manifest is the common shape of every corpus's MANIFEST.json.
type Manifest struct {
	Corpus    string            `json:"corpus"`
	CaseCount int               `json:"case_count"`
	Cases     []json.RawMessage `json:"cases"` // decode per corpus
}

// Load reads a corpus's manifest.
func Load(t testing.TB, corpus string) (root string, m Manifest) {
	t.Helper()
	root = filepath.Join(Dir(t), corpus)
	b, err := os.ReadFile(filepath.Join(root, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return root, m
}

// Read returns a corpus file exactly as stored (line endings untouched).
func Read(t testing.TB, root, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// KnownFailures is a checked-in list of corpus case ids expected to fail, each
// with its reason. Score checks a run against it so the list stays true: a case
// not on the list that fails, or a listed case that passes, fails the test.
type KnownFailures map[string]string

// Score reports "corpus NAME: P/N exact" and enforces the known-failures list.
// results maps case id to pass/fail.
func Score(t *testing.T, name, what string, results map[string]bool, known KnownFailures) (pass, total int) {
	t.Helper()
	for id, ok := range results {
		total++
		if ok {
			pass++
		}
		reason, listed := known[id]
		switch {
		case !ok && !listed:
			t.Errorf("corpus %s: case %s fails and is not in the known-failures list", name, id)
		case ok && listed:
			t.Errorf("corpus %s: case %s now passes; remove it from the known-failures list (%s)", name, id, reason)
		}
	}
	for id := range known {
		if _, ran := results[id]; !ran {
			t.Errorf("corpus %s: known failure %s did not run; remove it from the list", name, id)
		}
	}
	t.Logf("corpus %s: %d/%d %s", name, pass, total, what)
	// Printed too so the score line shows without -v.
	println("corpus " + name + ": " + itoa(pass) + "/" + itoa(total) + " " + what)
	return pass, total
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// LoadKnown reads the package's testdata/known_failures.json (a flat
// {"id": "reason"} object) and keeps the entries whose id starts with prefix
// ("" keeps all). With strip, the prefix is removed from the ids.
func LoadKnown(t testing.TB, prefix string, strip bool) KnownFailures {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "known_failures.json"))
	if err != nil {
		t.Fatalf("known failures: %v", err)
	}
	var all map[string]string
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatalf("testdata/known_failures.json: %v", err)
	}
	known := KnownFailures{}
	for k, v := range all {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			if strip {
				k = k[len(prefix):]
			}
			known[k] = v
		}
	}
	return known
}
