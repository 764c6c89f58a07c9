package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesAndLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "index.html")
	for _, s := range []string{"old", "new"} {
		if err := Write(p, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Fatalf("content %q, want new", b)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Fatalf("files left in the folder: %v", es)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 (a web server must read it)", fi.Mode().Perm())
	}
}

func TestWriteIntoMissingFolderFails(t *testing.T) {
	if err := Write(filepath.Join(t.TempDir(), "no", "x.html"), []byte("x")); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
}
