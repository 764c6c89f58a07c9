package sender

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"consultd/internal/mailserver"
)

const (
	coalition = "coalition@coalition.example"
	coordPass = "s3cret"
)

// env is a loopback mail server with the coalition and two member mailboxes.
type env struct {
	srv    *mailserver.Server
	sender *Sender
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv, err := mailserver.Start(mailserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	for _, u := range []string{coalition, "amal@ngo-amal.example", "sara@ngo-nour.example", "evil@attacker.example"} {
		if err := srv.AddUser(u, coordPass); err != nil {
			t.Fatal(err)
		}
	}
	return &env{srv: srv, sender: New(smtpConfig(t, srv.SMTPAddr()))}
}

func smtpConfig(t *testing.T, addr string) Config {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return Config{Host: host, Port: p, Security: "none", Username: coalition, Password: coordPass,
		HELO: "consultd.coalition.example", Timeout: 5 * time.Second}
}

// inbox parses every message in a user's INBOX.
func (e *env) inbox(t *testing.T, user string) []*mail.Reader {
	t.Helper()
	raws, err := e.srv.Messages(user, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	var out []*mail.Reader
	for _, raw := range raws {
		mr, err := mail.CreateReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("parse delivered message: %v\n%s", err, raw)
		}
		out = append(out, mr)
	}
	return out
}

// consultation is shaped like the Arabic consultation mail of a round.
func consultation() Mail {
	return Mail{
		MessageID: "r42.consult.amal.7f3k@coalition.example",
		Date:      time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		From:      Address{Name: "تحالف منظمات المجتمع المدني", Addr: coalition},
		ReplyTo:   &Address{Name: "تحالف منظمات المجتمع المدني", Addr: "coalition+r42.k9xq2m@coalition.example"},
		To:        []Address{{Name: "منظمة أمل", Addr: "amal@ngo-amal.example"}},
		Cc:        []Address{{Name: "Sara (Nour)", Addr: "sara@ngo-nour.example"}},
		Subject:   "استشارة: دعوة مكتب المبعوث الخاص إلى اجتماع التشاور — الرد قبل 2 كانون الأول",
		Text:      "السلام عليكم،\n\nوصلت دعوة من مكتب المبعوث الخاص. يرجى الرد بكلمة: قبول أو رفض أو امتناع.\n\nThe deadline is 2026-12-02 18:00 +02:00.\n",
		HTML:      "<p dir=\"rtl\">السلام عليكم،</p><p>يرجى الرد.</p>",
		Lang:      "ar",
		InReplyTo: "CAFx9z+inv42@mail.gmail.com",
		References: []string{"<inv-42@envoy.example>", "CAFx9z+inv42@mail.gmail.com",
			"<inv-42@envoy.example>" /* duplicate */},
		Attachments: []Attachment{{Filename: "جدول الأعمال.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4\n%âãÏÓ\n")}},
	}
}

func TestArabicConsultationArrivesIntact(t *testing.T) {
	e := newEnv(t)
	m := consultation()
	rep, err := e.sender.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(rep.Accepted) != 2 || len(rep.Rejected) != 0 {
		t.Fatalf("report = %+v, want 2 accepted", rep)
	}

	for _, user := range []string{"amal@ngo-amal.example", "sara@ngo-nour.example"} {
		msgs := e.inbox(t, user)
		if len(msgs) != 1 {
			t.Fatalf("%s got %d messages, want 1", user, len(msgs))
		}
		h := msgs[0].Header
		check := func(what, got, want string) {
			t.Helper()
			if got != want {
				t.Errorf("%s: %s = %q, want %q", user, what, got, want)
			}
		}
		subj, err := h.Subject()
		check("Subject", subj, m.Subject)
		if err != nil {
			t.Errorf("Subject error: %v", err)
		}
		id, _ := h.MessageID()
		check("Message-ID", id, m.MessageID)
		from, _ := h.AddressList("From")
		if len(from) != 1 || from[0].Name != m.From.Name || from[0].Address != coalition {
			t.Errorf("From = %v", from)
		}
		rt, _ := h.AddressList("Reply-To")
		if len(rt) != 1 || rt[0].Address != "coalition+r42.k9xq2m@coalition.example" {
			t.Errorf("Reply-To = %v, want the plus address", rt)
		}
		irt, _ := h.MsgIDList("In-Reply-To")
		check("In-Reply-To", strings.Join(irt, " "), "CAFx9z+inv42@mail.gmail.com")
		refs, err := h.MsgIDList("References")
		check("References", strings.Join(refs, " "), "inv-42@envoy.example CAFx9z+inv42@mail.gmail.com")
		if err != nil {
			t.Errorf("References does not parse: %v", err)
		}
		check("Auto-Submitted", h.Get("Auto-Submitted"), "auto-generated")
		check("X-Auto-Response-Suppress", h.Get("X-Auto-Response-Suppress"), "All")
		check("Content-Language", h.Get("Content-Language"), "ar")
		check("Precedence", h.Get("Precedence"), "")
		check("User-Agent", h.Get("User-Agent")+h.Get("X-Mailer"), "")
		check("Return-Path", h.Get("Return-Path"), "<"+coalition+">")
		date, _ := h.Date()
		if !date.Equal(m.Date) {
			t.Errorf("Date = %v, want %v", date, m.Date)
		}

		var text, html, attName string
		var attData []byte
		for {
			p, err := msgs[0].NextPart()
			if err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("part: %v", err)
			}
			body, _ := io.ReadAll(p.Body)
			switch ph := p.Header.(type) {
			case *mail.InlineHeader:
				ct, _, _ := ph.ContentType()
				if ct == "text/plain" {
					text = string(body)
				} else if ct == "text/html" {
					html = string(body)
				}
			case *mail.AttachmentHeader:
				attName, _ = ph.Filename()
				attData = body
			}
		}
		check("text", strings.ReplaceAll(text, "\r\n", "\n"), m.Text)
		check("html", html, m.HTML)
		check("attachment name", attName, "جدول الأعمال.pdf")
		check("attachment data", string(attData), string(m.Attachments[0].Data))
	}
}

func TestHeaderInjectionIsNeutralised(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(m *Mail)
	}{
		{"CRLF in subject", func(m *Mail) { m.Subject = "Re: invitation\r\nBcc: evil@attacker.example\r\nX-Injected: 1" }},
		{"bare LF in subject (pasted from a web form)", func(m *Mail) { m.Subject = "Re: invitation\nBcc: evil@attacker.example\nX-Injected: 1" }},
		{"CRLF in a display name", func(m *Mail) { m.To[0].Name = "Amal\r\nBcc: evil@attacker.example\r\nX-Injected: 1" }},
		{"CRLF in an extra header", func(m *Mail) {
			m.Headers = map[string]string{"X-Consultd-Round": "r42\r\nBcc: evil@attacker.example\r\nX-Injected: 1"}
		}},
		{"CRLF in an attachment name", func(m *Mail) { m.Attachments[0].Filename = "a.pdf\"\r\nX-Injected: 1\r\n\r\n" }},
		{"Unicode line separator in subject", func(m *Mail) { m.Subject = "Re: invitation\u2028Bcc: evil@attacker.example\u2029X-Injected: 1" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			m := consultation()
			m.Cc = nil
			tc.edit(&m)
			if _, err := e.sender.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := len(e.inbox(t, "evil@attacker.example")); got != 0 {
				t.Fatalf("the injected Bcc received %d messages", got)
			}
			msgs := e.inbox(t, "amal@ngo-amal.example")
			if len(msgs) != 1 {
				t.Fatalf("recipient got %d messages, want 1", len(msgs))
			}
			h := msgs[0].Header
			if h.Has("X-Injected") || h.Has("Bcc") {
				t.Errorf("injected header present: X-Injected=%q Bcc=%q", h.Get("X-Injected"), h.Get("Bcc"))
			}
			subj, _ := h.Subject()
			if strings.ContainsAny(subj, "\r\n\u2028\u2029") {
				t.Errorf("Subject still has a line break: %q", subj)
			}
			for {
				p, err := msgs[0].NextPart()
				if err != nil {
					break
				}
				if ah, ok := p.Header.(*mail.AttachmentHeader); ok && ah.Has("X-Injected") {
					t.Errorf("header injected into the attachment part")
				}
			}
		})
	}
}

func TestPartialRejectionSendsToTheOthers(t *testing.T) {
	e := newEnv(t)
	e.srv.RejectRecipient("sara@ngo-nour.example", 550, "5.1.1")
	rep, err := e.sender.Send(context.Background(), consultation())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(rep.Accepted) != 1 || rep.Accepted[0] != "amal@ngo-amal.example" {
		t.Errorf("accepted = %v", rep.Accepted)
	}
	if len(rep.Rejected) != 1 || rep.Rejected[0].Addr != "sara@ngo-nour.example" || rep.Rejected[0].Code != 550 || rep.Rejected[0].Enhanced != "5.1.1" {
		t.Errorf("rejected = %+v, want sara 550 5.1.1", rep.Rejected)
	}
	if n := len(e.inbox(t, "amal@ngo-amal.example")); n != 1 {
		t.Errorf("amal got %d messages, want 1", n)
	}
}

func TestTemporaryRecipientRefusalDefersTheWholeMessage(t *testing.T) {
	e := newEnv(t)
	e.srv.RejectRecipient("sara@ngo-nour.example", 451, "4.2.0")
	_, err := e.sender.Send(context.Background(), consultation())
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want a temporary error", err)
	}
	if n := len(e.inbox(t, "amal@ngo-amal.example")); n != 0 {
		t.Errorf("amal got %d messages; a retry would send her a second copy", n)
	}
}

func TestErrorClassification(t *testing.T) {
	closedAddr := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	for _, tc := range []struct {
		name      string
		setup     func(t *testing.T, e *env) (Config, Mail)
		permanent bool
		auth      bool
		stage     Stage
	}{
		{"unknown recipient 550 5.1.1", func(t *testing.T, e *env) (Config, Mail) {
			m := consultation()
			m.To, m.Cc = []Address{{Addr: "nobody@coalition.example"}}, nil
			return e.sender.cfg, m
		}, true, false, StageRcpt},
		{"server busy 451 at MAIL", func(t *testing.T, e *env) (Config, Mail) {
			e.srv.SMTPFailNext(1, true)
			return e.sender.cfg, consultation()
		}, false, false, StageMail},
		{"policy refusal 554 at MAIL", func(t *testing.T, e *env) (Config, Mail) {
			e.srv.SMTPFailNext(1, false)
			return e.sender.cfg, consultation()
		}, true, false, StageMail},
		{"connection refused", func(t *testing.T, e *env) (Config, Mail) {
			return smtpConfig(t, closedAddr()), consultation()
		}, false, false, StageConnect},
		{"wrong password", func(t *testing.T, e *env) (Config, Mail) {
			c := e.sender.cfg
			c.Password = "wrong"
			return c, consultation()
		}, false, true, StageAuth},
		{"password in clear to a remote host", func(t *testing.T, e *env) (Config, Mail) {
			c := e.sender.cfg
			c.Host = "smtp.provider.example"
			return c, consultation()
		}, false, true, StageConfig},
		{"STARTTLS required but not offered", func(t *testing.T, e *env) (Config, Mail) {
			c := e.sender.cfg
			c.Security = "starttls"
			return c, consultation()
		}, false, false, StageConnect},
		{"no Message-ID", func(t *testing.T, e *env) (Config, Mail) {
			m := consultation()
			m.MessageID = ""
			return e.sender.cfg, m
		}, true, false, StageBuild},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			cfg, m := tc.setup(t, e)
			_, err := New(cfg).Send(context.Background(), m)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			var se *Error
			if !errors.As(err, &se) || se.Stage != tc.stage {
				t.Errorf("err = %v (%T), want stage %s", err, err, tc.stage)
			}
			if IsPermanent(err) != tc.permanent || IsAuthFailure(err) != tc.auth {
				t.Errorf("IsPermanent=%v IsAuthFailure=%v, want %v %v (err %v)", IsPermanent(err), IsAuthFailure(err), tc.permanent, tc.auth, err)
			}
			if strings.Contains(err.Error(), coordPass) {
				t.Errorf("error text contains the password: %v", err)
			}
		})
	}
}

func TestCancelInterruptsAStalledServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and never greet
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cfg := smtpConfig(t, ln.Addr().String())
	cfg.Timeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = New(cfg).Send(ctx, consultation())
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want a temporary error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Send took %v after the context expired at 200ms", d)
	}
}
