package sdnotify

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// listen is systemd's side: a unixgram socket in a temp dir.
func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return c
}

func read(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestEachStateArrivesAsOneDatagram(t *testing.T) {
	c := listen(t)
	for _, s := range []string{Ready, Watchdog, Stopping} {
		sent, err := Notify(s)
		if err != nil || !sent {
			t.Fatalf("Notify(%s) = %v, %v", s, sent, err)
		}
		if got := read(t, c); got != s {
			t.Errorf("systemd read %q, want %q", got, s)
		}
	}
}

func TestAbstractSocketName(t *testing.T) {
	name := "@consultd-test-" + strconv.Itoa(os.Getpid())
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "\x00" + name[1:], Net: "unixgram"})
	if err != nil {
		t.Skipf("no abstract unix sockets here: %v", err)
	}
	defer c.Close()
	t.Setenv("NOTIFY_SOCKET", name)
	if sent, err := Notify(Ready); err != nil || !sent {
		t.Fatalf("Notify = %v, %v", sent, err)
	}
	if got := read(t, c); got != Ready {
		t.Errorf("read %q", got)
	}
}

func TestWithoutSystemdNothingIsSent(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Notify(Ready); sent || err != nil {
		t.Errorf("Notify without NOTIFY_SOCKET = %v, %v", sent, err)
	}
}

func TestWatchdogInterval(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "30000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	if d, err := WatchdogInterval(); err != nil || d != 30*time.Second {
		t.Errorf("WatchdogInterval = %v, %v", d, err)
	}
	t.Setenv("WATCHDOG_PID", "1")
	if d, _ := WatchdogInterval(); d != 0 {
		t.Errorf("a watchdog meant for pid 1 applies to us: %v", d)
	}
	t.Setenv("WATCHDOG_PID", "")
	t.Setenv("WATCHDOG_USEC", "x")
	if _, err := WatchdogInterval(); err == nil {
		t.Error("WATCHDOG_USEC=x accepted")
	}
}
