package mailserver

import (
	"bytes"
	"context"
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"
)

// gmailReply is shaped like a reply sent from Gmail's web client (Arabic, base64 UTF-8).
const gmailReply = "MIME-Version: 1.0\r\n" +
	"Date: Fri, 27 Nov 2026 12:01:09 +0300\r\n" +
	"Message-ID: <CAFx9z+3kq2Vn0Y@mail.gmail.com>\r\n" +
	"Subject: =?UTF-8?B?UmU6INiv2LnZiNipINin2YTYp9is2KrZhdin2Lk=?=\r\n" +
	"From: =?UTF-8?B?2YXZhti42YXYqSDYp9mE2KPZhdmE?= <amal.org@gmail.com>\r\n" +
	"To: coalition+r1.k3xq@coalition.example\r\n" +
	"Content-Type: text/plain; charset=\"UTF-8\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"2YbYsdmB2LYg2KfZhNiv2LnZiNipLg0K\r\n"

func start(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := Start(o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addUser(t *testing.T, s *Server, addr, pw string) {
	t.Helper()
	if err := s.AddUser(addr, pw); err != nil {
		t.Fatalf("AddUser(%s): %v", addr, err)
	}
}

// smtpSend sends one message the way a client does; it returns the first error.
func smtpSend(t *testing.T, s *Server, auth smtp.Auth, from string, to []string, raw string) error {
	t.Helper()
	return smtp.SendMail(s.SMTPAddr(), auth, from, to, []byte(raw))
}

func imapLogin(t *testing.T, s *Server, user, pw string, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.IMAPAddr(), opts)
	if err != nil {
		t.Fatalf("dial IMAP: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, pw).Wait(); err != nil {
		t.Fatalf("IMAP login %s: %v", user, err)
	}
	return c
}

// fetchInbox reads every message of INBOX over IMAP.
func fetchInbox(t *testing.T, s *Server, user, pw string) []*mail.Reader {
	t.Helper()
	c := imapLogin(t, s, user, pw, nil)
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	bs := &imap.FetchItemBodySection{Peek: true}
	var all imap.SeqSet
	all.AddRange(1, sel.NumMessages)
	msgs, err := c.Fetch(all, &imap.FetchOptions{
		BodySection: []*imap.FetchItemBodySection{bs},
	}).Collect()
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	var out []*mail.Reader
	for _, m := range msgs {
		mr, err := mail.CreateReader(bytes.NewReader(m.FindBodySection(bs)))
		if err != nil {
			t.Fatalf("parse fetched message: %v", err)
		}
		out = append(out, mr)
	}
	return out
}

func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

func TestPlusAddressedReplyArrivesWithDeliveredTo(t *testing.T) {
	s := start(t, Options{})
	addUser(t, s, "coalition@coalition.example", "pw")

	err := smtpSend(t, s, nil, "amal.org@gmail.com", []string{"coalition+r1.k3xq@coalition.example"}, gmailReply)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := fetchInbox(t, s, "coalition@coalition.example", "pw")
	if len(msgs) != 1 {
		t.Fatalf("INBOX has %d messages, want 1", len(msgs))
	}
	h := msgs[0].Header
	if got := h.Get("Delivered-To"); got != "coalition+r1.k3xq@coalition.example" {
		t.Errorf("Delivered-To = %q, want the full plus address", got)
	}
	if got := h.Get("Return-Path"); got != "<amal.org@gmail.com>" {
		t.Errorf("Return-Path = %q", got)
	}
	if got := h.Get("Received"); !strings.Contains(got, "for <coalition+r1.k3xq@coalition.example>") {
		t.Errorf("Received = %q, want a trace line for the recipient", got)
	}
	if subj, _ := h.Subject(); subj != "Re: دعوة الاجتماع" {
		t.Errorf("Subject = %q", subj)
	}
	p, err := msgs[0].NextPart()
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	var body bytes.Buffer
	body.ReadFrom(p.Body)
	if !strings.Contains(body.String(), "نرفض الدعوة.") {
		t.Errorf("body = %q, want the Arabic text intact", body.String())
	}
}

func TestEachRecipientGetsItsOwnCopy(t *testing.T) {
	s := start(t, Options{})
	addUser(t, s, "a@ngo-one.example", "pa")
	addUser(t, s, "b@ngo-two.example", "pb")
	msg := "From: bot@coalition.example\r\nTo: a@ngo-one.example, b@ngo-two.example\r\nSubject: Consultation\r\n\r\nPlease answer.\r\n"
	if err := smtpSend(t, s, nil, "bot@coalition.example", []string{"a@ngo-one.example", "B+x@NGO-two.example"}, msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	for _, tc := range []struct{ user, pw, deliveredTo string }{
		{"a@ngo-one.example", "pa", "a@ngo-one.example"},
		{"b@ngo-two.example", "pb", "B+x@NGO-two.example"},
	} {
		msgs := fetchInbox(t, s, tc.user, tc.pw)
		if len(msgs) != 1 {
			t.Fatalf("%s has %d messages, want 1", tc.user, len(msgs))
		}
		if got := msgs[0].Header.Values("Delivered-To"); len(got) != 1 || got[0] != tc.deliveredTo {
			t.Errorf("%s: Delivered-To = %q, want only %q", tc.user, got, tc.deliveredTo)
		}
	}
}

func TestUnknownRecipient(t *testing.T) {
	msg := "From: office@envoy.example\r\nTo: someone@elsewhere.example\r\nSubject: hi\r\n\r\nhi\r\n"

	t.Run("no catch-all: 550 5.1.1", func(t *testing.T) {
		s := start(t, Options{})
		addUser(t, s, "coalition@coalition.example", "pw")
		err := smtpSend(t, s, nil, "office@envoy.example", []string{"someone@elsewhere.example"}, msg)
		if smtpCode(err) != 550 || !strings.Contains(err.Error(), "5.1.1") {
			t.Fatalf("err = %v, want 550 5.1.1", err)
		}
	})
	t.Run("catch-all receives it", func(t *testing.T) {
		s := start(t, Options{CatchAll: "Sink@demo.example"})
		addUser(t, s, "sink@demo.example", "pw")
		if err := smtpSend(t, s, nil, "office@envoy.example", []string{"someone@elsewhere.example"}, msg); err != nil {
			t.Fatalf("send: %v", err)
		}
		msgs := fetchInbox(t, s, "sink@demo.example", "pw")
		if len(msgs) != 1 || msgs[0].Header.Get("Delivered-To") != "someone@elsewhere.example" {
			t.Fatalf("catch-all got %d messages; want 1 with Delivered-To someone@elsewhere.example", len(msgs))
		}
	})
}

func TestAuthPlainWithoutTLS(t *testing.T) {
	s := start(t, Options{})
	addUser(t, s, "coalition@coalition.example", "right")
	msg := "From: coalition@coalition.example\r\nTo: coalition@coalition.example\r\nSubject: self\r\n\r\nx\r\n"
	rcpt := []string{"coalition@coalition.example"}

	good := smtp.PlainAuth("", "coalition@coalition.example", "right", "127.0.0.1")
	if err := smtpSend(t, s, good, "coalition@coalition.example", rcpt, msg); err != nil {
		t.Fatalf("right password: %v", err)
	}
	bad := smtp.PlainAuth("", "coalition@coalition.example", "wrong", "127.0.0.1")
	if err := smtpSend(t, s, bad, "coalition@coalition.example", rcpt, msg); smtpCode(err) != 535 {
		t.Fatalf("wrong password: err = %v, want 535", err)
	}
	if got := len(fetchInbox(t, s, "coalition@coalition.example", "right")); got != 1 {
		t.Fatalf("INBOX has %d messages, want 1 (only the authenticated send)", got)
	}
}

func TestSimulatedFailures(t *testing.T) {
	s := start(t, Options{})
	addUser(t, s, "a@ngo.example", "pw")
	addUser(t, s, "gone@ngo.example", "pw")
	msg := "From: bot@coalition.example\r\nTo: a@ngo.example\r\nSubject: x\r\n\r\nx\r\n"

	s.SMTPFailNext(1, true)
	if err := smtpSend(t, s, nil, "bot@coalition.example", []string{"a@ngo.example"}, msg); smtpCode(err) != 451 {
		t.Fatalf("first send: err = %v, want 451", err)
	}
	if err := smtpSend(t, s, nil, "bot@coalition.example", []string{"a@ngo.example"}, msg); err != nil {
		t.Fatalf("second send should succeed: %v", err)
	}
	s.SMTPFailNext(1, false)
	if err := smtpSend(t, s, nil, "bot@coalition.example", []string{"a@ngo.example"}, msg); smtpCode(err) != 554 {
		t.Fatalf("permanent failure: err = %v, want 554", err)
	}

	s.RejectRecipient("gone@ngo.example", 550, "5.1.1")
	if err := smtpSend(t, s, nil, "bot@coalition.example", []string{"gone+tok@ngo.example"}, msg); smtpCode(err) != 550 {
		t.Fatalf("rejected recipient: err = %v, want 550", err)
	}
	s.RejectRecipient("gone@ngo.example", 451, "4.2.0")
	err := smtpSend(t, s, nil, "bot@coalition.example", []string{"gone@ngo.example"}, msg)
	if smtpCode(err) != 451 || !strings.Contains(err.Error(), "4.2.0") {
		t.Fatalf("temporarily rejected recipient: err = %v, want 451 4.2.0", err)
	}
	s.RejectRecipient("gone@ngo.example", 0, "")
	if err := smtpSend(t, s, nil, "bot@coalition.example", []string{"gone@ngo.example"}, msg); err != nil {
		t.Fatalf("rule removed: %v", err)
	}
}

func TestIdleWakesOnSMTPDelivery(t *testing.T) {
	s := start(t, Options{})
	addUser(t, s, "coalition@coalition.example", "pw")

	exists := make(chan uint32, 8)
	c := imapLogin(t, s, "coalition@coalition.example", "pw", &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case exists <- *d.NumMessages:
					default:
					}
				}
			},
		},
	})
	if !c.Caps().Has(imap.CapIdle) {
		t.Fatal("IDLE not advertised by default")
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("IDLE: %v", err)
	}
	if err := smtpSend(t, s, nil, "amal.org@gmail.com", []string{"coalition+r1.k3xq@coalition.example"}, gmailReply); err != nil {
		t.Fatalf("send: %v", err)
	}
	select {
	case n := <-exists:
		if n != 1 {
			t.Errorf("EXISTS %d, want 1", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("IDLE was not woken by the delivery within 5s")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestCapabilitySwitches(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		opts                  Options
		idle, move, uidplus   bool
		wantRev2InCapResponse bool
	}{
		{"default is IMAP4rev2", Options{}, true, true, true, true},
		{"no IDLE (polling fallback)", Options{NoIdle: true}, false, true, true, false},
		{"no MOVE (copy+expunge fallback)", Options{NoMove: true}, true, false, true, false},
		{"old rev1 server", Options{NoMove: true, NoUIDPlus: true}, true, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, tc.opts)
			addUser(t, s, "u@x.example", "pw")
			c := imapLogin(t, s, "u@x.example", "pw", nil)
			caps, err := c.Capability().Wait()
			if err != nil {
				t.Fatal(err)
			}
			for _, chk := range []struct {
				cap  imap.Cap
				want bool
			}{{imap.CapIdle, tc.idle}, {imap.CapMove, tc.move}, {imap.CapUIDPlus, tc.uidplus}, {imap.CapIMAP4rev2, tc.wantRev2InCapResponse}} {
				if got := caps.Has(chk.cap); got != chk.want {
					t.Errorf("Has(%s) = %v, want %v (caps %v)", chk.cap, got, chk.want, caps)
				}
			}
			// The server still works normally behind the filter.
			if err := s.Deliver("u@x.example", []byte(gmailReply)); err != nil {
				t.Fatal(err)
			}
			if got := len(fetchInbox(t, s, "u@x.example", "pw")); got != 1 {
				t.Errorf("INBOX has %d messages, want 1", got)
			}
		})
	}
}

func TestServerSideHelpers(t *testing.T) {
	s := start(t, Options{})
	addUser(t, s, "coalition@coalition.example", "pw")
	if err := s.AddUser("Coalition@coalition.example", "x"); err == nil {
		t.Error("AddUser accepted a duplicate (case-insensitive) address")
	}
	if got := s.Mailboxes("coalition@coalition.example"); strings.Join(got, ",") != "INBOX,Sent" {
		t.Errorf("Mailboxes = %v, want [INBOX Sent]", got)
	}
	if err := s.Deliver("coalition+r2.zz@coalition.example", []byte(gmailReply)); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if err := s.Deliver("nobody@coalition.example", []byte(gmailReply)); err == nil {
		t.Error("Deliver to an unknown user without catch-all succeeded")
	}
	if err := s.Append("coalition@coalition.example", "Sent", []byte("Subject: copy\r\n\r\nx\r\n")); err != nil {
		t.Fatalf("Append: %v", err)
	}
	inbox, err := s.Messages("coalition@coalition.example", "INBOX")
	if err != nil || len(inbox) != 1 {
		t.Fatalf("Messages(INBOX) = %d, %v; want 1", len(inbox), err)
	}
	if !bytes.HasPrefix(inbox[0], []byte("Delivered-To: coalition+r2.zz@coalition.example\r\n")) ||
		!bytes.HasSuffix(inbox[0], []byte(gmailReply)) {
		t.Errorf("delivered copy = %q", inbox[0])
	}
	sent, err := s.Messages("coalition@coalition.example", "Sent")
	if err != nil || len(sent) != 1 || string(sent[0]) != "Subject: copy\r\n\r\nx\r\n" {
		t.Errorf("Messages(Sent) = %q, %v", sent, err)
	}
	if _, err := s.Messages("coalition@coalition.example", "Nope"); err == nil {
		t.Error("Messages of a missing mailbox succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := smtp.SendMail(s.SMTPAddr(), nil, "a@b.example", []string{"coalition@coalition.example"}, []byte(gmailReply)); err == nil {
		t.Error("SMTP still accepts mail after Close")
	}
}

func TestCloseRightAfterStartReturns(t *testing.T) {
	for range 20 {
		s, err := Start(Options{NoIdle: true})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Close() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close right after Start did not return within 5s")
		}
	}
}

func TestMoveKeepsTheClientCountRight(t *testing.T) {
	s := start(t, Options{})
	addUser(t, s, "coalition@coalition.example", "pw")
	for range 3 {
		if err := s.Deliver("coalition@coalition.example", []byte(gmailReply)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddUser("other@coalition.example", "pw"); err != nil {
		t.Fatal(err)
	}
	c := imapLogin(t, s, "coalition@coalition.example", "pw", nil)
	if err := c.Create("Processed", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	// Another session marks message 3 \Deleted without expunging: MOVE must not take it.
	other := imapLogin(t, s, "coalition@coalition.example", "pw", nil)
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := other.Store(imap.UIDSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}

	mv, err := c.Move(imap.UIDSetNum(1), "Processed").Wait()
	if err != nil {
		t.Fatalf("MOVE: %v", err)
	}
	if got := mv.DestUIDs.String(); got != "1" {
		t.Errorf("COPYUID dest = %s, want 1", got)
	}
	if n := c.Mailbox().NumMessages; n != 2 {
		t.Errorf("client counts %d messages after moving 1 of 3, want 2", n)
	}
	sd, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := sd.AllUIDs(); len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Errorf("INBOX UIDs = %v, want [2 3]", got)
	}
	if _, err := c.Move(imap.UIDSetNum(2), "Missing").Wait(); err == nil {
		t.Error("MOVE to a missing mailbox succeeded")
	}
	if msgs, _ := s.Messages("coalition@coalition.example", "INBOX"); len(msgs) != 2 {
		t.Errorf("INBOX has %d messages after a failed MOVE, want 2", len(msgs))
	}
}

func TestOversizedMessageIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 25 MB")
	}
	s := start(t, Options{})
	addUser(t, s, "coalition@coalition.example", "pw")
	big := "From: a@ngo.example\r\nSubject: scans\r\n\r\n" + strings.Repeat(strings.Repeat("A", 998)+"\r\n", MaxMessageBytes/1000+10)
	err := smtpSend(t, s, nil, "a@ngo.example", []string{"coalition@coalition.example"}, big)
	if code := smtpCode(err); code != 552 {
		t.Fatalf("err = %v, want 552 for a message over %d bytes", err, MaxMessageBytes)
	}
	if msgs, _ := s.Messages("coalition@coalition.example", "INBOX"); len(msgs) != 0 {
		t.Errorf("oversized message was delivered")
	}
}

func TestWaitMessagesWakesOnDelivery(t *testing.T) {
	s := start(t, Options{})
	addUser(t, s, "amal@ngo-amal.example", "pw")
	done := make(chan int, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		msgs, err := s.WaitMessages(ctx, "amal@ngo-amal.example", "INBOX", 2)
		if err != nil {
			t.Errorf("WaitMessages: %v", err)
		}
		done <- len(msgs)
	}()
	for range 2 {
		if err := smtpSend(t, s, nil, "bot@coalition.example", []string{"amal@ngo-amal.example"}, gmailReply); err != nil {
			t.Fatal(err)
		}
	}
	if n := <-done; n != 2 {
		t.Errorf("WaitMessages returned %d messages, want 2", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	msgs, err := s.WaitMessages(ctx, "amal@ngo-amal.example", "INBOX", 3)
	if !errors.Is(err, context.DeadlineExceeded) || len(msgs) != 2 {
		t.Errorf("waiting for a 3rd message: %d messages, err %v; want 2 and a deadline error", len(msgs), err)
	}
}
