// Package atomicfile writes a file so that a reader (a web server serving
// publish_dir, a site generator) sees either the old or the new content,
// never half of it: the data goes to a temporary file in the same folder,
// which is then renamed over the target.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data (mode 0644).
func Write(path string, data []byte) error { return WriteMode(path, data, 0o644) }

// WriteMode replaces path with data, with mode perm. The temporary file is
// created readable by its owner only, so a secret is never readable by others
// on the way.
func WriteMode(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
