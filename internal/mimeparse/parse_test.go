package mimeparse

import (
	"bytes"
	"consultd/internal/testutil"
	"encoding/base64"
	"fmt"
	"mime/quotedprintable"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// crlf turns a fixture written with LF into the CRLF form clients send.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// encodeQP encodes UTF-8 text into charset cs (a legacy code page) and then
// quoted-printable, as Outlook does for windows-1256 mail.
func encodeQP(t *testing.T, cm *charmap.Charmap, s string) string {
	t.Helper()
	b, err := cm.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.String()
}

func encodeB(t *testing.T, cm *charmap.Charmap, cs, s string) string {
	t.Helper()
	b, err := cm.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return "=?" + cs + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="
}

func mustParse(t *testing.T, raw string) *Message {
	t.Helper()
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, w := range m.Warnings {
		if strings.HasPrefix(w, "internal error") {
			t.Fatalf("Parse panicked: %s", w)
		}
	}
	return m
}

func TestParseOutlookArabicWindows1256(t *testing.T) {
	body := "نعم، نوافق على المشاركة في البيان المشترك.\nمع التحية،\nأحمد"
	subject := "رد: دعوة للتشاور"
	raw := crlf(`Received: from mail.example.org
From: `+encodeB(t, charmap.Windows1256, "windows-1256", "أحمد الراوي")+` <ahmad@Example.ORG>
To: "Coalition Mailbox" <coalition@example.net>
Subject: `+encodeB(t, charmap.Windows1256, "windows-1256", subject)+`
Date: Mon, 2 Jun 2025 10:15:00 +0300
Message-ID: <AM0PR01MB1234.eurprd01.prod.outlook.com>
In-Reply-To: <round-7.1@consultd.example.net>
References: <round-7@consultd.example.net> <round-7.1@consultd.example.net>
Content-Type: multipart/alternative;
	boundary="_000_AM0PR01MB1234_"
MIME-Version: 1.0

--_000_AM0PR01MB1234_
Content-Type: text/plain; charset="windows-1256"
Content-Transfer-Encoding: quoted-printable

`) + encodeQP(t, charmap.Windows1256, crlf(body)) + crlf(`

--_000_AM0PR01MB1234_
Content-Type: text/html; charset="windows-1256"
Content-Transfer-Encoding: quoted-printable

`) + encodeQP(t, charmap.Windows1256, crlf(`<html dir="rtl"><body><p class="MsoNormal">نعم، نوافق على المشاركة في البيان المشترك.</p></body></html>`)) + crlf(`

--_000_AM0PR01MB1234_--
`)
	m := mustParse(t, raw)
	if m.Subject != subject {
		t.Errorf("Subject = %q, want %q", m.Subject, subject)
	}
	if m.Text != body+"\n" {
		t.Errorf("Text = %q, want %q", m.Text, body+"\n")
	}
	if !strings.Contains(m.HTML, "نوافق") {
		t.Errorf("HTML not decoded: %q", m.HTML)
	}
	if len(m.From) != 1 || m.From[0].Address != "ahmad@example.org" || m.From[0].Name != "أحمد الراوي" {
		t.Errorf("From = %+v", m.From)
	}
	if m.MessageID != "AM0PR01MB1234.eurprd01.prod.outlook.com" {
		t.Errorf("MessageID = %q", m.MessageID)
	}
	if len(m.References) != 2 || m.InReplyTo[0] != "round-7.1@consultd.example.net" {
		t.Errorf("References = %v, InReplyTo = %v", m.References, m.InReplyTo)
	}
	if want := time.Date(2025, 6, 2, 7, 15, 0, 0, time.UTC); !m.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", m.Date, want)
	}
	if len(m.Attachments) != 0 {
		t.Errorf("alternative HTML became an attachment: %+v", m.Attachments)
	}
}

func TestParseISO88596(t *testing.T) {
	text := "أوافق على الدعوة"
	b, _ := charmap.ISO8859_6.NewEncoder().Bytes([]byte(text))
	raw := "From: member@example.sa\nTo: coalition@example.net\n" +
		"Subject: =?iso-8859-6?Q?" + qWord(b) + "?=\n" +
		"MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-6\nContent-Transfer-Encoding: base64\n\n" +
		base64.StdEncoding.EncodeToString(b) + "\n"
	m := mustParse(t, raw)
	if m.Text != text || m.Subject != text {
		t.Errorf("Text = %q, Subject = %q, want %q", m.Text, m.Subject, text)
	}
}

func qWord(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c == ' ' {
			s.WriteByte('_')
		} else {
			fmt.Fprintf(&s, "=%02X", c)
		}
	}
	return s.String()
}

func TestParseHTMLOnlyOutlook(t *testing.T) {
	raw := crlf(`From: Sara Haddad <sara@ngo.example>
To: coalition@example.net
Subject: RE: Invitation: joint statement
Date: Tue, 3 Jun 2025 09:02:11 +0000
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

<html><head><style>p.MsoNormal{margin:0}</style><title>x</title></head>
<body lang=3D"EN-US"><div class=3D"WordSection1">
<p class=3D"MsoNormal">We accept.<o:p></o:p></p>
<p class=3D"MsoNormal"><o:p>&nbsp;</o:p></p>
<p class=3D"MsoNormal">Concern: the deadline is too short &amp; unclear.<o:p></o:p></p>
<ul><li>first point</li><li>second point</li></ul>
<div id=3D"appendonsend"></div>
<hr style=3D"display:inline-block;width:98%" tabindex=3D"-1">
<div id=3D"divRplyFwdMsg" dir=3D"ltr"><b>From:</b> Coalition &lt;coalition@ex=
ample.net&gt;<br><b>Sent:</b> Monday, June 2, 2025 10:00 AM</div>
<div>Old invitation text</div>
</div></body></html>
`)
	m := mustParse(t, raw)
	for _, want := range []string{"We accept.", "Concern: the deadline is too short & unclear.", "- first point\n- second point"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("Text lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.Text, "MsoNormal") || strings.Contains(m.Text, "\u00a0") || strings.Contains(m.Text, "\r") {
		t.Errorf("Text has style, NBSP or CR:\n%q", m.Text)
	}
}

func TestParseGmailAlternative(t *testing.T) {
	raw := crlf(`MIME-Version: 1.0
Date: Wed, 4 Jun 2025 12:01:33 +0200
References: <inv-42@consultd.example.net>
In-Reply-To: <inv-42@consultd.example.net>
Message-ID: <CAF=abc+123@mail.gmail.com>
Subject: Re: =?UTF-8?B?2K/YudmI2Kk=?= / invitation
From: =?UTF-8?B?2YXYsdmK2YU=?= <mariam@gmail.com>
To: Coalition <coalition@example.net>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3"

--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

We decline, sorry.
=D9=86=D8=B9=D8=AA=D8=B0=D8=B1.

On Mon, Jun 2, 2025 at 10:00 AM Coalition <coalition@example.net> wrote:
> Please reply by Friday.

--000000000000a1b2c3
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">We decline, sorry.<div dir=3D"rtl">=D9=86=D8=B9=D8=AA=D8=
=B0=D8=B1.</div></div><br><div class=3D"gmail_quote gmail_quote_container">=
<div dir=3D"ltr" class=3D"gmail_attr">On Mon, Jun 2, 2025 at 10:00 AM Coalit=
ion &lt;<a href=3D"mailto:coalition@example.net">coalition@example.net</a>&=
gt; wrote:<br></div><blockquote class=3D"gmail_quote" style=3D"margin:0px">=
Please reply by Friday.</blockquote></div>

--000000000000a1b2c3--
`)
	m := mustParse(t, raw)
	wantText := "We decline, sorry.\nنعتذر.\n\nOn Mon, Jun 2, 2025 at 10:00 AM Coalition <coalition@example.net> wrote:\n> Please reply by Friday.\n"
	if m.Text != wantText {
		t.Errorf("Text = %q, want %q", m.Text, wantText)
	}
	if m.Subject != "Re: دعوة / invitation" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if m.From[0].Name != "مريم" || m.MessageID != "CAF=abc+123@mail.gmail.com" {
		t.Errorf("From = %+v, MessageID = %q", m.From, m.MessageID)
	}
}

func TestParseForwardAsAttachment(t *testing.T) {
	inner := crlf(`From: UN Office <events@un.example.org>
To: Coordinator <coord@ngo.example>
Subject: Invitation: consultation on the draft resolution
Date: Fri, 30 May 2025 08:00:00 +0000
Message-ID: <invite-1@un.example.org>
Content-Type: text/plain; charset=utf-8

Dear partners, you are invited to comment by 10 June.
`)
	raw := crlf(`From: Coordinator <coord@ngo.example>
To: coalition@example.net
Subject: FW: Invitation: consultation on the draft resolution
Date: Sat, 31 May 2025 09:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="------------fwd1"

--------------fwd1
Content-Type: text/plain; charset=UTF-8; format=flowed

Please circulate.

--------------fwd1
Content-Type: message/rfc822; name="Invitation.eml"
Content-Disposition: attachment; filename="Invitation.eml"

`) + inner + crlf(`
--------------fwd1--
`)
	m := mustParse(t, raw)
	if len(m.Embedded) != 1 {
		t.Fatalf("Embedded = %d, want 1 (warnings %v)", len(m.Embedded), m.Warnings)
	}
	e := m.Embedded[0]
	if e.Subject != "Invitation: consultation on the draft resolution" || e.MessageID != "invite-1@un.example.org" ||
		e.From[0].Address != "events@un.example.org" || !strings.Contains(e.Text, "comment by 10 June") {
		t.Errorf("embedded = %+v", e)
	}
	if strings.TrimSpace(m.Text) != "Please circulate." {
		t.Errorf("Text = %q", m.Text)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "message/rfc822" || m.Attachments[0].Filename != "Invitation.eml" {
		t.Errorf("Attachments = %s", describeAtts(m.Attachments))
	}
}

func TestParseRFC2231Filename(t *testing.T) {
	raw := `From: a@example.org
Subject: files
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b1

--b1
Content-Type: text/plain

see attached
--b1
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''%D8%A8%D9%8A%D8%A7%D9%86.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b1
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*0*=UTF-8''draft%20statement%20;
 filename*1*=v2.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b1
Content-Type: text/calendar; method=REQUEST; charset=UTF-8
Content-Transfer-Encoding: 7bit

BEGIN:VCALENDAR
METHOD:REQUEST
END:VCALENDAR
--b1--
`
	m := mustParse(t, raw)
	if len(m.Attachments) != 3 {
		t.Fatalf("Attachments = %s", describeAtts(m.Attachments))
	}
	if m.Attachments[0].Filename != "بيان.pdf" || m.Attachments[1].Filename != "draft statement v2.pdf" {
		t.Errorf("filenames = %q, %q", m.Attachments[0].Filename, m.Attachments[1].Filename)
	}
	if string(m.Attachments[0].Data) != "%PDF-1.4\n" {
		t.Errorf("data = %q", m.Attachments[0].Data)
	}
	if m.Attachments[2].ContentType != "text/calendar" || !strings.Contains(string(m.Attachments[2].Data), "METHOD:REQUEST") {
		t.Errorf("calendar part = %+v", m.Attachments[2])
	}
	if m.Text != "see attached" {
		t.Errorf("Text = %q", m.Text)
	}
}

func TestParseMalformedStructure(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		wantText  string
		wantAtts  int
		wantWarns bool
	}{
		{
			name: "truncated multipart without closing boundary",
			raw: "From: a@example.org\nSubject: cut\nContent-Type: multipart/mixed; boundary=XX\n\n" +
				"--XX\nContent-Type: text/plain\n\nWe accept.\n--XX\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgoAAAANSUhEUgAA",
			wantText: "We accept.", wantAtts: 1, wantWarns: false,
		},
		{
			name: "boundary param followed by a broken param",
			raw: "From: a@example.org\nSubject: broken\nContent-Type: multipart/mixed; boundary=\"q\"; foo\n\n" +
				"--q\nContent-Type: text/plain\n\nWe abstain.\n--q\nContent-Type: application/pdf; name=a.pdf\nContent-Disposition: attachment\n\n%PDF\n--q--\n",
			wantText: "We abstain.", wantAtts: 1, wantWarns: true,
		},
		{
			name: "unknown transfer encoding in one part",
			raw: "From: a@example.org\nSubject: cte\nContent-Type: multipart/mixed; boundary=zz\n\n" +
				"--zz\nContent-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 a.bin\nend\n" +
				"--zz\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bits\n\nWe sign on.\n--zz--\n",
			wantText: "We sign on.", wantAtts: 1, wantWarns: true,
		},
		{
			name:     "multipart with no boundary at all",
			raw:      "From: a@example.org\nSubject: nob\nContent-Type: multipart/alternative\n\nJust text really.\n",
			wantText: "Just text really.\n", wantWarns: true,
		},
		{
			name:     "declared us-ascii with latin-1 bytes",
			raw:      "From: a@example.org\nSubject: caf\xe9\nContent-Type: text/plain; charset=us-ascii\n\nCaf\xe9 at 10.\n",
			wantText: "Café at 10.\n", wantWarns: true,
		},
		{
			name:     "unknown charset",
			raw:      "From: a@example.org\nSubject: x\nContent-Type: text/plain; charset=x-mac-arabic\n\nplain ascii\n",
			wantText: "plain ascii\n", wantWarns: true,
		},
		{
			name:     "CR-only line endings",
			raw:      "From: a@example.org\rSubject: mac\rContent-Type: text/plain\r\rline one\rline two\r",
			wantText: "line one\nline two\n",
		},
		{
			name:     "unindented header continuation",
			raw:      "From: a@example.org\nSubject: long\nsubject continued\nContent-Type: text/plain\n\nbody\n",
			wantText: "body\n", wantWarns: true,
		},
		{
			name:     "headers only",
			raw:      "From: a@example.org\nSubject: nothing\n",
			wantText: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, tc.raw)
			if m.Text != tc.wantText {
				t.Errorf("Text = %q, want %q (warnings %q)", m.Text, tc.wantText, m.Warnings)
			}
			if len(m.Attachments) != tc.wantAtts {
				t.Errorf("Attachments = %s, want %d", describeAtts(m.Attachments), tc.wantAtts)
			}
			if tc.wantWarns && len(m.Warnings) == 0 {
				t.Errorf("no warning recorded")
			}
		})
	}
}

func TestParseRawWindows1256WithoutCharset(t *testing.T) {
	b, _ := charmap.Windows1256.NewEncoder().Bytes([]byte("نوافق على البيان"))
	raw := "From: a@example.org\nSubject: x\nContent-Type: text/plain\n\n" + string(b) + "\n"
	m := mustParse(t, raw)
	if m.Text != "نوافق على البيان\n" {
		t.Errorf("Text = %q", m.Text)
	}
}

func TestParseEnvelopeHeaders(t *testing.T) {
	raw := `Return-Path: <>
Delivered-To: coalition@example.net
X-Original-To: coalition+round7@example.net
Envelope-To: coalition@example.net
From: "Doe, John" <John@Example.COM>
To: Doe, Jane <jane@example.com>, broken@, "Ali" <ali@example.sa
Cc: undisclosed-recipients:;
Reply-To: =?windows-1256?Q?=DA=E1=ED?= <ali@example.sa>
Subject: ` + encodeB(t, charmap.ISO8859_6, "iso-8859-6", "الدعوة") + `
Date: Monday, 2 June 2025 10:00:00 +03:00
Message-ID: 1234@example.com
References: <a@x> <bad id> <b@x>, <c@x>

body
`
	m := mustParse(t, raw)
	if !m.ReturnPathEmpty || m.ReturnPath != "" {
		t.Errorf("ReturnPath = %q, empty = %v", m.ReturnPath, m.ReturnPathEmpty)
	}
	if strings.Join(m.DeliveredTo, ",") != "coalition@example.net,coalition+round7@example.net,coalition@example.net" {
		t.Errorf("DeliveredTo = %v", m.DeliveredTo)
	}
	if len(m.From) != 1 || m.From[0] != (Address{Name: "Doe, John", Address: "John@example.com"}) {
		t.Errorf("From = %+v", m.From)
	}
	want := []Address{{"Doe, Jane", "jane@example.com"}, {"Ali", "ali@example.sa"}}
	if fmt.Sprint(m.To) != fmt.Sprint(want) {
		t.Errorf("To = %+v, want %+v", m.To, want)
	}
	if len(m.ReplyTo) != 1 || m.ReplyTo[0].Name != "علي" {
		t.Errorf("ReplyTo = %+v", m.ReplyTo)
	}
	if m.Subject != "الدعوة" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if want := time.Date(2025, 6, 2, 7, 0, 0, 0, time.UTC); !m.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", m.Date, want)
	}
	if m.MessageID != "1234@example.com" {
		t.Errorf("MessageID = %q", m.MessageID)
	}
	if strings.Join(m.References, " ") != "a@x b@x c@x" {
		t.Errorf("References = %v", m.References)
	}
}

func TestParseDates(t *testing.T) {
	want := time.Date(2025, 6, 2, 7, 0, 0, 0, time.UTC)
	for _, v := range []string{
		"Mon, 2 Jun 2025 10:00:00 +0300",
		"Mon, 02 Jun 2025 10:00:00 +0300 (EAT)",
		"Monday, 2 June 2025 10:00:00 +0300",
		"Monday, June 2, 2025 10:00:00 +03:00",
		"2 Jun 2025 10:00 +0300",
		"Mon,2 Jun 2025 10:00:00 +0300",
		"2025-06-02T10:00:00+03:00",
		"Mon Jun  2 07:00:00 2025",
	} {
		got, ok := parseDate(v)
		if !ok || !got.Equal(want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", v, got, ok, want)
		}
	}
}

func TestParseDSN(t *testing.T) {
	raw := crlf(`Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: coalition@example.net
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn1"

--dsn1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--dsn1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; gone@ngo.example
Action: failed
Status: 5.1.1

--dsn1
Content-Type: text/rfc822-headers

From: coalition@example.net
Message-ID: <round-7.3@consultd.example.net>
Subject: Consultation

--dsn1--
`)
	m := mustParse(t, raw)
	if m.ContentType != "multipart/report" || m.Params["report-type"] != "delivery-status" {
		t.Errorf("ContentType = %q %v", m.ContentType, m.Params)
	}
	if !bytes.Contains(m.DeliveryStatus, []byte("Status: 5.1.1")) {
		t.Errorf("DeliveryStatus = %q", m.DeliveryStatus)
	}
	if !strings.HasPrefix(m.Text, "I'm sorry") || strings.Contains(m.Text, "Message-ID") {
		t.Errorf("Text = %q", m.Text)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "text/rfc822-headers" {
		t.Errorf("Attachments = %s", describeAtts(m.Attachments))
	}
}

func TestParseBounds(t *testing.T) {
	t.Run("deeply nested multiparts", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("From: a@example.org\nContent-Type: multipart/mixed; boundary=b0\n\n")
		const depth = 200
		for i := 0; i < depth; i++ {
			fmt.Fprintf(&b, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i, i+1)
		}
		b.WriteString("--b200\nContent-Type: text/plain\n\ndeep\n")
		m := mustParse(t, b.String())
		if len(m.Warnings) == 0 {
			t.Errorf("no warning for nesting deeper than MaxDepth")
		}
	})
	t.Run("deeply nested messages", func(t *testing.T) {
		msg := "From: a@example.org\nSubject: core\n\ncore text\n"
		for i := 0; i < 50; i++ {
			msg = "From: a@example.org\nSubject: level\nContent-Type: message/rfc822\n\n" + msg
		}
		m := mustParse(t, msg)
		depth := 0
		for cur := m; len(cur.Embedded) > 0; cur = cur.Embedded[0] {
			depth++
		}
		if depth >= MaxDepth {
			t.Errorf("embedded depth %d, want < %d", depth, MaxDepth)
		}
	})
	t.Run("many parts", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("From: a@example.org\nContent-Type: multipart/mixed; boundary=p\n\n")
		for i := 0; i < 3*MaxParts; i++ {
			b.WriteString("--p\nContent-Type: text/plain\n\nx\n")
		}
		b.WriteString("--p--\n")
		m := mustParse(t, b.String())
		if n := strings.Count(m.Text, "x"); n >= MaxParts {
			t.Errorf("%d text parts kept, want < %d", n, MaxParts)
		}
	})
}

// TestParseLargeMessage checks that a 20 MB message parses well under a
// second per MB and that allocation stays proportional to its size.
func TestParseLargeMessage(t *testing.T) {
	testutil.SkipUnderRace(t, "CPU seconds and bytes allocated per MB")
	if testing.Short() {
		t.Skip("large message")
	}
	const size = 20 << 20
	payload := bytes.Repeat([]byte("consultation "), size/13/4*3)
	var b bytes.Buffer
	b.WriteString("From: a@example.org\nSubject: big\nContent-Type: multipart/mixed; boundary=big\n\n")
	b.WriteString("--big\nContent-Type: text/html; charset=utf-8\n\n<html><body>")
	for i := 0; i < 20000; i++ {
		b.WriteString("<p>We accept the invitation &amp; the draft.</p>")
	}
	b.WriteString("</body></html>\n--big\nContent-Type: application/octet-stream; name=big.bin\nContent-Transfer-Encoding: base64\n\n")
	enc := base64.StdEncoding.EncodeToString(payload)
	for i := 0; i < len(enc); i += 76 {
		b.WriteString(enc[i:min(i+76, len(enc))])
		b.WriteByte('\n')
	}
	b.WriteString("--big--\n")
	raw := b.Bytes()
	mb := float64(len(raw)) / (1 << 20)

	start := cpuTime()
	allocs := testing.AllocsPerRun(1, func() {
		m := mustParse(t, string(raw))
		if len(m.Attachments) != 1 || len(m.Attachments[0].Data) != len(payload) || !strings.Contains(m.Text, "We accept") {
			t.Fatalf("large message misparsed: %s, text %d bytes", describeAtts(m.Attachments), len(m.Text))
		}
	})
	perMB := (cpuTime() - start).Seconds() / 2 / mb // AllocsPerRun runs the function twice
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	mustParse(t, string(raw))
	runtime.ReadMemStats(&after)
	allocated := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(raw))
	t.Logf("%.1f MB: %.3f CPU s/MB, %.0f allocations, %.1f bytes allocated per input byte", mb, perMB, allocs, allocated)
	if allocated > 12 {
		t.Errorf("allocated %.1f bytes per input byte, want a small constant factor", allocated)
	}
	if perMB > 0.25 {
		t.Errorf("parse took %.3f CPU s/MB, want well under 1 s/MB", perMB)
	}
}

func TestParseRFC2231Windows1256Filename(t *testing.T) {
	raw := "From: a@example.org\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n" +
		"--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*=windows-1256''%C8%ED%C7%E4.pdf\n\n%PDF\n--b--\n"
	m := mustParse(t, raw)
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "بيان.pdf" {
		t.Errorf("Attachments = %s", describeAtts(m.Attachments))
	}
}

func TestParseFormatFlowedThunderbird(t *testing.T) {
	raw := "From: a@example.org\nSubject: Re: x\nContent-Type: text/plain; charset=UTF-8; format=flowed\n" +
		"Content-Transfer-Encoding: 8bit\n\n\uFEFFWe accept the invitation and would like to add \nthree points.\n\n" +
		"On 02/06/2025 10:00, Coalition wrote:\n> Please reply by \n> Friday.\n\n-- \nSara\n"
	m := mustParse(t, raw)
	want := "We accept the invitation and would like to add three points.\n\n" +
		"On 02/06/2025 10:00, Coalition wrote:\n> Please reply by Friday.\n\n-- \nSara\n"
	if m.Text != want {
		t.Errorf("Text = %q, want %q", m.Text, want)
	}
}

func TestParseHTMLCharsetInMetaOnly(t *testing.T) {
	// ISO-8859-6 bytes read by the windows-1256 guess would give the wrong letters.
	b, _ := charmap.ISO8859_6.NewEncoder().Bytes([]byte("نشارك في البيان"))
	raw := "From: a@example.org\nContent-Type: text/html\n\n<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-6\"></head><body dir=rtl><p>" + string(b) + "</p></body></html>\n"
	m := mustParse(t, raw)
	if m.Text != "نشارك في البيان" {
		t.Errorf("Text = %q", m.Text)
	}
}

// TestParseLargeBodies checks that big text and HTML bodies stay linear.
func TestParseLargeBodies(t *testing.T) {
	testutil.SkipUnderRace(t, "CPU seconds per MB")
	if testing.Short() {
		t.Skip("large message")
	}
	const size = 20 << 20
	var qp strings.Builder
	for qp.Len() < size {
		qp.WriteString("We accept the invitation, =D9=86=D9=88=D8=A7=D9=81=D9=82 and have three concerns ab=\nout the draft.\n")
	}
	var htm strings.Builder
	htm.WriteString("<html><body>")
	for htm.Len() < size/2 { // 10 MB: HTML is the slowest shape; keep the test quick
		htm.WriteString("<div class=x><p>Para &amp; <b>bold</b>&nbsp;text</p><blockquote type=cite>q</blockquote><hr></div>\n")
	}
	htm.WriteString("</body></html>")
	shapes := map[string]string{
		"20 MB quoted-printable text": "From: a@example.org\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" + qp.String(),
		"10 MB HTML only":             "From: a@example.org\nContent-Type: text/html; charset=utf-8\n\n" + htm.String(),
	}
	for name, raw := range shapes {
		t.Run(name, func(t *testing.T) {
			mb := float64(len(raw)) / (1 << 20)
			start, startCPU := time.Now(), cpuTime()
			m := mustParse(t, raw)
			perMB := (cpuTime() - startCPU).Seconds() / mb
			t.Logf("%.3f CPU s/MB (wall %.3f s/MB), text %d bytes", perMB, time.Since(start).Seconds()/mb, len(m.Text))
			if m.Text == "" || perMB > 0.3 {
				t.Errorf("%.3f CPU s/MB, text %d bytes; want text in well under 1 s/MB", perMB, len(m.Text))
			}
		})
	}
}

func TestParseAppleMailSplitHTML(t *testing.T) {
	raw := `From: Lina <lina@example.org>
Subject: Re: invitation
Content-Type: multipart/alternative; boundary="Apple-Mail=_A"
Mime-Version: 1.0 (Mac OS X Mail 16.0)

--Apple-Mail=_A
Content-Type: text/plain; charset=utf-8

We accept.
[photo]
See the attached photo of the signed page.
--Apple-Mail=_A
Content-Type: multipart/mixed; boundary="Apple-Mail=_B"

--Apple-Mail=_B
Content-Type: text/html; charset=utf-8

<html><body>We accept.<br></body></html>
--Apple-Mail=_B
Content-Disposition: inline; filename=page.jpg
Content-Type: image/jpeg; name="page.jpg"
Content-Transfer-Encoding: base64

/9j/4AAQ
--Apple-Mail=_B
Content-Type: text/html; charset=utf-8

<html><body>See the attached photo of the signed page.</body></html>
--Apple-Mail=_B--

--Apple-Mail=_A--
`
	m := mustParse(t, raw)
	if !strings.HasPrefix(m.Text, "We accept.\n[photo]") {
		t.Errorf("Text = %q", m.Text)
	}
	if !strings.Contains(m.HTML, "We accept.") || !strings.Contains(m.HTML, "signed page") {
		t.Errorf("HTML lost a piece: %q", m.HTML)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "page.jpg" || !m.Attachments[0].Inline {
		t.Errorf("Attachments = %s", describeAtts(m.Attachments))
	}
}
