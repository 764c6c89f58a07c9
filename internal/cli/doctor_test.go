package cli

import (
	"bytes"
	"strings"
	"testing"

	"consultd/internal/mailserver"
)

func TestDoctorExitStatus(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"doctor"}, nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--config FILE is required") {
		t.Errorf("doctor without --config: exit %d, %q", code, errOut.String())
	}

	srv, err := mailserver.Start(mailserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.AddUser("coalition@coal.example", testPassword); err != nil {
		t.Fatal(err)
	}
	good := serverConfig(t, t.TempDir(), srv, testPassword)
	out.Reset()
	if code := Main([]string{"doctor", "-c", good, "--wait", "20s"}, nil, &out, &errOut); code != 0 {
		t.Errorf("doctor against working servers: exit %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "✓ probe arrived in INBOX") {
		t.Errorf("no probe line:\n%s", out.String())
	}
	bad := serverConfig(t, t.TempDir(), srv, "not-"+testPassword)
	out.Reset()
	if code := Main([]string{"doctor", "-c", bad, "--wait", "20s"}, nil, &out, &errOut); code != 1 || !strings.Contains(out.String(), "✗ login") {
		t.Errorf("doctor with a wrong password: exit %d\n%s", code, out.String())
	}
	if strings.Contains(out.String(), testPassword) {
		t.Errorf("the password is in doctor's output")
	}
}
