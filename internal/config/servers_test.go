package config

import (
	"slices"
	"testing"
)

// A password over a cleartext connection is refused at load time, at the
// security key, unless the host is loopback or allow_insecure_auth says so.
func TestCleartextPasswordRefused(t *testing.T) {
	const smtpMsg = "smtp.security: none would send the password to smtp.example in clear text: " +
		"use tls or starttls, or set allow_insecure_auth: true if the network to it is trusted"
	const imapMsg = "imap.security: none would send the password to imap.example in clear text: " +
		"use tls or starttls, or set allow_insecure_auth: true if the network to it is trusted"
	bad := []struct {
		name, src string
		want      []string
	}{
		{"smtp password to a remote host", edit(base, 9, "  host: smtp.example\n  security: none\n  username: u@coalition.example\n  password: pw"),
			[]string{"10:3: " + smtpMsg}},
		{"smtp password from a file is a password too", edit(base, 9, "  host: smtp.example\n  security: NONE\n  username: u@coalition.example\n  password_env: HOME"),
			[]string{"10:3: " + smtpMsg}},
		{"imap password to a remote host", edit(base, 5, "  host: imap.example\n  security: none"),
			[]string{"6:3: " + imapMsg}},
		{"both", edit(edit(base, 9, "  host: smtp.example\n  security: none\n  username: u@coalition.example\n  password: pw"), 5, "  host: imap.example\n  security: none"),
			[]string{"6:3: " + imapMsg, "11:3: " + smtpMsg}},
		{"allowed on the other server does not count", edit(edit(base, 9, "  host: smtp.example\n  allow_insecure_auth: true"), 5, "  host: imap.example\n  security: none"),
			[]string{"6:3: " + imapMsg}},
		{"a host that only resolves to loopback is still remote", edit(base, 5, "  host: localhost.example\n  security: none"),
			[]string{"6:3: imap.security: none would send the password to localhost.example in clear text: " +
				"use tls or starttls, or set allow_insecure_auth: true if the network to it is trusted"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadErrs(t, tc.src); !slices.Equal(got, tc.want) {
				t.Errorf("errors\n got %q\nwant %q", got, tc.want)
			}
		})
	}

	good := []struct{ name, src string }{
		{"smtp without a password", edit(base, 9, "  host: smtp.example\n  security: none")},
		{"smtp to loopback", edit(base, 9, "  host: 127.0.0.1\n  security: none\n  username: u@coalition.example\n  password: pw")},
		{"imap to localhost", edit(base, 5, "  host: localhost\n  security: none")},
		{"imap to ::1", edit(base, 5, "  host: \"::1\"\n  security: none")},
		{"imap allowed explicitly", edit(base, 5, "  host: imap.example\n  security: none\n  allow_insecure_auth: true")},
		{"smtp allowed explicitly", edit(base, 9, "  host: smtp.example\n  security: none\n  username: u@coalition.example\n  password: pw\n  allow_insecure_auth: true")},
		{"starttls to a remote host", edit(base, 9, "  host: smtp.example\n  security: starttls\n  username: u@coalition.example\n  password: pw")},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustLoad(t, tc.src)
			if cfg.IMAP.InsecureSkipVerify || cfg.SMTP.InsecureSkipVerify {
				t.Errorf("certificate verification is off by default")
			}
		})
	}
}
