package config

import (
	"fmt"
	"log/slog"
)

// Secret holds a password. It never prints its value: fmt (any verb), slog,
// YAML and JSON all see "[redacted]", so dumping a Config cannot leak it.
type Secret struct{ value string }

// NewSecret wraps a password, e.g. for tests that build a Config by hand.
func NewSecret(s string) Secret { return Secret{value: s} }

// Reveal returns the password itself; call it only where it is sent to a server.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether a password is present.
func (s Secret) IsSet() bool { return s.value != "" }

const redacted = "[redacted]"

func (s Secret) shown() string {
	if s.value == "" {
		return ""
	}
	return redacted
}

func (s Secret) String() string   { return s.shown() }
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.shown()) }

// Format covers every verb (%v, %+v, %#v, %s, %q, %x ...).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.shown())
}

func (s Secret) LogValue() slog.Value         { return slog.StringValue(s.shown()) }
func (s Secret) MarshalYAML() (any, error)    { return s.shown(), nil }
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%q", s.shown())), nil }
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }

// Pass returns the IMAP password. Load moves the password into Secret and
// clears Password; a Password set afterwards (e.g. by a test or the demo)
// takes precedence.
func (i IMAP) Pass() string {
	if i.Password != "" {
		return i.Password
	}
	return i.Secret.value
}

// Pass returns the SMTP password (see IMAP.Pass).
func (s SMTP) Pass() string {
	if s.Password != "" {
		return s.Password
	}
	return s.Secret.value
}
