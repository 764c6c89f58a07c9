package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// PayloadVersion is the outbox payload format this consultd writes and reads.
// Version 1 (sender.Mail as JSON, each attachment's bytes inline in every
// member's row) is converted by migration 6.
const PayloadVersion = 2

// Mail is an outgoing message as the outbox keeps it: everything needed to
// build the same MIME message again after a restart (Message-ID and Date are
// fixed when it is queued), with its attachments by reference to blobs
// stored once.
type Mail struct {
	V         int           `json:"v"`
	MessageID string        `json:"message_id"` // without <>, on the coalition's domain
	Date      time.Time     `json:"date"`
	From      MailAddress   `json:"from"`
	ReplyTo   *MailAddress  `json:"reply_to,omitempty"`
	To        []MailAddress `json:"to,omitempty"`
	Cc        []MailAddress `json:"cc,omitempty"`
	// Bcc are envelope recipients only (the coalition's proof copy).
	Bcc         []MailAddress     `json:"bcc,omitempty"`
	Subject     string            `json:"subject"`
	Text        string            `json:"text"`
	HTML        string            `json:"html,omitempty"`
	Lang        string            `json:"lang,omitempty"`
	InReplyTo   string            `json:"in_reply_to,omitempty"`
	References  []string          `json:"references,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Attachments []AttachmentRef   `json:"attachments,omitempty"`
}

// MailAddress is a mailbox with an optional display name.
type MailAddress struct {
	Name string `json:"name,omitempty"`
	Addr string `json:"addr"`
}

// AttachmentRef names a file sent with a message; its bytes are the blob
// SHA256 (Blob).
type AttachmentRef struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type,omitempty"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
}

// Encode returns m as an outbox payload of the current version.
func (m Mail) Encode() ([]byte, error) {
	m.V = PayloadVersion
	return json.Marshal(m)
}

// DecodeMail reads an outbox payload.
func DecodeMail(payload []byte) (Mail, error) {
	var m Mail
	if err := json.Unmarshal(payload, &m); err != nil {
		return Mail{}, fmt.Errorf("outbox payload: %w", err)
	}
	if m.V != PayloadVersion {
		return Mail{}, fmt.Errorf("outbox payload version %d, this consultd reads %d", m.V, PayloadVersion)
	}
	return m, nil
}

// putBlobV6 is how migration 6 stored a blob (one value, before migration
// 10 cut blobs in chunks); migrateBlobs runs before the chunks table exists.
func putBlobV6(ctx context.Context, tx *sql.Tx, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:])
	if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (sha256, size, data) VALUES (?,?,?) ON CONFLICT(sha256) DO NOTHING`,
		key, len(data), data); err != nil {
		return "", fmt.Errorf("store blob: %w", err)
	}
	return key, nil
}

// migrateBlobs (after migration 6) moves every round attachment into blobs
// and rewrites every version-1 outbox payload: each attachment's bytes,
// copied into each member's row, become a reference to the one blob.
func migrateBlobs(ctx context.Context, tx *sql.Tx) error {
	if err := moveAttachments(ctx, tx); err != nil {
		return err
	}
	ids, err := column[int64](ctx, tx, `SELECT id FROM outbox ORDER BY id`)
	if err != nil {
		return err
	}
	for _, id := range ids { // one row in memory at a time: a v1 database can be gigabytes
		var payload []byte
		if err := tx.QueryRowContext(ctx, `SELECT payload FROM outbox WHERE id=?`, id).Scan(&payload); err != nil {
			return err
		}
		out, err := payloadV2(ctx, tx, payload)
		if err != nil {
			return fmt.Errorf("outbox row %d: %w", id, err)
		}
		if out == nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET payload=? WHERE id=?`, out, id); err != nil {
			return err
		}
	}
	return nil
}

func moveAttachments(ctx context.Context, tx *sql.Tx) error {
	ids, err := column[int64](ctx, tx, `SELECT id FROM round_attachments WHERE sha256='' ORDER BY id`)
	if err != nil {
		return err
	}
	for _, id := range ids {
		var data []byte
		if err := tx.QueryRowContext(ctx, `SELECT data FROM round_attachments WHERE id=?`, id).Scan(&data); err != nil {
			return err
		}
		key, err := putBlobV6(ctx, tx, data)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE round_attachments SET sha256=?, data=x'' WHERE id=?`, key, id); err != nil {
			return err
		}
	}
	return nil
}

// payloadV2 converts a version-1 payload; nil means it is already current.
func payloadV2(ctx context.Context, tx *sql.Tx, payload []byte) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil {
		return nil, err
	}
	if _, ok := fields["v"]; ok {
		return nil, nil
	}
	var atts []struct {
		Filename    string `json:"filename"`
		ContentType string `json:"content_type,omitempty"`
		Data        []byte `json:"data"`
	}
	if raw, ok := fields["attachments"]; ok {
		if err := json.Unmarshal(raw, &atts); err != nil {
			return nil, fmt.Errorf("attachments: %w", err)
		}
	}
	refs := []AttachmentRef{}
	for _, a := range atts {
		key, err := putBlobV6(ctx, tx, a.Data)
		if err != nil {
			return nil, err
		}
		refs = append(refs, AttachmentRef{Filename: a.Filename, ContentType: a.ContentType, SHA256: key, Size: int64(len(a.Data))})
	}
	delete(fields, "attachments")
	if len(refs) > 0 {
		b, err := json.Marshal(refs)
		if err != nil {
			return nil, err
		}
		fields["attachments"] = b
	}
	fields["v"] = json.RawMessage(fmt.Sprint(PayloadVersion))
	return json.Marshal(fields)
}

// column reads a query's single column.
func column[T any](ctx context.Context, q Querier, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
