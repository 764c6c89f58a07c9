package forward

import (
	"os"
	"strings"
	"testing"
	"time"

	"consultd/internal/mimeparse"
)

const (
	lrm = "\u200e"
	rlm = "\u200f"
)

// TestParseBuiltMessages covers shapes built directly as *mimeparse.Message,
// where a fixture file would add nothing but MIME wrapping.
func TestParseBuiltMessages(t *testing.T) {
	arNewer, err := os.ReadFile("testdata/outlook_newer_ar.txt")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		msg  mimeparse.Message
		want want
	}{
		{"Outlook Arabic, underscores, أرسل:, name only", mimeparse.Message{Subject: "إعادة توجيه: " + subjAR, Text: string(arNewer)}, want{
			form: "outlook", inviterName: envoyAR, subject: subjAR, date: "2017-11-21T10:02:00Z",
			bodyStart: arBodyStart, bodyEnd: arBodyEnd, replyBy: "2017-11-24T23:59:00Z", note: "الرجاء الاطلاع.",
		}},
		{"Gmail forward without Subject line takes outer subject, prefixes stripped", mimeparse.Message{
			Subject: "Fwd: FW: TR: " + subjEN,
			Text:    "---------- Forwarded message ---------\nFrom: Envoy <office@envoy.example>\nDate: Tue, Nov 21, 2017 at 10:02 AM\n\nHello. RSVP by 24 Nov.\n",
		}, want{form: "gmail", inviterName: "Envoy", inviterAddr: "office@envoy.example", subject: subjEN,
			date: "2017-11-21T10:02:00Z", bodyStart: "Hello.", bodyEnd: "RSVP by 24 Nov.", replyBy: "2017-11-24T23:59:00Z"}},
		{"Arabic outer subject prefix توجيه: stripped", mimeparse.Message{
			Subject: "توجيه: " + subjAR,
			Text:    "-----Original Message-----\nمن: المكتب <office@envoy.example>\nأرسل: 21/11/2017 10:02\nإلى: التحالف\n\nنص\n",
		}, want{form: "outlook", inviterName: "المكتب", inviterAddr: "office@envoy.example", subject: subjAR,
			date: "2017-11-21T10:02:00Z", bodyStart: "نص", bodyEnd: "نص"}},
		{"Apple Mail fully quoted ('> Begin forwarded message:')", mimeparse.Message{
			Subject: "Fwd: x",
			Text:    "Over to you.\n\n> Begin forwarded message:\n>\n> From: Envoy <office@envoy.example>\n> Subject: Consultation\n> Date: November 21, 2017 at 10:02:33 AM EET\n> To: me@coalition.example\n> Message-ID: <abc@envoy.example>\n>\n> Body line one\n> Body line two\n",
		}, want{form: "apple", inviterName: "Envoy", inviterAddr: "office@envoy.example", subject: "Consultation",
			date: "2017-11-21T10:02:33+02:00", messageID: "abc@envoy.example", bodyStart: "Body line one", bodyEnd: "Body line two",
			note: "Over to you."}},
		{"Bidi marks and Eastern Arabic digits in a Gmail header", mimeparse.Message{
			Text: "---------- الرسالة المُعاد توجيهها ---------\nمن: " + rlm + "\u202bمكتب المبعوث\u202c" + rlm + " <Office@Envoy.Example>\nالتاريخ: " + rlm + "الثلاثاء، ۲۱ نوفمبر ۲۰۱۷ في ۱۰:۰۲ م" + rlm + "\nالموضوع: " + lrm + "دعوة" + lrm + "\nإلى: " + "<a@b.example>\n\nنص الدعوة\n",
		}, want{form: "gmail", inviterName: "مكتب المبعوث", inviterAddr: "Office@envoy.example", subject: "دعوة",
			date: "2017-11-21T22:02:00Z", bodyStart: "نص الدعوة", bodyEnd: "نص الدعوة"}},
		{"Outlook name-only From with quotes", mimeparse.Message{
			Subject: "FW: Meeting",
			Text:    "________________________________\nFrom: \"Ministry of Social Affairs\"\nSent: Tuesday, November 21, 2017 10:02 AM\nTo: Coalition\nSubject: Meeting\n\nText\n",
		}, want{form: "outlook", inviterName: "Ministry of Social Affairs", subject: "Meeting", date: "2017-11-21T10:02:00Z",
			bodyStart: "Text", bodyEnd: "Text"}},
		{"Gmail recipient list wrapped over lines", mimeparse.Message{
			Text: "---------- Forwarded message ---------\nFrom: Envoy <office@envoy.example>\nDate: Tue, Nov 21, 2017 at 10:02 AM\nSubject: Consultation\nTo: A <a@x.example>, B <b@x.example>,\nC <c@x.example>\n\nBody\n",
		}, want{form: "gmail", inviterName: "Envoy", inviterAddr: "office@envoy.example", subject: "Consultation",
			date: "2017-11-21T10:02:00Z", bodyStart: "Body", bodyEnd: "Body"}},
		{"forward of a colleague's forward gives the inner invitation", mimeparse.Message{
			From:    []mimeparse.Address{{Name: "Rania", Address: "rania@coalition.example"}},
			Subject: "Fwd: Fwd: Consultation",
			Text:    "For the round.\n\n---------- Forwarded message ---------\nFrom: Sami <sami@Coalition.example>\nDate: Tue, Nov 21, 2017 at 11:00 AM\nSubject: Fwd: Consultation\nTo: Rania <rania@coalition.example>\n\n\nFYI\n\n---------- Forwarded message ---------\nFrom: Envoy <office@envoy.example>\nDate: Tue, Nov 21, 2017 at 10:02 AM\nSubject: Consultation\nTo: Sami <sami@coalition.example>\n\n\nDear colleagues\n",
		}, want{form: "gmail", inviterName: "Envoy", inviterAddr: "office@envoy.example", subject: "Consultation",
			date: "2017-11-21T10:02:00Z", bodyStart: "Dear colleagues", bodyEnd: "Dear colleagues", note: "For the round."}},
		{"forwarded invitation quoting an older thread keeps the outer inviter", mimeparse.Message{
			From: []mimeparse.Address{{Name: "Rania", Address: "rania@coalition.example"}},
			Text: "---------- Forwarded message ---------\nFrom: Envoy <office@envoy.example>\nDate: Tue, Nov 21, 2017 at 10:02 AM\nSubject: Consultation\nTo: Rania <rania@coalition.example>\n\nDear colleagues\n\n-----Original Message-----\nFrom: Rania <rania@coalition.example>\nSent: Monday, November 20, 2017 9:00 AM\nSubject: question\n\nearlier\n",
		}, want{form: "gmail", inviterName: "Envoy", inviterAddr: "office@envoy.example", subject: "Consultation",
			date: "2017-11-21T10:02:00Z", bodyStart: "Dear colleagues", bodyEnd: "earlier"}},
		{"Outlook on the web, no separator line", mimeparse.Message{
			Subject: "FW: Consultation",
			Text:    "Please see below.\n\nFrom: Office of the Special Envoy <office@envoy.example>\nSent: Tuesday, November 21, 2017 10:02 AM\nTo: Layla Nasser <layla@coalition.example>\nSubject: Consultation\n\nDear colleagues\n",
		}, want{form: "outlook", inviterName: envoy, inviterAddr: "office@envoy.example", subject: "Consultation",
			date: "2017-11-21T10:02:00Z", bodyStart: "Dear colleagues", bodyEnd: "Dear colleagues", note: "Please see below."}},
		{"Mutt inline forward with end marker", mimeparse.Message{
			Subject: "Invitation (fwd)",
			Text:    "See below.\n\n----- Forwarded message from Office of the Special Envoy <office@envoy.example> -----\n\nDate: Tue, 21 Nov 2017 10:02:33 +0200\nFrom: Office of the Special Envoy <office@envoy.example>\nTo: coalition@example.org\nSubject: Consultation\n\nDear colleagues\n\n----- End forwarded message -----\n\n-- \nKarim\n",
		}, want{form: "mutt", inviterName: envoy, inviterAddr: "office@envoy.example", subject: "Consultation",
			date: "2017-11-21T10:02:33+02:00", bodyStart: "Dear colleagues", bodyEnd: "Dear colleagues", note: "See below."}},
		{"reply with On … wrote: is not a forward", mimeparse.Message{
			Subject: "Re: Invitation",
			Text:    "Agreed.\n\nOn Tue, Nov 21, 2017 at 10:02 AM Envoy <office@envoy.example> wrote:\n> Dear colleagues,\n> please come.\n",
		}, want{notForward: true, note: "Agreed.\n\nOn Tue, Nov 21, 2017 at 10:02 AM Envoy <office@envoy.example> wrote:\n> Dear colleagues,\n> please come."}},
		{"empty message", mimeparse.Message{}, want{notForward: true}},
		{"inline forward wins over a message/rfc822 the invitation carried", mimeparse.Message{
			Text:     "---------- Forwarded message ---------\nFrom: Envoy <office@envoy.example>\nDate: Tue, Nov 21, 2017 at 10:02 AM\nSubject: Consultation\n\nSee the attached earlier letter.\n",
			Embedded: []*mimeparse.Message{{Subject: "Earlier letter", From: []mimeparse.Address{{Address: "old@envoy.example"}}}},
		}, want{form: "gmail", inviterName: "Envoy", inviterAddr: "office@envoy.example", subject: "Consultation",
			date: "2017-11-21T10:02:00Z", bodyStart: "See the attached", bodyEnd: "earlier letter."}},
		{"attached message with bidi in name, only HTML body", mimeparse.Message{
			Text: "Language: العربية\n",
			Embedded: []*mimeparse.Message{{
				Subject:   rlm + subjAR + rlm,
				From:      []mimeparse.Address{{Name: rlm + envoyAR + rlm, Address: "office@envoy.example"}},
				MessageID: "x1@envoy.example",
				Date:      time.Date(2017, 11, 21, 8, 2, 0, 0, time.UTC),
				HTML:      "<p>" + arBodyStart + "</p><p>يرجى تأكيد المشاركة قبل ٢٤ نوفمبر.</p><p>" + strings.ReplaceAll(arBodyEnd, "\n", "<br>") + "</p>",
			}},
		}, want{form: "rfc822", inviterName: envoyAR, inviterAddr: "office@envoy.example", subject: subjAR,
			date: "2017-11-21T08:02:00Z", messageID: "x1@envoy.example", bodyStart: arBodyStart, bodyEnd: arBodyEnd,
			replyBy: "2017-11-24T23:59:00Z", language: "ar"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := c.msg
			checkResult(t, Parse(&m, now), c.want)
		})
	}
}

func TestParseNilMessage(t *testing.T) {
	if r := Parse(nil, now); r.Invitation != nil || r.Note != "" {
		t.Fatalf("Parse(nil) = %+v", r)
	}
}

func TestDirectives(t *testing.T) {
	at := func(s string) time.Time { return mustTime(t, s) }
	cases := []struct {
		name, text string
		deadline   time.Time
		inviter    string // "name|address"
		title      string
		language   string
		errLine    string // a substring expected in the single error
		note       string
	}{
		{name: "offset with colon", text: "Deadline: 2026-12-02 18:00 +02:00", deadline: at("2026-12-02T18:00:00+02:00")},
		{name: "no zone is UTC", text: "deadline: 2026-12-02 18:00", deadline: at("2026-12-02T18:00:00Z")},
		{name: "RFC 3339", text: "DEADLINE: 2026-12-02T18:00:00+02:00", deadline: at("2026-12-02T18:00:00+02:00")},
		{name: "day month year", text: "Deadline: 2 December 2026 18:00 +0200", deadline: at("2026-12-02T18:00:00+02:00")},
		{name: "bold from HTML", text: "*Deadline:* 2026-12-02 18:00 +02:00", deadline: at("2026-12-02T18:00:00+02:00")},
		{name: "Arabic key and digits", text: "الموعد النهائي: ٢٠٢٦-١٢-٠٢ ١٨:٠٠ +٠٢:٠٠", deadline: at("2026-12-02T18:00:00+02:00")},
		{name: "date only is end of day", text: "Deadline: 2026-12-02", deadline: at("2026-12-02T23:59:00Z")},
		{name: "unreadable deadline", text: "Please see below.\nDeadline: next tuesday", errLine: `line 2 "Deadline: next tuesday"`, note: "Please see below."},
		{name: "no year", text: "Deadline: 2 December 18:00", errLine: "cannot read the date"},
		{name: "impossible date", text: "Deadline: 2026-02-30 18:00", errLine: "no such date"},
		{name: "inviter with name", text: "Inviter: Office of the Envoy <office@envoy.example>", inviter: "Office of the Envoy|office@envoy.example"},
		{name: "inviter bare address", text: "inviter: office@envoy.example", inviter: "|office@envoy.example"},
		{name: "Arabic inviter", text: "الداعي: " + rlm + "مكتب المبعوث" + rlm + " <office@envoy.example>", inviter: "مكتب المبعوث|office@envoy.example"},
		{name: "inviter without address", text: "Inviter: the envoy", errLine: "cannot read an e-mail address"},
		{name: "title", text: "Title: Geneva consultation", title: "Geneva consultation"},
		{name: "Arabic title", text: "العنوان: مشاورة جنيف", title: "مشاورة جنيف"},
		{name: "language", text: "Language: AR", language: "ar"},
		{name: "Arabic language key", text: "اللغة: الإنجليزية", language: "en"},
		{name: "language by its native name", text: "Language: Français", language: "fr"},
		{name: "language by its English name", text: "Language: french", language: "fr"},
		{name: "language by its Arabic name", text: "اللغة: الفرنسية", language: "fr"},
		{name: "French directive names, space before the colon", text: "Langue : français\nTitre : Réunions de Genève", language: "fr", title: "Réunions de Genève"},
		{name: "a code for templates_dir", text: "Language: pt-BR", language: "pt-br"},
		{name: "unknown language", text: "Language: klingon", errLine: "unknown language"},
		{name: "note keeps other text", text: "Hi all,\n\nTitle: X\n\nPlease decide.", title: "X", note: "Hi all,\n\nPlease decide."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, note := readDirectives(c.text)
			if !d.Deadline.Equal(c.deadline) {
				t.Errorf("Deadline = %v, want %v", d.Deadline, c.deadline)
			}
			gotInv := ""
			if d.Inviter != nil {
				gotInv = d.Inviter.Name + "|" + d.Inviter.Address
			}
			if gotInv != c.inviter {
				t.Errorf("Inviter = %q, want %q", gotInv, c.inviter)
			}
			if d.Title != c.title || d.Language != c.language {
				t.Errorf("Title %q Language %q, want %q %q", d.Title, d.Language, c.title, c.language)
			}
			switch {
			case c.errLine == "" && len(d.Errors) > 0:
				t.Errorf("unexpected errors %q", d.Errors)
			case c.errLine != "" && (len(d.Errors) != 1 || !strings.Contains(d.Errors[0], c.errLine)):
				t.Errorf("Errors = %q, want one containing %q", d.Errors, c.errLine)
			}
			if c.note != "" && note != c.note {
				t.Errorf("note = %q, want %q", note, c.note)
			}
		})
	}
}

func TestReplyBy(t *testing.T) {
	dec := time.Date(2017, 12, 20, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name, body string
		now        time.Time
		want       string
	}{
		{"confirm participation by", "Please confirm your participation by 24 November 2017.", now, "2017-11-24T23:59:00Z"},
		{"RSVP weekday no year", "RSVP by Friday 24 Nov so that we can arrange visas.", now, "2017-11-24T23:59:00Z"},
		{"no later than numeric", "Kindly register no later than 24/11/2017.", now, "2017-11-24T23:59:00Z"},
		{"reply before with time", "Please reply before 24 November at 5 pm.", now, "2017-11-24T17:00:00Z"},
		{"US order when unambiguous", "RSVP: 11/24/2017", now, "2017-11-24T23:59:00Z"},
		{"ordinal and of", "Kindly respond by the 24th of November.", now, "2017-11-24T23:59:00Z"},
		{"time and zone", "Please confirm by 24 November 2017, 18:00 CET.", now, "2017-11-24T18:00:00+01:00"},
		{"Arabic قبل with Arabic-Indic digits", "يرجى تأكيد المشاركة قبل ٢٤ نوفمبر.", now, "2017-11-24T23:59:00Z"},
		{"Arabic في موعد أقصاه", "نرجو إفادتنا في موعد أقصاه ٢٥ تشرين الثاني ٢٠١٧.", now, "2017-11-25T23:59:00Z"},
		{"Arabic with weekday", "يرجى الرد قبل يوم الجمعة ٢٤ نوفمبر", now, "2017-11-24T23:59:00Z"},
		{"missing year rolls into next year", "RSVP by 5 January.", dec, "2018-01-05T23:59:00Z"},
		{"event date alone is not a reply-by", "The consultation will be held on 4 December 2017 in Geneva.", now, ""},
		{"sentence end stops the search", "Please confirm by return email. The meeting is on 4 December.", now, ""},
		{"impossible date ignored", "RSVP by 31 November 2017.", now, ""},
		{"address between RSVP and date", "Kindly RSVP to office@envoy.example by Friday, 24 November.", now, "2017-11-24T23:59:00Z"},
		{"Arabic آخر موعد", "آخر موعد للتسجيل هو ٢٤ نوفمبر ٢٠١٧", now, "2017-11-24T23:59:00Z"},
		{"first of several", "Register by 22 November. Confirm by 24 November.", now, "2017-11-22T23:59:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := findReplyBy(c.body, c.now)
			if !got.Equal(mustTime(t, c.want)) {
				t.Errorf("findReplyBy(%q) = %v, want %q", c.body, got, c.want)
			}
		})
	}
}

func TestHeaderDates(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Tue, Nov 21, 2017 at 10:02 AM", "2017-11-21T10:02:00Z"},
		{"Tuesday, November 21, 2017 10:02 AM", "2017-11-21T10:02:00Z"},
		{"Tue, 21 Nov 2017 10:02:33 +0200", "2017-11-21T10:02:33+02:00"},
		{"Tue, 21 Nov 2017 10:02:33 +0200 (EET)", "2017-11-21T10:02:33+02:00"},
		{"21 November 2017 at 10:02:33 GMT+2", "2017-11-21T10:02:33+02:00"},
		{"November 21, 2017 at 10:02:33 PM EET", "2017-11-21T22:02:33+02:00"},
		{"Thursday, 28 January 2016 8:16 p.m.", "2016-01-28T20:16:00Z"},
		{"2016-01-27", "2016-01-27T00:00:00Z"},
		{"12:00 AM, Nov 21 2017", "2017-11-21T00:00:00Z"},
		{rlm + "الثلاثاء، ٢١ نوفمبر ٢٠١٧ في ١٠:٠٢ ص" + rlm, "2017-11-21T10:02:00Z"},
		{"الثلاثاء، 21 تشرين الثاني، 2017 10:02 م", "2017-11-21T22:02:00Z"},
		{"۲۱ نوفمبر ۲۰۱۷ ۱۰:۰۲", "2017-11-21T10:02:00Z"},
		{"giovedì 8 ottobre 2015 15:26", "2015-10-08T15:26:00Z"},
		{"Don 11 Februar 2016 11:23", "2016-02-11T11:23:00Z"},
	}
	for _, c := range cases {
		got, ok := parseDate(c.in, now)
		if !ok || !got.Equal(mustTime(t, c.want)) {
			t.Errorf("parseDate(%q) = %v %v, want %s", c.in, got, ok, c.want)
		}
	}
	for _, bad := range []string{"", "next tuesday", "soon", "31 February 2017", "25:00 21 Nov 2017"} {
		if got, ok := parseDate(bad, now); ok {
			t.Errorf("parseDate(%q) = %v, want failure", bad, got)
		}
	}
}

func TestStripForwardPrefixes(t *testing.T) {
	for in, want := range map[string]string{
		"Fwd: Invitation":        "Invitation",
		"FW: Fw: fwd:Invitation": "Invitation",
		"TR: Invitation":         "Invitation",
		"WG: Einladung":          "Einladung",
		"RV: Invitación":         "Invitación",
		"إعادة توجيه: دعوة":      "دعوة",
		"توجيه: دعوة":            "دعوة",
		rlm + "إعادة توجيه: " + rlm + "دعوة": "دعوة",
		"Re: Invitation":           "Re: Invitation",
		"Forward planning meeting": "Forward planning meeting",
	} {
		if got := stripForwardPrefixes(in); got != want {
			t.Errorf("stripForwardPrefixes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDeadline(t *testing.T) {
	got, err := ParseDeadline("٥ ديسمبر ٢٠٢٦ ١٨:٠٠ +٠٣:٠٠")
	if err != nil || !got.Equal(mustTime(t, "2026-12-05T18:00:00+03:00")) {
		t.Errorf("ParseDeadline = %v, %v", got, err)
	}
	if _, err := ParseDeadline("friday"); err == nil || !strings.Contains(err.Error(), `"friday"`) {
		t.Errorf("ParseDeadline(friday) error = %v, want one naming the value", err)
	}
}
