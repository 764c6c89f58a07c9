package lang

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// SpecFile is the optional file in templates_dir/CODE/ that describes a
// language added there: names, direction and how dates are written.
const SpecFile = "language.yaml"

// Spec is SpecFile's content. Every key is optional.
type Spec struct {
	Name      string   `yaml:"name"`      // in English; default: the code
	Native    string   `yaml:"native"`    // in itself; default: Name
	Direction string   `yaml:"direction"` // ltr (default) | rtl
	Aliases   []string `yaml:"aliases"`   // more names for the Language: directive
	Months    []string `yaml:"months"`    // 12 names, January first; needed by {month}
	Weekdays  []string `yaml:"weekdays"`  // 7 names, Sunday first; needed by {weekday}
	// Date and DateTime are layouts with {weekday} {day} {dd} {month} {mm}
	// {year} {time} (15:04) {zone}. Defaults: numeric, which every reader
	// can read: "{year}-{mm}-{dd}" and "{year}-{mm}-{dd} {time} ({zone})".
	Date     string `yaml:"date"`
	DateTime string `yaml:"datetime"`
	Unknown  string `yaml:"unknown"` // written for a date that is not known; default "?"
	Digits   string `yaml:"digits"`  // the ten digits 0-9, for list numbers; default ASCII
}

const (
	defaultDate     = "{year}-{mm}-{dd}"
	defaultDateTime = "{year}-{mm}-{dd} {time} ({zone})"
)

// codePat is a BCP 47-like tag in lower case: "fr", "pt-br", "ckb".
var codePat = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})*$`)

// Load returns the built-in languages plus those templates_dir adds: every
// folder dir/CODE/ with *.tmpl files (or a language.yaml) whose CODE is not
// built in. Such a folder must have every Required template; folders of
// built-in codes only override templates and need not be complete. The
// error lists every problem, each naming its folder and files.
func Load(dir string) (*Registry, error) {
	if dir == "" {
		return Builtin(), nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// As before languages could be added: a templates_dir not made yet
		// overrides nothing.
		return Builtin(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("templates_dir %s: %w", dir, err)
	}
	ls := slices.Clone(builtin)
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || Builtin().Get(e.Name()) != nil {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		tmpls, spec, err := scan(sub)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(tmpls) == 0 && !spec {
			continue // not a language folder (notes, images, …)
		}
		if !codePat.MatchString(e.Name()) {
			errs = append(errs, fmt.Errorf("%s: the folder name %q is not a language code; name it like fr or pt-br (lower case)", sub, e.Name()))
			continue
		}
		var missing []string
		for _, name := range Required {
			if !slices.Contains(tmpls, name) {
				missing = append(missing, name+".tmpl")
			}
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("%s: language %q lacks %s (a language needs %s.tmpl)",
				sub, e.Name(), strings.Join(missing, ", "), strings.Join(Required, ".tmpl, ")))
			continue
		}
		l, err := custom(e.Name(), sub, spec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ls = append(ls, l)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return newRegistry(ls), nil
}

// scan lists the template names in a folder and whether it has a SpecFile.
func scan(dir string) (tmpls []string, spec bool, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, false, err
	}
	for _, e := range entries {
		switch {
		case e.IsDir():
		case e.Name() == SpecFile:
			spec = true
		case strings.HasSuffix(e.Name(), ".tmpl"):
			tmpls = append(tmpls, strings.TrimSuffix(e.Name(), ".tmpl"))
		}
	}
	return tmpls, spec, nil
}

// custom makes the Language of templates_dir/code, from its SpecFile if any.
func custom(code, dir string, hasSpec bool) (*Language, error) {
	var s Spec
	if hasSpec {
		p := filepath.Join(dir, SpecFile)
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if s, err = parseSpec(b); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	l, err := s.language(code)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, SpecFile), err)
	}
	l.Source = dir
	return l, nil
}

// parseSpec reads a SpecFile; unknown keys are errors (a misspelt key would
// silently be a default).
func parseSpec(b []byte) (s Spec, err error) {
	// goccy/go-yaml v1.19.2 panics on some malformed input (a tag on a
	// sequence: FuzzSpec found "months: !0…"); a bad file is an error.
	defer func() {
		if r := recover(); r != nil {
			s, err = Spec{}, fmt.Errorf("cannot read it as YAML (%v)", r)
		}
	}()
	if err := yaml.UnmarshalWithOptions(b, &s, yaml.DisallowUnknownField()); err != nil {
		return Spec{}, errors.New(yaml.FormatError(err, false, false))
	}
	return s, nil
}

// language checks a Spec and makes its Language.
func (s Spec) language(code string) (*Language, error) {
	l := &Language{Code: code, Name: s.Name, Native: s.Native, Dir: LTR, Aliases: s.Aliases}
	if l.Name == "" {
		l.Name = code
	}
	if l.Native == "" {
		l.Native = l.Name
	}
	switch strings.ToLower(strings.TrimSpace(s.Direction)) {
	case "", "ltr":
	case "rtl":
		l.Dir = RTL
	default:
		return nil, fmt.Errorf("direction %q: use ltr or rtl", s.Direction)
	}
	if len(s.Months) != 0 && len(s.Months) != 12 {
		return nil, fmt.Errorf("months: %d names; give 12, January first", len(s.Months))
	}
	if len(s.Weekdays) != 0 && len(s.Weekdays) != 7 {
		return nil, fmt.Errorf("weekdays: %d names; give 7, Sunday first", len(s.Weekdays))
	}
	if s.Digits != "" {
		ds := []rune(s.Digits)
		if len(ds) != 10 {
			return nil, fmt.Errorf("digits: %q has %d characters; give the ten digits 0 to 9", s.Digits, len(ds))
		}
		var pairs []string
		for i, d := range ds {
			pairs = append(pairs, string(rune('0'+i)), string(d))
		}
		l.Digits = strings.NewReplacer(pairs...).Replace
	}
	unknown := s.Unknown
	if unknown == "" {
		unknown = "?"
	}
	date, err := s.layout("date", s.Date, defaultDate, unknown)
	if err != nil {
		return nil, err
	}
	dateTime, err := s.layout("datetime", s.DateTime, defaultDateTime, unknown)
	if err != nil {
		return nil, err
	}
	l.Date, l.DateTime = date, dateTime
	return l, nil
}

var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// layout compiles a date layout, refusing unknown placeholders and names
// the Spec does not give.
func (s Spec) layout(key, layout, def, unknown string) (func(time.Time) string, error) {
	if layout == "" {
		layout = def
	}
	for _, p := range placeholder.FindAllString(layout, -1) {
		switch p {
		case "{day}", "{dd}", "{mm}", "{year}", "{time}", "{zone}":
		case "{month}":
			if len(s.Months) == 0 {
				return nil, fmt.Errorf("%s: {month} needs months: (12 names)", key)
			}
		case "{weekday}":
			if len(s.Weekdays) == 0 {
				return nil, fmt.Errorf("%s: {weekday} needs weekdays: (7 names)", key)
			}
		default:
			return nil, fmt.Errorf("%s: unknown placeholder %s (use {weekday} {day} {dd} {month} {mm} {year} {time} {zone})", key, p)
		}
	}
	months, weekdays := s.Months, s.Weekdays
	return func(t time.Time) string {
		if t.IsZero() {
			return unknown
		}
		return placeholder.ReplaceAllStringFunc(layout, func(p string) string {
			switch p {
			case "{day}":
				return fmt.Sprint(t.Day())
			case "{dd}":
				return t.Format("02")
			case "{mm}":
				return t.Format("01")
			case "{year}":
				return fmt.Sprint(t.Year())
			case "{time}":
				return t.Format("15:04")
			case "{zone}":
				return t.Format("MST")
			case "{month}":
				return months[t.Month()-1]
			case "{weekday}":
				return weekdays[t.Weekday()]
			}
			return p
		})
	}, nil
}
