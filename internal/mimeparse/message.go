// Package mimeparse reads any RFC 5322 / MIME message, however malformed, into a
// Message: decoded headers, the best text body (HTML converted to text when
// there is no plain part), attachments, and embedded message/rfc822 parts.
// It never panics and bounds its work; problems become Warnings.
package mimeparse

import (
	"net/mail"
	"time"
)

// Address is a decoded mailbox.
type Address struct {
	Name    string `json:"name"`
	Address string `json:"address"` // lower-cased domain, local part as sent
}

// Attachment is a non-body part: files, inline images, text/calendar
// invitations, text/rfc822-headers of a DSN, text parts with a file name or
// disposition attachment, and every message/rfc822 part (also parsed into
// Message.Embedded).
type Attachment struct {
	Filename    string
	ContentType string // e.g. "application/pdf"
	ContentID   string
	Inline      bool   // Content-Disposition: inline
	Disposition string // "attachment", "inline" or "" (none given), lower case
	Data        []byte // transfer-decoded bytes, exactly as sent (cut short when Truncated)
	Size        int64  // decoded size of the whole part
	Truncated   bool   // Data holds only the first bytes: the message exceeded the attachment budget (see Options)
	// Blob is the store's handle of the bytes when the watcher stored them
	// while reading a big message (the part's X-Consultd-Blob header, see
	// mailbox.BlobHeader); Data is then empty. "invalid": they could not be
	// decoded.
	Blob string
}

// Message is what consultd knows about one message.
type Message struct {
	Header mail.Header // raw header fields (values not decoded); use the typed fields below

	From            []Address
	Sender          *Address
	ReplyTo         []Address
	To              []Address
	Cc              []Address
	DeliveredTo     []string // every Delivered-To / X-Original-To / Envelope-To value
	ReturnPath      string   // "" when absent; "<>" seen as Empty=true
	ReturnPathEmpty bool
	Subject         string // decoded (RFC 2047, any charset)
	MessageID       string // without <>
	InReplyTo       []string
	References      []string
	Date            time.Time // zero when missing or unparsable

	ContentType string            // top-level media type, lower case
	Params      map[string]string // its parameters

	// Text is the best text body, UTF-8, CRLF normalised to LF: the text/plain
	// part(s) (one per multipart/alternative; several body parts of a
	// multipart/mixed are joined with a "\n--\n" line; format=flowed undone),
	// or HTMLToText(HTML) when there is no plain part.
	Text string
	HTML string // the HTML body if any, UTF-8 (pieces joined with "\n")

	Attachments []Attachment
	Embedded    []*Message // message/rfc822 parts, parsed recursively (bounded depth)

	// DeliveryStatus holds the raw message/delivery-status (or global-) part of
	// a DSN. It is non-nil (maybe empty) whenever such a part was present.
	DeliveryStatus []byte

	Warnings []string // what was malformed or recovered, for logs
	Size     int      // raw size in bytes
}

// Get returns the first value of a header field, decoded (RFC 2047) when possible.
func (m *Message) Get(key string) string {
	if m == nil || m.Header == nil {
		return ""
	}
	return decodeHeader(m.Header.Get(key))
}
