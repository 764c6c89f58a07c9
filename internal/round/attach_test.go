package round

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"consultd/internal/demo/story"
	"consultd/internal/outbox"
	"consultd/internal/sender"
	"consultd/internal/store"
)

// withPDF turns a single-part forward into multipart/mixed with pdf attached,
// as Gmail sends a forward that keeps the invitation's concept note.
func withPDF(t *testing.T, raw []byte, pdf []byte) []byte {
	t.Helper()
	head, body, ok := strings.Cut(string(raw), "\r\n\r\n")
	if !ok {
		t.Fatal("forward without a header block")
	}
	var top, part []string
	for _, l := range strings.Split(head, "\r\n") {
		lower := strings.ToLower(l)
		if strings.HasPrefix(lower, "content-type:") || strings.HasPrefix(lower, "content-transfer-encoding:") {
			part = append(part, l)
		} else {
			top = append(top, l)
		}
	}
	b64 := base64.StdEncoding.EncodeToString(pdf)
	var wrapped strings.Builder
	for len(b64) > 76 {
		wrapped.WriteString(b64[:76] + "\r\n")
		b64 = b64[76:]
	}
	wrapped.WriteString(b64 + "\r\n")
	return []byte(strings.Join(top, "\r\n") + "\r\nContent-Type: multipart/mixed; boundary=\"000000000000b1\"\r\n\r\n" +
		"--000000000000b1\r\n" + strings.Join(part, "\r\n") + "\r\n\r\n" + body + "\r\n" +
		"--000000000000b1\r\nContent-Type: application/pdf; name=\"Concept note.pdf\"\r\nContent-Disposition: attachment; filename=\"Concept note.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + wrapped.String() + "--000000000000b1--\r\n")
}

// sameBoundaries names the MIME boundaries in order: go-mail draws them at
// random for each build, and they carry no content.
func sameBoundaries(b []byte) []byte {
	for i, m := range boundaryRe.FindAllSubmatch(b, -1) {
		b = bytes.ReplaceAll(b, m[1], []byte(fmt.Sprintf("boundary-%d", i)))
	}
	return b
}

var boundaryRe = regexp.MustCompile(`boundary="?([0-9A-Za-z'()+_,./:=?-]+)"?`)

// TestAnAttachmentIsStoredOnceAndSentToEveryMember: the invitation's PDF is
// kept once however many members are consulted; each member still receives
// it, and the message built after a restart is the same, byte for byte but
// for its random MIME boundaries.
func TestAnAttachmentIsStoredOnceAndSentToEveryMember(t *testing.T) {
	h := newHarness(t, false)
	pdf := bytes.Repeat([]byte("%PDF-1.7 concept note of the Civil Society Support Room\n"), 20000) // ~1.1 MB
	fwd := withPDF(t, story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now), pdf)
	if d := h.handle(fwd); d != store.Processed {
		t.Fatalf("forward went to %s", d)
	}
	db := h.e.Store.DB()
	var blobs, payloadBytes, consultations int64
	if err := db.QueryRowContext(h.ctx, `SELECT COUNT(*) FROM blobs`).Scan(&blobs); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(h.ctx, `SELECT COUNT(*), SUM(length(payload)) FROM outbox WHERE kind='consultation'`).Scan(&consultations, &payloadBytes); err != nil {
		t.Fatal(err)
	}
	if consultations != int64(len(h.cfg.Members)) || blobs != 1 {
		t.Fatalf("%d consultations, %d blobs; want one per member and the PDF once", consultations, blobs)
	}
	if perMember := payloadBytes / consultations; perMember > 20<<10 {
		t.Fatalf("each member's outbox row holds %d bytes: the attachment was copied into it", perMember)
	}
	build := func() map[string][]byte {
		items, err := outbox.Queue{Store: h.e.Store}.Due(h.ctx, h.now.Add(1000*time.Hour), 1000)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, it := range items {
			if it.Mail.Subject == "" || !strings.HasPrefix(it.Mail.MessageID, "c-") {
				continue
			}
			if len(it.Mail.Attachments) != 1 || it.Mail.Attachments[0].Filename != "Concept note.pdf" {
				t.Fatalf("%s: the consultation does not carry the PDF", it.Mail.MessageID)
			}
			if b, err := io.ReadAll(it.Mail.Attachments[0].Open()); err != nil || !bytes.Equal(b, pdf) {
				t.Fatalf("%s: the consultation's attachment reads %d bytes (%v), not the PDF", it.Mail.MessageID, len(b), err)
			}
			msg, err := sender.Build(it.Mail)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := msg.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			out[it.Mail.MessageID] = sameBoundaries(buf.Bytes())
		}
		return out
	}
	first := build()
	if len(first) != len(h.cfg.Members) {
		t.Fatalf("%d consultations built, want %d", len(first), len(h.cfg.Members))
	}
	for id, b := range build() {
		if !bytes.Equal(first[id], b) {
			t.Fatalf("%s built twice differs", id)
		}
	}
}

// TestABatchOfRepliesIsHandledAsEachAlone: replies handled together in one
// transaction are counted, answered and recorded exactly as one by one; the
// same reply twice in a batch counts once.
func TestABatchOfRepliesIsHandledAsEachAlone(t *testing.T) {
	h := newHarness(t, false)
	r, cons := h.open()
	baytna := answerMail(cons["info@baytna.example"], "info@baytna.example", "ACCEPT\nSign: yes", 500)
	batch := [][]byte{
		baytna,
		answerMail(cons["info@sjac.example"], "info@sjac.example", "DECLINE\nConcerns:\n1. Too late.", 501),
		baytna, // a second copy of the same message
		[]byte("From: <x@stranger.example>\r\nTo: <coalition@coal.example>\r\nSubject: hello\r\nMessage-ID: <s-1@stranger.example>\r\n\r\nhi\r\n"),
	}
	var ins []Incoming
	for i, raw := range batch {
		ins = append(ins, Incoming{Raw: raw, Mailbox: "INBOX", UIDValidity: 1, UID: uint32(900 + i)})
	}
	ds, err := h.e.HandleBatch(h.ctx, ins)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Disposition{store.Processed, store.Processed, store.Processed, store.Review}
	if !slices.Equal(ds, want) {
		t.Fatalf("dispositions %v, want %v", ds, want)
	}
	ps, err := store.Participants(h.ctx, h.e.Store.DB(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range ps {
		got[p.MemberID] = p.Position + fmt.Sprint(p.AnswersCount)
	}
	if got["baytna"] != "accept1" || got["sjac"] != "decline1" || got["kawakibi"] != "0" {
		t.Fatalf("answers recorded: %v", got)
	}
	if n := len(h.outbox("receipt")); n != 2 {
		t.Fatalf("%d receipts queued, want one per answering member", n)
	}
}

// spooled is raw as the watcher hands over a big coordinator's message:
// its base64 PDF already in a blob (written through w), the part keeping
// only its header and the blob's handle.
func spooled(t *testing.T, raw []byte, handle string, size int64) []byte {
	t.Helper()
	i := bytes.Index(raw, []byte("Content-Transfer-Encoding: base64\r\n\r\n"))
	j := bytes.LastIndex(raw, []byte("--000000000000b1--"))
	if i < 0 || j < i {
		t.Fatal("no base64 attachment to spool")
	}
	return slices.Concat(raw[:i], []byte(fmt.Sprintf("Content-Transfer-Encoding: base64\r\nX-Consultd-Blob: %s; size=%d\r\n\r\n", handle, size)), raw[j:])
}

// TestABigForwardStoredWhileReadOpensTheSameRound: a forward whose PDF the
// watcher stored while reading it consults every member with the same
// attachment as the forward read whole; a handle nobody stored (forged, or
// swept) sends it to Needs-Review and opens nothing.
func TestABigForwardStoredWhileReadOpensTheSameRound(t *testing.T) {
	pdf := bytes.Repeat([]byte("%PDF-1.7 concept note \x00\xff\n"), 200000) // ~5 MB
	attachments := func(h *harness) [][]byte {
		items, err := outbox.Queue{Store: h.e.Store}.Due(h.ctx, h.now.Add(1000*time.Hour), 1000)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]byte
		for _, it := range items {
			if strings.HasPrefix(it.Mail.MessageID, "c-") && len(it.Mail.Attachments) == 1 {
				b, err := io.ReadAll(it.Mail.Attachments[0].Open())
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, b)
			}
		}
		return out
	}
	whole := newHarness(t, false)
	if d := whole.handle(withPDF(t, story.Forward("Rania", "rania@coal.example", "coalition@coal.example", whole.now), pdf)); d != store.Processed {
		t.Fatalf("forward read whole went to %s", d)
	}
	h := newHarness(t, false)
	w := store.NewBlobWriter(h.ctx, h.e.Store.DB())
	w.Write(pdf)
	info, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	fwd := withPDF(t, story.Forward("Rania", "rania@coal.example", "coalition@coal.example", h.now), pdf)
	if d := h.handle(spooled(t, fwd, info.Handle, info.Size)); d != store.Processed {
		t.Fatalf("forward stored while read went to %s", d)
	}
	got, want := attachments(h), attachments(whole)
	if len(got) != len(h.cfg.Members) || len(got) != len(want) {
		t.Fatalf("%d consultations with the PDF, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) || !bytes.Equal(got[i], pdf) {
			t.Fatalf("consultation %d carries %d bytes, not the PDF's %d", i, len(got[i]), len(pdf))
		}
	}

	forged := newHarness(t, false)
	fwd = withPDF(t, story.Forward("Rania", "rania@coal.example", "coalition@coal.example", forged.now), []byte("x"))
	if d := forged.handle(spooled(t, fwd, info.Handle, info.Size)); d != store.Review {
		t.Fatalf("a forward naming a blob this database never stored went to %s", d)
	}
	if n := len(attachments(forged)); n != 0 {
		t.Fatalf("%d consultations queued for it", n)
	}
}
