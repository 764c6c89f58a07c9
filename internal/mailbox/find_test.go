package mailbox

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// TestFindLooksInTheInboxAndTheFoldersMailIsMovedTo: the sender asks Find
// whether an interrupted delivery's copy arrived; it may still be in the
// inbox or already filed by the watcher.
func TestFindLooksInTheInboxAndTheFoldersMailIsMovedTo(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	ts.deliver(crlf("From: <coalition@coal.example>\nMessage-ID: <c-inbox@coal.example>\nSubject: x\n\nbody\n"))
	if err := ts.user.Create(DefaultProcessed, nil); err != nil {
		t.Fatal(err)
	}
	filed := crlf("From: <coalition@coal.example>\nMessage-ID:\n <statement-filed@coal.example>\nSubject: y\n\nbody\n")
	if _, err := ts.user.Append(DefaultProcessed, bytes.NewReader(filed), &imap.AppendOptions{Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w := New(testConfig(ts.addr), nil, NewMemCheckpoint())
	ctx := context.Background()
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"c-inbox@coal.example", true},
		{"<statement-filed@coal.example>", true}, // folded header, and <> given
		{"statement-never@coal.example", false},  // Needs-Review does not exist yet: not an error
	} {
		got, err := w.Find(ctx, tc.id)
		if err != nil || got != tc.want {
			t.Errorf("Find(%q) = %v, %v; want %v", tc.id, got, err, tc.want)
		}
	}
	ts.stop()
	if _, err := w.Find(ctx, "c-inbox@coal.example"); err == nil {
		t.Error("Find with the server down reported no error: the sender would take it for 'not delivered' and resend")
	}
}

// A proof copy the provider filed as spam still proves the delivery: with
// imap.junk set, Find looks in that folder too (by its \Junk attribute when
// the server has one, tested on Dovecot in internal/itest; by the configured
// name otherwise, as here: go-imap's in-memory server keeps no attributes).
func TestFindLooksInTheJunkFolderWhenOneIsConfigured(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	if err := ts.user.Create("Junk Email", nil); err != nil {
		t.Fatal(err)
	}
	copyRaw := crlf("From: <coalition@coal.example>\nMessage-ID: <c-spam@coal.example>\nSubject: x\n\nbody\n")
	if _, err := ts.user.Append("Junk Email", bytes.NewReader(copyRaw), &imap.AppendOptions{Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(ts.addr)
	ctx := context.Background()
	if got, err := New(cfg, nil, NewMemCheckpoint()).Find(ctx, "c-spam@coal.example"); err != nil || got {
		t.Fatalf("without imap.junk Find = %v, %v; want false (spam is not looked at)", got, err)
	}
	cfg.Junk = "Junk Email" // the microsoft365 preset's name
	if got, err := New(cfg, nil, NewMemCheckpoint()).Find(ctx, "c-spam@coal.example"); err != nil || !got {
		t.Fatalf("Find = %v, %v; want the copy found in Junk Email", got, err)
	}
}
