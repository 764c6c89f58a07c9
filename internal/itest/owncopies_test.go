package itest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"consultd/internal/mailbox"
	"consultd/internal/mailstack"
	"consultd/internal/testutil"
)

// On the real Dovecot: while the outbox sends, the coalition's copies stay
// in the inbox (Dovecot answers the search by From) and a member's reply
// among them is read and filed; once the sending ends and the watcher is
// woken, the copies are read in the order they arrived and the inbox is
// empty.
func TestOwnCopiesWaitOnDovecotWhileTheOutboxSends(t *testing.T) {
	ms := mailstack.Start(t)
	user := "coalition@" + mailstack.Unique("own") + ".example"
	ms.AddUser(t, user, pass)
	ownCopy := func(n int) []byte {
		return fmt.Appendf(nil, "From: \"Test Coalition\" <%s>\r\nTo: <m%d@members.example>\r\nSubject: [Consultation] Invitation\r\n"+
			"Message-ID: <c-%d@own.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease answer.\r\n", user, n, n)
	}
	for _, raw := range [][]byte{ownCopy(1), ownCopy(2),
		[]byte("From: Rania <rania@members.example>\r\nTo: <" + user + ">\r\nSubject: Re: [Consultation] Invitation\r\n" +
			"Message-ID: <reply-1@mail.gmail.com>\r\n\r\nWe accept.\r\n"),
		ownCopy(3)} {
		ms.Append(t, user, pass, "INBOX", raw)
	}

	var mu sync.Mutex
	var read []string
	h := mailbox.HandlerFunc(func(_ context.Context, m mailbox.Message) (mailbox.Disposition, error) {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
		if err != nil {
			return mailbox.Review, nil
		}
		mu.Lock()
		read = append(read, msg.Header.Get("Message-Id"))
		mu.Unlock()
		return mailbox.Processed, nil
	})
	got := func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(read) }
	var sending atomic.Bool
	sending.Store(true)
	cp := mailbox.NewMemCheckpoint()
	w := mailbox.New(mailbox.Config{Addr: ms.IMAPAddr, Security: "none", Username: user, Password: pass,
		PollInterval: time.Hour, OwnAddress: user, OwnCanWait: sending.Load, Logger: slog.New(slog.DiscardHandler)}, h, cp)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	c := floodClient(t, ms.IMAPAddr, user)
	count := func(folder string) uint32 { // 0 until the watcher created the folder
		st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			return 0
		}
		return *st.NumMessages
	}
	if !testutil.WaitFor(time.Minute, func() bool { return count("Processed") == 1 }) {
		t.Fatalf("the member's reply was not filed while the outbox sent; read %v", got())
	}
	if r := got(); !slices.Equal(r, []string{"<reply-1@mail.gmail.com>"}) {
		t.Fatalf("read while sending: %v, want only the member's reply", r)
	}
	if n := count("INBOX"); n != 3 {
		t.Fatalf("%d messages in the inbox while sending, want the 3 copies waiting", n)
	}

	sending.Store(false)
	w.Wake()
	if !testutil.WaitFor(time.Minute, func() bool { return count("INBOX") == 0 }) {
		t.Fatalf("the copies were not read after the sending ended; read %v", got())
	}
	want := []string{"<reply-1@mail.gmail.com>", "<c-1@own.example>", "<c-2@own.example>", "<c-3@own.example>"}
	if r := got(); !slices.Equal(r, want) {
		t.Errorf("read %v, want %v", r, want)
	}
	// Saved once the last copy is safe in Processed, just after it left the inbox.
	checkpoint := func() uint32 { _, last, _ := cp.Load(context.Background(), "INBOX"); return last }
	if !testutil.WaitFor(time.Minute, func() bool { return checkpoint() == 4 }) {
		t.Errorf("checkpoint at uid %d, want 4 (the last copy)", checkpoint())
	}
}
