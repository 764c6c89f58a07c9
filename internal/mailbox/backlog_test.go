package mailbox

import (
	"context"
	"sync"
	"testing"

	"consultd/internal/testutil"
)

// backlogRecorder is a BatchHandler that notes, for each batch, how many
// messages the watcher had last said wait behind it.
type backlogRecorder struct {
	batchRecorder
	bmu      sync.Mutex
	reported int
	seen     []int // reported, at the start of each batch
	sizes    []int
}

func (r *backlogRecorder) backlog(n int) {
	r.bmu.Lock()
	r.reported = n
	r.bmu.Unlock()
}

func (r *backlogRecorder) HandleBatch(ctx context.Context, ms []Message) ([]Disposition, error) {
	r.bmu.Lock()
	r.seen = append(r.seen, r.reported)
	r.sizes = append(r.sizes, len(ms))
	r.bmu.Unlock()
	return r.batchRecorder.HandleBatch(ctx, ms)
}

// TestTheWatcherSaysHowManyMessagesWaitBehindTheBatch: while a full inbox is
// read each batch is told the number still behind it (what holds the sender
// back), the last batch is told none, and nothing is reported waiting once
// the inbox is read.
func TestTheWatcherSaysHowManyMessagesWaitBehindTheBatch(t *testing.T) {
	ts := newTestServer(t, capsFull, false)
	const n = 2*bodyBatchCount + 30
	deliverReplies(ts, n)
	h := &backlogRecorder{}
	cfg := testConfig(ts.addr)
	cfg.Backlog = h.backlog
	startWatcher(t, cfg, h, NewMemCheckpoint())
	testutil.Eventually(t, testTimeout, "every reply in Processed", func() bool { return len(ts.look("Processed").ids) == n })
	testutil.Eventually(t, testTimeout, "no backlog once the inbox is read", func() bool {
		h.bmu.Lock()
		defer h.bmu.Unlock()
		return h.reported == 0
	})
	h.bmu.Lock()
	defer h.bmu.Unlock()
	if len(h.seen) < 2 {
		t.Fatalf("%d batches for %d messages; the test needs several", len(h.seen), n)
	}
	done := 0
	for i, got := range h.seen {
		done += h.sizes[i]
		if want := n - done; got != want {
			t.Errorf("batch %d (%d messages, %d handled with it): told %d wait behind it, want %d", i, h.sizes[i], done, got, want)
		}
	}
}
