package sender

import (
	"sync/atomic"
	"testing"
	"time"

	"consultd/internal/testutil"
)

// While the hook says hold, nothing goes out (the items stay pending, with
// no attempt counted); once it lets go and wakes the loop, all is sent.
func TestHeldOutboxSendsNothingUntilReleased(t *testing.T) {
	tr := &scriptedTransport{}
	ob := newFakeOutbox(Item{ID: 1, Mail: consultation()}, Item{ID: 2, Mail: consultation()})
	var hold atomic.Bool
	var asked atomic.Int32
	hold.Store(true)
	wake := startLoop(t, &Loop{Transport: tr, Outbox: ob, Hold: func() bool { asked.Add(1); return hold.Load() }})

	// Two passes asked and were held (the first at start, one on a wake-up).
	testutil.Eventually(t, 10*time.Second, "the first pass to ask the hook", func() bool { return asked.Load() >= 1 })
	wake <- struct{}{}
	testutil.Eventually(t, 10*time.Second, "a second pass to ask the hook", func() bool { return asked.Load() >= 2 })
	tr.mu.Lock()
	calls := tr.calls
	tr.mu.Unlock()
	if calls != 0 {
		t.Fatalf("%d messages handed to SMTP while the outbox was held", calls)
	}
	for _, id := range []int64{1, 2} {
		if it := ob.get(id); it.state != "pending" || it.Attempts != 0 {
			t.Fatalf("item %d while held: state=%s attempts=%d, want pending with no attempt", id, it.state, it.Attempts)
		}
	}

	hold.Store(false)
	wake <- struct{}{}
	ob.waitFor(t, "both items sent once released", func() bool { return ob.get(1).state == "sent" && ob.get(2).state == "sent" })
}
