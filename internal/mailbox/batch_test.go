package mailbox

import (
	"bytes"
	"consultd/internal/testutil"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
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

// countingListener counts the IMAP commands clients send, by name.
type countingListener struct {
	net.Listener
	moves *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, moves: l.moves}, nil
}

type countingConn struct {
	net.Conn
	moves *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.moves.Add(int64(bytes.Count(bytes.ToUpper(p[:n]), []byte(" UID MOVE "))))
	return n, err
}

// TestAFullInboxIsFiledInBatches: a batch of replies is handed over at once
// and moved with one command per destination, in UID order, each message to
// where the handler said.
func TestAFullInboxIsFiledInBatches(t *testing.T) {
	moves := &atomic.Int64{}
	ts := newWrappedTestServer(t, capsFull, false, func(ln net.Listener) net.Listener { return countingListener{ln, moves} })
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
