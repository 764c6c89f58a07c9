package mailbox

import (
	"bytes"
	"consultd/internal/testutil"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func TestNewMailIsHandledOnceAndMovedToProcessed(t *testing.T) {
	shapes := []struct {
		name string
		raw  func(id string) []byte
	}{
		{"gmail multipart reply", gmailReply},
		{"outlook desktop reply", outlookReply},
		{"apple mail arabic reply", appleMailArabic},
	}
	for _, shape := range shapes {
		t.Run(shape.name, func(t *testing.T) {
			ts := newTestServer(t, capsFull, false)
			h := &recorder{}
			w := startWatcher(t, testConfig(ts.addr), h, NewMemCheckpoint())
			// Delivered while the watcher idles: only IDLE can make it this
			// fast, since the poll interval is a minute.
			testutil.Eventually(t, testTimeout, "watcher idle", func() bool { return w.Status().Idle })
			first := "<first-" + shape.name[:5] + "@mail.example>"
			ts.deliver(shape.raw(first))
			testutil.Eventually(t, testTimeout, "first message in Processed", func() bool { return slices.Equal(ts.look("Processed").ids, []string{first}) })
			// A second arrival makes the watcher search again; the first
			// must not be handed over twice.
			second := "<second@mail.example>"
			ts.deliver(gmailReply(second))
			testutil.Eventually(t, testTimeout, "second message handled", func() bool { return h.count(second) == 1 })
			testutil.Eventually(t, testTimeout, "both in Processed", func() bool { return len(ts.look("Processed").ids) == 2 })
			if got := h.count(first); got != 1 {
				t.Errorf("first message handed %d times, want 1", got)
			}
			if inbox := ts.look("INBOX").ids; len(inbox) != 0 {
				t.Errorf("inbox still holds %v", inbox)
			}
			st := w.Status()
			if !st.Connected || st.LastSync.IsZero() || st.Handled != 2 {
				t.Errorf("status = %+v, want connected, synced, 2 handled", st)
			}
		})
	}
}

func TestMessageBodyIsDeliveredByteForByteAndUnread(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	raw := appleMailArabic("<arabic@alnour.example>")
	ts.deliver(raw)
	got := make(chan Message, 1)
	startWatcher(t, testConfig(ts.addr), HandlerFunc(func(_ context.Context, m Message) (Disposition, error) {
		got <- m
		return Keep, nil
	}), NewMemCheckpoint())
	select {
	case m := <-got:
		if string(m.Raw) != string(raw) {
			t.Errorf("raw differs:\n got %q\nwant %q", m.Raw, raw)
		}
		if m.Mailbox != "INBOX" || m.UID != 1 || m.UIDValidity == 0 || m.InternalDate.IsZero() {
			t.Errorf("message metadata = %q uid %d uidvalidity %d date %v", m.Mailbox, m.UID, m.UIDValidity, m.InternalDate)
		}
	case <-time.After(testTimeout):
		t.Fatal("message not handed over")
	}
	testutil.Eventually(t, testTimeout, "message kept in inbox", func() bool { return len(ts.look("INBOX").ids) == 1 })
	if flags := ts.look("INBOX").flags["<arabic@alnour.example>"]; slices.Contains(flags, `\seen`) {
		t.Errorf("reading the message marked it seen for the staff: flags %v", flags)
	}
}

func TestReviewDispositionMovesToNeedsReview(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	h := &recorder{decide: func(id string) (Disposition, error) {
		if strings.HasPrefix(id, "<odd") {
			return Review, nil
		}
		return Processed, nil
	}}
	ts.deliver(outlookReply("<odd@rights-org.example>"))
	ts.deliver(gmailReply("<fine@mail.gmail.com>"))
	startWatcher(t, testConfig(ts.addr), h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "review message in Needs-Review", func() bool {
		return slices.Equal(ts.look("Needs-Review").ids, []string{"<odd@rights-org.example>"})
	})
	testutil.Eventually(t, testTimeout, "normal message in Processed", func() bool {
		return slices.Equal(ts.look("Processed").ids, []string{"<fine@mail.gmail.com>"})
	})
	if got := h.order(); !slices.Equal(got, []string{"<odd@rights-org.example>", "<fine@mail.gmail.com>"}) {
		t.Errorf("handled in order %v, want UID order", got)
	}
}

func TestFoldersAreCreatedWhenMissing(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	if err := ts.user.Create("Processed", nil); err != nil { // one exists already
		t.Fatal(err)
	}
	cfg := testConfig(ts.addr)
	cfg.Review = "Consultd/Needs Review"
	w := startWatcher(t, cfg, &recorder{}, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "connected", func() bool { return w.Status().Connected })
	for _, f := range []string{"Processed", "Consultd/Needs Review"} {
		if !ts.exists(f) {
			t.Errorf("folder %q missing after connect", f)
		}
	}
	if strings.Contains(w.log.String(), "level=ERROR") {
		t.Errorf("an existing folder caused an error:\n%s", w.log)
	}
}

func TestRestartDoesNotHandTheSameMessageAgain(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	// Keep leaves the message where a restarted watcher would see it.
	h := &recorder{decide: func(string) (Disposition, error) { return Keep, nil }}
	cp := NewMemCheckpoint()
	ts.deliver(gmailReply("<kept@mail.gmail.com>"))

	w1 := startWatcher(t, testConfig(ts.addr), h, cp)
	testutil.Eventually(t, testTimeout, "first watcher handled it", func() bool { return h.count("<kept@mail.gmail.com>") == 1 })
	testutil.Eventually(t, testTimeout, "first watcher idle", func() bool { return w1.Status().Idle })
	w1.stop()

	w2 := startWatcher(t, testConfig(ts.addr), h, cp)
	testutil.Eventually(t, testTimeout, "second watcher idle", func() bool { return w2.Status().Idle })
	ts.deliver(outlookReply("<later@rights-org.example>"))
	testutil.Eventually(t, testTimeout, "later message handled", func() bool { return h.count("<later@rights-org.example>") == 1 })
	if got := h.count("<kept@mail.gmail.com>"); got != 1 {
		t.Errorf("kept message handed %d times across a restart, want 1", got)
	}
}

func TestUIDValidityChangeOffersMessagesAgain(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	h := &recorder{decide: func(string) (Disposition, error) { return Keep, nil }}
	cp := NewMemCheckpoint()
	raw := gmailReply("<again@mail.gmail.com>")
	ts.deliver(raw)
	w1 := startWatcher(t, testConfig(ts.addr), h, cp)
	testutil.Eventually(t, testTimeout, "handled once", func() bool { return h.count("<again@mail.gmail.com>") == 1 })
	testutil.Eventually(t, testTimeout, "idle", func() bool { return w1.Status().Idle })
	w1.stop()
	oldValidity, _, _ := cp.Load(context.Background(), "INBOX")

	// The mailbox is rebuilt (e.g. a server migration): same message, same
	// UID 1, new UIDVALIDITY.
	if err := ts.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := ts.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	ts.deliver(raw)

	w2 := startWatcher(t, testConfig(ts.addr), h, cp)
	testutil.Eventually(t, testTimeout, "offered again", func() bool { return h.count("<again@mail.gmail.com>") == 2 })
	testutil.Eventually(t, testTimeout, "checkpoint follows the new UIDVALIDITY", func() bool {
		v, last, _ := cp.Load(context.Background(), "INBOX")
		return v != oldValidity && last == 1
	})
	if !strings.Contains(w2.log.String(), "UIDVALIDITY changed") {
		t.Errorf("the UIDVALIDITY change was not logged:\n%s", w2.log)
	}
}

func TestServerWithoutIdleIsPolled(t *testing.T) {
	ts := newTestServer(t, capsNoIdle, true)
	// The harness really hides IDLE (imapserver always advertises it).
	c, err := imapclient.DialInsecure(ts.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	if c.Caps().Has(imap.CapIdle) {
		t.Fatalf("test server still advertises IDLE: %v", c.Caps())
	}
	c.Close()

	cfg := testConfig(ts.addr)
	cfg.PollInterval = 50 * time.Millisecond
	h := &recorder{}
	w := startWatcher(t, cfg, h, NewMemCheckpoint())
	var sawIdle atomic.Bool
	testutil.Eventually(t, testTimeout, "first sync", func() bool { sawIdle.Store(sawIdle.Load() || w.Status().Idle); return !w.Status().LastSync.IsZero() })
	ts.deliver(outlookReply("<polled@rights-org.example>"))
	testutil.Eventually(t, testTimeout, "polled message in Processed", func() bool {
		sawIdle.Store(sawIdle.Load() || w.Status().Idle)
		return slices.Equal(ts.look("Processed").ids, []string{"<polled@rights-org.example>"})
	})
	if sawIdle.Load() {
		t.Error("watcher issued IDLE to a server that does not advertise it")
	}
	if st := w.Status(); st.Reconnects != 0 {
		t.Errorf("polling caused %d reconnects (last error %q)", st.Reconnects, st.LastError)
	}
}

func TestReconnectsAfterServerRestart(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	h := &recorder{}
	w := startWatcher(t, testConfig(ts.addr), h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "idle", func() bool { return w.Status().Idle })

	ts.stop()
	testutil.Eventually(t, testTimeout, "disconnect noticed", func() bool { return !w.Status().Connected })
	ts.deliver(gmailReply("<while-down@mail.gmail.com>")) // arrives while the IMAP server is down
	ts.start()                                            // same port

	testutil.Eventually(t, testTimeout, "mail delivered during the outage handled", func() bool {
		return slices.Equal(ts.look("Processed").ids, []string{"<while-down@mail.gmail.com>"})
	})
	testutil.Eventually(t, testTimeout, "idle again", func() bool { return w.Status().Idle })
	ts.deliver(outlookReply("<after@rights-org.example>"))
	testutil.Eventually(t, testTimeout, "new mail after restart handled", func() bool { return h.count("<after@rights-org.example>") == 1 })
	st := w.Status()
	if st.Reconnects == 0 || st.LastError == "" {
		t.Errorf("status = %+v, want the failure recorded", st)
	}
	if !strings.Contains(w.log.String(), "will reconnect") {
		t.Errorf("the failure was not logged:\n%s", w.log)
	}
}

func TestSilentlyDeadConnectionIsReplaced(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	proxy := newFreezeProxy(t, ts.addr)
	cfg := testConfig(proxy.addr())
	cfg.PollInterval = 100 * time.Millisecond // IDLE watchdog period
	cfg.CommandTimeout = 300 * time.Millisecond
	h := &recorder{}
	w := startWatcher(t, cfg, h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "idle", func() bool { return w.Status().Idle })

	// The network drops everything but no side closes: the IDLE push for
	// this message never arrives, only the watchdog can notice.
	proxy.freeze()
	ts.deliver(gmailReply("<through-the-hole@mail.gmail.com>"))
	testutil.Eventually(t, testTimeout, "message handled over a new connection", func() bool {
		return h.count("<through-the-hole@mail.gmail.com>") == 1
	})
	if st := w.Status(); !strings.Contains(st.LastError, "no answer from the server") {
		t.Errorf("last error %q, want the timeout explained", st.LastError)
	}
}

func TestHandlerErrorLeavesMessageAndRetries(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	var failing atomic.Bool
	failing.Store(true)
	h := &recorder{decide: func(id string) (Disposition, error) {
		if id == "<first@mail.gmail.com>" && failing.Load() {
			return "", errors.New("database is locked")
		}
		return Processed, nil
	}}
	ts.deliver(gmailReply("<first@mail.gmail.com>"))
	ts.deliver(outlookReply("<second@rights-org.example>"))
	w := startWatcher(t, testConfig(ts.addr), h, NewMemCheckpoint())

	testutil.Eventually(t, testTimeout, "two failed attempts", func() bool { return h.count("<first@mail.gmail.com>") >= 2 })
	if got := ts.look("INBOX").ids; len(got) != 2 {
		t.Errorf("inbox during failures = %v, want both messages", got)
	}
	if got := ts.look("Processed").ids; len(got) != 0 {
		t.Errorf("Processed during failures = %v, want empty", got)
	}
	if h.count("<second@rights-org.example>") != 0 {
		t.Error("the message behind the failing one was handled first")
	}
	if st := w.Status(); !strings.Contains(st.LastError, "database is locked") {
		t.Errorf("last error %q, want the handler's error", st.LastError)
	}

	failing.Store(false)
	testutil.Eventually(t, testTimeout, "both in Processed, in order", func() bool {
		return slices.Equal(ts.look("Processed").ids, []string{"<first@mail.gmail.com>", "<second@rights-org.example>"})
	})
	if got := h.count("<second@rights-org.example>"); got != 1 {
		t.Errorf("second message handled %d times, want 1", got)
	}
}

func TestHandlerPanicSendsMessageToReview(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	h := HandlerFunc(func(_ context.Context, m Message) (Disposition, error) {
		if messageID(m.Raw) == "<boom@mail.gmail.com>" {
			panic("nil map")
		}
		return Processed, nil
	})
	ts.deliver(gmailReply("<boom@mail.gmail.com>"))
	ts.deliver(outlookReply("<fine@rights-org.example>"))
	w := startWatcher(t, testConfig(ts.addr), h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "panicking message in review", func() bool {
		return slices.Equal(ts.look("Needs-Review").ids, []string{"<boom@mail.gmail.com>"})
	})
	testutil.Eventually(t, testTimeout, "next message processed", func() bool {
		return slices.Equal(ts.look("Processed").ids, []string{"<fine@rights-org.example>"})
	})
	if !strings.Contains(w.log.String(), "handler panicked") {
		t.Errorf("the panic was not logged:\n%s", w.log)
	}
}

// Without MOVE the library's Move would pipeline COPY, STORE and EXPUNGE;
// the watcher must remove only the message it copied.
func TestServerWithoutMoveLosesNothing(t *testing.T) {
	cases := []struct {
		name         string
		caps         imap.CapSet
		originalKept bool // no UIDPLUS: the original stays, flagged
	}{
		{"UIDPLUS: copy, flag, UID EXPUNGE", capsNoMove, false},
		{"IMAP4rev1 only: copy and flag, never expunge", capsRev1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, tc.caps, false)
			// A staff member deleted this one in their mail client but it is
			// not expunged yet: the watcher must not expunge it for them.
			ts.deliver(outlookReply("<staff-deleted@rights-org.example>"), imap.FlagDeleted)
			ts.deliver(gmailReply("<reply@mail.gmail.com>"))
			h := &recorder{decide: func(id string) (Disposition, error) {
				if id == "<staff-deleted@rights-org.example>" {
					return Keep, nil
				}
				return Processed, nil
			}}
			cfg := testConfig(ts.addr)
			cfg.PollInterval = 50 * time.Millisecond // frequent IDLE restarts: more syncs that could expunge wrongly
			w := startWatcher(t, cfg, h, NewMemCheckpoint())
			testutil.Eventually(t, testTimeout, "reply copied to Processed", func() bool {
				return slices.Equal(ts.look("Processed").ids, []string{"<reply@mail.gmail.com>"})
			})
			// Let one more sync run, then look again.
			ts.deliver(appleMailArabic("<later@alnour.example>"))
			testutil.Eventually(t, testTimeout, "later message handled", func() bool { return h.count("<later@alnour.example>") == 1 })
			testutil.Eventually(t, testTimeout, "later message in Processed", func() bool { return len(ts.look("Processed").ids) == 2 })

			inbox := ts.look("INBOX")
			if !slices.Contains(inbox.ids, "<staff-deleted@rights-org.example>") {
				t.Errorf("a message the watcher did not move was expunged; inbox = %v", inbox.ids)
			}
			if got := slices.Contains(inbox.ids, "<reply@mail.gmail.com>"); got != tc.originalKept {
				t.Errorf("original still in inbox = %v, want %v (inbox %v)", got, tc.originalKept, inbox.ids)
			}
			if tc.originalKept && !slices.Contains(inbox.flags["<reply@mail.gmail.com>"], DoneKeyword) {
				t.Errorf("kept original lacks %s: %v", DoneKeyword, inbox.flags["<reply@mail.gmail.com>"])
			}
			if got := h.count("<reply@mail.gmail.com>"); got != 1 {
				t.Errorf("reply handled %d times, want 1", got)
			}
			if tc.originalKept {
				// A watcher with a lost checkpoint skips flagged originals.
				w.stop()
				fresh := startWatcher(t, cfg, h, NewMemCheckpoint())
				testutil.Eventually(t, testTimeout, "fresh watcher synced", func() bool { return !fresh.Status().LastSync.IsZero() })
				if got := h.count("<reply@mail.gmail.com>"); got != 1 {
					t.Errorf("flagged original handed again (%d times) after the checkpoint was lost", got)
				}
			}
		})
	}
}

func TestOversizedMessageGoesToReviewUnread(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	big := append(gmailReply("<huge@mail.gmail.com>"), []byte(strings.Repeat("A scanned annex, base64.\r\n", 200))...)
	ts.deliver(big)
	ts.deliver(outlookReply("<small@rights-org.example>"))
	cfg := testConfig(ts.addr)
	cfg.MaxMessageSize = 2000
	var mu sync.Mutex
	var got []Message
	h := HandlerFunc(func(_ context.Context, m Message) (Disposition, error) {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
		return Processed, nil // for the oversized one, ignored: it goes to review
	})
	w := startWatcher(t, cfg, h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "big message in review", func() bool {
		return slices.Equal(ts.look("Needs-Review").ids, []string{"<huge@mail.gmail.com>"})
	})
	testutil.Eventually(t, testTimeout, "small message processed", func() bool {
		return slices.Equal(ts.look("Processed").ids, []string{"<small@rights-org.example>"})
	})
	mu.Lock()
	defer mu.Unlock()
	var huge *Message
	for i := range got {
		if messageID(got[i].Raw) == "<huge@mail.gmail.com>" {
			huge = &got[i]
		}
	}
	switch {
	case huge == nil:
		t.Error("the oversized message's header was not handed to the handler (nobody could be told)")
	case !huge.TooLarge || huge.Size != int64(len(big)):
		t.Errorf("oversized message handed as TooLarge=%v Size=%d, want true, %d", huge.TooLarge, huge.Size, len(big))
	case bytes.Contains(huge.Raw, []byte("scanned annex")):
		t.Error("the oversized message's body was read")
	}
	if !strings.Contains(w.log.String(), "too large") {
		t.Errorf("no log line for the oversized message:\n%s", w.log)
	}
}

func TestManyMessagesAreHandledInBatchesInOrder(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	var want []string
	for i := range 45 { // more than two body batches
		id := "<bulk-" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + "@mail.gmail.com>"
		want = append(want, id)
		ts.deliver(gmailReply(id))
	}
	h := &recorder{}
	startWatcher(t, testConfig(ts.addr), h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "all processed", func() bool { return len(ts.look("Processed").ids) == len(want) })
	if got := h.order(); !slices.Equal(got, want) {
		t.Errorf("handled order differs from arrival order:\n got %v\nwant %v", got, want)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"unknown security", Config{Addr: "imap.example.org:993", Security: "ssl3"}},
		{"no address", Config{}},
		{"address without port", Config{Addr: "imap.example.org"}},
		{"processed is the inbox", Config{Addr: "x:1", Processed: "INBOX"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := New(tc.cfg, &recorder{}, NewMemCheckpoint()).Run(context.Background())
			if err == nil || errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v, want a configuration error", err)
			}
		})
	}
}

func TestBackoffGrowsToTheCapWithJitter(t *testing.T) {
	w := New(Config{Addr: "x:1"}, &recorder{}, NewMemCheckpoint())
	for attempt, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute, time.Minute} {
		for range 20 {
			d := w.backoff(attempt)
			if d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", attempt, d, want/2, want)
			}
		}
	}
}

func TestSecurityModes(t *testing.T) {
	for _, mode := range []string{"tls", "starttls"} {
		t.Run(mode, func(t *testing.T) {
			ts := newTLSTestServer(t, mode)
			cfg := testConfig(ts.addr)
			cfg.Security = mode
			cfg.InsecureSkipVerify = true // self-signed test certificate
			h := &recorder{}
			w := startWatcher(t, cfg, h, NewMemCheckpoint())
			testutil.Eventually(t, testTimeout, "idle", func() bool { return w.Status().Idle })
			ts.deliver(gmailReply("<over-tls@mail.gmail.com>"))
			testutil.Eventually(t, testTimeout, "handled and moved", func() bool {
				return slices.Equal(ts.look("Processed").ids, []string{"<over-tls@mail.gmail.com>"})
			})
		})
	}
}

func TestUntrustedCertificateIsReportedAndRetried(t *testing.T) {
	for _, mode := range []string{"tls", "starttls"} {
		t.Run(mode, func(t *testing.T) {
			ts := newTLSTestServer(t, mode)
			ts.deliver(gmailReply("<must-wait@mail.gmail.com>"))
			cfg := testConfig(ts.addr)
			cfg.Security = mode
			h := &recorder{}
			w := startWatcher(t, cfg, h, NewMemCheckpoint())
			testutil.Eventually(t, testTimeout, "two failed attempts", func() bool { return w.Status().Reconnects >= 2 })
			st := w.Status()
			if !strings.Contains(st.LastError, "certificate") || st.Connected {
				t.Errorf("status = %+v, want a certificate error and no connection", st)
			}
			if h.count("<must-wait@mail.gmail.com>") != 0 {
				t.Error("mail was read over an unverified connection")
			}
		})
	}
}

func TestFolderDeletedWhileRunningIsRecreatedAndNothingIsLost(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	h := &recorder{}
	w := startWatcher(t, testConfig(ts.addr), h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "idle", func() bool { return w.Status().Idle })
	if err := ts.user.Delete("Processed"); err != nil { // an admin tidying folders
		t.Fatal(err)
	}
	ts.deliver(gmailReply("<orphan@mail.gmail.com>"))
	testutil.Eventually(t, testTimeout, "message in a recreated Processed", func() bool {
		return slices.Equal(ts.look("Processed").ids, []string{"<orphan@mail.gmail.com>"})
	})
	if inbox := ts.look("INBOX").ids; len(inbox) != 0 {
		t.Errorf("inbox still holds %v", inbox)
	}
	// The failed move means the handler saw it again; its Message-ID dedupe
	// makes that harmless, and the watcher says why it retried.
	if got := h.count("<orphan@mail.gmail.com>"); got != 2 {
		t.Errorf("handler called %d times, want 2 (once before the failed move, once after)", got)
	}
	if st := w.Status(); !strings.Contains(st.LastError, "move to Processed") {
		t.Errorf("last error %q, want the failed move", st.LastError)
	}
}
