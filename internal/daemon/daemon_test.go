package daemon

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"consultd/internal/config"
)

func TestASecondDaemonOnTheSameDatabaseRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	y := `coalition: {name: C, address: coalition@c.example}
imap: {host: 127.0.0.1, port: 1, security: none, username: coalition@c.example, password: x}
smtp: {host: 127.0.0.1, port: 1, security: none}
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
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), cfg, log); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second daemon: err = %v, want 'already running'", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	first.Run(ctx) // stops at once and releases the lock
	again, err := New(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("after the first stopped, a new daemon could not start: %v", err)
	}
	again.Store.Close()
	again.lock.Close()
}
