package mailstack

import (
	"bytes"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"
)

const waitFor = 20 * time.Second

// gmailStyle formats a message the way Gmail's web client sends plain text.
func gmailStyle(from, to, subject, body string) []byte {
	return []byte(strings.ReplaceAll(fmt.Sprintf(`MIME-Version: 1.0
Date: Fri, 27 Nov 2026 11:40:00 +0000
Message-ID: <%s@mail.gmail.com>
Subject: %s
From: %s
To: %s
Content-Type: text/plain; charset="UTF-8"

%s
`, Unique("CAJ"), subject, from, to, body), "\n", "\r\n"))
}

func header(t *testing.T, raw []byte, name string) []string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("delivered message does not parse: %v\n%s", err, raw)
	}
	return m.Header[name]
}

func TestPlusAddressedMailReachesInboxWithDetailInDeliveredTo(t *testing.T) {
	s := Start(t)
	domain := Unique("coal") + ".example"
	coalition, coalitionPass := "coalition@"+domain, "s3cret"
	s.AddUser(t, coalition, coalitionPass)
	member, _ := s.NewUser(t, "amina")

	to := "coalition+abc123@" + domain
	marker := Unique("marker")
	s.Send(t, member, []string{to}, gmailStyle("Amina <"+member+">", to, "Re: Invitation", "We accept. "+marker))

	msgs := s.WaitMessages(t, coalition, coalitionPass, "INBOX", 1, waitFor)
	if len(msgs) != 1 || !bytes.Contains(msgs[0], []byte(marker)) {
		t.Fatalf("coalition INBOX holds %d messages, want the one with %s", len(msgs), marker)
	}
	if got := header(t, msgs[0], "Delivered-To"); !slices.Contains(got, to) {
		t.Errorf("Delivered-To = %q, want %q (the plus token must survive delivery)", got, to)
	}
	// lmtp_save_to_detail_mailbox=no: no mailbox named after the token.
	if boxes := s.Mailboxes(t, coalition, coalitionPass); slices.Contains(boxes, "abc123") {
		t.Errorf("mailboxes %v include one made from the +detail", boxes)
	}
}

func TestUnknownRecipientsLandInCatchall(t *testing.T) {
	s := Start(t)
	known, _ := s.NewUser(t, "known")
	knownDomain := known[strings.IndexByte(known, '@')+1:]
	for _, tc := range []struct{ name, rcpt string }{
		{"foreign domain (an inviter at the UN)", Unique("inviter") + "@un.example"},
		{"unknown user in a local domain", Unique("nobody") + "@" + knownDomain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			marker := Unique("leak")
			s.Send(t, known, []string{tc.rcpt}, gmailStyle(known, tc.rcpt, "Statement", marker))
			got := s.WaitMatch(t, s.Catchall, s.CatchallPassword, "INBOX", marker, waitFor)
			if dt := header(t, got, "Delivered-To"); !slices.Contains(dt, tc.rcpt) {
				t.Errorf("Delivered-To = %q, want the original recipient %q", dt, tc.rcpt)
			}
		})
	}
}

func TestEachRecipientGetsItsOwnCopy(t *testing.T) {
	s := Start(t)
	a, aPass := s.NewUser(t, "a")
	b, bPass := s.NewUser(t, "o'brien") // an apostrophe must be a valid user name
	marker := Unique("both")
	s.Send(t, a, []string{a, b}, gmailStyle(a, a+", "+b, "Joint statement", marker))
	for _, u := range []struct{ addr, pass string }{{a, aPass}, {b, bPass}} {
		msgs := s.WaitMessages(t, u.addr, u.pass, "INBOX", 1, waitFor)
		if dt := header(t, msgs[0], "Delivered-To"); len(dt) != 1 || dt[0] != u.addr {
			t.Errorf("%s: Delivered-To = %q, want just its own address", u.addr, dt)
		}
	}
}

func TestAppendAndMailboxes(t *testing.T) {
	s := Start(t)
	u, pass := s.NewUser(t, "coord")
	raw := gmailStyle(u, u, "Draft", Unique("appended"))
	if uid := s.Append(t, u, pass, "Processed", raw); uid == 0 {
		t.Errorf("APPEND returned no UID (UIDPLUS expected from Dovecot)")
	}
	boxes := s.Mailboxes(t, u, pass)
	for _, want := range []string{"INBOX", "Sent", "Processed"} {
		if !slices.Contains(boxes, want) {
			t.Errorf("mailboxes %v lack %s", boxes, want)
		}
	}
	if got := s.Messages(t, u, pass, "Processed"); len(got) != 1 || !bytes.Equal(got[0], raw) {
		t.Errorf("Processed holds %d messages; want exactly the appended bytes", len(got))
	}
}

func TestLoginWorksAgainAfterDovecotRestart(t *testing.T) {
	s := Start(t)
	u, pass := s.NewUser(t, "restart")
	s.Send(t, u, []string{u}, gmailStyle(u, u, "before", "before restart"))
	s.WaitMessages(t, u, pass, "INBOX", 1, waitFor)

	// A client connected across the restart must see its connection drop,
	// as it would against a real server restart.
	open, err := s.login(u, pass)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if _, err := open.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := open.Idle()
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()

	s.RestartDovecot(t)

	select {
	case <-open.Closed():
	case <-time.After(10 * time.Second):
		t.Errorf("an IMAP session idling across the restart was not disconnected")
	}

	// Mail sent while Dovecot was down or just back must still arrive.
	s.Send(t, u, []string{u}, gmailStyle(u, u, "after", "after restart"))
	if msgs := s.WaitMessages(t, u, pass, "INBOX", 2, waitFor); len(msgs) != 2 {
		t.Errorf("after restart INBOX holds %d messages, want 2", len(msgs))
	}
}

func TestMailToBounceTestComesBackAsABounce(t *testing.T) {
	s := Start(t)
	sender, pass := s.NewUser(t, "coalition")
	rcpt := Unique("gone") + "@bounce.test"
	s.Send(t, sender, []string{rcpt}, gmailStyle(sender, rcpt, "Invitation", Unique("bounced")))
	dsn := s.WaitMatch(t, sender, pass, "INBOX", rcpt, waitFor)
	if ct := header(t, dsn, "Content-Type"); len(ct) != 1 || !strings.Contains(ct[0], "report-type=delivery-status") {
		t.Errorf("bounce Content-Type = %q, want a multipart/report delivery-status", ct)
	}
	if !bytes.Contains(dsn, []byte("5.1.1")) {
		t.Errorf("bounce lacks status 5.1.1:\n%s", dsn)
	}
}
