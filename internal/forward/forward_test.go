package forward

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/internal/mimeparse"
)

// now is when the coordinator forwarded the invitations in the fixtures.
var now = time.Date(2017, 11, 21, 12, 0, 0, 0, time.UTC)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func parseFile(t *testing.T, name string) *mimeparse.Message {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mimeparse.Parse(raw)
	if err != nil {
		t.Fatalf("mimeparse.Parse(%s): %v", name, err)
	}
	return m
}

// want is what a coordinator would expect consultd to have understood.
type want struct {
	form         string
	inviterName  string
	inviterAddr  string
	subject      string
	date         string // RFC 3339; "" for zero
	messageID    string
	bodyStart    string
	bodyEnd      string
	attachments  []string
	replyBy      string // RFC 3339; "" for none
	deadline     string
	title        string
	language     string
	dirInviter   string // address from an Inviter directive
	note         string
	notForward   bool
	bodyExcludes []string
}

const enBodyStart = "Dear colleagues,"
const enBodyEnd = "Best regards,\nOffice of the Special Envoy"
const arBodyStart = "الزملاء الأعزاء،"
const arBodyEnd = "مع التحية،\nمكتب المبعوث الخاص"
const envoy = "Office of the Special Envoy"
const envoyAR = "مكتب المبعوث الخاص"
const subjEN = "Invitation to a consultation with civil society"
const subjAR = "دعوة إلى مشاورة مع المجتمع المدني"

func TestParseRealClientForwards(t *testing.T) {
	cases := []struct {
		name, file string
		want       want
	}{
		{"Gmail web, English, directives and PDF", "gmail_en.eml", want{
			form: "gmail", inviterName: envoy, inviterAddr: "office@envoy.example", subject: subjEN,
			date: "2017-11-21T10:02:00Z", bodyStart: enBodyStart, bodyEnd: enBodyEnd,
			attachments: []string{"Concept note.pdf"}, replyBy: "2017-11-24T23:59:00Z",
			deadline: "2017-11-28T18:00:00+02:00", title: "Geneva consultation on the political process",
			note:         "Dear all, please see the invitation below. We need to answer this week.\n\nThanks,\nRania",
			bodyExcludes: []string{"Forwarded message", "Deadline:"},
		}},
		{"Gmail web, Arabic UI, bidi marks and Arabic-Indic digits", "gmail_ar.eml", want{
			form: "gmail", inviterName: envoyAR, inviterAddr: "office@envoy.example", subject: subjAR,
			date: "2017-11-21T10:02:00Z", bodyStart: arBodyStart, bodyEnd: arBodyEnd,
			replyBy: "2017-11-24T23:59:00Z", deadline: "2017-11-28T18:00:00+02:00", language: "ar",
			note: "الزملاء، الدعوة أدناه للتشاور.",
		}},
		{"Gmail Android, Arabic labels, HTML only, PM time", "gmail_android_ar_html.eml", want{
			form: "gmail", inviterName: envoyAR, inviterAddr: "office@envoy.example", subject: subjAR,
			date: "2017-11-21T22:02:00Z", bodyStart: arBodyStart, bodyEnd: arBodyEnd,
			replyBy: "2017-11-25T23:59:00Z", note: "للعلم",
		}},
		{"Outlook desktop, English, Original Message with [mailto:]", "outlook_desktop_en.eml", want{
			form: "outlook", inviterName: "Special Envoy Office", inviterAddr: "noreply-office@envoy.example", subject: subjEN,
			date: "2017-11-21T10:02:00Z", bodyStart: enBodyStart, bodyEnd: enBodyEnd,
			attachments: []string{"Agenda.pdf"}, replyBy: "2017-11-24T23:59:00Z",
			dirInviter: "office@envoy.example",
			note:       "Colleagues - invitation below, please advise.\n\nOmar Khalil\nProgramme Coordinator",
		}},
		{"Outlook desktop, Arabic UI, windows-1256, Levantine month", "outlook_desktop_ar.eml", want{
			form: "outlook", inviterName: envoyAR, inviterAddr: "office@envoy.example", subject: subjAR,
			date: "2017-11-21T10:02:00Z", bodyStart: arBodyStart, bodyEnd: arBodyEnd,
			replyBy: "2017-11-24T23:59:00Z", note: "للعلم والتشاور.",
		}},
		{"Outlook on the web, underscores, DD/MM/YYYY reply-by", "outlook_web_en.eml", want{
			form: "outlook", inviterName: envoy, inviterAddr: "office@envoy.example", subject: subjEN,
			date: "2017-11-21T10:02:00Z", bodyStart: enBodyStart, bodyEnd: enBodyEnd,
			replyBy: "2017-11-24T23:59:00Z", note: "FYI - for the coalition's decision.",
		}},
		{"Apple Mail, English, Message-Id line and directives", "apple_mail_en.eml", want{
			form: "apple", inviterName: envoy, inviterAddr: "office@envoy.example", subject: subjEN,
			date: "2017-11-21T10:02:33+02:00", messageID: "5A13E5B9.1020304@envoy.example",
			bodyStart: enBodyStart, bodyEnd: enBodyEnd, attachments: []string{"Concept-note.pdf"},
			replyBy: "2017-11-24T23:59:00Z", deadline: "2017-12-02T18:00:00+02:00", language: "en",
			note: "Forwarding for the round.",
		}},
		{"Apple Mail, Arabic UI", "apple_mail_ar.eml", want{
			form: "apple", inviterName: envoyAR, inviterAddr: "office@envoy.example", subject: subjAR,
			date: "2017-11-21T10:02:33+02:00", bodyStart: arBodyStart, bodyEnd: arBodyEnd,
			replyBy: "2017-11-24T23:59:00Z",
		}},
		{"iPhone Mail, quoted headers and body", "iphone_en.eml", want{
			form: "iphone", inviterName: envoy, inviterAddr: "office@envoy.example", subject: subjEN,
			date: "2017-11-21T10:02:33+02:00", bodyStart: enBodyStart, bodyEnd: enBodyEnd,
			replyBy: "2017-11-24T23:59:00Z", note: "Sent from my iPhone",
			bodyExcludes: []string{"> "},
		}},
		{"Thunderbird, English, Subject first, coordinator signature below", "thunderbird_en.eml", want{
			form: "thunderbird", inviterName: envoy, inviterAddr: "office@envoy.example", subject: subjEN,
			date: "2017-11-21T10:02:33+02:00", bodyStart: enBodyStart, bodyEnd: enBodyEnd,
			replyBy: "2017-11-24T23:59:00Z", note: "Invitation for the coalition, see below.",
			bodyExcludes: []string{"Karim", "Coalition secretariat"},
		}},
		{"Thunderbird, Arabic UI", "thunderbird_ar.eml", want{
			form: "thunderbird", inviterName: envoyAR, inviterAddr: "office@envoy.example", subject: subjAR,
			date: "2017-11-21T10:02:33+02:00", bodyStart: arBodyStart, bodyEnd: arBodyEnd,
			replyBy: "2017-11-24T23:59:00Z", note: "انظروا الدعوة أدناه.",
		}},
		{"Outlook forward as attachment (message/rfc822)", "rfc822_attached.eml", want{
			form: "rfc822", inviterName: envoy, inviterAddr: "office@envoy.example", subject: subjEN,
			date: "2017-11-21T10:02:33+02:00", messageID: "20171121080233.GA1234@envoy.example",
			bodyStart: enBodyStart, bodyEnd: enBodyEnd, attachments: []string{"Programme.pdf"},
			replyBy: "2017-11-24T23:59:00Z", deadline: "2017-11-30T23:59:00Z", note: "Please handle as usual.",
		}},
		{"plain note with Key: lines is not a forward", "not_forward_note.eml", want{notForward: true,
			note: "Hi all,\n\nFrom: our side, nothing new this week.\nDate: to be decided.\n\nRania"}},
		{"Outlook reply (RE:) quoting a header block is not a forward", "not_forward_reply_outlook.eml", want{notForward: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkResult(t, Parse(parseFile(t, c.file), now), c.want)
		})
	}
}

// TestParseHTMLOnly drops the plain part, as HTML-only senders do: the HTML
// must give the same invitation.
func TestParseHTMLOnly(t *testing.T) {
	for _, c := range []struct {
		file, form, inviter, subject, replyBy string
	}{
		{"gmail_en.eml", "gmail", "office@envoy.example", subjEN, "2017-11-24T23:59:00Z"},
		{"gmail_ar.eml", "gmail", "office@envoy.example", subjAR, "2017-11-24T23:59:00Z"},
		{"outlook_web_en.eml", "outlook", "office@envoy.example", subjEN, "2017-11-24T23:59:00Z"},
	} {
		t.Run(c.file, func(t *testing.T) {
			m := parseFile(t, c.file)
			if m.HTML == "" {
				t.Fatal("fixture has no HTML part")
			}
			m.Text = ""
			r := Parse(m, now)
			inv := r.Invitation
			if inv == nil {
				t.Fatal("HTML-only forward not recognised")
			}
			if inv.Form != c.form || inv.Inviter.Address != c.inviter || inv.Subject != c.subject {
				t.Errorf("got form %q inviter %q subject %q", inv.Form, inv.Inviter.Address, inv.Subject)
			}
			if !inv.ReplyBy.Equal(mustTime(t, c.replyBy)) {
				t.Errorf("ReplyBy = %v, want %s", inv.ReplyBy, c.replyBy)
			}
			if !strings.HasPrefix(inv.Body, "Dear colleagues,") && !strings.HasPrefix(inv.Body, arBodyStart) {
				t.Errorf("body starts %q", first(inv.Body, 60))
			}
		})
	}
}

func checkResult(t *testing.T, r Result, w want) {
	t.Helper()
	d := r.Directives
	if len(d.Errors) > 0 {
		t.Errorf("directive errors: %q", d.Errors)
	}
	if !d.Deadline.Equal(mustTime(t, w.deadline)) {
		t.Errorf("Deadline = %v, want %q", d.Deadline, w.deadline)
	}
	if d.Title != w.title || d.Language != w.language {
		t.Errorf("Title %q Language %q, want %q %q", d.Title, d.Language, w.title, w.language)
	}
	switch {
	case w.dirInviter == "" && d.Inviter != nil:
		t.Errorf("unexpected Inviter directive %+v", *d.Inviter)
	case w.dirInviter != "" && (d.Inviter == nil || d.Inviter.Address != w.dirInviter):
		t.Errorf("Inviter directive = %+v, want %s", d.Inviter, w.dirInviter)
	}
	if w.note != "" && r.Note != w.note {
		t.Errorf("Note = %q, want %q", r.Note, w.note)
	}
	inv := r.Invitation
	if w.notForward {
		if inv != nil {
			t.Fatalf("not a forward, but got invitation %+v", *inv)
		}
		return
	}
	if inv == nil {
		t.Fatal("forward not recognised")
	}
	if inv.Form != w.form {
		t.Errorf("Form = %q, want %q", inv.Form, w.form)
	}
	if inv.Inviter.Name != w.inviterName || inv.Inviter.Address != w.inviterAddr {
		t.Errorf("Inviter = %q <%s>, want %q <%s>", inv.Inviter.Name, inv.Inviter.Address, w.inviterName, w.inviterAddr)
	}
	if inv.Subject != w.subject {
		t.Errorf("Subject = %q, want %q", inv.Subject, w.subject)
	}
	if !inv.Date.Equal(mustTime(t, w.date)) {
		t.Errorf("Date = %v, want %s", inv.Date, w.date)
	}
	if inv.MessageID != w.messageID {
		t.Errorf("MessageID = %q, want %q", inv.MessageID, w.messageID)
	}
	if !strings.HasPrefix(inv.Body, w.bodyStart) || !strings.HasSuffix(inv.Body, w.bodyEnd) {
		t.Errorf("Body = %q\nwant it to start %q and end %q", inv.Body, w.bodyStart, w.bodyEnd)
	}
	for _, x := range w.bodyExcludes {
		if strings.Contains(inv.Body, x) {
			t.Errorf("Body contains %q: %q", x, inv.Body)
		}
	}
	if strings.ContainsFunc(inv.Inviter.Name+inv.Subject, isBidi) {
		t.Errorf("bidi marks left in %q / %q", inv.Inviter.Name, inv.Subject)
	}
	var names []string
	for _, a := range inv.Attachments {
		names = append(names, a.Filename)
	}
	if strings.Join(names, "|") != strings.Join(w.attachments, "|") {
		t.Errorf("Attachments = %q, want %q", names, w.attachments)
	}
	if !inv.ReplyBy.Equal(mustTime(t, w.replyBy)) {
		t.Errorf("ReplyBy = %v, want %q", inv.ReplyBy, w.replyBy)
	}
}

func first(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
