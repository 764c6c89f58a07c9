package mailauth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gosmtp "github.com/wneessen/go-mail/smtp"

	"consultd/internal/config"
	"consultd/internal/oauth"
)

const people = `coordinators: [{name: Rania, email: rania@coal.example}]
members: [{id: m1, name: Member One, emails: [m1@org.example]}]
`

func load(t *testing.T, y string) *config.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte("coalition: {name: C, address: coalition@coal.example}\n"+y+people), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Each configuration gets the SMTP login it asks for, and the start-up line
// says which without a secret.
func TestEachConfigurationLogsInTheWayItSays(t *testing.T) {
	cases := []struct {
		name, yaml, describe string
		smtp                 func(gosmtp.Auth) bool
	}{
		{"passwords", "imap: {host: h.example, username: u@coal.example, password: pw}\nsmtp: {host: s.example, username: u@coal.example, password: pw}\n",
			"imap password, smtp password", func(a gosmtp.Auth) bool { return a != nil && !isOAuth(a) }},
		{"relay without AUTH", "imap: {host: h.example, username: u@coal.example, password: pw}\nsmtp: {host: s.example}\n",
			"imap password, smtp none", func(a gosmtp.Auth) bool { return a == nil }},
		{"microsoft 365 app-only", "mail_provider: microsoft365\nimap: {username: u@coal.example}\noauth2: {tenant: t, client_id: c, client_secret: oauth-secret-value}\n",
			"imap oauth2, smtp oauth2 (oauth2 grant client_credentials, provider microsoft)", isOAuth},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := load(t, c.yaml)
			a, err := New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := Describe(cfg); got != c.describe || strings.Contains(got, "secret") || strings.Contains(got, "pw") {
				t.Errorf("Describe = %q, want %q", got, c.describe)
			}
			if got := a.SMTP(context.Background()); !c.smtp(got) {
				t.Errorf("SMTP auth %T", got)
			}
			if (a.Source() != nil) != cfg.UsesOAuth2() {
				t.Errorf("token source %v for UsesOAuth2 %v", a.Source(), cfg.UsesOAuth2())
			}
		})
	}
}

func isOAuth(a gosmtp.Auth) bool { _, ok := a.(*oauth.SMTPAuth); return ok }

func TestAStoredSignInThatIsMissingStopsTheStartWithTheCommand(t *testing.T) {
	cfg := load(t, "imap: {host: h.example, username: u@coal.example}\nsmtp: {host: s.example, auth: none}\n"+
		"oauth2: {grant: refresh_token, client_id: c}\n")
	_, err := New(cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "consultd login") {
		t.Fatalf("New = %v", err)
	}
}
