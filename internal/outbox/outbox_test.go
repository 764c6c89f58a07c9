package outbox

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"consultd/internal/sender"
	"consultd/internal/store"
)

func TestTheQueueRebuildsEachMessageAndRecordsItsFate(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	pdf := bytes.Repeat([]byte("%PDF "), 1000)
	err = st.Tx(ctx, func(tx *sql.Tx) error {
		key, err := store.PutBlob(ctx, tx, pdf)
		if err != nil {
			return err
		}
		good, _ := store.Mail{MessageID: "c-1@coal.example", Date: now, From: store.MailAddress{Addr: "coalition@coal.example"},
			To: []store.MailAddress{{Name: "Baytna", Addr: "info@baytna.example"}}, Subject: "[Consultation 2026-01] x", Text: "Dear member",
			Attachments: []store.AttachmentRef{{Filename: "note.pdf", ContentType: "application/pdf", SHA256: key, Size: int64(len(pdf))}}}.Encode()
		if err := store.Enqueue(ctx, tx, &store.OutboxRow{MessageID: "c-1@coal.example", Kind: store.MailConsultation,
			Recipients: []string{"info@baytna.example"}, Payload: good, DueAt: now, CreatedAt: now}); err != nil {
			return err
		}
		return store.Enqueue(ctx, tx, &store.OutboxRow{MessageID: "bad@coal.example", Kind: store.MailNotice,
			Recipients: []string{"rania@coal.example"}, Payload: []byte(`{"message_id":"bad"}`), DueAt: now, CreatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	q := Queue{Store: st, ProofCopy: true, Undelivered: func(ctx context.Context, id int64, reason string, _ []sender.Rejection, mark func(*sql.Tx) error) error {
		told = append(told, reason)
		return st.Tx(ctx, mark)
	}}
	items, err := q.Due(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Mail.To[0].Name != "Baytna" || !bytes.Equal(items[0].Mail.Attachments[0].Data, pdf) {
		t.Fatalf("due items: %+v", items)
	}
	if len(told) != 1 || !bytes.Contains([]byte(told[0]), []byte("unreadable outbox payload")) {
		t.Fatalf("the unreadable row was not failed loudly: %v", told)
	}
	if err := q.Sent(ctx, items[0].ID, now, sender.ProofSMTP, nil); err != nil {
		t.Fatal(err)
	}
	stamps, err := q.SentSince(ctx, now.Add(-time.Hour))
	if err != nil || len(stamps) != 1 || stamps[0].Recipients != 2 {
		t.Fatalf("SentSince = %+v, %v; want one delivery to the member and the proof copy", stamps, err)
	}
}
