package serverconf

import (
	"strings"
	"testing"
)

func TestProblems(t *testing.T) {
	remote := Server{Host: "mail.example.org", Port: 25, Security: "none", Credentials: true}
	cases := []struct {
		name string
		s    Server
		want []string // "key: start of message"
	}{
		{"cleartext password to a remote host", remote, []string{"security: none would send the password to mail.example.org in clear text"}},
		{"allowed for this server", with(remote, func(s *Server) { s.AllowInsecureAuth = true }), nil},
		{"no credentials", with(remote, func(s *Server) { s.Credentials = false }), nil},
		{"localhost", with(remote, func(s *Server) { s.Host = "localhost" }), nil},
		{"LOCALHOST. (fully qualified)", with(remote, func(s *Server) { s.Host = "LOCALHOST." }), nil},
		{"127.0.0.2", with(remote, func(s *Server) { s.Host = "127.0.0.2" }), nil},
		{"[::1]", with(remote, func(s *Server) { s.Host = "[::1]" }), nil},
		{"a private address is not loopback", with(remote, func(s *Server) { s.Host = "10.0.0.5" }), []string{"security: none would send the password to 10.0.0.5"}},
		{"localhost.evil.example is not loopback", with(remote, func(s *Server) { s.Host = "localhost.evil.example" }), []string{"security: none would send"}},
		{"starttls", with(remote, func(s *Server) { s.Security = "starttls" }), nil},
		{"unknown security", with(remote, func(s *Server) { s.Security = "ssl" }), []string{`security: "ssl" is not allowed (use tls, starttls, none)`}},
		{"no host", Server{Security: "tls", Port: 993}, []string{"host: is required"}},
		{"port", with(remote, func(s *Server) { s.Port = 70000; s.Credentials = false }), []string{"port: port 70000 must be between 1 and 65535"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := tc.s.Problems(true)
			if len(ps) != len(tc.want) {
				t.Fatalf("problems %v, want %v", ps, tc.want)
			}
			for i, p := range ps {
				if got := p.Key + ": " + p.Msg; !strings.HasPrefix(got, tc.want[i]) {
					t.Errorf("problem %q, want %q…", got, tc.want[i])
				}
			}
		})
	}
}

func TestErrNamesTheSection(t *testing.T) {
	err := Server{Host: "imap.example.org", Port: 143, Security: "none", Credentials: true}.Err("imap")
	if err == nil || !strings.HasPrefix(err.Error(), "imap.security: none would send the password to imap.example.org in clear text") {
		t.Errorf("Err = %v", err)
	}
}

func TestTLSConfigVerifiesUnlessDisabled(t *testing.T) {
	c := Server{Host: " smtp.example.org "}.TLSConfig()
	if c.InsecureSkipVerify || c.ServerName != "smtp.example.org" {
		t.Errorf("default TLS config: skip verify %v, server name %q", c.InsecureSkipVerify, c.ServerName)
	}
	if !(Server{Host: "x", InsecureSkipVerify: true}).TLSConfig().InsecureSkipVerify {
		t.Errorf("insecure_skip_verify not applied")
	}
}

func with(s Server, f func(*Server)) Server {
	f(&s)
	return s
}
