// Package lang is consultd's one list of languages: for each, its code, its
// names, its writing direction, how a date is written in it, the answer
// keywords its templates teach members, and which templates it must have.
// Everything that depends on a language (config validation, templates, mail
// HTML, published statements, directives) reads it from here, so adding a
// language is one entry in builtin below plus a templates/CODE/ folder —
// or, without rebuilding, a templates_dir/CODE/ folder (see Load).
package lang

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Direction is how a language is laid out: HTML's dir attribute.
type Direction string

const (
	LTR Direction = "ltr"
	RTL Direction = "rtl"
)

// Language is one language consultd writes mail in.
type Language struct {
	Code   string    // BCP 47 tag: "en", "ar", "fr"; also the templates folder name
	Name   string    // in English: "French"
	Native string    // in itself: "Français"
	Dir    Direction // LTR or RTL
	// Aliases are further names coordinators write in a "Language:" directive
	// (besides Code, Name and Native), compared case- and accent-insensitively
	// by package forward.
	Aliases []string
	// Keywords are the words the templates tell members to answer with.
	// Package answer must understand them (its tests check every language);
	// empty for a language added in templates_dir, whose words come from a
	// vocabulary entry in the configuration.
	Keywords Keywords
	// DateTime writes a moment with its time and zone, Date only the day.
	DateTime func(time.Time) string
	Date     func(time.Time) string
	// Digits writes a number in the language's digits (nil: as is).
	Digits func(string) string
	// Dir is where a language added in templates_dir was found ("" for built-in ones).
	Source string
}

// Keywords are what a member writes to answer, as the templates show them.
type Keywords struct {
	Accept, Decline, Abstain  string // the first line of an answer
	Concerns, Recommendations string // section headings
	Sign, Yes, No             string // "Sign: yes"
}

// Number writes n in the language's digits.
func (l *Language) Number(n any) string {
	s := fmt.Sprint(n)
	if l.Digits == nil {
		return s
	}
	return l.Digits(s)
}

// Fallback is the language used when a language has no template of a name,
// and for mail to coordinators.
const Fallback = "en"

// Required are the templates every language must have: what members and
// inviters receive. Optional ones (Coordinators) fall back to English.
var Required = []string{"consultation", "reminder", "receipt", "unclear", "holding", "statement_accept", "statement_decline"}

// Coordinators are the templates of mail to coordinators: English must have
// them, other languages may (Arabic has the confirmation request).
var Coordinators = []string{"opened", "notice", "confirmation"}

// All is every template name consultd renders.
func All() []string { return append(slices.Clone(Required), Coordinators...) }

// RequiredFor lists the templates language code must have.
func RequiredFor(code string) []string {
	if code == Fallback {
		return All()
	}
	return slices.Clone(Required)
}

// Registry is the languages consultd knows: the built-in ones plus those a
// templates_dir adds. It is not changed after it is made.
type Registry struct {
	list []*Language
	by   map[string]*Language
}

func newRegistry(ls []*Language) *Registry {
	r := &Registry{by: map[string]*Language{}}
	for _, l := range ls {
		r.list = append(r.list, l)
		r.by[l.Code] = l
	}
	return r
}

var builtinRegistry = newRegistry(builtin)

// Builtin is the registry of the languages compiled in.
func Builtin() *Registry { return builtinRegistry }

// Get returns the language of code, or nil when it is not known.
func (r *Registry) Get(code string) *Language { return r.by[code] }

// Or returns the language of code, or English when code is not known (a
// round or member stored before a language was removed still gets mail).
func (r *Registry) Or(code string) *Language {
	if l := r.by[code]; l != nil {
		return l
	}
	return r.by[Fallback]
}

// Codes lists the codes, built-in first, in registry order.
func (r *Registry) Codes() []string {
	out := make([]string, len(r.list))
	for i, l := range r.list {
		out[i] = l.Code
	}
	return out
}

// All lists the languages, built-in first.
func (r *Registry) All() []*Language { return slices.Clone(r.list) }

// Lookup finds a language by what a coordinator writes: its code, English or
// native name, or an alias. fold is applied to both sides (package forward
// passes its accent- and Arabic-variant-folding).
func (r *Registry) Lookup(s string, fold func(string) string) (*Language, bool) {
	want := fold(strings.TrimSpace(s))
	for _, l := range r.list {
		for _, n := range append([]string{l.Code, l.Name, l.Native}, l.Aliases...) {
			if n != "" && fold(n) == want {
				return l, true
			}
		}
	}
	return nil, false
}
