package mailbox

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"consultd/internal/testutil"
)

// ownCopy is the coalition's proof copy of one of its consultations, as
// consultd's sender writes it (go-mail: quoted display name, angle address).
func ownCopy(id string) []byte {
	return crlf(fmt.Sprintf(`Date: Tue, 01 Dec 2026 10:00:00 +0000
From: "Syrian Civil Society Coalition" <%s>
To: "Member Organisation 7" <m7@members.example>
Subject: [Consultation] Invitation to the Brussels conference
Message-ID: %s
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Please answer by replying to this message.
`, testUser, id))
}

// TestOwnCopiesWaitWhileTheOutboxSendsAndMembersMailDoesNot: while the
// outbox sends a fan-out, the coalition's copies of it stay in the inbox
// unread and a member's reply that arrives among them is read at once;
// when the sending ends every copy is read, in the order it arrived, and
// nothing is read twice. A watcher restarted meanwhile still finds every
// waiting copy: the checkpoint never passed one.
func TestOwnCopiesWaitWhileTheOutboxSendsAndMembersMailDoesNot(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	var sending atomic.Bool
	sending.Store(true)
	cfg := testConfig(ts.addr)
	cfg.OwnAddress, cfg.OwnCanWait = testUser, sending.Load
	h := &batchRecorder{}
	cp := NewMemCheckpoint()

	ts.deliver(ownCopy("<c-1@coalition.example>"))
	ts.deliver(ownCopy("<c-2@coalition.example>"))
	ts.deliver(gmailReply("<reply-1@mail.gmail.com>"))
	ts.deliver(ownCopy("<c-3@coalition.example>"))
	w := startWatcher(t, cfg, h, cp)
	testutil.Eventually(t, testTimeout, "the member's reply read and filed", func() bool {
		return slices.Contains(ts.look("Processed").ids, "<reply-1@mail.gmail.com>")
	})
	// One more reply among the copies, with the watcher idling.
	ts.deliver(ownCopy("<c-4@coalition.example>"))
	ts.deliver(outlookReply("<reply-2@outlook.com>"))
	testutil.Eventually(t, testTimeout, "the second reply read and filed", func() bool {
		return slices.Contains(ts.look("Processed").ids, "<reply-2@outlook.com>")
	})
	inbox := ts.look("INBOX").ids
	wantWaiting := []string{"<c-1@coalition.example>", "<c-2@coalition.example>", "<c-3@coalition.example>", "<c-4@coalition.example>"}
	if !slices.Equal(inbox, wantWaiting) {
		t.Fatalf("inbox while sending: %v, want the four copies waiting %v", inbox, wantWaiting)
	}
	for _, id := range wantWaiting {
		if n := countRead(h, id); n != 0 {
			t.Errorf("%s was read %d times while the outbox was sending", id, n)
		}
	}
	if _, last, _ := cp.Load(context.Background(), "INBOX"); last != 0 {
		t.Errorf("checkpoint at uid %d while the copy at uid 1 waits unread", last)
	}
	if !strings.Contains(w.log.String(), "own copies wait in the inbox") {
		t.Errorf("no log line says the copies wait:\n%s", w.log)
	}

	// A restart while they wait: the new watcher still finds them all.
	w.stop()
	sending.Store(false)
	w = startWatcher(t, cfg, h, cp)
	testutil.Eventually(t, testTimeout, "every copy read once the sending is over", func() bool {
		return len(ts.look("INBOX").ids) == 0
	})
	for _, id := range append(wantWaiting, "<reply-1@mail.gmail.com>", "<reply-2@outlook.com>") {
		if n := countRead(h, id); n != 1 {
			t.Errorf("%s was read %d times, want once", id, n)
		}
	}
	copies := slices.DeleteFunc(readOrder(h), func(id string) bool { return !strings.HasPrefix(id, "<c-") })
	if !slices.Equal(copies, wantWaiting) {
		t.Errorf("the copies were read in the order %v, want the order they arrived %v", copies, wantWaiting)
	}
	// uid 5 is the last copy; the reply at uid 6 left the inbox before.
	if _, last, _ := cp.Load(context.Background(), "INBOX"); last != 5 {
		t.Errorf("checkpoint at uid %d after everything was read, want 5", last)
	}
}

// TestWakeReadsTheWaitingCopiesWhenTheSendingEnds: the same watcher, left
// idling (or, on a server without IDLE, between two polls), reads the
// copies the moment it is woken after the sending ended, without waiting
// for its poll interval or for new mail.
func TestWakeReadsTheWaitingCopiesWhenTheSendingEnds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		caps     imap.CapSet
		hideIdle bool
	}{{"idle", capsFull, false}, {"polling", capsNoIdle, true}} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, tc.caps, tc.hideIdle)
			var sending atomic.Bool
			sending.Store(true)
			cfg := testConfig(ts.addr)
			cfg.PollInterval = time.Hour
			cfg.OwnAddress, cfg.OwnCanWait = testUser, sending.Load
			h := &batchRecorder{}
			for i := range 60 { // more than a batch
				ts.deliver(ownCopy(fmt.Sprintf("<c-%02d@coalition.example>", i)))
			}
			cp := NewMemCheckpoint()
			w := startWatcher(t, cfg, h, cp)
			testutil.Eventually(t, testTimeout, "a first sync done", func() bool { return !w.Status().LastSync.IsZero() })
			if tc.name == "idle" {
				testutil.Eventually(t, testTimeout, "the watcher idling", func() bool { return w.Status().Idle })
			}
			if n := len(readOrder(h)); n != 0 {
				t.Fatalf("%d copies read while the outbox was sending", n)
			}
			sending.Store(false)
			w.Wake()
			testutil.Eventually(t, testTimeout, "every copy read and filed after Wake", func() bool {
				return len(ts.look("Processed").ids) == 60
			})
			testutil.Eventually(t, testTimeout, "the checkpoint past the last copy", func() bool {
				_, last, _ := cp.Load(context.Background(), "INBOX")
				return last == 60
			})
			if !strings.Contains(w.log.String(), "reading the coalition's own copies left waiting") {
				t.Errorf("no log line says the waiting copies are read:\n%s", w.log)
			}
		})
	}
}

// refuseFromSearch garbles the FROM key of every SEARCH a client sends, so
// that the server answers BAD, as a server without that search would.
type refuseFromSearch struct{ net.Listener }

func (l refuseFromSearch) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return garbleFrom{c}, nil
}

type garbleFrom struct{ net.Conn }

func (c garbleFrom) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	copy(p[:n], bytes.ReplaceAll(p[:n], []byte("FROM "), []byte("FRXM ")))
	return n, err
}

// TestAServerThatRefusesTheSearchByFromGetsEveryMessageReadInOrder: the
// copies cannot be told apart without the search, so nothing waits: the
// watcher says so once and reads everything as it comes.
func TestAServerThatRefusesTheSearchByFromGetsEveryMessageReadInOrder(t *testing.T) {
	ts := newWrappedTestServer(t, capsFull, false, func(ln net.Listener) net.Listener { return refuseFromSearch{ln} })
	var sending atomic.Bool
	sending.Store(true)
	cfg := testConfig(ts.addr)
	cfg.OwnAddress, cfg.OwnCanWait = testUser, sending.Load
	h := &batchRecorder{}
	ts.deliver(ownCopy("<c-1@coalition.example>"))
	ts.deliver(gmailReply("<reply-1@mail.gmail.com>"))
	w := startWatcher(t, cfg, h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "both messages read and filed", func() bool {
		return len(ts.look("Processed").ids) == 2
	})
	if got := readOrder(h); !slices.Equal(got, []string{"<c-1@coalition.example>", "<reply-1@mail.gmail.com>"}) {
		t.Errorf("read %v, want the copy and the reply in the order they arrived", got)
	}
	if n := strings.Count(w.log.String(), "refused a search by From"); n != 1 {
		t.Errorf("the refused search is logged %d times, want once:\n%s", n, w.log)
	}
	ts.deliver(ownCopy("<c-2@coalition.example>"))
	testutil.Eventually(t, testTimeout, "a later copy read too", func() bool { return len(ts.look("Processed").ids) == 3 })
	if n := strings.Count(w.log.String(), "refused a search by From"); n != 1 {
		t.Errorf("the refused search is logged %d times, want once", n)
	}
}

// readOrder is every Message-ID h was handed: those of its batches in
// order, then those it was handed alone.
func readOrder(h *batchRecorder) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, b := range h.batches {
		out = append(out, b...)
	}
	// Single messages (a batch of one) go through Handle.
	return append(out, h.order()...)
}

func countRead(h *batchRecorder, id string) int {
	n := 0
	for _, got := range readOrder(h) {
		if got == id {
			n++
		}
	}
	return n
}
