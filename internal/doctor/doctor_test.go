package doctor

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/internal/config"
	"consultd/internal/mailauth"
	"consultd/internal/mailserver"
	"consultd/internal/store"
)

const coalition = "coalition@c.example"

func loadCfg(t *testing.T, imapAddr, imapSec, smtpAddr, password, extra string) *config.Config {
	t.Helper()
	ih, ip, _ := net.SplitHostPort(imapAddr)
	sh, sp, _ := net.SplitHostPort(smtpAddr)
	dir := t.TempDir()
	y := fmt.Sprintf(`coalition: {name: C, address: %s}
imap: {host: %s, port: %s, security: %s, username: %s, password: %q%s}
smtp: {host: %s, port: %s, security: none}
database: %s
coordinators: [{name: R, email: r@c.example}]
members: [{id: a, name: A, emails: [a@a.example]}]
`, coalition, ih, ip, imapSec, coalition, password, extra, sh, sp, filepath.Join(dir, "c.db"))
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func servers(t *testing.T, o mailserver.Options) *mailserver.Server {
	t.Helper()
	srv, err := mailserver.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.AddUser(coalition, "right-pw"); err != nil {
		t.Fatal(err)
	}
	return srv
}

func run(t *testing.T, cfg *config.Config) (*Report, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := Run(ctx, Options{Cfg: cfg, Wait: 10 * time.Second, Every: 50 * time.Millisecond})
	var b bytes.Buffer
	r.Print(&b)
	return r, b.String()
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("checklist lacks %q:\n%s", l, out)
		}
	}
}

func TestAllPassProbeFiledInProcessedNeverDeleted(t *testing.T) {
	srv := servers(t, mailserver.Options{})
	cfg := loadCfg(t, srv.IMAPAddr(), "none", srv.SMTPAddr(), "right-pw", "")
	// The daemon has run before: the database exists.
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	r, out := run(t, cfg)
	if !r.OK() {
		t.Fatalf("doctor failed against working servers:\n%s", out)
	}
	wantLines(t, out, "✓ logged in as coalition@c.example", "✓ IDLE", "✓ MOVE", "✓ folder Processed created",
		"✓ folder Needs-Review created", "✓ probe sent to coalition+doctor-", "✓ probe arrived in INBOX after",
		"filed in Processed", "All ")
	inbox, _ := srv.Messages(coalition, "INBOX")
	done, _ := srv.Messages(coalition, "Processed")
	if len(inbox) != 0 || len(done) != 1 || !bytes.Contains(done[0], []byte("X-Consultd-Probe: ")) {
		t.Errorf("after doctor: %d in INBOX, %d in Processed (want 0 and the probe)", len(inbox), len(done))
	}
	// The probe was recorded, so a running daemon would file it quietly.
	st, err = store.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	st.DB().QueryRow(`SELECT COUNT(*) FROM probes`).Scan(&n)
	if n != 1 {
		t.Errorf("%d probes recorded, want 1", n)
	}
	// A second run finds the folders in place.
	_, out = run(t, cfg)
	wantLines(t, out, "✓ folder Processed exists")
}

func TestADatabaseThatDoesNotExistIsNotCreated(t *testing.T) {
	srv := servers(t, mailserver.Options{})
	cfg := loadCfg(t, srv.IMAPAddr(), "none", srv.SMTPAddr(), "right-pw", "")
	if r, out := run(t, cfg); !r.OK() {
		t.Fatalf("doctor failed:\n%s", out)
	}
	if _, err := os.Stat(cfg.Database); !os.IsNotExist(err) {
		t.Errorf("doctor created the database %s (err %v)", cfg.Database, err)
	}
}

func TestMissingCapabilitiesAreNotesWithTheirFallback(t *testing.T) {
	srv := servers(t, mailserver.Options{NoIdle: true, NoMove: true, NoUIDPlus: true})
	cfg := loadCfg(t, srv.IMAPAddr(), "none", srv.SMTPAddr(), "right-pw", ", poll_interval: 30s")
	r, out := run(t, cfg)
	if !r.OK() {
		t.Fatalf("missing IDLE/MOVE/UIDPLUS should be notes, not failures:\n%s", out)
	}
	wantLines(t, out, "! IDLE not offered: consultd polls every 30s", "! neither MOVE nor UIDPLUS",
		"flagged $consultd-done", "with a note")
	if inbox, _ := srv.Messages(coalition, "INBOX"); len(inbox) != 1 {
		t.Errorf("without MOVE and UIDPLUS the original stays in the inbox (copied, flagged): %d there", len(inbox))
	}
}

func TestWrongPasswordSaysWhatToCheck(t *testing.T) {
	srv := servers(t, mailserver.Options{})
	cfg := loadCfg(t, srv.IMAPAddr(), "none", srv.SMTPAddr(), "wrong-pw", "")
	r, out := run(t, cfg)
	if r.OK() {
		t.Fatalf("a wrong password passed:\n%s", out)
	}
	wantLines(t, out, "✓ connected to", "✗ login as coalition@c.example refused", "fix: check imap.username and the password",
		"✗ probe to coalition+doctor-…@c.example not sent")
	if strings.Contains(out, "wrong-pw") {
		t.Errorf("the password is in the output:\n%s", out)
	}
}

func TestWrongPortSaysConnectionRefused(t *testing.T) {
	srv := servers(t, mailserver.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now
	cfg := loadCfg(t, closed, "none", srv.SMTPAddr(), "right-pw", "")
	r, out := run(t, cfg)
	if r.OK() {
		t.Fatalf("a closed port passed:\n%s", out)
	}
	wantLines(t, out, "✗ connect to "+closed+" (none): connection refused", "fix: check imap.host and imap.port")
}

// tlsListener accepts TLS with a certificate for names, valid until notAfter.
func tlsListener(t *testing.T, names []string, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

func TestCertificateForAnotherName(t *testing.T) {
	srv := servers(t, mailserver.Options{})
	imapAddr := tlsListener(t, []string{"imap.other.example"}, time.Now().Add(90*24*time.Hour))
	cfg := loadCfg(t, imapAddr, "tls", srv.SMTPAddr(), "right-pw", "")
	r, out := run(t, cfg)
	if r.OK() {
		t.Fatalf("a certificate for another name passed:\n%s", out)
	}
	wantLines(t, out, "the TLS certificate is for imap.other.example, not 127.0.0.1", "fix: set imap.host to a name the certificate holds")
}

func TestLoginRefusalsOfKnownProviders(t *testing.T) {
	for _, c := range []struct{ msg, key, host, want string }{
		// Answers as these providers' servers write them.
		{"login: NO Basic authentication is disabled.", "imap", "outlook.office365.com", "Microsoft 365 refused password login: set imap.auth: oauth2 with an oauth2 block (or mail_provider: microsoft365), see README#microsoft-365--google-workspace"},
		{"login: NO LOGIN failed.", "imap", "outlook.office365.com", "Microsoft 365 refused password login: set imap.auth: oauth2"},
		{"login: NO AUTHENTICATE failed.", "imap", "outlook.office365.com", "set imap.auth: oauth2"},
		{"smtp auth: 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.", "smtp", "smtp.office365.com", "Set-CASMailbox -SmtpClientAuthenticationDisabled $false"},
		{"smtp auth: 535 5.7.139 Authentication unsuccessful, basic authentication is disabled.", "smtp", "smtp.office365.com", "set smtp.auth: oauth2 with an oauth2 block"},
		{"login: NO [ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)", "imap", "imap.gmail.com", "Google requires an app password"},
		{"smtp auth: 534 5.7.9 Application-specific password required.", "smtp", "smtp.gmail.com", "Google requires an app password"},
		{"login: NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)", "imap", "imap.gmail.com", "check imap.username and the password"},
		{"login: NO [AUTHENTICATIONFAILED] Authentication failed.", "imap", "mail.example.org", "check imap.username and the password"},
		{"login: NO [UNAVAILABLE] Temporary authentication failure. [host:2026-12-02]", "imap", "mail.example.org", "temporary failure"},
	} {
		if got := loginFix(c.msg, c.key, c.host, false); !strings.Contains(got, c.want) {
			t.Errorf("loginFix(%q, %s) = %q, want it to contain %q", c.msg, c.host, got, c.want)
		}
	}
}

func TestAProbeInTheJunkFolderIsFound(t *testing.T) {
	srv := servers(t, mailserver.Options{})
	cfg := loadCfg(t, srv.IMAPAddr(), "none", srv.SMTPAddr(), "right-pw", "")
	ctx := context.Background()
	auth, err := mailauth.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := connectIMAP(ctx, cfg, auth)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Microsoft's name for it, and no SPECIAL-USE attribute on this server.
	if err := conn.Client().Create("Junk Email", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	raw := "From: coalition@c.example\r\nMessage-ID: <doctor-1@c.example>\r\nSubject: x\r\n\r\nx\r\n"
	if err := srv.Append(coalition, "Junk Email", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	if got, err := conn.FindInJunk("doctor-1@c.example"); err != nil || got != "Junk Email" {
		t.Errorf("FindInJunk = %q, %v; want Junk Email", got, err)
	}
	if got, err := conn.FindInJunk("doctor-2@c.example"); err != nil || got != "" {
		t.Errorf("FindInJunk of a message nowhere = %q, %v", got, err)
	}
	if msgs, _ := srv.Messages(coalition, "Junk Email"); len(msgs) != 1 {
		t.Errorf("the junk folder holds %d messages after the search, want 1 (nothing moved or deleted)", len(msgs))
	}
}
