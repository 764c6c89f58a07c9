package mailbox

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The watcher applies check-config's rule itself: it never sends a password
// in clear text to a remote server, and says why.
func TestWatcherRefusesCleartextPasswordToRemoteHost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := New(Config{Addr: "imap.example.org:143", Security: "none", Username: "u", Password: "imap-secret-pw"}, nil, nil)
	err := w.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "imap.security: none would send the password to imap.example.org in clear text") {
		t.Fatalf("Run = %v", err)
	}
	if strings.Contains(err.Error(), "imap-secret-pw") {
		t.Errorf("the error shows the password: %v", err)
	}
}
