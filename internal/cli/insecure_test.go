package cli

import (
	"os"
	"strings"
	"testing"
)

// A password in clear text to a remote server is refused by check-config,
// and run refuses to start with exactly the same lines.
func TestRunAndCheckConfigRefuseCleartextPasswords(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "insecure.yaml", `coalition: {name: "Test Coalition", address: coalition@coal.example}
imap: {host: imap.coal.example, port: 143, security: none, username: coalition@coal.example, password: imap-secret-pw}
smtp: {host: smtp.coal.example, port: 25, security: none, username: coalition@coal.example, password: smtp-secret-pw}
database: ./test.db
coordinators:
  - {name: Rania, email: rania@coal.example}
members:
  - {id: baytna, name: "Baytna Syria", emails: [info@baytna.example], language: en}
`)
	check := consultd(t, "", "check-config", "--config", p)
	run := consultd(t, "", "run", "--config", p)
	if check.code != 1 || run.code != 1 {
		t.Fatalf("exit codes: check-config %d, run %d, want 1 and 1\ncheck-config: %s\nrun: %s", check.code, run.code, check.stderr, run.stderr)
	}
	for _, want := range []string{
		p + ":2:44: imap.security: none would send the password to imap.coal.example in clear text",
		p + ":3:43: smtp.security: none would send the password to smtp.coal.example in clear text",
	} {
		if !strings.Contains(check.stderr, want) {
			t.Errorf("check-config stderr lacks %q:\n%s", want, check.stderr)
		}
	}
	if run.stderr != check.stderr {
		t.Errorf("run and check-config disagree\nrun:\n%s\ncheck-config:\n%s", run.stderr, check.stderr)
	}
	if strings.Contains(check.stderr+run.stderr, "secret-pw") {
		t.Errorf("a password is printed:\n%s", check.stderr)
	}
	if check.stdout != "" || run.stdout != "" {
		t.Errorf("stdout on failure: %q / %q", check.stdout, run.stdout)
	}

	// With allow_insecure_auth on both servers the file is accepted.
	ok := writeFile(t, dir, "allowed.yaml", strings.NewReplacer(
		"security: none,", "security: none, allow_insecure_auth: true,").Replace(readFile(t, p)))
	if r := consultd(t, "", "check-config", "--config", ok); r.code != 0 {
		t.Errorf("allow_insecure_auth: true: exit %d, stderr %s", r.code, r.stderr)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
