package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"consultd/internal/sender"
	"consultd/internal/store"
	"consultd/internal/testutil"
)

// heapWatch is an io.Writer that samples the live heap every few MB written.
type heapWatch struct {
	n, next int64
	peak    uint64
}

func (h *heapWatch) Write(p []byte) (int, error) {
	h.n += int64(len(p))
	if h.n >= h.next {
		h.next = h.n + 2<<20
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		h.peak = max(h.peak, ms.HeapAlloc)
	}
	return len(p), nil
}

// TestAFanOutOfA25MBAttachmentHoldsNoCopyOfIt: a due batch of 20
// consultations carrying a 25 MB PDF, each built and written out as SMTP
// DATA would take it, keeps the live heap far below the attachment's size:
// the batch holds references, and the bytes stream one chunk at a time.
func TestAFanOutOfA25MBAttachmentHoldsNoCopyOfIt(t *testing.T) {
	testutil.SkipUnderRace(t, "a heap budget")
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	const size = 25 << 20
	w := store.NewBlobWriter(ctx, st.DB())
	chunk := make([]byte, 1<<20)
	for i := range size / len(chunk) {
		for j := range chunk {
			chunk[j] = byte(i*31 + j*7)
		}
		w.Write(chunk)
	}
	info, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	err = st.Tx(ctx, func(tx *sql.Tx) error {
		for i := range 20 {
			id := fmt.Sprintf("c-%d@coal.example", i)
			p, _ := store.Mail{MessageID: id, Date: now, From: store.MailAddress{Addr: "coalition@coal.example"},
				To: []store.MailAddress{{Addr: fmt.Sprintf("m%d@member.example", i)}}, Subject: "[Consultation 2026-01] x", Text: "Dear member",
				Attachments: []store.AttachmentRef{{Filename: "note.pdf", ContentType: "application/pdf", SHA256: info.SHA256, Size: info.Size}}}.Encode()
			if err := store.Enqueue(ctx, tx, &store.OutboxRow{MessageID: id, Kind: store.MailConsultation,
				Recipients: []string{"x"}, Payload: p, DueAt: now, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	items, err := Queue{Store: st}.Due(ctx, now, 20)
	if err != nil || len(items) != 20 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	watch := &heapWatch{}
	var written int64
	for _, it := range items[:3] { // a few suffice: each one streams the whole file
		msg, err := sender.Build(it.Mail)
		if err != nil {
			t.Fatal(err)
		}
		before := watch.n
		if _, err := msg.WriteTo(watch); err != nil {
			t.Fatal(err)
		}
		written = watch.n - before
	}
	if written < size*4/3 {
		t.Fatalf("a message of %d bytes: the attachment was not written whole", written)
	}
	grown := int64(watch.peak) - int64(base.HeapAlloc)
	t.Logf("live heap at most %.1f MB above the start while writing %d messages of %.1f MB", float64(grown)/(1<<20), 3, float64(written)/(1<<20))
	if grown > 8<<20 {
		t.Fatalf("the live heap grew by %.1f MB while sending a 25 MB attachment: it is held, not streamed", float64(grown)/(1<<20))
	}
	_ = io.Discard
}
