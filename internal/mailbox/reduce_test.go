package mailbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"consultd/internal/mimeparse"
)

func b64(n int) string {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i * 31)
	}
	s := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s + "\r\n"
}

const redHdr = "From: Omar <omar@ngo.example>\r\nTo: <coalition+abcdefghijklmnopqrstuvwxyz@coal.example>\r\nSubject: Re: Consultation\r\nMessage-ID: <r@ngo.example>\r\nMIME-Version: 1.0\r\n"

func TestReduceBigMessages(t *testing.T) {
	reply := redHdr + "Content-Type: multipart/mixed; boundary=\"000a\"\r\n\r\n" +
		"--000a\r\nContent-Type: multipart/alternative; boundary=\"000b\"\r\n\r\n" +
		"--000b\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\nWe sign. Letter attached.\r\n" +
		"--000b\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n<div>We sign. Letter attached.</div>\r\n--000b--\r\n" +
		"--000a\r\nContent-Type: application/pdf; name=\"letter.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(10<<20) +
		"--000a--\r\n"
	bounce := "From: MAILER-DAEMON@mx.example\r\nTo: <coalition@coal.example>\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"r1\"\r\n\r\n" +
		"--r1\r\nContent-Type: text/plain\r\n\r\nThe mail system: <board@bounce.example>: host said 550 5.1.1\r\n" +
		"--r1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; board@bounce.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n" +
		"--r1\r\nContent-Type: message/rfc822\r\n\r\nFrom: <coalition@coal.example>\r\nMessage-ID: <c-token@coal.example>\r\nSubject: [Consultation 2026-01]\r\n" +
		"Content-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\nPlease answer.\r\n" +
		"--inner\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(6<<20) + "--inner--\r\n\r\n--r1--\r\n"
	longHeader := redHdr + "X-Junk: " + strings.Repeat("j", 300<<10) + "\r\nContent-Type: text/plain\r\n\r\nabstain\r\n" + strings.Repeat("padding line\r\n", 400_000)

	tests := []struct {
		name     string
		raw      string
		whole    bool
		maxKept  int
		wantText string
		check    func(t *testing.T, m *mimeparse.Message)
	}{
		{name: "member's reply with a 10 MB letter: text kept, the PDF cut", raw: reply, maxKept: 200 << 10, wantText: "We sign. Letter attached.",
			check: func(t *testing.T, m *mimeparse.Message) {
				if len(m.Attachments) != 1 || m.Attachments[0].Filename != "letter.pdf" {
					t.Errorf("attachments %+v", m.Attachments)
				}
			}},
		{name: "coordinator's forward: read whole", raw: reply, whole: true, maxKept: len(reply), wantText: "We sign. Letter attached."},
		{name: "bounce returning a big consultation: the returned header survives", raw: bounce, maxKept: 300 << 10, wantText: "550 5.1.1",
			check: func(t *testing.T, m *mimeparse.Message) {
				if len(m.Embedded) != 1 || m.Embedded[0].MessageID != "c-token@coal.example" {
					t.Errorf("returned message lost: %d embedded", len(m.Embedded))
				}
				if !bytes.Contains(m.DeliveryStatus, []byte("Status: 5.1.1")) {
					t.Errorf("delivery status lost")
				}
			}},
		{name: "300 KB header line and 5 MB of text: both cut, the answer read", raw: longHeader, maxKept: 4 << 20, wantText: "abstain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole := func([]byte) bool { return tt.whole }
			out, elided, err := readReduced(strings.NewReader(tt.raw), int64(len(tt.raw)), whole, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) > tt.maxKept {
				t.Errorf("kept %d bytes of %d, want at most %d", len(out), len(tt.raw), tt.maxKept)
			}
			if tt.whole && (string(out) != tt.raw || elided != 0) {
				t.Errorf("read whole: %d bytes of %d, %d elided", len(out), len(tt.raw), elided)
			}
			if !tt.whole && elided < int64(len(tt.raw)-len(out))-4096 {
				t.Errorf("elided %d bytes, but %d are missing", elided, len(tt.raw)-len(out))
			}
			m, err := mimeparse.Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Text, tt.wantText) || m.Subject == "" {
				t.Errorf("text %q, subject %q; want %q", m.Text[:min(200, len(m.Text))], m.Subject, tt.wantText)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

// The header decides: WholeMessage sees the top-level header, and only it.
func TestReduceAsksWithTheHeader(t *testing.T) {
	raw := redHdr + "Content-Type: text/plain\r\n\r\nhello\r\n"
	var seen string
	_, _, err := readReduced(strings.NewReader(raw), int64(len(raw)), func(h []byte) bool { seen = string(h); return false }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(seen, "From: Omar") || strings.Contains(seen, "hello") {
		t.Errorf("WholeMessage saw %q", seen)
	}
}

// Whatever the input, reducing keeps delimiters and headers in order and
// never adds to the message; with caps too large to matter it changes
// nothing.
func FuzzReduce(f *testing.F) {
	f.Add([]byte(redHdr + "Content-Type: multipart/mixed; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nhi\r\n--a\r\nContent-Type: image/png\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n--a--\r\n"))
	f.Add([]byte("Content-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n"))
	f.Add([]byte("no header at all\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, elided, err := readReduced(bytes.NewReader(raw), int64(len(raw)), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) < 60<<10 && (!bytes.Equal(out, raw) || elided != 0) {
			t.Fatalf("a small message was changed: %d bytes in, %d out, %d elided", len(raw), len(out), elided)
		}
		small, elided, err := newReducer(8, 8).read(bytes.NewReader(raw), int64(len(raw)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(small))+elided < int64(len(raw)) || elided > int64(len(raw)) {
			t.Fatalf("%d bytes in, %d kept, %d elided", len(raw), len(small), elided)
		}
		if m, _ := mimeparse.Parse(small); m == nil {
			t.Fatalf("reduced message does not parse")
		}
	})
}

// memBlob is a BlobWriter in memory, for the reducer's tests.
type memBlob struct {
	store   map[string][]byte
	buf     bytes.Buffer
	aborted *int
}

func (b *memBlob) Write(p []byte) (int, error) { return b.buf.Write(p) }
func (b *memBlob) Abort()                      { *b.aborted++ }
func (b *memBlob) Close() (string, int64, error) {
	h := fmt.Sprintf("h%d", len(b.store))
	b.store[h] = b.buf.Bytes()
	return h, int64(b.buf.Len()), nil
}

// TestABigForwardsAttachmentIsStoredWhileRead: a coordinator's big message
// is handed over with its text and headers, its base64 attachment (here
// inside a forwarded message/rfc822) decoded into a blob as it was read and
// named in its part; damaged base64 is marked invalid, never kept.
func TestABigForwardsAttachmentIsStoredWhileRead(t *testing.T) {
	pdf := make([]byte, 5<<20+3)
	for i := range pdf {
		pdf[i] = byte(i * 7 % 251)
	}
	enc := base64.StdEncoding.EncodeToString(pdf)
	var lines strings.Builder
	for len(enc) > 76 {
		lines.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	lines.WriteString(enc + "\r\n")
	raw := "From: Rania <rania@coal.example>\r\nSubject: Fwd: invitation\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\nContent-Type: text/plain\r\n\r\nPlease consult.\r\n" +
		"--outer\r\nContent-Type: message/rfc822\r\n\r\nFrom: envoy@un.example\r\nSubject: Invitation\r\n" +
		"Content-Type: multipart/mixed; boundary=inner\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\nYou are invited.\r\n" +
		"--inner\r\nContent-Type: application/pdf; name=\"note.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + lines.String() +
		"--inner\r\nContent-Type: application/octet-stream; name=\"bad.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nnot*base64\r\n" +
		"--inner--\r\n--outer--\r\n"
	blobs := map[string][]byte{}
	aborted := 0
	out, elided, err := readReduced(strings.NewReader(raw), int64(len(raw)), func([]byte) bool { return true },
		func() BlobWriter { return &memBlob{store: blobs, aborted: &aborted} })
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > 4<<10 || elided != 0 {
		t.Fatalf("handed over %d bytes (elided %d): the attachment was kept in the message", len(out), elided)
	}
	if len(blobs) != 1 || !bytes.Equal(blobs["h0"], pdf) || aborted != 1 {
		t.Fatalf("%d blobs (%d aborted); the PDF's is %d bytes, want %d", len(blobs), aborted, len(blobs["h0"]), len(pdf))
	}
	for _, want := range []string{"You are invited.", "Please consult.", "X-Consultd-Blob: h0; size=5242883\r\n\r\n--inner", "X-Consultd-Blob: invalid\r\n", "--outer--"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("the message handed over lacks %q:\n%s", want, out)
		}
	}
}
