package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

func blobBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestBlobsRoundTripInChunks: what is written comes back byte for byte,
// whatever its size against the chunk size, under its SHA-256, in chunks of
// at most BlobChunk bytes; reading is a ReadSeeker.
func TestBlobsRoundTripInChunks(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "b.db"))
	defer s.Close()
	for _, n := range []int{0, 1, BlobChunk - 1, BlobChunk, BlobChunk + 1, 25 << 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			data := blobBytes(n)
			w := NewBlobWriter(ctx, s.DB())
			// Odd-sized writes, as a decoder makes them.
			for p := data; len(p) > 0; {
				k := min(len(p), 77777)
				if _, err := w.Write(p[:k]); err != nil {
					t.Fatal(err)
				}
				p = p[k:]
			}
			info, err := w.Close()
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if info.SHA256 != hex.EncodeToString(sum[:]) || info.Size != int64(n) || info.Handle == "" {
				t.Fatalf("info %+v", info)
			}
			var chunks, biggest int
			if err := s.DB().QueryRow(`SELECT COUNT(*), COALESCE(MAX(length(data)),0) FROM blob_chunks WHERE sha256=?`, info.SHA256).Scan(&chunks, &biggest); err != nil {
				t.Fatal(err)
			}
			if want := max(1, (n+BlobChunk-1)/BlobChunk); chunks != want || biggest > BlobChunk {
				t.Fatalf("%d chunks (largest %d bytes), want %d of at most %d", chunks, biggest, want, BlobChunk)
			}
			r, err := OpenBlob(ctx, s.DB(), info.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes (%v), want %d", len(got), err, n)
			}
			// go-mail rewinds after writing; a retry reads it all again.
			if p, err := r.Seek(0, io.SeekStart); err != nil || p != 0 {
				t.Fatalf("seek: %d %v", p, err)
			}
			if got, _ := io.ReadAll(r); !bytes.Equal(got, data) {
				t.Fatal("second read differs")
			}
			if n > 2 {
				at := int64(n/2 + 1)
				if _, err := r.Seek(at, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				rest, _ := io.ReadAll(r)
				if !bytes.Equal(rest, data[at:]) {
					t.Fatal("read after a seek into the middle differs")
				}
				if p, _ := r.Seek(-1, io.SeekEnd); p != int64(n-1) {
					t.Fatalf("seek from the end: %d", p)
				}
			}
			if by, err := BlobByHandle(ctx, s.DB(), info.Handle); err != nil || by.SHA256 != info.SHA256 || by.Size != int64(n) {
				t.Fatalf("by handle: %+v %v", by, err)
			}
		})
	}
}

// TestTheSameBytesAreStoredOnce: a second write of the same content, as two
// rounds of the same PDF, leaves one copy and no temporary chunks.
func TestTheSameBytesAreStoredOnce(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "b.db"))
	defer s.Close()
	data := blobBytes(3*BlobChunk + 5)
	var keys []string
	for range 2 {
		err := s.Tx(ctx, func(tx *sql.Tx) error {
			k, err := PutBlob(ctx, tx, data)
			keys = append(keys, k)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var chunks, bytesStored int
	if err := s.DB().QueryRow(`SELECT COUNT(*), SUM(length(data)) FROM blob_chunks`).Scan(&chunks, &bytesStored); err != nil {
		t.Fatal(err)
	}
	if keys[0] != keys[1] || chunks != 4 || bytesStored != len(data) {
		t.Fatalf("keys %v, %d chunks, %d bytes; want one copy of %d bytes", keys, chunks, bytesStored, len(data))
	}
}

// TestAnUnknownHandleNamesNoBlob: a handle nobody wrote (mail naming a blob
// it did not bring) is not found.
func TestAnUnknownHandleNamesNoBlob(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "b.db"))
	defer s.Close()
	if _, err := BlobByHandle(context.Background(), s.DB(), "0974253dca1278d4f4df"); err != ErrNotFound {
		t.Fatalf("err %v, want ErrNotFound", err)
	}
}

// TestAVersion9DatabaseMovesItsBlobsIntoChunks: blobs stored whole by an
// older consultd are cut in chunks by migration 10, and each round's
// attachment still reads back the same.
func TestAVersion9DatabaseMovesItsBlobsIntoChunks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v9.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (9)`); err != nil {
		t.Fatal(err)
	}
	for i, m := range migrations[:9] {
		if _, err := db.Exec(m); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
	}
	pdf := blobBytes(2*BlobChunk + 100)
	empty := []byte{}
	now := time.Now().Unix()
	for _, d := range [][]byte{pdf, empty} {
		sum := sha256.Sum256(d)
		key := hex.EncodeToString(sum[:])
		if _, err := db.Exec(`INSERT INTO blobs (sha256, size, data) VALUES (?,?,?)`, key, len(d), d); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO rounds (id, state, title, language, inviter_name, inviter_address, orig_subject, orig_message_id,
			orig_date, orig_body, note, opened_by, source_message_id, deadline, deadline_source, created_at)
			VALUES (?,'open','t','en','i','i@x','s','m',0,'','','c@x','s',0,'policy',?)`, key[:8], now); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO round_attachments (round_id, filename, content_type, data, sha256) VALUES (?, 'a.pdf', 'application/pdf', x'', ?)`, key[:8], key); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := open(t, path)
	defer s.Close()
	for _, d := range [][]byte{pdf, empty} {
		sum := sha256.Sum256(d)
		key := hex.EncodeToString(sum[:])
		atts, err := Attachments(ctx, s.DB(), key[:8])
		if err != nil || len(atts) != 1 || !bytes.Equal(atts[0].Data, d) || atts[0].Size != int64(len(d)) {
			t.Fatalf("round %s after the migration: %d attachments, %v", key[:8], len(atts), err)
		}
	}
	var whole int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM blobs WHERE length(data) > 0`).Scan(&whole); err != nil || whole != 0 {
		t.Fatalf("%d blobs still stored whole (%v)", whole, err)
	}
}

// TestSweepRemovesOnlyOldUnclaimedBlobs: a blob spooled for a message that
// opened no round goes after the grace period; one a round refers to, or a
// recent one, stays; temporary chunks a crash left go too.
func TestSweepRemovesOnlyOldUnclaimedBlobs(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "b.db"))
	defer s.Close()
	put := func(d []byte) BlobInfo {
		w := NewBlobWriter(ctx, s.DB())
		w.Write(d)
		info, err := w.Close()
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	orphan, claimed, recent := put(blobBytes(10)), put(blobBytes(BlobChunk+1)), put(blobBytes(20))
	old := time.Now().Add(-48 * time.Hour).Unix()
	if _, err := s.DB().Exec(`UPDATE blobs SET created_at=? WHERE sha256 IN (?,?)`, old, orphan.SHA256, claimed.SHA256); err != nil {
		t.Fatal(err)
	}
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		return InsertRound(ctx, tx, sampleRound("2026-01", time.Now()), []Attachment{{Filename: "a.pdf", Handle: claimed.Handle}}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	crashed := fmt.Sprintf("tmp-%d-abc", old)
	if _, err := s.DB().Exec(`INSERT INTO blob_chunks VALUES (?, 0, x'00')`, crashed); err != nil {
		t.Fatal(err)
	}
	n, err := SweepBlobs(ctx, s.DB(), time.Now().Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("swept %d (%v), want 1", n, err)
	}
	if _, err := OpenBlob(ctx, s.DB(), orphan.SHA256); err != ErrNotFound {
		t.Fatalf("the orphan is still there: %v", err)
	}
	for _, b := range []BlobInfo{claimed, recent} {
		if _, err := Blob(ctx, s.DB(), b.SHA256); err != nil {
			t.Fatalf("blob %s swept: %v", b.SHA256, err)
		}
	}
	var left int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM blob_chunks WHERE sha256 NOT IN (SELECT sha256 FROM blobs)`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d chunks of no blob left (%v)", left, err)
	}
}
