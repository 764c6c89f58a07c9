// Package story is the seed's story — nine organisations answering an
// invitation to the Civil Society Support Room — on consultd's built-in mail
// servers. The story's messages are written the way real clients write them,
// and the integration tests replay the same story against Dovecot and Postfix.
package story

import (
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
)

// Inviter of the story.
const (
	InviterName    = "Office of the UN Special Envoy for Syria"
	InviterAddress = "cssr@envoy.example"
	InviteSubject  = "Invitation: Civil Society Support Room meetings in Geneva"
	InviteID       = "CAF=cssr-invite-4711@envoy.example"
)

// InvitationBody is the invitation as the envoy's office sent it; sent is
// when, so that the meeting and the reply-by date lie ahead of it.
func InvitationBody(sent time.Time) string {
	meet := sent.AddDate(0, 0, 14)
	return fmt.Sprintf(`Dear colleagues,

Following the call of the UN Special Envoy for Syria for the convening of the next two rounds of the Geneva peace talks, we are pleased to invite your organisation to attend the Civil Society Support Room (CSSR) meetings in Geneva on %s.

The meetings will focus on constitutional reform and on detainees, abductees and missing persons, as well as refugees and displaced persons.

Please confirm your participation by %s.

Kind regards,
CSSR team
Office of the UN Special Envoy for Syria`, meet.Format("2 January 2006")+" to "+meet.AddDate(0, 0, 2).Format("2 January 2006"),
		sent.AddDate(0, 0, 5).Format("2 January 2006"))
}

// Forward is the coordinator's Gmail forward of the invitation to the coalition.
func Forward(coordName, coordAddr, coalition string, sent time.Time) []byte {
	orig := sent.Add(-26 * time.Hour).UTC()
	body := fmt.Sprintf(`Dear all, please see the invitation below. Let us answer together.

---------- Forwarded message ---------
From: %s <%s>
Date: %s
Subject: %s
To: <%s>


%s
`, InviterName, InviterAddress, orig.Format("Mon, Jan 2, 2006 at 3:04 PM"), InviteSubject, coordAddr, InvitationBody(orig))
	return message(map[string]string{
		"From":       addr(coordName, coordAddr),
		"To":         "<" + coalition + ">",
		"Subject":    "Fwd: " + InviteSubject,
		"Message-ID": "<CAJfwd-" + fmt.Sprint(sent.UnixNano()) + "@mail.gmail.com>",
		"Date":       sent.Format(time.RFC1123Z),
	}, "text/plain; charset=\"UTF-8\"", body)
}

// ForwardAttached is the coordinator forwarding the invitation as an
// attachment (Outlook's "Forward as Attachment"): the original keeps its
// Message-ID, so the statement can be threaded to it.
func ForwardAttached(coordName, coordAddr, coalition, inviter string, sent time.Time) []byte {
	orig := sent.Add(-26 * time.Hour).UTC()
	inner := message(map[string]string{
		"From":       addr(InviterName, inviter),
		"To":         "<" + coordAddr + ">",
		"Subject":    InviteSubject,
		"Date":       orig.Format(time.RFC1123Z),
		"Message-ID": "<" + InviteID + ">",
	}, "text/plain; charset=\"UTF-8\"", InvitationBody(orig)+"\n")
	var b strings.Builder
	b.WriteString("From: " + addr(coordName, coordAddr) + "\r\nTo: <" + coalition + ">\r\nSubject: FW: " + InviteSubject +
		"\r\nDate: " + sent.Format(time.RFC1123Z) + "\r\nMessage-ID: <fwd-att-" + fmt.Sprint(sent.UnixNano()) + "@outlook.example>" +
		"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"_004_fwd\"\r\n\r\n" +
		"--_004_fwd\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\nDeadline: " + sent.Add(72*time.Hour).UTC().Format("2006-01-02 15:04 -07:00") +
		"\r\n\r\nPlease see the attached invitation.\r\n\r\n" +
		"--_004_fwd\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"invitation.eml\"\r\n\r\n")
	b.Write(inner)
	b.WriteString("\r\n--_004_fwd--\r\n")
	return []byte(b.String())
}

// Consultation is what a member's client needs to reply to its consultation.
type Consultation struct {
	MessageID string // without <>
	ReplyTo   string
	Subject   string
	Body      string
	Date      time.Time
}

// Reply is one message a member sends in the story.
type Reply struct {
	Member string // member id
	From   string
	Says   string // what the demo prints
	Raw    []byte
}

// Answers are the members' replies in the story: top-posted Gmail, Outlook
// HTML, iPhone, Arabic Gmail and Outlook, one out-of-office, one changed answer.
func Answers(c map[string]Consultation, contact map[string]string, now time.Time) []Reply {
	var rs []Reply
	add := func(id, says string, raw []byte) {
		rs = append(rs, Reply{Member: id, From: contact[id], Says: says, Raw: raw})
	}
	n := 0
	next := func() time.Time { n++; return now.Add(time.Duration(n) * time.Minute) }

	add("baytna", "Gmail, top-posted: DECLINE with two concerns, two recommendations, signs",
		gmailReply(c["baytna"], "Baytna Syria", contact["baytna"], next(), `Dear coordinators,

We decline.

Concerns:
1. The results of the discussions that took place during previous CSSR meetings were not fully reflected in the periodic briefings of the Special Envoy to the Security Council.
2. The topics of the meetings are chosen in a manner that is not systematic and lacks a methodology that builds upon previous discussions.

Recommendations:
1. Prior involvement of civil society organisations in identifying the topics for the meeting in consultation with the office of the special envoy.
2. The contribution of the organisations in developing frameworks and discussion points for the meeting.

Sign: yes

Best,
Lina
Baytna Syria`))

	add("sjac", "Outlook, HTML only: DECLINE with a concern and a recommendation",
		outlookHTMLReply(c["sjac"], "SJAC", contact["sjac"], next(),
			`<p>DECLINE</p><p>Concerns:</p><ul><li>There has been no prior consultation with the organisations to develop the topics and frameworks for discussions; invitations are sent a few days before the meeting.</li></ul><p>Recommendations:</p><ul><li>The full inclusion of the results of the Civil Society Support Room meetings in the periodic briefings of the Special Envoy to the Security Council.</li></ul><p>Sign: yes</p><p>Regards,<br>SJAC team</p>`))

	add("sla", "iPhone: Decline, signs",
		iphoneReply(c["sla"], "Syrian Lawyers Aggregation", contact["sla"], next(), "Decline. We agree with declining this time.\nSign: yes"))

	add("stj", "Gmail: ACCEPT (changed below)",
		gmailReply(c["stj"], "STJ", contact["stj"], next(), "ACCEPT\n\nWe think we should attend.\n\nSTJ"))

	add("scm", "Arabic out-of-office auto-reply (must be ignored)",
		autoReplyAr(c["scm"], "المركز السوري للإعلام", contact["scm"], next()))

	add("tda", "Gmail: DECLINE, one concern, a recommendation another member made in the same words",
		gmailReply(c["tda"], "The Day After", contact["tda"], next(), `DECLINE

Concerns:
- Points of contact who send invitations do not have sufficient knowledge of the topics of discussion, and cannot answer the questions of those invited.

Recommendations:
- The assignment of people who are specialised in the topic of the meeting in the process of sending invitations and communication with the Syrian organizations.
- prior involvement of civil society organisations in identifying the topics for the meeting, in consultation with the office of the special envoy

Sign: yes`))

	add("alkawakibi", "Arabic Gmail: declines (نعتذر عن عدم قبول الدعوة), signs",
		gmailReplyAr(c["alkawakibi"], "مركز الكواكبي", contact["alkawakibi"], next(), "نعتذر عن عدم قبول الدعوة.\n\nالتوقيع: نعم\n\nمع التحية،\nمركز الكواكبي"))

	add("sednaya", "Arabic Outlook: declines with a recommendation",
		outlookReplyAr(c["sednaya"], "رابطة معتقلي صيدنايا", contact["sednaya"], next(), "أرفض\n\nالتوصيات:\n١. Concluding the work of the Civil Society Support Room with a press conference that communicates to the Syrians and the world the results of the meeting.\n\nالتوقيع: نعم"))

	add("vdc", "Gmail: DECLINE, a concern another member made in the same words",
		gmailReply(c["vdc"], "VDC", contact["vdc"], next(), `Decline.

Concerns:
1) the results of the discussions that took place during previous CSSR meetings were NOT fully reflected in the periodic briefings of the Special Envoy to the Security Council

Sign: yes`))

	add("stj", "Gmail again: changes its answer to DECLINE",
		gmailReply(c["stj"], "STJ", contact["stj"], next(), "Sorry, after discussing internally: DECLINE.\nSign: yes\n\nSTJ"))

	add("scm", "Arabic Gmail, back from leave: declines",
		gmailReplyAr(c["scm"], "المركز السوري للإعلام", contact["scm"], next(), "نعتذر عن المشاركة في هذه الاجتماعات.\nالتوقيع: نعم"))
	return rs
}

func quoteLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

func replyHeaders(c Consultation, name, from string, at time.Time, id string) map[string]string {
	return map[string]string{
		"From":        addr(name, from),
		"To":          "<" + c.ReplyTo + ">",
		"Subject":     "Re: " + c.Subject,
		"Message-ID":  "<" + id + ">",
		"In-Reply-To": "<" + c.MessageID + ">",
		"References":  "<" + c.MessageID + ">",
		"Date":        at.Format(time.RFC1123Z),
	}
}

// GmailReply is a member answering c from Gmail's web client in English:
// text above the quoted consultation.
func GmailReply(c Consultation, name, from string, at time.Time, text string) []byte {
	return gmailReply(c, name, from, at, text)
}

// GmailReplyAr is GmailReply with Gmail in Arabic.
func GmailReplyAr(c Consultation, name, from string, at time.Time, text string) []byte {
	return gmailReplyAr(c, name, from, at, text)
}

func gmailReply(c Consultation, name, from string, at time.Time, text string) []byte {
	body := fmt.Sprintf("%s\n\nOn %s, Syrian Human Rights Coalition <%s> wrote:\n%s\n", text,
		c.Date.Format("Mon, Jan 2, 2006 at 3:04 PM"), c.ReplyTo, quoteLines(c.Body))
	return message(replyHeaders(c, name, from, at, fmt.Sprintf("CAGmail-%d@mail.gmail.com", at.UnixNano())),
		"text/plain; charset=\"UTF-8\"", body)
}

func gmailReplyAr(c Consultation, name, from string, at time.Time, text string) []byte {
	body := fmt.Sprintf("%s\n\n\u200fفي %s، كتب Syrian Human Rights Coalition \u200f<%s>:\n%s\n", text,
		c.Date.Format("2006/1/2 15:04"), c.ReplyTo, quoteLines(c.Body))
	return message(replyHeaders(c, name, from, at, fmt.Sprintf("CAGmailAr-%d@mail.gmail.com", at.UnixNano())),
		"text/plain; charset=\"UTF-8\"", body)
}

func outlookReplyAr(c Consultation, name, from string, at time.Time, text string) []byte {
	body := fmt.Sprintf("%s\n\n________________________________\nمن: Syrian Human Rights Coalition <%s>\nتاريخ الإرسال: %s\nإلى: %s\nالموضوع: %s\n\n%s\n", text,
		c.ReplyTo, c.Date.Format("2006/01/02 15:04"), from, c.Subject, c.Body)
	return message(replyHeaders(c, name, from, at, fmt.Sprintf("AM0PR-%d@outlook.com", at.UnixNano())),
		"text/plain; charset=\"UTF-8\"", body)
}

func iphoneReply(c Consultation, name, from string, at time.Time, text string) []byte {
	body := fmt.Sprintf("%s\n\nSent from my iPhone\n\n> On %s, Syrian Human Rights Coalition <%s> wrote:\n> \n%s\n", text,
		c.Date.Format("Jan 2, 2006, at 15:04"), c.ReplyTo, quoteLines(c.Body))
	return message(replyHeaders(c, name, from, at, fmt.Sprintf("iPhone-%d@icloud.com", at.UnixNano())),
		"text/plain; charset=\"us-ascii\"", body)
}

func outlookHTMLReply(c Consultation, name, from string, at time.Time, html string) []byte {
	body := fmt.Sprintf(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div class="WordSection1">%s</div>
<div id="appendonsend"></div><hr style="display:inline-block;width:98%%">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif"><b>From:</b> Syrian Human Rights Coalition &lt;%s&gt;<br><b>Sent:</b> %s<br><b>Subject:</b> %s</font><div>&nbsp;</div></div>
<div>%s</div></body></html>`, html, c.ReplyTo, c.Date.Format("Monday, January 2, 2006 3:04 PM"), c.Subject,
		strings.ReplaceAll(c.Body, "\n", "<br>"))
	h := replyHeaders(c, name, from, at, fmt.Sprintf("DB9PR-%d@eurprd.outlook.com", at.UnixNano()))
	h["Thread-Topic"] = c.Subject
	return message(h, "text/html; charset=\"utf-8\"", body)
}

func autoReplyAr(c Consultation, name, from string, at time.Time) []byte {
	h := replyHeaders(c, name, from, at, fmt.Sprintf("oof-%d@scm.example", at.UnixNano()))
	h["Subject"] = mime.QEncoding.Encode("utf-8", "رد تلقائي: "+c.Subject)
	h["Auto-Submitted"] = "auto-replied"
	h["X-Auto-Response-Suppress"] = "All"
	return message(h, "text/plain; charset=\"UTF-8\"",
		"شكراً لرسالتكم. أنا خارج المكتب حتى الأسبوع القادم مع وصول محدود إلى البريد.\n")
}

func addr(name, a string) string {
	return mime.QEncoding.Encode("utf-8", name) + " <" + a + ">"
}

// message builds a raw RFC 5322 message with CRLF line endings; non-ASCII
// bodies go as 8bit UTF-8 (as Gmail sends them).
func message(h map[string]string, ctype, body string) []byte {
	var b strings.Builder
	order := []string{"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Thread-Topic",
		"Auto-Submitted", "X-Auto-Response-Suppress"}
	for _, k := range order {
		if v, ok := h[k]; ok {
			if k == "Subject" && !isASCII(v) {
				v = mime.QEncoding.Encode("utf-8", v)
			}
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")
	if strings.HasPrefix(ctype, "text/html") {
		// Outlook sends HTML quoted-printable: its lines would break SMTP's 1000-octet limit.
		b.WriteString("MIME-Version: 1.0\r\nContent-Type: " + ctype + "\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		w := quotedprintable.NewWriter(&b)
		w.Write([]byte(body))
		w.Close()
		return []byte(b.String())
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: " + ctype + "\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(body)
	return []byte(b.String())
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// ConfirmReply is a coordinator's Gmail reply "CONFIRM" to consultd's
// confirmation request c (read like a consultation: Reply-To, Message-ID),
// top-posted with the request quoted below.
func ConfirmReply(c Consultation, name, from string, at time.Time) []byte {
	return gmailReply(c, name, from, at, "CONFIRM")
}
