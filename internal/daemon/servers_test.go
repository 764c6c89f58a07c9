package daemon

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"consultd/internal/config"
)

// What an administrator allowed that weakens a connection is said at start.
func TestWarnsAboutAllowedInsecureConnections(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	y := `coalition: {name: C, address: coalition@c.example}
imap: {host: imap.c.example, security: none, allow_insecure_auth: true, username: coalition@c.example, password: imap-secret-pw}
smtp: {host: smtp.c.example, security: tls, insecure_skip_verify: true}
coordinators: [{name: R, email: r@c.example}]
members: [{id: a, name: A, emails: [a@a.example]}]
`
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	warnInsecure(cfg, slog.New(slog.NewTextHandler(&buf, nil)))
	out := buf.String()
	for _, want := range []string{
		`msg="the password is sent without TLS (allow_insecure_auth: true)" server=imap host=imap.c.example`,
		`msg="the server's TLS certificate is not verified (insecure_skip_verify: true)" server=smtp host=smtp.c.example`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "\n") != 2 || strings.Contains(out, "imap-secret-pw") {
		t.Errorf("want exactly two warnings and no password:\n%s", out)
	}

	buf.Reset()
	cfg.IMAP.Host, cfg.SMTP.InsecureSkipVerify = "127.0.0.1", false
	warnInsecure(cfg, slog.New(slog.NewTextHandler(&buf, nil)))
	if buf.Len() != 0 {
		t.Errorf("warnings for a safe configuration:\n%s", buf.String())
	}
}
