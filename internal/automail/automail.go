// Package automail recognises machine-generated mail: auto-replies and
// out-of-office notices (RFC 3834 and the vendor conventions) and bounces
// (RFC 3464 delivery status notifications and free-text MTA bounces), and
// extracts each failed recipient with its status and hard/soft class.
package automail

import "consultd/internal/mimeparse"

// Recipient is one recipient reported by a bounce.
type Recipient struct {
	Address    string `json:"address"`
	Action     string `json:"action"`     // failed | delayed | delivered | relayed | expanded
	Status     string `json:"status"`     // RFC 3463, e.g. "5.1.1"; "" if unknown
	ReplyCode  string `json:"reply_code"` // SMTP code, e.g. "550"
	Diagnostic string `json:"diagnostic"`
	Hard       bool   `json:"hard"` // permanent failure: the address will not work
}

// Bounce is a delivery failure report.
type Bounce struct {
	Recipients        []Recipient `json:"recipients"`
	OriginalMessageID string      `json:"original_message_id"` // from the returned message or headers, without <>
}

// IsAutoReply reports whether m is an automatic reply (out-of-office, vacation,
// auto-responder) and why. Bounces are not auto-replies.
func IsAutoReply(m *mimeparse.Message) (bool, string) { panic("not implemented") }

// ParseBounce returns the bounce report in m, or nil when m is not a bounce.
// Feedback reports (ARF) and successful-delivery DSNs are not bounces.
func ParseBounce(m *mimeparse.Message) *Bounce { panic("not implemented") }

// IsMachineGenerated reports mail that must never be answered: auto-replies,
// bounces, feedback reports, delivery notifications, list/bulk mail.
func IsMachineGenerated(m *mimeparse.Message) bool { panic("not implemented") }
