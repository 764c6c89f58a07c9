// Package sender delivers consultd's outbox over SMTP (RFC 5321) as MIME
// messages (RFC 5322, 2045-2047) built with go-mail.
//
// A Mail is built from the outbox's stored payload (store.Mail, written in the
// same transaction as the state change that causes it) and turned into MIME
// only at delivery. Its Message-ID and Date are fixed at enqueue time, so a
// redelivery after a crash or a temporary failure is the same message, and
// threading works.
//
// Every message is marked as automatic (Auto-Submitted, RFC 3834; and
// X-Auto-Response-Suppress for Exchange) so that well-behaved responders do
// not answer it. Text from members and inviters ends up in headers (names,
// subjects); CR and LF are removed from every header value so that it can
// never add a header.
package sender

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"consultd/internal/inert"
)

// Address is a mailbox with an optional display name (any script).
type Address struct {
	Name string `json:"name,omitempty"`
	Addr string `json:"addr"`
}

// Attachment is a file sent with a message: Data, or what Open reads.
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type,omitempty"` // "" => application/octet-stream
	Data        []byte `json:"data"`
	// Open, when set, returns a new reader of the bytes at each Build, which
	// go-mail reads only while it writes the message into SMTP DATA: the
	// outbox's stored blob, one chunk at a time, never the whole file.
	Open func() io.ReadSeeker `json:"-"`
}

// Mail is one outgoing message as the sender builds it into MIME: the
// outbox's stored payload (store.Mail) with readers of its attachments.
type Mail struct {
	MessageID string    `json:"message_id"` // without <>, on the coalition's domain; required
	Date      time.Time `json:"date"`       // zero => time of delivery
	From      Address   `json:"from"`
	ReplyTo   *Address  `json:"reply_to,omitempty"`
	To        []Address `json:"to,omitempty"`
	Cc        []Address `json:"cc,omitempty"`
	// Bcc are envelope recipients only: never written in a header. consultd
	// puts the coalition's own address here, so that the copy arriving in
	// its mailbox proves the delivery after a crash.
	Bcc          []Address `json:"bcc,omitempty"`
	EnvelopeFrom string    `json:"envelope_from,omitempty"` // MAIL FROM; "" => From.Addr
	Subject      string    `json:"subject"`
	Text         string    `json:"text"`           // text/plain, always sent
	HTML         string    `json:"html,omitempty"` // optional text/html alternative
	Lang         string    `json:"lang,omitempty"` // BCP 47 tag, e.g. "ar" => Content-Language: ar
	InReplyTo    string    `json:"in_reply_to,omitempty"`
	References   []string  `json:"references,omitempty"`
	// Headers are extra header fields, e.g. "Auto-Submitted": "auto-replied"
	// (which overrides the default). Address, threading and MIME headers
	// cannot be set here.
	Headers     map[string]string `json:"headers,omitempty"`
	Attachments []Attachment      `json:"attachments,omitempty"`
}

// Recipients returns the envelope recipients (To, Cc, then Bcc), without
// duplicates, compared case-insensitively.
func (m Mail) Recipients() []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range append(append(append([]Address(nil), m.To...), m.Cc...), m.Bcc...) {
		addr := strings.TrimSpace(a.Addr)
		if k := strings.ToLower(addr); addr != "" && !seen[k] {
			seen[k] = true
			out = append(out, addr)
		}
	}
	return out
}

// isBccOnly reports whether addr is only a Bcc recipient (not in To or Cc).
func (m Mail) isBccOnly(addr string) bool {
	for _, a := range append(append([]Address(nil), m.To...), m.Cc...) {
		if strings.EqualFold(strings.TrimSpace(a.Addr), addr) {
			return false
		}
	}
	return true
}

// maxReferences bounds the References header; the first (the thread's root)
// and the most recent ids are kept, as RFC 5322 §3.6.4 suggests.
const maxReferences = 20

// reservedHeaders are set from Mail's fields or by the MIME writer.
var reservedHeaders = map[string]bool{
	"from": true, "sender": true, "to": true, "cc": true, "bcc": true, "reply-to": true,
	"subject": true, "date": true, "message-id": true, "in-reply-to": true, "references": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
	"content-disposition": true, "content-language": true, "return-path": true,
	"received": true, "delivered-to": true,
}

var (
	headerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,75}$`)
	langTag    = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$`)
)

// Message is a built MIME message, written by WriteTo.
//
// go-mail v0.8.1 encodes every part into a bytes.Buffer before it copies it
// out (msgWriter.writeBody), so an attachment it writes is held whole, in
// base64: a 25 MB PDF is 34 MB of heap per message. go-mail therefore builds
// the headers and the text; the attachments are written here, each read
// (Attachment.Open) and base64-encoded straight into w.
type Message struct {
	msg  *gomail.Msg
	atts []Attachment
}

// WriteTo writes the message (into SMTP DATA).
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	if len(m.atts) == 0 {
		return m.msg.WriteTo(w)
	}
	var text bytes.Buffer // the headers and text parts: small
	if _, err := m.msg.WriteTo(&text); err != nil {
		return 0, err
	}
	raw := text.Bytes()
	i := bytes.Index(raw, []byte("\r\n\r\n"))
	if i < 0 {
		return 0, errors.New("built message without a header")
	}
	var top, inner []byte // the text's own Content-Type and -Transfer-Encoding move into its part
	for _, f := range headerFields(raw[:i+2]) {
		l := strings.ToLower(string(f))
		if strings.HasPrefix(l, "content-type:") || strings.HasPrefix(l, "content-transfer-encoding:") {
			inner = append(inner, f...)
		} else {
			top = append(top, f...)
		}
	}
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	boundary := hex.EncodeToString(rnd[:])
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 32<<10)
	bw.Write(top)
	fmt.Fprintf(bw, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\nThis is a multi-part message in MIME format.\r\n", boundary)
	fmt.Fprintf(bw, "--%s\r\n", boundary)
	bw.Write(inner)
	bw.WriteString("\r\n")
	bw.Write(raw[i+4:])
	for _, a := range m.atts {
		fmt.Fprintf(bw, "\r\n--%s\r\n", boundary)
		name := cleanFilename(a.Filename)
		ct := strings.TrimSpace(a.ContentType)
		if ct == "" {
			ct = "application/octet-stream"
		}
		mt, params, _ := mime.ParseMediaType(ct)
		params["name"] = name
		fmt.Fprintf(bw, "Content-Type: %s\r\nContent-Disposition: %s\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			mime.FormatMediaType(mt, params), mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		var r io.Reader
		if a.Open != nil {
			r = a.Open()
		} else {
			r = bytes.NewReader(a.Data)
		}
		enc := base64.NewEncoder(base64.StdEncoding, &lineWrapper{w: bw})
		if _, err := io.Copy(enc, r); err != nil {
			return cw.n, fmt.Errorf("attachment %s: %w", name, err)
		}
		if err := enc.Close(); err != nil {
			return cw.n, err
		}
	}
	fmt.Fprintf(bw, "\r\n--%s--\r\n", boundary)
	err := bw.Flush()
	return cw.n, err
}

// headerFields splits a header block into its (folded) fields.
func headerFields(block []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.SplitAfter(block, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && len(out) > 0 {
			out[len(out)-1] = append(out[len(out)-1], l...)
			continue
		}
		out = append(out, append([]byte(nil), l...))
	}
	return out
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// lineWrapper breaks base64 into lines of 76 characters (RFC 2045).
type lineWrapper struct {
	w   io.Writer
	col int
}

func (l *lineWrapper) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), 76-l.col)
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
		p, l.col = p[k:], l.col+k
		if l.col == 76 {
			if _, err := l.w.Write([]byte("\r\n")); err != nil {
				return 0, err
			}
			l.col = 0
		}
	}
	return n, nil
}

// Build turns m into a MIME message. It fails only on data that would fail
// the same way on every attempt (missing Message-ID, invalid address, …).
func Build(m Mail) (*Message, error) {
	id, ok := normalizeMsgID(m.MessageID)
	if !ok {
		return nil, fmt.Errorf("message %q: Message-ID must look like local@domain", m.MessageID)
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.SetMessageIDWithValue(id)
	if !m.Date.IsZero() {
		msg.SetDateWithValue(m.Date)
	} else {
		msg.SetDateWithValue(time.Now())
	}
	if err := setAddresses(msg, m); err != nil {
		return nil, fmt.Errorf("message %s: %w", id, err)
	}
	msg.Subject(cleanHeader(m.Subject))

	if irt, ok := normalizeMsgID(m.InReplyTo); ok {
		msg.SetGenHeader(gomail.HeaderInReplyTo, "<"+irt+">")
	}
	if refs := references(m.References); refs != "" {
		// One value: go-mail joins several values with ", ", which readers
		// then fail to parse as a msg-id list.
		msg.SetGenHeader(gomail.HeaderReferences, refs)
	}
	if m.Lang != "" {
		if !langTag.MatchString(m.Lang) {
			return nil, fmt.Errorf("message %s: language %q is not a language tag", id, m.Lang)
		}
		msg.SetGenHeader(gomail.HeaderContentLang, m.Lang)
	}
	if err := setExtraHeaders(msg, m.Headers); err != nil {
		return nil, fmt.Errorf("message %s: %w", id, err)
	}

	// Bodies carry what members and inviters wrote: no control characters
	// or bidi overrides reach a reader (inert.Text).
	text := inert.Text(m.Text)
	msg.SetBodyString(gomail.TypeTextPlain, text, gomail.WithPartEncoding(bodyEncoding(text)))
	if m.HTML != "" {
		html := inert.Text(m.HTML)
		msg.AddAlternativeString(gomail.TypeTextHTML, html, gomail.WithPartEncoding(bodyEncoding(html)))
	}
	for i, a := range m.Attachments {
		if err := checkAttachment(a); err != nil {
			return nil, fmt.Errorf("message %s: attachment %d: %w", id, i+1, err)
		}
	}
	return &Message{msg: msg, atts: m.Attachments}, nil
}

func setAddresses(msg *gomail.Msg, m Mail) error {
	if strings.TrimSpace(m.From.Addr) == "" {
		return errors.New("no From address")
	}
	if err := msg.FromFormat(cleanHeader(m.From.Name), strings.TrimSpace(m.From.Addr)); err != nil {
		return fmt.Errorf("from address: %w", err)
	}
	if env := strings.TrimSpace(m.EnvelopeFrom); env != "" {
		if err := msg.EnvelopeFrom(env); err != nil {
			return fmt.Errorf("envelope sender: %w", err)
		}
	}
	if m.ReplyTo != nil && strings.TrimSpace(m.ReplyTo.Addr) != "" {
		if err := msg.ReplyToFormat(cleanHeader(m.ReplyTo.Name), strings.TrimSpace(m.ReplyTo.Addr)); err != nil {
			return fmt.Errorf("reply-to address: %w", err)
		}
	}
	if len(m.Recipients()) == 0 {
		return errors.New("no recipients")
	}
	for _, a := range m.To {
		if err := msg.AddToFormat(cleanHeader(a.Name), strings.TrimSpace(a.Addr)); err != nil {
			return fmt.Errorf("to address: %w", err)
		}
	}
	for _, a := range m.Cc {
		if err := msg.AddCcFormat(cleanHeader(a.Name), strings.TrimSpace(a.Addr)); err != nil {
			return fmt.Errorf("cc address: %w", err)
		}
	}
	return nil
}

// setExtraHeaders writes the loop-prevention defaults, then m.Headers.
func setExtraHeaders(msg *gomail.Msg, extra map[string]string) error {
	defaults := map[string]string{
		"Auto-Submitted":           "auto-generated",
		"X-Auto-Response-Suppress": "All",
	}
	for name, value := range extra {
		if !headerName.MatchString(name) {
			return fmt.Errorf("header name %q is not valid", name)
		}
		if reservedHeaders[strings.ToLower(name)] {
			return fmt.Errorf("header %s is set from the message fields, not Headers", name)
		}
		for d := range defaults {
			if strings.EqualFold(d, name) {
				delete(defaults, d)
			}
		}
		msg.SetGenHeader(gomail.Header(name), cleanHeader(value))
	}
	for name, value := range defaults {
		msg.SetGenHeader(gomail.Header(name), value)
	}
	return nil
}

func checkAttachment(a Attachment) error {
	ct := strings.TrimSpace(a.ContentType)
	if ct == "" {
		return nil // application/octet-stream
	}
	if _, _, err := mime.ParseMediaType(ct); err != nil || strings.ContainsAny(ct, "\r\n") {
		return fmt.Errorf("content type %q: not a media type", a.ContentType)
	}
	return nil
}

// cleanFilename keeps the base name on one line, without quotes.
func cleanFilename(s string) string {
	s = cleanHeader(strings.ReplaceAll(s, `\`, "/"))
	s = strings.Trim(path.Base(s), ". ")
	s = strings.NewReplacer(`"`, "", "/", "_").Replace(s)
	if s == "" {
		return "attachment"
	}
	return s
}

// cleanHeader turns text into a single-line header value (inert.Header):
// encoded words are decoded and checked again, line breaks (CR, LF, NEL,
// U+2028/9) and other controls become spaces, bidi overrides go, runs of
// spaces shrink to one, and invalid UTF-8 is replaced.
func cleanHeader(s string) string { return inert.Header(s) }

// normalizeMsgID strips <> and whitespace and checks the id-left@id-right shape.
func normalizeMsgID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 250 {
		return "", false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`<>"\,;`, r) {
			return "", false
		}
	}
	return s, true
}

// references renders the References value: valid ids, deduplicated, in
// order, bounded to the root plus the most recent ones.
func references(ids []string) string {
	var out []string
	seen := map[string]bool{}
	for _, raw := range ids {
		if id, ok := normalizeMsgID(raw); ok && !seen[id] {
			seen[id] = true
			out = append(out, "<"+id+">")
		}
	}
	if len(out) > maxReferences {
		out = append(out[:1], out[len(out)-(maxReferences-1):]...)
	}
	return strings.Join(out, " ")
}

// bodyEncoding picks base64 for mostly non-ASCII text (Arabic: QP would
// triple its size) and quoted-printable otherwise (keeps links and tokens
// readable in the source).
func bodyEncoding(s string) gomail.Encoding {
	n, nonASCII := 0, 0
	for _, r := range s {
		n++
		if r >= utf8.RuneSelf {
			nonASCII++
		}
	}
	if nonASCII*3 > n {
		return gomail.EncodingB64
	}
	return gomail.EncodingQP
}
