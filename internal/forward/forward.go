// Package forward recognises an invitation forwarded by a coordinator — inline
// (Gmail, Outlook desktop and web, Apple Mail, Thunderbird; English and Arabic
// UIs) or attached as message/rfc822 — and recovers the original invitation and
// the coordinator's directives written above it.
package forward

import (
	"time"

	"consultd/internal/mimeparse"
)

// Directives are "Key: value" lines a coordinator writes above the forwarded part.
// They win over anything guessed from the invitation.
type Directives struct {
	Deadline time.Time          // Deadline: 2026-12-02 18:00 +02:00
	Inviter  *mimeparse.Address // Inviter: Name <office@envoy.example>
	Title    string             // Title: ...
	Language string             // Language: ar|en
	Errors   []string           // directives present but unreadable, e.g. "Deadline: next tuesday"
}

// Invitation is the original message recovered from the forward.
type Invitation struct {
	Inviter     mimeparse.Address
	Subject     string
	Date        time.Time // zero if unknown
	MessageID   string    // without <>; "" if the forward did not carry it
	Body        string    // the original text
	Attachments []mimeparse.Attachment
	ReplyBy     time.Time // a reply-by / RSVP date found in the body; zero if none
	Form        string    // "gmail", "outlook", "apple", "thunderbird", "rfc822", ... for logs
}

// Result is what Parse found.
type Result struct {
	Directives Directives
	Invitation *Invitation // nil when the message is not a forward
	Note       string      // the coordinator's own text above the forward, directives removed
}

// Parse examines a message from a coordinator. now is used to resolve dates without a year.
func Parse(m *mimeparse.Message, now time.Time) Result {
	panic("not implemented")
}
