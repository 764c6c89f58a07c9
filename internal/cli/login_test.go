package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"consultd/internal/oauth"
	"consultd/internal/oauth/oauthtest"
)

func loginConfig(t *testing.T, dir, oauth2 string) string {
	t.Helper()
	return writeFile(t, dir, "consultd.yaml", `coalition: {name: "Test Coalition", address: coalition@coal.example}
imap: {host: 127.0.0.1, port: 1, security: none, username: coalition@coal.example}
smtp: {host: 127.0.0.1, port: 1, security: none, auth: none}
database: state/consultd.db
coordinators: [{name: Rania, email: rania@coal.example}]
members: [{id: m1, name: Member One, emails: [m1@org.example]}]
`+oauth2)
}

// An administrator runs `consultd login`, types the code shown on another
// device, and the sign-in lands beside the database, readable by them only.
func TestLoginStoresTheSignInBesideTheDatabase(t *testing.T) {
	srv, err := oauthtest.Start("127.0.0.1:0", "coalition@coal.example")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfg := loginConfig(t, dir, fmt.Sprintf(`oauth2:
  grant: refresh_token
  provider: microsoft
  client_id: consultd-test
  token_url: %s/token
  device_auth_url: %s/devicecode
`, srv.URL, srv.URL))

	// Before the login, check-config and run say what to do.
	for _, cmd := range []string{"check-config", "run"} {
		r := consultd(t, "", cmd, "--config", cfg)
		if r.code != 1 || !strings.Contains(r.stderr, "consultd login") {
			t.Fatalf("%s before login: exit %d\n%s", cmd, r.code, r.stderr)
		}
	}

	r := consultd(t, "", "login", "--config", cfg)
	if r.code != 0 {
		t.Fatalf("login: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "enter the code ABCD-EFGH") || !strings.Contains(r.stdout, "consultd run --config "+cfg) {
		t.Fatalf("login output does not guide the administrator:\n%s", r.stdout)
	}
	file := filepath.Join(dir, "state", "oauth2-token.json")
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file %s: %v, mode %v", file, err, fi)
	}
	tok, err := oauth.LoadToken(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.stdout+r.stderr, tok.RefreshToken) {
		t.Fatal("login printed the refresh token")
	}
	if r := consultd(t, "", "check-config", "--config", cfg); r.code != 0 {
		t.Fatalf("check-config after login: exit %d\n%s", r.code, r.stderr)
	}
}

func TestLoginWithoutARefreshTokenGrantExplains(t *testing.T) {
	dir := t.TempDir()
	cfg := loginConfig(t, dir, "oauth2: {grant: client_credentials, tenant: t, client_id: c, client_secret: s}\n")
	r := consultd(t, "", "login", "-c", cfg)
	if r.code != 1 || !strings.Contains(r.stderr, "nothing to log in") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}
