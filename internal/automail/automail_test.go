package automail

import (
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/internal/mimeparse"
	"consultd/internal/testutil"
)

func readFixture(t testing.TB, name string) *mimeparse.Message {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mimeparse.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// TestFixtures runs messages written the way real systems send them.
func TestFixtures(t *testing.T) {
	type rcpt struct {
		addr, action, status, reason string
		hard                         bool
	}
	tests := []struct {
		file       string
		auto       bool
		autoWhy    string // substring of the reason
		bounce     bool
		machine    bool
		rcpts      []rcpt
		originalID string
	}{
		{file: "gmail-vacation-en.eml", auto: true, autoWhy: "Auto-Submitted", machine: true},
		{file: "gmail-vacation-ar.eml", auto: true, autoWhy: "Auto-Submitted", machine: true},
		{file: "outlook-oof-en.eml", auto: true, autoWhy: "auto-generated", machine: true},
		{file: "outlook-oof-ar.eml", auto: true, autoWhy: "auto-generated", machine: true},
		{file: "apple-autoreply.eml", auto: true, autoWhy: "VACATION", machine: true},
		{file: "postfix-bounce-511.eml", bounce: true, machine: true, originalID: "round-42.6@consultd.coalition.example",
			rcpts: []rcpt{{"k.mansour@rights-ngo.example", "failed", "5.1.1", "userunknown", true}}},
		{file: "exchange-online-ndr.eml", bounce: true, machine: true, originalID: "round-42.7@consultd.coalition.example",
			rcpts: []rcpt{{"h.saleh@partner-ngo.org", "failed", "5.1.10", "userunknown", true}}},
		{file: "gmail-mailbox-full.eml", bounce: true, machine: true, originalID: "CAF3m9pQ1oK2round42@mail.gmail.com",
			rcpts: []rcpt{{"rania.organisation@gmail.com", "failed", "4.2.2", "mailboxfull", false}}},
		{file: "postfix-delayed.eml", bounce: true, machine: true, originalID: "round-42.9@consultd.coalition.example",
			rcpts: []rcpt{{"info@small-ngo.example", "delayed", "4.4.1", "expired", false}}},
		{file: "outlook-human-reply.eml"},
		{file: "gmail-reply-mentions-ooo.eml"},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".eml"), func(t *testing.T) {
			m := readFixture(t, tc.file)
			auto, why := IsAutoReply(m)
			if auto != tc.auto || !strings.Contains(why, tc.autoWhy) {
				t.Errorf("IsAutoReply = %v, %q; want %v with %q", auto, why, tc.auto, tc.autoWhy)
			}
			if got := IsMachineGenerated(m); got != tc.machine {
				t.Errorf("IsMachineGenerated = %v, want %v", got, tc.machine)
			}
			b := ParseBounce(m)
			if (b != nil) != tc.bounce {
				t.Fatalf("ParseBounce = %+v, want bounce %v", b, tc.bounce)
			}
			if b == nil {
				return
			}
			if b.OriginalMessageID != tc.originalID {
				t.Errorf("OriginalMessageID = %q, want %q", b.OriginalMessageID, tc.originalID)
			}
			if len(b.Recipients) != len(tc.rcpts) {
				t.Fatalf("recipients = %+v, want %d", b.Recipients, len(tc.rcpts))
			}
			for i, w := range tc.rcpts {
				g := b.Recipients[i]
				if g.Address != w.addr || g.Action != w.action || g.Status != w.status || g.Reason != w.reason || g.Hard != w.hard {
					t.Errorf("recipient %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// msg builds a Message by hand from header lines and a subject.
func msg(subject string, headers ...string) *mimeparse.Message {
	h := mail.Header{}
	for _, l := range headers {
		k, v, _ := strings.Cut(l, ":")
		k = canonicalKey(k)
		h[k] = append(h[k], strings.TrimSpace(v))
	}
	m := &mimeparse.Message{Header: h, Subject: subject, ContentType: "text/plain"}
	if strings.TrimSpace(h.Get("Return-Path")) == "<>" {
		m.ReturnPathEmpty = true
	}
	if a, err := mail.ParseAddress(h.Get("From")); err == nil {
		m.From = []mimeparse.Address{{Name: a.Name, Address: a.Address}}
	}
	return m
}

func TestIsAutoReplySigns(t *testing.T) {
	tests := []struct {
		name string
		m    *mimeparse.Message
		want bool
	}{
		{"RFC 3834 auto-replied", msg("Re: invitation", "Auto-Submitted: auto-replied"), true},
		{"auto-notified with comment", msg("Notice", "Auto-Submitted: auto-notified (vacation)"), true},
		{"Auto-Submitted: no is a person", msg("Re: invitation", "Auto-Submitted: no"), false},
		{"X-Auto-Response-Suppress alone is a request, not a sign", msg("RE: invitation", "X-Auto-Response-Suppress: All", "From: Omar <omar@ngo.example>"), false},
		{"Exchange 2010 OOF: subject and suppress header only", msg("Automatic reply: invitation", "X-Auto-Response-Suppress: All"), true},
		{"Outlook Arabic OOF subject", msg("رد تلقائي: دعوة للمشاورة"), true},
		{"Arabic subject after a right-to-left mark", msg("\u200fالرد التلقائي: دعوة"), true},
		{"Arabic out of office", msg("خارج المكتب"), true},
		{"German Abwesenheitsnotiz", msg("Abwesenheitsnotiz: Einladung"), true},
		{"French", msg("Réponse automatique : invitation"), true},
		{"Precedence bulk", msg("Newsletter", "Precedence: bulk"), true},
		{"X-Precedence auto_reply", msg("Thanks", "X-Precedence: auto_reply"), true},
		{"X-Autorespond", msg("Thanks for writing", "X-Autorespond: yes"), true},
		{"empty return path", msg("Thanks", "Return-Path: <>"), true},
		{"human replying to an auto-reply", msg("RE: Automatic reply: invitation", "From: Omar <omar@ngo.example>"), false},
		{"plain human mail", msg("Re: invitation", "From: Hala <hala@ngo.example>"), false},
		{"bounce with Auto-Submitted is not an auto-reply", msg("Undelivered Mail Returned to Sender", "From: MAILER-DAEMON@mx.example (Mail Delivery System)", "Auto-Submitted: auto-replied"), false},
		{"nil message", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why := IsAutoReply(tc.m)
			if got != tc.want {
				t.Errorf("IsAutoReply = %v (%s), want %v", got, why, tc.want)
			}
			if got && why == "" {
				t.Error("no reason given")
			}
		})
	}
}

func TestIsMachineGeneratedReports(t *testing.T) {
	arf := msg("Abuse report", "From: feedback@provider.example")
	arf.ContentType, arf.Params = "multipart/report", map[string]string{"report-type": "feedback-report"}
	mdn := msg("Read: invitation", "From: Hala <hala@ngo.example>")
	mdn.ContentType, mdn.Params = "multipart/report", map[string]string{"report-type": "disposition-notification"}
	noreply := msg("Your ticket", "From: <no-reply@service.example>")
	for name, m := range map[string]*mimeparse.Message{"ARF feedback report": arf, "read receipt": mdn, "no-reply sender": noreply} {
		if !IsMachineGenerated(m) {
			t.Errorf("%s: IsMachineGenerated = false", name)
		}
		if ParseBounce(m) != nil {
			t.Errorf("%s: ParseBounce is not nil", name)
		}
		if ok, _ := IsAutoReply(m); ok && name != "no-reply sender" {
			t.Errorf("%s: called an auto-reply", name)
		}
	}
}

func TestParseDeliveryStatus(t *testing.T) {
	raw := "Reporting-MTA: dns; mx.example.org\r\n\r\n" +
		"Original-Recipient: rfc822;A@Example.org\r\nFinal-Recipient: RFC822; <a@example.org>\r\nAction: failed\r\n" +
		"Status: 5.1.1 (bad mailbox)\r\nDiagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach\r\n" +
		"    does not exist.\r\n" +
		// no blank line before the next recipient, as some MTAs write it
		"Final-Recipient: utf-8; \\x{0633}\\x{0627}\\x{0631}\\x{0629}@example.sa\r\nAction: delayed\r\nStatus: 4.4.7\r\n"
	msgFields, rcpts := ParseDeliveryStatus([]byte(raw))
	if msgFields.Get("Reporting-MTA") != "dns; mx.example.org" {
		t.Errorf("per-message = %v", msgFields)
	}
	if len(rcpts) != 2 {
		t.Fatalf("recipients = %v", rcpts)
	}
	if got := rcpts[0].Get("Diagnostic-Code"); got != "smtp; 550-5.1.1 The email account that you tried to reach does not exist." {
		t.Errorf("folded diagnostic = %q", got)
	}
	rs := dsnRecipients(rcpts)
	if rs[0].Address != "a@example.org" || rs[0].Status != "5.1.1" || rs[1].Address != "سارة@example.sa" || rs[1].Action != "delayed" {
		t.Errorf("recipients = %+v", rs)
	}
}

func TestParseBounceHandBuilt(t *testing.T) {
	// A free-text qmail bounce with the original kept in the text.
	m := msg("failure notice", "From: MAILER-DAEMON@mx.example.net")
	m.Text = "Hi. This is the qmail-send program at mx.example.net.\n" +
		"I'm afraid I wasn't able to deliver your message to the following addresses.\n" +
		"This is a permanent error; I've given up. Sorry it didn't work out.\n\n" +
		"<nour@ngo.example>:\n192.0.2.5 does not like recipient.\nRemote host said: 550 5.1.1 <nour@ngo.example>: Recipient address rejected: User unknown\nGiving up on 192.0.2.5.\n\n" +
		"--- Below this line is a copy of the message.\n\nReturn-Path: <consult@coalition.example>\nMessage-ID: <round-7.2@consultd.example>\nTo: nour@ngo.example\n\nDear partner\n"
	b := ParseBounce(m)
	if b == nil || len(b.Recipients) != 1 {
		t.Fatalf("ParseBounce = %+v", b)
	}
	r := b.Recipients[0]
	if r.Address != "nour@ngo.example" || r.Status != "5.1.1" || !r.Hard || r.ReplyCode != "550" {
		t.Errorf("recipient = %+v", r)
	}
	if b.OriginalMessageID != "round-7.2@consultd.example" {
		t.Errorf("OriginalMessageID = %q", b.OriginalMessageID)
	}
	if ok, _ := IsAutoReply(m); ok {
		t.Error("bounce called an auto-reply")
	}

	// An ordinary message that talks about bounces is not one.
	h := msg("Re: mail delivery", "From: Hala <hala@ngo.example>")
	h.Text = "Your last message bounced for our colleague, can you resend it?"
	if ParseBounce(h) != nil || IsMachineGenerated(h) {
		t.Error("human mail about a bounce taken for a bounce")
	}
	if ParseBounce(nil) != nil || IsMachineGenerated(nil) {
		t.Error("nil message")
	}
}

// TestBoundedWork: a hostile bounce naming thousands of recipients over
// megabytes of text is cut short and classified quickly.
func TestBoundedWork(t *testing.T) {
	testutil.SkipUnderRace(t, "10 s for a 2 MB bounce")
	var b strings.Builder
	b.WriteString("This message was created automatically by mail delivery software.\n\n")
	for i := 0; b.Len() < 2<<20; i++ {
		b.WriteString("<member" + strings.Repeat("x", i%40) + "@ngo" + string(rune('a'+i%26)) + ".example>: 550 user unknown here\n")
		b.WriteString(strings.Repeat("filler words that say nothing much ", 3) + "\n")
	}
	m := msg("Mail delivery failed", "From: Mail Delivery System <MAILER-DAEMON@mx.example>")
	m.Text = b.String()
	start := time.Now()
	bounce := ParseBounce(m)
	if bounce == nil || len(bounce.Recipients) == 0 || len(bounce.Recipients) > MaxRecipients {
		t.Fatalf("bounce = %v recipients", bounce)
	}
	IsAutoReply(m)
	IsMachineGenerated(m)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("classifying a 2 MB bounce took %v", d)
	}
}

// TestForwardedBounceIsNotABounce: a coordinator who forwards a bounce
// inline ("Fwd: Undelivered Mail ...") wrote a human message.
func TestForwardedBounceIsNotABounce(t *testing.T) {
	m := msg("Fwd: Undelivered Mail Returned to Sender", "From: Coordinator <coord@coalition.example>")
	m.Text = "FYI, this member's address bounced.\n\n---------- Forwarded message ---------\n" +
		"From: Mail Delivery System <MAILER-DAEMON@mail.coalition.example>\n\n" +
		"This is the mail system at host mail.coalition.example.\n\n" +
		"<k.mansour@rights-ngo.example>: host mx1.rights-ngo.example said: 550 5.1.1 User unknown\n\n" +
		"Reporting-MTA: dns; mail.coalition.example\n\nFinal-Recipient: rfc822; k.mansour@rights-ngo.example\nAction: failed\nStatus: 5.1.1\n"
	if b := ParseBounce(m); b != nil {
		t.Errorf("ParseBounce = %+v, want nil", b)
	}
	if IsMachineGenerated(m) {
		t.Error("IsMachineGenerated = true for a person's forward")
	}
}
