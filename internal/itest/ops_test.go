package itest

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"consultd/internal/cli"
	"consultd/internal/mailstack"
)

// doctor runs `consultd doctor` on cfgPath and returns its exit code and checklist.
func doctor(t *testing.T, cfgPath string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main([]string{"doctor", "--config", cfgPath, "--wait", "60s"}, nil, &out, &errOut)
	return code, out.String() + errOut.String()
}

// rewrite replaces old by new in the world's configuration file.
func (w *world) rewrite(old, new string) {
	w.t.Helper()
	b, err := os.ReadFile(w.cfgPath)
	if err != nil {
		w.t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		w.t.Fatalf("configuration lacks %q", old)
	}
	if err := os.WriteFile(w.cfgPath, bytes.Replace(b, []byte(old), []byte(new), 1), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func TestDoctorOnTheRealMailStack(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria"}, nil, "")
	ihost, iport, _ := net.SplitHostPort(ms.IMAPAddr)
	shost, sport, _ := net.SplitHostPort(ms.SubmissionAddr)
	// As a coalition would run it: STARTTLS and a login on both sides. The
	// stack's certificate is self-signed, hence insecure_skip_verify.
	w.rewrite("security: none, username: "+w.coalition, "security: starttls, insecure_skip_verify: true, username: "+w.coalition)
	w.rewrite("smtp: {host: "+shost+", port: "+func() string { _, p, _ := net.SplitHostPort(ms.SMTPAddr); return p }()+", security: none}",
		"smtp: {host: "+shost+", port: "+sport+", security: starttls, insecure_skip_verify: true, username: "+w.coalition+", password: "+pass+"}")

	code, out := doctor(t, w.cfgPath)
	t.Logf("consultd doctor, all good:\n%s", out)
	if code != 0 {
		t.Fatalf("doctor exit %d against the working stack:\n%s", code, out)
	}
	for _, want := range []string{"✓ connected to " + ihost + ":" + iport + " (starttls, TLS 1.3)", "certificate NOT verified",
		"✓ logged in as " + w.coalition, "✓ IDLE", "✓ MOVE", "✓ UIDPLUS", "✓ folder Processed", "✓ folder Needs-Review",
		"✓ probe arrived in INBOX after", "filed in Processed", "All "} {
		if !strings.Contains(out, want) {
			t.Errorf("checklist lacks %q", want)
		}
	}
	if n := w.count(w.coalition, "Processed", "consultd doctor: delivery test"); n != 1 {
		t.Errorf("%d probes in Processed, want 1", n)
	}
	if n := w.count(w.coalition, "INBOX", "consultd doctor: delivery test"); n != 0 {
		t.Errorf("%d probes left in the inbox", n)
	}

	// With consultd running, the daemon may take the probe first: it files
	// it in Processed quietly, and the doctor still sees it arrive.
	w.Start()
	w.waitFor("the first IMAP sync", func() bool { return !w.d.Status().LastSync.IsZero() })
	code, out = doctor(t, w.cfgPath)
	if code != 0 || !strings.Contains(out, "✓ probe arrived") {
		t.Fatalf("doctor beside a running consultd: exit %d\n%s", code, out)
	}
	w.waitFor("both probes in Processed", func() bool { return w.count(w.coalition, "Processed", "consultd doctor: delivery test") == 2 })
	w.Stop()
	if n := w.query(`SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Errorf("consultd queued %d messages in answer to the probe", n)
	}

	w.rewrite("password: "+pass+", poll_interval", "password: not-the-password, poll_interval")
	code, out = doctor(t, w.cfgPath)
	t.Logf("consultd doctor, wrong IMAP password:\n%s", out)
	if code != 1 || !strings.Contains(out, "✗ login as "+w.coalition+" refused: NO [AUTHENTICATIONFAILED]") ||
		!strings.Contains(out, "fix: check imap.username and the password") || strings.Contains(out, "not-the-password") {
		t.Errorf("wrong password: exit %d\n%s", code, out)
	}
	w.rewrite("password: not-the-password, poll_interval", "password: "+pass+", poll_interval")

	w.rewrite("port: "+iport+",", "port: 1,")
	code, out = doctor(t, w.cfgPath)
	t.Logf("consultd doctor, wrong IMAP port:\n%s", out)
	if code != 1 || !strings.Contains(out, "connection refused: nothing listens on "+ihost+":1") {
		t.Errorf("wrong port: exit %d\n%s", code, out)
	}

	// The implicit-TLS port with the self-signed certificate verified.
	_, sslPort, _ := net.SplitHostPort(ms.IMAPSAddr)
	w.rewrite("port: 1, security: starttls, insecure_skip_verify: true,", "port: "+sslPort+", security: tls,")
	code, out = doctor(t, w.cfgPath)
	t.Logf("consultd doctor, self-signed certificate verified:\n%s", out)
	if code != 1 || !strings.Contains(out, "not signed by a trusted authority") {
		t.Errorf("self-signed certificate: exit %d\n%s", code, out)
	}
}

func TestWatchdogTellsTheCoordinatorsWhenIMAPIsDownAndWhenItIsBack(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria"}, nil, "watchdog: {imap_down: 3s}\nhttp: {listen: \"127.0.0.1:0\"}\n")
	w.Start()
	w.waitFor("the first IMAP sync", func() bool { return !w.d.Status().LastSync.IsZero() })

	// Only IMAP down: the mailbox's password changed under consultd (and the
	// restart ends its session). SMTP still works, so the notice arrives now.
	ms.AddUser(t, w.coalition, "changed-"+pass)
	ms.RestartDovecot(t)
	down := w.inbox(w.coord, "INBOX", "consultd cannot read the coalition's mailbox", 1)
	t.Logf("watchdog mail:\nSubject: %s\n\n%s", down[0].Subject, down[0].Text)
	if !strings.Contains(down[0].Text, w.coalition) || !strings.Contains(down[0].Text, "nothing is lost") ||
		!strings.Contains(down[0].Text, "AUTHENTICATIONFAILED") {
		t.Errorf("the outage notice does not say which mailbox, that nothing is lost, or the server's answer:\n%s", down[0].Text)
	}
	if code, body := httpGet(t, w.d.HTTPAddr(), "/readyz"); code != 503 || !strings.Contains(body, "watchdog: incident imap_down open") {
		t.Errorf("/readyz during the outage: %d\n%s", code, body)
	}
	ms.AddUser(t, w.coalition, pass)
	back := w.inbox(w.coord, "INBOX", "consultd reads the coalition's mailbox again", 1)
	t.Logf("watchdog recovery mail:\nSubject: %s\n\n%s", back[0].Subject, back[0].Text)
	if n := w.count(w.coord, "INBOX", "consultd cannot read"); n != 1 {
		t.Errorf("the outage was told %d times, want once", n)
	}
	w.waitFor("/readyz ready again", func() bool { code, _ := httpGet(t, w.d.HTTPAddr(), "/readyz"); return code == 200 })
	_, body := httpGet(t, w.d.HTTPAddr(), "/metrics")
	var ours []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "consultd_") && !strings.Contains(l, "_bucket") {
			ours = append(ours, l)
		}
	}
	t.Logf("/metrics after the outage:\n%s", strings.Join(ours, "\n"))
	for _, want := range []string{`consultd_deliveries_total{kind="watchdog"} 2`, "consultd_imap_connected 1",
		`consultd_watchdog_incident_open{kind="imap_down"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// Dovecot stopped: here Postfix's SASL goes through Dovecot too, so SMTP
	// may fail as well (the notices then wait in the outbox for the next
	// attempt). The second incident is opened and ended once each.
	ms.StopDovecot(t)
	stopped := true
	defer func() {
		if stopped {
			ms.StartDovecot(t)
			ms.StopPostfix(t)
			ms.StartPostfix(t)
		}
	}()
	w.waitFor("a second imap_down incident", func() bool {
		return w.query(`SELECT COUNT(*) FROM incidents WHERE kind = 'imap_down' AND resolved_at = 0`) == 1
	})
	if code, body := httpGet(t, w.d.HTTPAddr(), "/readyz"); code != 503 || !strings.Contains(body, "connection refused") {
		t.Errorf("/readyz with Dovecot stopped: %d\n%s", code, body)
	}
	ms.StartDovecot(t)
	ms.StopPostfix(t) // clears master's throttling of smtpd processes that failed without Dovecot
	ms.StartPostfix(t)
	stopped = false
	w.waitFor("the second incident to end", func() bool {
		return w.query(`SELECT COUNT(*) FROM incidents WHERE resolved_at = 0`) == 0
	})
	if n := w.query(`SELECT COUNT(*) FROM outbox WHERE kind = 'watchdog'`); n != 4 {
		t.Errorf("%d watchdog notices queued for two outages, want 4 (one at each start and end)", n)
	}
	if n := w.query(`SELECT COUNT(*) FROM incidents`); n != 2 {
		t.Errorf("%d incidents for two outages", n)
	}
}

func httpGet(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
