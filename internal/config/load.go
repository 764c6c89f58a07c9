package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Size limits: a configuration or password file larger than this is a mistake
// (wrong file), not something to read into memory.
const (
	maxConfigSize   = 16 << 20 // ~50,000 members
	maxPasswordSize = 64 << 10
	// maxErrors keeps the report readable when a file is badly broken.
	maxErrors = 100
)

// Load reads the configuration file at path, decodes it strictly (unknown keys,
// wrong types, "yes" for a boolean are errors), applies defaults, validates it
// and resolves passwords. On failure the error is an Errors value listing every
// problem, one per line, as "FILE:LINE:COL: message".
func Load(path string) (*Config, error) {
	data, err := readLimited(path, maxConfigSize)
	if err != nil {
		return nil, Errors{{File: path, Msg: err.Error()}}
	}
	return Parse(path, data)
}

// Check validates the file at path the way the daemon would load it; it backs
// `consultd check-config`.
func Check(path string) error {
	_, err := Load(path)
	return err
}

// Parse does Load's work on bytes already in memory (e.g. an embedded demo
// configuration). path names the file in errors, and relative paths in the
// configuration are resolved against its directory.
func Parse(path string, data []byte) (*Config, error) {
	fail := func(es Errors) error {
		for i := range es {
			es[i].File = path
		}
		es = es.sorted()
		if len(es) > maxErrors {
			more := len(es) - maxErrors
			es = append(es[:maxErrors], Error{File: path, Msg: fmt.Sprintf("... and %d more problems", more)})
		}
		return es
	}
	if len(data) >= chunkedFrom {
		if b, ok := cutMembers(data); ok {
			if cfg, ok := parse(path, b.rest, &b, fail); ok {
				return cfg.c, cfg.err
			}
		}
	}
	cfg, _ := parse(path, data, nil, fail)
	return cfg.c, cfg.err
}

type parsed struct {
	c   *Config
	err error
}

// parse is Parse's work, with the members list (when members is not nil)
// decoded from its own slices; ok is false when those do not parse.
func parse(path string, data []byte, members *membersBlock, fail func(Errors) error) (out parsed, ok bool) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		if members != nil {
			return out, false
		}
		return parsed{err: fail(Errors{syntaxError(err)})}, true
	}
	var bodies []ast.Node
	for _, doc := range file.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	if len(bodies) > 1 {
		return parsed{err: fail(Errors{{Line: posOf(bodies[1]).line, Col: 1,
			Msg: "only one YAML document is allowed (remove the second \"---\")"}})}, true
	}

	var cfg Config
	var d *decoder
	if len(bodies) == 0 {
		d = newDecoder(nil) // empty file: every required key will be reported
	} else {
		d = newDecoder(bodies[0])
		d.decode(bodies[0], reflect.ValueOf(&cfg).Elem(), "")
	}
	file, bodies = nil, nil // the tree is not needed any more
	if members != nil && !d.decodeMembers(*members, &cfg) {
		return out, false
	}

	dir := "."
	if abs, err := filepath.Abs(path); err == nil {
		dir = filepath.Dir(abs)
	}
	v := &validator{d: d, c: &cfg, dir: dir}
	v.normalise()
	v.defaults()
	v.validate()
	v.resolvePaths()
	v.resolveSecrets()
	if len(d.errs) > 0 {
		return parsed{err: fail(d.errs)}, true
	}
	cfg.Path = path
	return parsed{c: &cfg}, true
}

func syntaxError(err error) Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return Error{Line: tk.Position.Line, Col: tk.Position.Column, Msg: ye.GetMessage()}
		}
		return Error{Msg: ye.GetMessage()}
	}
	return Error{Msg: err.Error()}
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("file is larger than %d bytes", limit)
	}
	return data, nil
}
