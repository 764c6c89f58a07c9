package sender

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

// render builds m and parses the result back, as a recipient would.
func render(t testing.TB, m Mail) (*mail.Reader, string) {
	t.Helper()
	msg, err := Build(m)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	mr, err := mail.CreateReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, buf.String())
	}
	return mr, buf.String()
}

func TestBuildThreadingHeaders(t *testing.T) {
	m := consultation()
	m.InReplyTo = "<AM0PR10MB1234.eurprd10.prod.outlook.com>" // wrong shape: no @
	m.References = nil
	for i := range 30 {
		m.References = append(m.References, "<ref"+strings.Repeat("x", i)+"@lists.example>")
	}
	m.References = append(m.References, "not an id", "<a b@c>")
	mr, raw := render(t, m)
	if mr.Header.Has("In-Reply-To") {
		t.Errorf("an invalid In-Reply-To was written: %q", mr.Header.Get("In-Reply-To"))
	}
	refs, err := mr.Header.MsgIDList("References")
	if err != nil {
		t.Fatalf("References does not parse: %v\n%s", err, raw)
	}
	if len(refs) != maxReferences || refs[0] != "ref@lists.example" || refs[len(refs)-1] != "ref"+strings.Repeat("x", 29)+"@lists.example" {
		t.Errorf("References = %v, want the root and the %d most recent", refs, maxReferences-1)
	}
}

func TestBuildRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(m *Mail)
		want string
	}{
		{"no Message-ID (go-mail would invent one per attempt)", func(m *Mail) { m.MessageID = "" }, "Message-ID"},
		{"Message-ID without domain", func(m *Mail) { m.MessageID = "r42" }, "Message-ID"},
		{"no recipients", func(m *Mail) { m.To, m.Cc = nil, nil }, "no recipients"},
		{"no From", func(m *Mail) { m.From = Address{} }, "From"},
		{"bad address", func(m *Mail) { m.To = []Address{{Addr: "amal at ngo"}} }, "to address"},
		{"Subject in Headers", func(m *Mail) { m.Headers = map[string]string{"subject": "x"} }, "set from the message fields"},
		{"header name with a colon", func(m *Mail) { m.Headers = map[string]string{"X-A: b": "x"} }, "not valid"},
		{"language that is not a tag", func(m *Mail) { m.Lang = "ar\r\nX: y" }, "language"},
		{"attachment type that is not a media type", func(m *Mail) { m.Attachments[0].ContentType = "pdf file" }, "content type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := consultation()
			tc.edit(&m)
			_, err := Build(m)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestBuildLoopHeaders(t *testing.T) {
	m := consultation()
	m.Headers = map[string]string{"auto-submitted": "auto-replied", "X-Consultd-Round": "r42"}
	mr, _ := render(t, m)
	h := mr.Header
	if got := h.Values("Auto-Submitted"); len(got) != 1 || got[0] != "auto-replied" {
		t.Errorf("Auto-Submitted = %q, want only the override", got)
	}
	if h.Get("X-Auto-Response-Suppress") != "All" || h.Get("X-Consultd-Round") != "r42" {
		t.Errorf("X-Auto-Response-Suppress=%q X-Consultd-Round=%q", h.Get("X-Auto-Response-Suppress"), h.Get("X-Consultd-Round"))
	}
}

func TestBodyEncodingFitsTheText(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"English stays readable", "Please answer by 2 December: https://coalition.example/r42", "quoted-printable"},
		{"Arabic is base64", "يرجى الرد قبل الثاني من كانون الأول", "base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := consultation()
			m.Text, m.HTML, m.Attachments = tc.text, "", nil
			mr, _ := render(t, m)
			p, err := mr.NextPart()
			if err != nil {
				t.Fatal(err)
			}
			// go-message decodes the body; the raw encoding is in the part header.
			if got := p.Header.Get("Content-Transfer-Encoding"); got != tc.want {
				t.Errorf("Content-Transfer-Encoding = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzBuildHeaderInjection feeds arbitrary text into every user-controlled
// header and checks that the built message has exactly the expected fields.
func FuzzBuildHeaderInjection(f *testing.F) {
	f.Add("Re: دعوة الاجتماع", "منظمة أمل", "r42", "جدول.pdf")
	f.Add("Hi\r\nBcc: evil@x.example", "Amal\r\nX-Injected: 1", "a\nb", "a.pdf\"\r\n\r\nbody")
	f.Add("=?utf-8?q?x?=\r\n\tfolded", "\"quoted\" <name>", "\x00\x7f", "../../etc/passwd")
	f.Add("\u2028\u2029\u0085", "Outlook <x@y>, other", "v\r\n", "")
	f.Fuzz(func(t *testing.T, subject, name, headerVal, filename string) {
		m := consultation()
		m.Subject, m.To[0].Name, m.Cc = subject, name, nil
		m.Headers = map[string]string{"X-Consultd-Round": headerVal}
		m.Attachments[0].Filename = filename
		msg, err := Build(m)
		if err != nil {
			return // a clear error is fine; a panic or an injection is not
		}
		var buf bytes.Buffer
		if _, err := msg.WriteTo(&buf); err != nil {
			return
		}
		mr, err := mail.CreateReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("built message does not parse: %v", err)
		}
		allowed := map[string]bool{"Date": true, "Mime-Version": true, "Message-Id": true, "Subject": true,
			"From": true, "To": true, "Reply-To": true, "In-Reply-To": true, "References": true,
			"Content-Language": true, "Auto-Submitted": true, "X-Auto-Response-Suppress": true,
			"X-Consultd-Round": true, "Content-Type": true}
		fields := mr.Header.Fields()
		for fields.Next() {
			if !allowed[fields.Key()] {
				t.Fatalf("unexpected header %q in\n%s", fields.Key(), buf.String())
			}
		}
		if mr.Header.Values("To") == nil || len(mr.Header.Values("Subject")) != 1 {
			t.Fatalf("To or Subject lost or duplicated")
		}
	})
}

func TestOutboxJSONRebuildsTheSameMessage(t *testing.T) {
	m := consultation()
	stored, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Mail
	if err := json.Unmarshal(stored, &back); err != nil {
		t.Fatal(err)
	}
	first, _ := render(t, m)
	second, _ := render(t, back)
	for _, k := range []string{"Message-Id", "Date", "Subject", "From", "To", "Cc", "Reply-To", "In-Reply-To", "References", "Content-Language"} {
		if a, b := first.Header.Get(k), second.Header.Get(k); a != b {
			t.Errorf("%s differs after the outbox round trip: %q vs %q", k, a, b)
		}
	}
}

// TestAStreamedAttachmentIsReadAfreshAtEachBuild: an attachment given as a
// reader (the outbox's blob) is opened at each Build and written whole into
// the message each time, so a redelivery sends the same attachment.
func TestAStreamedAttachmentIsReadAfreshAtEachBuild(t *testing.T) {
	data := bytes.Repeat([]byte("%PDF-1.7 \x00\xff concept note "), 20000)
	opened := 0
	m := Mail{MessageID: "c-1@coal.example", Date: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		From: Address{Addr: "coalition@coal.example"}, To: []Address{{Addr: "info@baytna.example"}}, Subject: "x", Text: "y",
		Attachments: []Attachment{{Filename: "note.pdf", ContentType: "application/pdf",
			Open: func() io.ReadSeeker { opened++; return bytes.NewReader(data) }}}}
	boundary := regexp.MustCompile(`[0-9a-f]{32,}`)
	var outs []string
	for range 2 {
		msg, err := Build(m)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := msg.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, boundary.ReplaceAllString(b.String(), "B"))
	}
	if opened != 2 || outs[0] != outs[1] {
		t.Fatalf("opened %d times; the two builds differ: %v", opened, outs[0] != outs[1])
	}
	if enc := base64.StdEncoding.EncodeToString(data); !strings.Contains(strings.ReplaceAll(outs[0], "\r\n", ""), enc) {
		t.Fatal("the attachment's bytes are not in the message")
	}
}
