package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"
)

// TestAVersion1DatabaseKeepsOneCopyOfEachAttachment: an outbox written by an
// older consultd (each member's row carrying the attachment's bytes) is
// rewritten to refer to one blob, and what each row sends is unchanged.
func TestAVersion1DatabaseKeepsOneCopyOfEachAttachment(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "c.db"))
	defer s.Close()
	pdf := bytes.Repeat([]byte("%PDF-1.7 concept note "), 5000)
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	type v1Att struct {
		Filename    string `json:"filename"`
		ContentType string `json:"content_type"`
		Data        []byte `json:"data"`
	}
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if err := InsertRound(ctx, tx, sampleRound("2026-01", now), nil, nil); err != nil {
			return err
		}
		// As an older consultd wrote them: the bytes in the attachments table...
		if _, err := tx.ExecContext(ctx, `INSERT INTO round_attachments (round_id, filename, content_type, data) VALUES ('2026-01','note.pdf','application/pdf',?)`, pdf); err != nil {
			return err
		}
		// ...and again in every member's outbox row.
		for i, to := range []string{"a@x.example", "b@y.example", "c@z.example"} {
			payload, _ := json.Marshal(map[string]any{"message_id": "c-" + to, "subject": "[Consultation 2026-01] Invitation",
				"text": "Dear member", "to": []map[string]string{{"addr": to}}, "from": map[string]string{"addr": "coalition@coal.example"},
				"attachments": []v1Att{{"note.pdf", "application/pdf", pdf}}})
			if err := Enqueue(ctx, tx, &OutboxRow{MessageID: "c-" + to, RoundID: "2026-01", Kind: MailConsultation,
				Recipients: []string{to}, Payload: payload, DueAt: now.Add(time.Duration(i)), CreatedAt: now}); err != nil {
				return err
			}
		}
		if err := migrateBlobs(ctx, tx); err != nil {
			return err
		}
		return migrateChunks(ctx, tx) // and on to chunks, as an upgrade runs 6 then 10
	})
	if err != nil {
		t.Fatal(err)
	}
	var blobs, bytesInOutbox int64
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM blobs`).Scan(&blobs); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().QueryRowContext(ctx, `SELECT SUM(length(payload)) FROM outbox`).Scan(&bytesInOutbox); err != nil {
		t.Fatal(err)
	}
	if blobs != 1 || bytesInOutbox > int64(len(pdf)) {
		t.Fatalf("%d blobs, %d bytes of payload for three members; want the PDF (%d bytes) once", blobs, bytesInOutbox, len(pdf))
	}
	rows, err := DueOutbox(ctx, s.DB(), now.Add(time.Hour), 10)
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	for _, r := range rows {
		m, err := DecodeMail(r.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].Filename != "note.pdf" || m.Attachments[0].Size != int64(len(pdf)) || m.Text != "Dear member" {
			t.Fatalf("converted payload: %+v", m)
		}
		data, err := Blob(ctx, s.DB(), m.Attachments[0].SHA256)
		if err != nil || !bytes.Equal(data, pdf) {
			t.Fatalf("the blob does not hold the PDF: %v", err)
		}
	}
	atts, err := Attachments(ctx, s.DB(), "2026-01")
	if err != nil || len(atts) != 1 || !bytes.Equal(atts[0].Data, pdf) {
		t.Fatalf("round attachments after the move: %v", err)
	}
	if _, err := DecodeMail([]byte(`{"message_id":"x"}`)); err == nil {
		t.Fatal("a version-1 payload was read as current")
	}
}
