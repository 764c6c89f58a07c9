package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"
)

// BlobChunk is the size of every stored chunk of a blob but its last: a
// blob is written and read one chunk at a time, so neither a 25 MB
// attachment nor its fan-out to 15,000 members is ever held whole.
const BlobChunk = 256 << 10

// BlobInfo names a stored blob.
type BlobInfo struct {
	SHA256 string // hex, the content address
	Size   int64
	// Handle is what a spooled attachment is referred to by until a round
	// claims it (Attachment.Handle): a keyed hash of SHA256, so mail cannot
	// name a blob it did not bring.
	Handle string
}

// BlobWriter stores a blob as it is written: it hashes the bytes and writes
// each full chunk at once, under a temporary key that Close renames to the
// content address (or drops, when those bytes are already stored).
type BlobWriter struct {
	ctx  context.Context
	q    Querier
	tmp  string
	h    hash.Hash
	buf  []byte
	seq  int64
	size int64
	err  error
}

// NewBlobWriter writes through q: a transaction (the blob commits with it)
// or the database (each chunk commits alone; a blob no round claims is
// removed by SweepBlobs).
func NewBlobWriter(ctx context.Context, q Querier) *BlobWriter {
	var r [12]byte
	_, _ = rand.Read(r[:])
	// tmp-UNIXTIME-RANDOM: SweepBlobs removes what a crash left behind.
	tmp := "tmp-" + strconv.FormatInt(time.Now().Unix(), 10) + "-" + hex.EncodeToString(r[:])
	return &BlobWriter{ctx: ctx, q: q, tmp: tmp, h: sha256.New()}
}

// Write buffers at most one chunk.
func (w *BlobWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	w.h.Write(p)
	w.size += int64(n)
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = make([]byte, 0, BlobChunk)
		}
		k := min(len(p), BlobChunk-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == BlobChunk {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *BlobWriter) flush() error {
	if w.buf == nil {
		w.buf = []byte{} // nil would be NULL
	}
	if _, err := w.q.ExecContext(w.ctx, `INSERT INTO blob_chunks (sha256, seq, data) VALUES (?,?,?)`, w.tmp, w.seq, w.buf); err != nil {
		w.err = fmt.Errorf("store blob chunk: %w", err)
		return w.err
	}
	w.seq++
	w.buf = w.buf[:0]
	return nil
}

// Close writes the last chunk and files the blob under its SHA-256.
func (w *BlobWriter) Close() (BlobInfo, error) {
	if w.err != nil {
		w.Abort()
		return BlobInfo{}, w.err
	}
	if len(w.buf) > 0 || w.seq == 0 { // an empty blob is one empty chunk
		if err := w.flush(); err != nil {
			w.Abort()
			return BlobInfo{}, err
		}
	}
	w.buf = nil
	key := hex.EncodeToString(w.h.Sum(nil))
	info := BlobInfo{SHA256: key, Size: w.size}
	db, ok := w.q.(*sql.DB)
	if !ok {
		err := w.file(w.q, &info)
		if err != nil {
			w.Abort()
		}
		return info, err
	}
	// Renamed and recorded in one transaction: a crash leaves either
	// temporary chunks (swept) or the whole blob.
	tx, err := db.BeginTx(w.ctx, nil)
	if err == nil {
		if err = w.file(tx, &info); err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
	}
	if err != nil {
		w.Abort()
		return BlobInfo{}, err
	}
	return info, nil
}

// file renames the chunks to the content address (or drops them when those
// bytes are stored already: one copy) and records the blob.
func (w *BlobWriter) file(q Querier, info *BlobInfo) error {
	var err error
	if info.Handle, err = blobHandle(w.ctx, q, info.SHA256); err != nil {
		return err
	}
	var have int
	if err := q.QueryRowContext(w.ctx, `SELECT EXISTS (SELECT 1 FROM blob_chunks WHERE sha256=?)`, info.SHA256).Scan(&have); err != nil {
		return err
	}
	if have == 1 {
		_, err = q.ExecContext(w.ctx, `DELETE FROM blob_chunks WHERE sha256=?`, w.tmp)
	} else {
		_, err = q.ExecContext(w.ctx, `UPDATE blob_chunks SET sha256=? WHERE sha256=?`, info.SHA256, w.tmp)
	}
	if err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	// created_at is refreshed: a blob written again is not an orphan yet.
	if _, err := q.ExecContext(w.ctx, `INSERT INTO blobs (sha256, size, data, handle, created_at) VALUES (?,?,x'',?,?)
		ON CONFLICT(sha256) DO UPDATE SET handle=excluded.handle, created_at=excluded.created_at`,
		info.SHA256, info.Size, info.Handle, time.Now().Unix()); err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	return nil
}

// Abort removes the chunks written so far.
func (w *BlobWriter) Abort() {
	w.buf = nil
	_, _ = w.q.ExecContext(w.ctx, `DELETE FROM blob_chunks WHERE sha256=?`, w.tmp)
}

// blobHandle is HMAC-SHA256(the database's blob secret, key).
func blobHandle(ctx context.Context, q Querier, key string) (string, error) {
	var secret []byte
	if err := q.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name='blob_handle'`).Scan(&secret); err != nil {
		return "", fmt.Errorf("blob secret: %w", err)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// BlobByHandle returns the blob a spooled attachment's handle names, or
// ErrNotFound (never stored, or swept since).
func BlobByHandle(ctx context.Context, q Querier, handle string) (BlobInfo, error) {
	info := BlobInfo{Handle: handle}
	if handle == "" {
		return BlobInfo{}, ErrNotFound
	}
	err := q.QueryRowContext(ctx, `SELECT sha256, size FROM blobs WHERE handle=?`, handle).Scan(&info.SHA256, &info.Size)
	if errors.Is(err, sql.ErrNoRows) {
		return BlobInfo{}, ErrNotFound
	}
	return info, err
}

// BlobReader reads a stored blob one chunk at a time; it Seeks (go-mail
// rewinds an attachment after writing it). It holds no database resource
// between calls, so it needs no Close.
type BlobReader struct {
	ctx   context.Context
	q     Querier
	key   string
	size  int64
	off   int64
	chunk []byte
	seq   int64 // of chunk; -1 none
}

// OpenBlob returns a reader of the blob key, or ErrNotFound.
func OpenBlob(ctx context.Context, q Querier, key string) (*BlobReader, error) {
	var size int64
	err := q.QueryRowContext(ctx, `SELECT size FROM blobs WHERE sha256=?`, key).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return NewBlobReader(ctx, q, key, size), nil
}

// NewBlobReader reads the blob key of size bytes; nothing is read before
// the first Read.
func NewBlobReader(ctx context.Context, q Querier, key string, size int64) *BlobReader {
	return &BlobReader{ctx: ctx, q: q, key: key, size: size, seq: -1}
}

// Size is the blob's length.
func (r *BlobReader) Size() int64 { return r.size }

func (r *BlobReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		r.chunk, r.seq = nil, -1 // done: give the chunk back
		return 0, io.EOF
	}
	seq := r.off / BlobChunk
	if seq != r.seq {
		if err := r.load(seq); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.chunk[r.off-seq*BlobChunk:])
	r.off += int64(n)
	return n, nil
}

func (r *BlobReader) load(seq int64) error {
	rows, err := r.q.QueryContext(r.ctx, `SELECT data FROM blob_chunks WHERE sha256=? AND seq=?`, r.key, seq)
	if err != nil {
		return fmt.Errorf("blob %s: %w", r.key, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("blob %s: %w", r.key, err)
		}
		return fmt.Errorf("blob %s: chunk %d missing", r.key, seq)
	}
	var raw sql.RawBytes // copied into the one buffer this reader keeps
	if err := rows.Scan(&raw); err != nil {
		return fmt.Errorf("blob %s: %w", r.key, err)
	}
	want := min(int64(BlobChunk), r.size-seq*BlobChunk)
	if int64(len(raw)) != want {
		return fmt.Errorf("blob %s: chunk %d has %d bytes, want %d", r.key, seq, len(raw), want)
	}
	if r.chunk == nil {
		r.chunk = make([]byte, 0, BlobChunk)
	}
	r.chunk = append(r.chunk[:0], raw...)
	r.seq = seq
	return nil
}

// Seek sets the offset of the next Read.
func (r *BlobReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return r.off, errors.New("blob: invalid whence")
	}
	if offset < 0 {
		return r.off, errors.New("blob: negative position")
	}
	r.off = offset
	return offset, nil
}

// PutBlob stores data once, under its SHA-256, and returns that (hex).
func PutBlob(ctx context.Context, tx *sql.Tx, data []byte) (string, error) {
	w := NewBlobWriter(ctx, tx)
	if _, err := w.Write(data); err != nil {
		return "", err
	}
	info, err := w.Close()
	return info.SHA256, err
}

// Blob returns the bytes stored under key, or ErrNotFound. The whole blob
// is in memory: for tests and tools, never the send path (OpenBlob).
func Blob(ctx context.Context, q Querier, key string) ([]byte, error) {
	r, err := OpenBlob(ctx, q, key)
	if err != nil {
		return nil, err
	}
	data := make([]byte, 0, r.Size())
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		data = append(data, buf[:n]...)
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// SweepBlobs removes what no round and no outbox row refers to and is older
// than before: blobs of big attachments spooled while a message was read
// that then opened no round (it went to Needs-Review, or a crash came
// before the round's transaction committed), and the chunks of a write a
// crash interrupted. It returns how many blobs it removed.
func SweepBlobs(ctx context.Context, db *sql.DB, before time.Time) (int, error) {
	keys, err := column[string](ctx, db, `SELECT sha256 FROM blobs b WHERE created_at < ?
		AND NOT EXISTS (SELECT 1 FROM round_attachments a WHERE a.sha256 = b.sha256)`, before.Unix())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		// Outbox rows name their attachments' blobs in the payload (rows
		// converted from version 1 may name blobs no round lists).
		var used int
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM outbox WHERE instr(payload, ?) > 0)`, k).Scan(&used); err != nil {
			return n, err
		}
		if used == 1 {
			continue
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return n, err
		}
		// Checked again inside the transaction: a round may have claimed it.
		res, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE sha256=? AND created_at < ?
			AND NOT EXISTS (SELECT 1 FROM round_attachments a WHERE a.sha256 = blobs.sha256)`, k, before.Unix())
		if err == nil {
			if d, _ := res.RowsAffected(); d > 0 {
				_, err = tx.ExecContext(ctx, `DELETE FROM blob_chunks WHERE sha256=?`, k)
				n++
			}
		}
		if err != nil {
			tx.Rollback()
			return n, err
		}
		if err := tx.Commit(); err != nil {
			return n, err
		}
	}
	tmps, err := column[string](ctx, db, `SELECT DISTINCT sha256 FROM blob_chunks WHERE sha256 LIKE 'tmp-%'`)
	if err != nil {
		return n, err
	}
	for _, k := range tmps {
		parts := strings.SplitN(k, "-", 3)
		if len(parts) != 3 {
			continue
		}
		if at, err := strconv.ParseInt(parts[1], 10, 64); err == nil && at < before.Unix() {
			if _, err := db.ExecContext(ctx, `DELETE FROM blob_chunks WHERE sha256=?`, k); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// migrateChunks (after migration 10) moves each blob's bytes into chunks,
// one blob in memory at a time.
func migrateChunks(ctx context.Context, tx *sql.Tx) error {
	keys, err := column[string](ctx, tx, `SELECT sha256 FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM blob_chunks c WHERE c.sha256 = b.sha256) ORDER BY sha256`)
	if err != nil {
		return err
	}
	for _, k := range keys {
		var data []byte
		if err := tx.QueryRowContext(ctx, `SELECT data FROM blobs WHERE sha256=?`, k).Scan(&data); err != nil {
			return err
		}
		for seq := int64(0); seq == 0 || seq*BlobChunk < int64(len(data)); seq++ {
			chunk := append([]byte{}, data[seq*BlobChunk:min(int64(len(data)), (seq+1)*BlobChunk)]...) // never nil (NULL)
			if _, err := tx.ExecContext(ctx, `INSERT INTO blob_chunks (sha256, seq, data) VALUES (?,?,?)`, k, seq, chunk); err != nil {
				return err
			}
		}
		h, err := blobHandle(ctx, tx, k)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE blobs SET data=x'', size=?, handle=?, created_at=? WHERE sha256=?`,
			len(data), h, time.Now().Unix(), k); err != nil {
			return err
		}
	}
	return nil
}
