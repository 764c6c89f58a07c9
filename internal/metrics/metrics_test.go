package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/internal/mailbox"
	"consultd/internal/store"
)

func TestReadyzSaysWhyNot(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	imap := mailbox.Status{Connected: true, LastSync: now.Add(-10 * time.Second)}
	m := New(Source{DB: st.DB(), IMAP: func() mailbox.Status { return imap }, Now: func() time.Time { return now }})
	srv := httptest.NewServer(m.Handler(Readiness{SyncWithin: 3 * time.Minute, OutboxStuck: 30 * time.Minute}))
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %q, want 200", code, body)
	}

	imap.LastSync = now.Add(-4 * time.Minute)
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "imap: last sync 4m0s ago (more than 3m0s)") {
		t.Errorf("stale sync: /readyz = %d %q", code, body)
	}
	imap.LastSync = now

	if _, err := st.DB().Exec(`INSERT INTO outbox (message_id, kind, recipients, payload, state, attempts, due_at, last_error, created_at)
		VALUES ('r1@x', 'statement', 'i@x', '{}', 'pending', 5, 0, '451 4.3.0 try later', ?)`, now.Add(-31*time.Minute).Unix()); err != nil {
		t.Fatal(err)
	}
	code, body := get("/readyz")
	if code != 503 || !strings.Contains(body, "outbox: a statement message has failed to go out for 31m0s: 451 4.3.0 try later") {
		t.Errorf("stuck outbox: /readyz = %d %q", code, body)
	}
	_, body = get("/metrics")
	for _, want := range []string{"consultd_outbox_depth 1", "consultd_outbox_oldest_pending_seconds 1860",
		`consultd_delivery_failures_total{kind="statement"} 5`, `consultd_deliveries_total{kind="statement"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d while not ready; it only says the process answers", code)
	}
}
