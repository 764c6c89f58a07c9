package outbox

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"path/filepath"
	"reflect"
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
	if len(items) != 1 || items[0].Mail.To[0].Name != "Baytna" || len(items[0].Mail.Attachments) != 1 {
		t.Fatalf("due items: %+v", items)
	}
	if b, err := io.ReadAll(items[0].Mail.Attachments[0].Open()); err != nil || !bytes.Equal(b, pdf) {
		t.Fatalf("the attachment reads %d bytes (%v), want the PDF", len(b), err)
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

// TestEveryFieldOfTheStoredMailReachesTheSender: the payload the store keeps
// and the mail the sender builds are two types; nothing is lost between.
func TestEveryFieldOfTheStoredMailReachesTheSender(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	pdf := []byte("%PDF-1.7 agenda")
	var key string
	err = st.Tx(ctx, func(tx *sql.Tx) error {
		if key, err = store.PutBlob(ctx, tx, pdf); err != nil {
			return err
		}
		payload, err := store.Mail{MessageID: "c-1@coal.example", Date: now,
			From: store.MailAddress{Name: "Coalition", Addr: "coalition@coal.example"}, ReplyTo: &store.MailAddress{Name: "Coalition", Addr: "coalition+tok@coal.example"},
			To: []store.MailAddress{{Name: "Baytna", Addr: "info@baytna.example"}}, Cc: []store.MailAddress{{Addr: "backup@baytna.example"}},
			Bcc: []store.MailAddress{{Addr: "coalition@coal.example"}}, Subject: "[Consultation 2026-01] x", Text: "نص", HTML: "<p dir=rtl>نص</p>",
			Lang: "ar", InReplyTo: "orig@envoy.example", References: []string{"a@x", "orig@envoy.example"}, Headers: map[string]string{"Auto-Submitted": "auto-replied"},
			Attachments: []store.AttachmentRef{{Filename: "agenda.pdf", ContentType: "application/pdf", SHA256: key, Size: int64(len(pdf))}}}.Encode()
		if err != nil {
			return err
		}
		return store.Enqueue(ctx, tx, &store.OutboxRow{MessageID: "c-1@coal.example", Kind: store.MailConsultation,
			Recipients: []string{"info@baytna.example"}, Payload: payload, DueAt: now, CreatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	items, err := Queue{Store: st}.Due(ctx, now, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	want := sender.Mail{MessageID: "c-1@coal.example", Date: now,
		From: sender.Address{Name: "Coalition", Addr: "coalition@coal.example"}, ReplyTo: &sender.Address{Name: "Coalition", Addr: "coalition+tok@coal.example"},
		To: []sender.Address{{Name: "Baytna", Addr: "info@baytna.example"}}, Cc: []sender.Address{{Addr: "backup@baytna.example"}},
		Bcc: []sender.Address{{Addr: "coalition@coal.example"}}, Subject: "[Consultation 2026-01] x", Text: "نص", HTML: "<p dir=rtl>نص</p>",
		Lang: "ar", InReplyTo: "orig@envoy.example", References: []string{"a@x", "orig@envoy.example"}, Headers: map[string]string{"Auto-Submitted": "auto-replied"},
		Attachments: []sender.Attachment{{Filename: "agenda.pdf", ContentType: "application/pdf"}}}
	got := items[0].Mail
	// The attachment is a reader of the blob, opened afresh for each build.
	for range 2 {
		if len(got.Attachments) != 1 || got.Attachments[0].Open == nil {
			t.Fatalf("attachments %+v: want a reader of the blob", got.Attachments)
		}
		if b, err := io.ReadAll(got.Attachments[0].Open()); err != nil || !bytes.Equal(b, pdf) {
			t.Fatalf("the attachment reads %d bytes (%v), want the PDF's %d", len(b), err, len(pdf))
		}
	}
	got.Attachments[0].Open = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the sender gets\n%+v\nwant\n%+v", got, want)
	}
}
