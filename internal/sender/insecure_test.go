package sender

import (
	"context"
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"consultd/internal/mailserver"
)

// Send refuses, before connecting, to authenticate in clear text to a remote
// host; allow_insecure_auth or loopback lift the refusal.
func TestCleartextAuthRule(t *testing.T) {
	c := Config{Host: "smtp.example.org", Port: 25, Security: "none", Username: "u", Password: "smtp-secret-pw"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "smtp.security: none would send the password to smtp.example.org") {
		t.Errorf("Validate = %v", err)
	}
	_, err := New(c).Send(context.Background(), Mail{MessageID: "a@coal.example", From: Address{Addr: "c@coal.example"},
		To: []Address{{Addr: "x@example.org"}}, Subject: "s", Text: "t"})
	if err == nil || !IsAuthFailure(err) || strings.Contains(err.Error(), "smtp-secret-pw") {
		t.Errorf("Send = %v, want a configuration error without the password", err)
	}
	for _, ok := range []Config{
		{Host: "smtp.example.org", Security: "none", Username: "u", AllowInsecureAuth: true},
		{Host: "127.0.0.1", Security: "none", Username: "u"},
		{Host: "smtp.example.org", Security: "none"},
		{Host: "smtp.example.org", Security: "starttls", Username: "u"},
	} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

// The dial follows the same rule: AUTH without TLS works to every loopback
// address (go-mail alone allows only "localhost", 127.0.0.1 and ::1), and to a
// host named with allow_insecure_auth.
func TestCleartextAuthToLoopbackAndAllowed(t *testing.T) {
	srv, err := mailserver.Start(mailserver.Options{SMTPAddr: "127.0.0.2:0"})
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	for _, u := range []string{coalition, "amal@ngo-amal.example"} {
		if err := srv.AddUser(u, coordPass); err != nil {
			t.Fatal(err)
		}
	}
	m := Mail{MessageID: "insecure-1@coalition.example", From: Address{Addr: coalition},
		To: []Address{{Addr: "amal@ngo-amal.example"}}, Subject: "s", Text: "t"}
	c := smtpConfig(t, srv.SMTPAddr())
	if _, err := New(c).Send(context.Background(), m); err != nil {
		t.Fatalf("Send to 127.0.0.2: %v", err)
	}
	// A name that is not loopback by itself (the machine's host name, which
	// points at 127.0.0.1 here): refused unless allowed, then it works.
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	if addrs, err := net.LookupHost(host); err != nil || !slices.Contains(addrs, "127.0.0.1") {
		t.Skipf("host name %s does not point at 127.0.0.1 (%v %v)", host, addrs, err)
	}
	local := newEnv(t)
	c = smtpConfig(t, local.srv.SMTPAddr())
	c.Host = host
	if _, err := New(c).Send(context.Background(), m); err == nil || !strings.Contains(err.Error(), "in clear text") {
		t.Errorf("Send to %s without allow_insecure_auth: %v", host, err)
	}
	c.AllowInsecureAuth = true
	if _, err := New(c).Send(context.Background(), m); err != nil {
		t.Errorf("Send to %s with allow_insecure_auth: %v", host, err)
	}
	if got := len(local.inbox(t, "amal@ngo-amal.example")); got != 1 {
		t.Errorf("amal got %d messages, want 1", got)
	}
}
