package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"consultd/internal/config"
	"consultd/internal/mailserver"
	"consultd/internal/probe"
	"consultd/internal/store"
	"consultd/internal/testutil"
)

type opsWorld struct {
	t   *testing.T
	srv *mailserver.Server
	d   *Daemon
	log *testutil.LogBuffer
}

// startOps runs a daemon on the built-in mail servers with the monitoring
// listener on a free loopback port.
func startOps(t *testing.T, extra string) *opsWorld {
	t.Helper()
	w, _ := startOpsStop(t, extra)
	return w
}

// startOpsStop is startOps that also returns how to stop the daemon
// (as SIGTERM does) and wait for it.
func startOpsStop(t *testing.T, extra string) (*opsWorld, func()) {
	t.Helper()
	srv, err := mailserver.Start(mailserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	for _, a := range []string{"coalition@c.example", "r@c.example"} {
		if err := srv.AddUser(a, "pw"); err != nil {
			t.Fatal(err)
		}
	}
	_, iport, _ := net.SplitHostPort(srv.IMAPAddr())
	_, sport, _ := net.SplitHostPort(srv.SMTPAddr())
	dir := t.TempDir()
	y := fmt.Sprintf(`coalition: {name: C, address: coalition@c.example}
imap: {host: 127.0.0.1, port: %s, security: none, username: coalition@c.example, password: pw, poll_interval: 1s}
smtp: {host: 127.0.0.1, port: %s, security: none}
coordinators: [{name: R, email: r@c.example}]
members: [{id: a, name: A, emails: [a@a.example]}]
http: {listen: "127.0.0.1:0"}
%s`, iport, sport, extra)
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	w := &opsWorld{t: t, srv: srv, log: &testutil.LogBuffer{}}
	w.d, err = New(context.Background(), cfg, slog.New(slog.NewTextHandler(w.log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	w.d.TickEvery, w.d.WatchdogEvery = 100*time.Millisecond, 100*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.d.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("daemon: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Errorf("daemon did not stop")
			}
			if t.Failed() {
				t.Logf("log:\n%s", w.log.String())
			}
		})
	}
	t.Cleanup(stop)
	w.waitFor("the monitoring listener", func() bool { return w.d.HTTPAddr() != "" })
	return w, stop
}

func (w *opsWorld) waitFor(what string, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, bounded by the deadline
	}
}

func (w *opsWorld) get(path string) (int, string) {
	w.t.Helper()
	resp, err := http.Get("http://" + w.d.HTTPAddr() + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMonitoringEndpointsAndAQuietDoctorProbe(t *testing.T) {
	w := startOps(t, "")
	if code, body := w.get("/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %q", code, body)
	}
	w.waitFor("/readyz to say ready after the first sync", func() bool { code, _ := w.get("/readyz"); return code == 200 })

	// A probe the doctor recorded is filed in Processed and answered by nothing.
	id := probe.NewID()
	if err := store.AddProbe(context.Background(), w.d.Store.DB(), id, time.Now()); err != nil {
		t.Fatal(err)
	}
	raw := "From: C <coalition@c.example>\r\nTo: coalition+doctor-" + id + "@c.example\r\nSubject: consultd doctor probe\r\n" +
		"Message-ID: <doctor-" + id + "@c.example>\r\n" + probe.Header + ": " + id + "\r\n\r\ntest\r\n"
	if err := w.srv.Deliver("coalition@c.example", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	// A forged probe header (an id nobody recorded) from a stranger is ordinary mail: Needs-Review.
	forged := "From: x@stranger.example\r\nTo: coalition@c.example\r\nSubject: hi\r\nMessage-ID: <f1@stranger.example>\r\n" +
		probe.Header + ": " + probe.NewID() + "\r\n\r\nvote accept\r\n"
	if err := w.srv.Deliver("coalition@c.example", []byte(forged)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := w.srv.WaitMessages(ctx, "coalition@c.example", "Processed", 1); err != nil {
		t.Fatalf("the probe did not reach Processed: %v", err)
	}
	if _, err := w.srv.WaitMessages(ctx, "coalition@c.example", "Needs-Review", 1); err != nil {
		t.Fatalf("the forged probe did not reach Needs-Review: %v", err)
	}
	var arrived int64
	if err := w.d.Store.DB().QueryRow(`SELECT arrived_at FROM probes WHERE id = ?`, id).Scan(&arrived); err != nil || arrived == 0 {
		t.Errorf("probe not marked arrived: %d, %v", arrived, err)
	}
	var queued int
	w.d.Store.DB().QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&queued)
	if queued != 0 {
		t.Errorf("%d messages queued in answer to a probe and a stranger's mail", queued)
	}

	code, body := w.get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		"consultd_imap_connected 1",
		`consultd_messages_handled_total{disposition="review",kind="unknown"} 1`,
		"consultd_outbox_depth 0",
		`consultd_watchdog_incident_open{kind="imap_down"} 0`,
		"consultd_message_handling_seconds_count 2",
		"consultd_imap_seconds_since_last_sync ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	var ours []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "consultd_") {
			ours = append(ours, l)
		}
	}
	t.Logf("/metrics (consultd's own):\n%s", strings.Join(ours, "\n"))
}

// Under systemd (Type=notify): READY=1 once running, WATCHDOG=1 at half
// WatchdogSec, STOPPING=1 on the way out.
func TestSystemdNotifications(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "200000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	_, stop := startOpsStop(t, "")
	read := func() string {
		buf := make([]byte, 256)
		_ = ln.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := ln.Read(buf)
		if err != nil {
			t.Fatalf("systemd heard nothing more: %v", err)
		}
		return string(buf[:n])
	}
	// READY=1 first, then pings (several, at 100 ms).
	if m := read(); m != "READY=1" {
		t.Errorf("first notification %q, want READY=1", m)
	}
	if m := read(); m != "WATCHDOG=1" {
		t.Errorf("second notification %q, want WATCHDOG=1", m)
	}
	stop()
	// Pings sent before the stop may still be queued: the last one must be STOPPING=1.
	last := ""
	for {
		buf := make([]byte, 256)
		_ = ln.SetReadDeadline(time.Now().Add(time.Second))
		n, err := ln.Read(buf)
		if err != nil {
			break // nothing more after the daemon stopped
		}
		last = string(buf[:n])
	}
	if last != "STOPPING=1" {
		t.Errorf("last notification %q, want STOPPING=1", last)
	}
}

func TestIMAPOutageMakesReadyzFailAndOpensAnIncident(t *testing.T) {
	w := startOps(t, "watchdog: {imap_down: 1s}\n")
	w.waitFor("ready", func() bool { code, _ := w.get("/readyz"); return code == 200 })
	w.srv.Close() // IMAP and SMTP gone
	w.waitFor("/readyz to report the IMAP outage", func() bool {
		code, body := w.get("/readyz")
		return code == 503 && strings.Contains(body, "imap: not connected")
	})
	w.waitFor("the imap_down incident", func() bool {
		_, body := w.get("/readyz")
		return strings.Contains(body, "watchdog: incident imap_down open")
	})
	var n int
	w.d.Store.DB().QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'watchdog' AND recipients = 'r@c.example'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d watchdog notices queued for the coordinator, want 1", n)
	}
	_, body := w.get("/metrics")
	if !strings.Contains(body, `consultd_watchdog_incident_open{kind="imap_down"} 1`) || !strings.Contains(body, "consultd_imap_connected 0") {
		t.Errorf("/metrics does not show the outage:\n%s", body)
	}
}
