// Package probe names the test messages `consultd doctor` sends to the
// coalition's plus address. The doctor records each probe's id in the store
// before sending it; the daemon files a message carrying a recorded id in
// Processed without answering it. An id nobody recorded (a forged header)
// makes the message ordinary mail, handled as any other.
package probe

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/textproto"
	"regexp"
	"strings"
)

// Header carries the probe's id.
const Header = "X-Consultd-Probe"

var idPat = regexp.MustCompile(`^[0-9a-f]{16}$`)

// NewID returns a random probe id (16 hex digits): also the plus-address
// tag doctor-ID.
func NewID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}

// ID returns the probe id in raw's header, or "" when there is none or it
// is malformed. Only the header block is read.
func ID(raw []byte) string {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = bytes.Index(raw, []byte("\n\n"))
	}
	if end < 0 {
		end = len(raw)
	}
	if !bytes.Contains(bytes.ToLower(raw[:end]), []byte(strings.ToLower(Header))) {
		return ""
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(raw[:end:end], "\r\n\r\n"...)))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return ""
	}
	v := h.Values(Header)
	if len(v) != 1 {
		return "" // two probe headers: not ours
	}
	id := strings.TrimSpace(v[0])
	if !idPat.MatchString(id) {
		return ""
	}
	return id
}
