package mailbox

import (
	"bytes"
	"consultd/internal/testutil"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// batchRecorder is a BatchHandler: it remembers each batch, and fails any
// batch holding a message whose id is in failBatch.
type batchRecorder struct {
	recorder
	mu        sync.Mutex
	batches   [][]string
	failBatch map[string]bool
}

func (r *batchRecorder) HandleBatch(_ context.Context, ms []Message) ([]Disposition, error) {
	var ids []string
	for _, m := range ms {
		ids = append(ids, messageID(m.Raw))
	}
	r.mu.Lock()
	r.batches = append(r.batches, ids)
	r.mu.Unlock()
	ds := make([]Disposition, len(ms))
	for i, id := range ids {
		if r.failBatch[id] {
			return nil, errors.New("database is locked")
		}
		ds[i] = Processed
		if id == "<odd@rights-org.example>" {
			ds[i] = Review
		}
	}
	return ds, nil
}

// commandWatcher is a listener (a pointer: the IMAP server keeps its
// listeners in a map) that shows onCommand each command line a client
// sends, before the server reads it; when onCommand returns true, the
// connection is cut instead. onCommand is called from every connection's
// goroutine.
type commandWatcher struct {
	net.Listener
	onCommand func(line string) (cut bool)
}

func (l *commandWatcher) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &commandWatchConn{Conn: c, onCommand: l.onCommand}, nil
}

// onMove is a commandWatcher hook that calls f for each UID MOVE only.
func onMove(f func() (cut bool)) func(string) bool {
	return func(line string) bool { return isMove(line) && f() }
}

func isMove(line string) bool { return strings.Contains(strings.ToUpper(line), " UID MOVE ") }

// commandWatchConn is read by one server goroutine, so buf (a line not yet
// ended) needs no lock.
type commandWatchConn struct {
	net.Conn
	onCommand func(string) bool
	buf       []byte
}

func (c *commandWatchConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.buf = append(c.buf, p[:n]...)
	for {
		i := bytes.Index(c.buf, []byte("\r\n"))
		if i < 0 {
			break
		}
		line := string(c.buf[:i])
		c.buf = c.buf[i+2:]
		if c.onCommand(line) {
			c.Conn.Close()
			return 0, net.ErrClosed
		}
	}
	return n, err
}

// TestAFullInboxIsFiledInBatches: a batch of replies is handed over at once
// and moved with one command per destination, in UID order, each message to
// where the handler said.
func TestAFullInboxIsFiledInBatches(t *testing.T) {
	moves := &atomic.Int64{}
	ts := newWrappedTestServer(t, capsFull, false, func(ln net.Listener) net.Listener {
		return &commandWatcher{ln, onMove(func() bool { moves.Add(1); return false })}
	})
	var want []string
	for i := range 12 {
		id := fmt.Sprintf("<reply-%02d@mail.gmail.com>", i)
		want = append(want, id)
		ts.deliver(gmailReply(id))
	}
	ts.deliver(outlookReply("<odd@rights-org.example>"))
	h := &batchRecorder{}
	startWatcher(t, testConfig(ts.addr), h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "every reply in Processed", func() bool { return len(ts.look("Processed").ids) == len(want) })
	testutil.Eventually(t, testTimeout, "the odd one in Needs-Review", func() bool {
		return slices.Equal(ts.look("Needs-Review").ids, []string{"<odd@rights-org.example>"})
	})
	if got := ts.look("Processed").ids; !slices.Equal(got, want) {
		t.Errorf("Processed holds %v, want %v in order", got, want)
	}
	h.mu.Lock()
	batches := len(h.batches)
	h.mu.Unlock()
	if singles := len(h.order()); batches != 1 || singles != 0 {
		t.Errorf("%d batches and %d single calls for 13 messages fetched together; want one batch", batches, singles)
	}
	if n := moves.Load(); n != 2 {
		t.Errorf("%d UID MOVE commands, want 2 (one per destination)", n)
	}
}

// TestAFailingBatchIsHandledOneByOne: when the batch cannot be committed,
// each message is handed over alone; those before the failing one are
// filed, and it and those after it wait in the inbox.
func TestAFailingBatchIsHandledOneByOne(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	for _, id := range []string{"<a@mail.gmail.com>", "<bad@mail.gmail.com>", "<c@mail.gmail.com>"} {
		ts.deliver(gmailReply(id))
	}
	h := &batchRecorder{failBatch: map[string]bool{"<bad@mail.gmail.com>": true}}
	h.decide = func(id string) (Disposition, error) {
		if id == "<bad@mail.gmail.com>" {
			return "", errors.New("database is locked")
		}
		return Processed, nil
	}
	w := startWatcher(t, testConfig(ts.addr), h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "the first reply filed on its own", func() bool {
		return slices.Equal(ts.look("Processed").ids, []string{"<a@mail.gmail.com>"})
	})
	testutil.Eventually(t, testTimeout, "the failing reply offered alone", func() bool { return h.count("<bad@mail.gmail.com>") > 0 })
	if got := ts.look("INBOX").ids; !slices.Equal(got, []string{"<bad@mail.gmail.com>", "<c@mail.gmail.com>"}) {
		t.Errorf("inbox holds %v, want the failing reply and the one after it", got)
	}
	if !bytes.Contains([]byte(w.log.String()), []byte("handling its messages one by one")) {
		t.Errorf("the fallback is not logged:\n%s", w.log)
	}
}

// TestAMoveLostWhileTheNextBatchIsHandledLosesNothing: a batch is moved
// while the next one is handled. When that MOVE never completes (the
// connection drops), no message is lost or skipped by the checkpoint: after
// the reconnection every message is in Processed, in order, and those
// handed over again are only ones handled before the drop (the handler's
// own record of what it has seen keeps them from counting twice).
func TestAMoveLostWhileTheNextBatchIsHandledLosesNothing(t *testing.T) {
	dropped := &atomic.Bool{}
	ts := newWrappedTestServer(t, capsFull, false, func(ln net.Listener) net.Listener {
		// The first MOVE never reaches the server: the connection drops.
		return &commandWatcher{ln, onMove(func() bool { return dropped.CompareAndSwap(false, true) })}
	})
	// Messages of 1.5 MB: two to a body batch (bodyBatchBytes), five batches.
	pad := bytes.Repeat([]byte("x"), 76)
	var want []string
	for i := range 10 {
		id := fmt.Sprintf("<big-%02d@mail.gmail.com>", i)
		want = append(want, id)
		raw := gmailReply(id)
		body := bytes.Repeat(append(pad, "\r\n"...), (3<<19)/78)
		ts.deliver(append(raw[:len(raw):len(raw)], body...))
	}
	h := &batchRecorder{}
	cp := NewMemCheckpoint()
	w := startWatcher(t, testConfig(ts.addr), h, cp)
	testutil.Eventually(t, testTimeout, "every message in Processed", func() bool { return len(ts.look("Processed").ids) == len(want) })
	if got := ts.look("Processed").ids; !slices.Equal(got, want) {
		t.Errorf("Processed holds %v, want %v in order", got, want)
	}
	if got := ts.look("INBOX").ids; len(got) != 0 {
		t.Errorf("the inbox still holds %v", got)
	}
	if !dropped.Load() {
		t.Fatal("the connection was never dropped: the test tested nothing")
	}
	if !strings.Contains(w.log.String(), "move to Processed") {
		t.Errorf("the lost MOVE is not in the log line of the session's end:\n%s", w.log)
	}
	testutil.Eventually(t, testTimeout, "the checkpoint past the last", func() bool {
		_, last, _ := cp.Load(context.Background(), "INBOX")
		return last == 10
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.batches) < 2 || len(h.batches[0]) != 2 {
		t.Fatalf("batches %v: want batches of two", h.batches)
	}
	seen := map[string]int{}
	for _, b := range h.batches {
		for _, id := range b {
			seen[id]++
		}
	}
	for _, id := range want {
		if seen[id] == 0 {
			t.Errorf("%s was never handed over", id)
		}
	}
	// Handed over twice: the first batch (its MOVE was lost) and at most the
	// one handled meanwhile.
	for _, id := range want[4:] {
		if seen[id] > 1 {
			t.Errorf("%s, handed over after the drop, was handed over %d times", id, seen[id])
		}
	}
}

// TestABacklogOfManyReadsItsSizesBeforeMovingAny: the sizes of a backlog
// larger than one size FETCH are all learnt before the first batch is
// moved, so that reading bodies ahead never stops at a FETCH's edge (where
// the next sizes would wait behind a MOVE), and each size FETCH stays
// within its bound. Every reply is still handled, in order.
func TestABacklogOfManyReadsItsSizesBeforeMovingAny(t *testing.T) {
	var mu sync.Mutex
	var commands []string
	ts := newWrappedTestServer(t, capsFull, false, func(ln net.Listener) net.Listener {
		return &commandWatcher{ln, func(line string) bool {
			mu.Lock()
			commands = append(commands, line)
			mu.Unlock()
			return false
		}}
	})
	const n = metaChunk + bodyBatchCount + 30
	want := deliverReplies(ts, n)
	h := &batchRecorder{}
	startWatcher(t, testConfig(ts.addr), h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "every reply in Processed", func() bool { return len(ts.look("Processed").ids) == n })
	if got := ts.look("Processed").ids; !slices.Equal(got, want) {
		t.Errorf("Processed holds the %d replies out of order", len(got))
	}
	var sizes, moves int
	mu.Lock()
	defer mu.Unlock()
	for _, line := range commands {
		switch up := strings.ToUpper(line); {
		case isMove(line):
			moves++
		case strings.Contains(up, " UID FETCH ") && strings.Contains(up, "RFC822.SIZE"):
			sizes++
			if moves > 0 {
				t.Errorf("sizes fetched after %d MOVEs: %q", moves, line)
			}
		}
	}
	if wantSizes := (n + metaChunk - 1) / metaChunk; sizes != wantSizes {
		t.Errorf("%d size FETCH commands for %d replies, want %d (at most %d UIDs each)", sizes, n, wantSizes, metaChunk)
	}
	if moves == 0 {
		t.Error("no UID MOVE seen: the log misses the commands")
	}
}

// TestAReplyMovedAwayWhileABacklogIsReadStaysWhereItWasPut: sizes are
// learnt for the whole backlog before bodies are read, so a coordinator has
// time to move a reply elsewhere in their own mail client meanwhile. The
// watcher then says so in its log and goes on: the reply stays where it was
// put, handed to nobody, and every other reply is handled, in order.
func TestAReplyMovedAwayWhileABacklogIsReadStaysWhereItWasPut(t *testing.T) {
	var ts *testServer
	started := &atomic.Bool{} // the coordinator's own MOVE passes here too
	moved := make(chan error, 1)
	ts = newWrappedTestServer(t, capsFull, false, func(ln net.Listener) net.Listener {
		// At the first batch's MOVE, before the server reads it, the last
		// reply (in the last batch, not yet fetched) is moved to Archive.
		return &commandWatcher{ln, onMove(func() bool {
			if started.CompareAndSwap(false, true) {
				moved <- moveLastToArchive(ts.addr)
			}
			return false
		})}
	})
	if err := ts.user.Create("Archive", nil); err != nil {
		t.Fatal(err)
	}
	const n = metaChunk + bodyBatchCount + 30
	want := deliverReplies(ts, n)
	last := want[n-1]
	want = want[:n-1]
	h := &batchRecorder{}
	w := startWatcher(t, testConfig(ts.addr), h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "every other reply in Processed", func() bool { return len(ts.look("Processed").ids) == len(want) })
	if err := <-moved; err != nil {
		t.Fatalf("moving the last reply away: %v", err)
	}
	if got := ts.look("Processed").ids; !slices.Equal(got, want) {
		t.Errorf("Processed holds %d replies, want the %d others in order", len(got), len(want))
	}
	if got := ts.look("Archive").ids; !slices.Equal(got, []string{last}) {
		t.Errorf("Archive holds %v, want the reply moved there, %s", got, last)
	}
	if got := ts.look("INBOX").ids; len(got) != 0 {
		t.Errorf("the inbox still holds %v", got)
	}
	h.mu.Lock()
	for _, b := range h.batches {
		if slices.Contains(b, last) {
			t.Errorf("the reply moved away was handed over in a batch of %d", len(b))
		}
	}
	h.mu.Unlock()
	if h.count(last) > 0 {
		t.Error("the reply moved away was handed over alone")
	}
	if !strings.Contains(w.log.String(), "message vanished before it was read") {
		t.Errorf("the vanished reply is not logged:\n%s", w.log)
	}
}

// moveLastToArchive is a coordinator's mail client moving the newest
// message of the INBOX to Archive.
func moveLastToArchive(addr string) error {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		return err
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		return err
	}
	sd, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return err
	}
	uids := sd.AllUIDs()
	if len(uids) == 0 {
		return errors.New("the INBOX is empty")
	}
	if _, err := c.Move(imap.UIDSetNum(slices.Max(uids)), "Archive").Wait(); err != nil {
		return err
	}
	return c.Logout().Wait()
}

// deliverReplies puts n Gmail replies in the INBOX and returns their
// Message-IDs, in UID order.
func deliverReplies(ts *testServer, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("<reply-%05d@mail.gmail.com>", i)
		ts.deliver(gmailReply(ids[i]))
	}
	return ids
}
