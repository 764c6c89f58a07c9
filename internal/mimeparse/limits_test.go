package mimeparse

import (
	"bytes"
	"consultd/internal/testutil"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func b64(data []byte) string {
	s := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s + "\r\n"
}

const limHdr = "From: Omar <omar@ngo.example>\r\nTo: coalition@coal.example\r\nSubject: Re: Consultation\r\nMessage-ID: <lim@ngo.example>\r\nMIME-Version: 1.0\r\n"

// withAttachment is a Gmail-shaped reply with one attachment of data.
func withAttachment(data []byte) []byte {
	return []byte(limHdr + "Content-Type: multipart/mixed; boundary=\"000a\"\r\n\r\n" +
		"--000a\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\nWe sign. Our letter is attached.\r\n" +
		"--000a\r\nContent-Type: application/pdf; name=\"letter.pdf\"\r\nContent-Disposition: attachment; filename=\"letter.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + b64(data) + "--000a--\r\n")
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func TestAttachmentBudget(t *testing.T) {
	small := func(*Message) int64 { return SmallAttachmentBytes }
	tests := []struct {
		name      string
		size      int
		opt       Options
		wantKept  int
		truncated bool
	}{
		{"5 MB PDF, default budget: kept whole", 5 << 20, Options{}, 5 << 20, false},
		{"5 MB PDF from someone whose attachments are not used: first 1 MiB", 5 << 20, Options{AttachmentBytes: small}, SmallAttachmentBytes, true},
		{"small PDF under the small budget: whole", 300 << 10, Options{AttachmentBytes: small}, 300 << 10, false},
		{"budget of 2 MiB", 3 << 20, Options{AttachmentBytes: func(*Message) int64 { return 2 << 20 }}, 2 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := pattern(tt.size)
			m, err := ParseWith(withAttachment(data), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Text, "We sign.") {
				t.Errorf("text %q lost", m.Text)
			}
			if len(m.Attachments) != 1 {
				t.Fatalf("%d attachments, want 1", len(m.Attachments))
			}
			a := m.Attachments[0]
			if len(a.Data) != tt.wantKept || a.Truncated != tt.truncated || a.Size != int64(tt.size) {
				t.Errorf("kept %d bytes, truncated %v, size %d; want %d, %v, %d", len(a.Data), a.Truncated, a.Size, tt.wantKept, tt.truncated, tt.size)
			}
			if !bytes.Equal(a.Data, data[:len(a.Data)]) {
				t.Errorf("kept bytes are not the start of the attachment")
			}
			warned := strings.Contains(strings.Join(m.Warnings, "\n"), "only its first")
			if warned != tt.truncated {
				t.Errorf("warning about the cut: %v, want %v (%q)", warned, tt.truncated, m.Warnings)
			}
		})
	}
}

func TestTextAndHeaderCaps(t *testing.T) {
	tests := []struct {
		name, raw, warn string
		check           func(t *testing.T, m *Message)
	}{
		{
			name: "15 MB of base64 text is cut to MaxTextBytes",
			raw:  limHdr + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(bytes.Repeat([]byte("We decline. "), (15<<20)/12)),
			warn: "cut to its first",
			check: func(t *testing.T, m *Message) {
				if len(m.Text) > MaxTextBytes || !strings.HasPrefix(m.Text, "We decline. We decline.") {
					t.Errorf("text of %d bytes, want the first %d", len(m.Text), MaxTextBytes)
				}
			},
		},
		{
			name: "a 1 MB header line is cut; the other fields still count",
			raw:  limHdr + "X-Long: " + strings.Repeat("a", 1<<20) + "\r\nContent-Type: text/plain\r\n\r\nWe accept.\r\n",
			warn: "longer than",
			check: func(t *testing.T, m *Message) {
				if got := len(m.Header.Get("X-Long")); got > MaxHeaderLine {
					t.Errorf("X-Long kept %d bytes, want at most %d", got, MaxHeaderLine)
				}
				if m.Subject != "Re: Consultation" || m.Text != "We accept.\n" || len(m.From) != 1 {
					t.Errorf("subject %q, text %q, from %v", m.Subject, m.Text, m.From)
				}
			},
		},
		{
			name: "a 1 MB To: list is cut, From and text survive",
			raw:  strings.Replace(limHdr, "To: ", "To: "+strings.Repeat("r@x.example, ", 80_000), 1) + "Content-Type: text/plain\r\n\r\nabstain\r\n",
			warn: "longer than",
			check: func(t *testing.T, m *Message) {
				if len(m.From) != 1 || m.From[0].Address != "omar@ngo.example" || m.Text != "abstain\n" {
					t.Errorf("from %v text %q", m.From, m.Text)
				}
			},
		},
		{
			name: "delivery status beyond 1 MiB is cut",
			raw: "From: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n" +
				"--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n" +
				strings.Repeat("X-Filler: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n", 30_000) + "\r\n--r--\r\n",
			warn: "delivery status longer than",
			check: func(t *testing.T, m *Message) {
				if len(m.DeliveryStatus) > maxStatusBytes || !bytes.HasPrefix(m.DeliveryStatus, []byte("Reporting-MTA")) {
					t.Errorf("delivery status of %d bytes", len(m.DeliveryStatus))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(m.Warnings, "\n"), tt.warn) {
				t.Errorf("no warning containing %q in %q", tt.warn, m.Warnings)
			}
			tt.check(t, m)
		})
	}
}

// nestedAround wraps a base64 part of n bytes in depth message/rfc822 levels.
func nestedAround(n, depth int) []byte {
	inner := []byte("From: <inner@x.example>\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(pattern(n)))
	for d := range depth {
		inner = append(fmt.Appendf(nil, "From: <l%d@x.example>\r\nSubject: level %d\r\nContent-Type: message/rfc822\r\n\r\n", d, d), inner...)
	}
	return append([]byte(limHdr+"Content-Type: message/rfc822\r\n\r\n"), inner...)
}

// Nested message/rfc822 parts each hold a copy of everything below them;
// without a bound, 12 levels around 6 MB would cost 12 copies.
func TestNestedEmbeddedMessagesAreBounded(t *testing.T) {
	testutil.SkipUnderRace(t, "bytes allocated per input byte")
	raw := nestedAround(6<<20, 12)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := ParseWith(raw, Options{AttachmentBytes: func(*Message) int64 { return SmallAttachmentBytes }})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 5*uint64(len(raw)) {
		t.Errorf("parsing a %d-byte nest allocated %d bytes, want at most 5 times its size", len(raw), alloc)
	}
	var kept int64
	var warnings []string
	depth := 0
	for e := m; e != nil; depth++ {
		warnings = append(warnings, e.Warnings...)
		for _, a := range e.Attachments {
			kept += int64(len(a.Data))
		}
		if len(e.Embedded) == 0 {
			break
		}
		e = e.Embedded[0]
	}
	if kept > SmallAttachmentBytes {
		t.Errorf("%d attachment bytes kept, budget %d", kept, SmallAttachmentBytes)
	}
	if depth == 0 || depth >= MaxDepth || !strings.Contains(strings.Join(warnings, "\n"), "not parsed: too large at this depth") {
		t.Errorf("embedded to depth %d, warnings %q", depth, warnings)
	}
	// A forward attached as message/rfc822, with a PDF inside, is still read
	// whole: the embedded invitation and its attachment.
	pdf := pattern(5 << 20)
	fwd := append([]byte(limHdr+"Content-Type: multipart/mixed; boundary=\"f\"\r\n\r\n--f\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"+
		"--f\r\nContent-Type: message/rfc822\r\n\r\n"), withAttachment(pdf)...)
	fwd = append(fwd, "\r\n--f--\r\n"...)
	m, err = Parse(fwd)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Embedded) != 1 || len(m.Embedded[0].Attachments) != 1 || !bytes.Equal(m.Embedded[0].Attachments[0].Data, pdf) {
		t.Fatalf("the attached forward's PDF was not kept whole (warnings %q)", m.Warnings)
	}
}

func TestCapHeaderLinesLeavesNormalMailAlone(t *testing.T) {
	raw := []byte(limHdr + "References: " + strings.Repeat("<a@b.example> ", 2000) + "\r\n\r\nbody " + strings.Repeat("x", 200<<10) + "\r\n")
	out, n := capHeaderLines(raw)
	if n != 0 || &out[0] != &raw[0] {
		t.Errorf("a 28 KB References line and a long body line were touched (%d cut)", n)
	}
}

func FuzzParseWithSmallBudget(f *testing.F) {
	f.Add(withAttachment(pattern(3000)))
	f.Add(nestedAround(2000, 9))
	f.Add([]byte("Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nFrom: x\n\nhi"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		const budget = 1000
		m, err := ParseWith(raw, Options{AttachmentBytes: func(*Message) int64 { return budget }})
		if m == nil {
			t.Fatalf("nil message (err %v)", err)
		}
		checkInvariants(t, m, 0)
		var kept int64
		var walk func(*Message)
		walk = func(m *Message) {
			for _, a := range m.Attachments {
				kept += int64(len(a.Data))
				if int64(len(a.Data)) > a.Size || (a.Truncated != (int64(len(a.Data)) < a.Size)) {
					t.Fatalf("attachment of %d bytes, size %d, truncated %v", len(a.Data), a.Size, a.Truncated)
				}
			}
			for _, e := range m.Embedded {
				walk(e)
			}
		}
		walk(m)
		if kept > budget {
			t.Fatalf("%d attachment bytes kept, budget %d", kept, budget)
		}
		if len(m.Text) > 2*MaxTextBytes+len(raw) {
			t.Fatalf("text of %d bytes", len(m.Text))
		}
	})
}
