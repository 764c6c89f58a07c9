package config

import (
	"net/mail"

	tokenpkg "consultd/internal/token"
	"strings"
	"time"
)

// normAddr reduces "Ali <ALI@Example.org>" or " ali@example.org " to
// "ali@example.org" for comparisons; configured addresses are bare already.
func normAddr(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "<\"") {
		if a, err := mail.ParseAddress(s); err == nil {
			s = a.Address
		}
	}
	return strings.ToLower(s)
}

// Local is the part of the coalition address before "@".
func (c Coalition) Local() string {
	local, _, _ := strings.Cut(c.Address, "@")
	return local
}

// Domain is the coalition address's domain, lower-cased.
func (c *Config) Domain() string {
	i := strings.LastIndexByte(c.Coalition.Address, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(c.Coalition.Address[i+1:])
}

// PlusAddress is the coalition address with a sub-address, e.g.
// coalition+TOKEN@example.org, used as Reply-To so replies carry their token.
// With coalition.plus_addressing: false it is the bare address: the token
// then travels only in the Message-ID, and replies are matched by their
// In-Reply-To/References.
func (c *Config) PlusAddress(token string) string {
	if !c.Coalition.PlusAddressing {
		return c.Coalition.Address
	}
	return tokenpkg.PlusAddress(c.Coalition.Local(), c.Domain(), token)
}

// IsCoordinator reports whether addr (bare or with a display name) is a
// configured coordinator, ignoring case.
func (c *Config) IsCoordinator(addr string) bool { return c.Coordinator(addr) != nil }

// Coordinator returns the coordinator with address addr, or nil.
func (c *Config) Coordinator(addr string) *Person {
	a := normAddr(addr)
	for i := range c.Coordinators {
		if strings.ToLower(c.Coordinators[i].Email) == a {
			return &c.Coordinators[i]
		}
	}
	return nil
}

// MemberByEmail returns the member organisation one of whose contacts is addr,
// or nil. Load guarantees an address belongs to at most one member.
func (c *Config) MemberByEmail(addr string) *Member {
	a := normAddr(addr)
	for i := range c.Members {
		if c.Members[i].HasEmail(a) {
			return &c.Members[i]
		}
	}
	return nil
}

// MemberByID returns the member with the given id, or nil.
func (c *Config) MemberByID(id string) *Member {
	id = strings.ToLower(strings.TrimSpace(id))
	for i := range c.Members {
		if c.Members[i].ID == id {
			return &c.Members[i]
		}
	}
	return nil
}

// HasEmail reports whether addr is one of the member's contacts (ignoring case).
func (m *Member) HasEmail(addr string) bool {
	a := normAddr(addr)
	for _, e := range m.Emails {
		if strings.ToLower(e) == a {
			return true
		}
	}
	return false
}

// VocabularyFor returns the configured vocabulary for lang, or nil.
func (c *Config) VocabularyFor(lang string) *Vocabulary {
	lang = strings.ToLower(lang)
	for i := range c.Vocabulary {
		if c.Vocabulary[i].Language == lang {
			return &c.Vocabulary[i]
		}
	}
	return nil
}

// Reminders returns policy.reminders_before as plain durations.
func (p Policy) Reminders() []time.Duration {
	out := make([]time.Duration, len(p.RemindersBefore))
	for i, r := range p.RemindersBefore {
		out[i] = r.Duration
	}
	return out
}
