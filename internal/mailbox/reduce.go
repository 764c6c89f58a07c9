package mailbox

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
)

// BlobWriter stores one attachment as it is decoded (store.BlobWriter).
type BlobWriter interface {
	io.Writer
	// Close stores the blob and returns its handle and size.
	Close() (handle string, size int64, err error)
	Abort()
}

// Reading a big message without holding it: a message larger than
// reduceAbove is read as a stream and kept without what nobody will read.
// Headers, every part header and MIME delimiter and the text parts (up to
// reduceTextCap each) are kept, so the message still parses, classifies and
// shows its text. Other parts are kept whole only when the sender's mail can
// use its attachments (Config.WholeMessage: a coordinator's forward);
// otherwise their first reduceOtherCap bytes. What was cut is counted in
// Message.Elided.
const (
	reduceAbove     = bodyBatchBytes
	reduceTextCap   = 3 << 20  // encoded bytes of one text part (1 MiB of text in quoted-printable or base64)
	reduceOtherCap  = 64 << 10 // encoded bytes kept of any other part: enough for a returned message's header
	reduceHeaderCap = 1 << 20  // header bytes of one header block
	reduceLineCap   = 64 << 10 // bytes of one header line
)

var (
	ctTypeRe     = regexp.MustCompile(`(?is)^content-type[ \t]*:[ \t]*([a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+)`)
	ctBoundaryRe = regexp.MustCompile(`(?is)boundary[ \t]*=[ \t]*(?:"([^"\r\n]+)"|([^\s;"]+))`)
)

// readReduced reads one message from r. whole is called with the top-level
// header; when it returns true the message is read in full, its base64
// attachments into blobs when blobs is set (see spoolPart).
func readReduced(r io.Reader, size int64, whole func(header []byte) bool, blobs func() BlobWriter) (raw []byte, elided int64, err error) {
	red := newReducer(reduceTextCap, reduceOtherCap)
	red.blobs = blobs
	return red.read(r, size, whole)
}

func newReducer(textCap, otherCap int64) *reducer {
	return &reducer{out: &bytes.Buffer{}, boundaries: map[string]bool{}, textCap: textCap, otherCap: otherCap}
}

func (red *reducer) read(r io.Reader, size int64, whole func(header []byte) bool) (raw []byte, elided int64, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	out := red.out

	// The top-level header first, to decide.
	for !red.inBody {
		line, full, err := readLine(br)
		if len(line) > 0 {
			red.header(line, full)
		}
		if err == io.EOF {
			return out.Bytes(), red.elided, nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
	if whole != nil && whole(out.Bytes()) {
		// Attachments are kept whole; only text beyond what any reader
		// uses is cut. One allocation: the result is at most size bytes.
		red.otherCap = math.MaxInt64
		if red.blobs == nil {
			out.Grow(int(max(0, size-int64(out.Len()))))
		}
		red.spool = red.blobs != nil
	}
	defer red.abortBlob()
	for {
		line, full, err := readLine(br)
		if len(line) > 0 {
			if red.inBody {
				red.body(line, full)
			} else {
				red.header(line, full)
			}
		}
		if err == nil && red.err != nil {
			err = red.err
		}
		if err == io.EOF {
			if err := red.endBlob(); err != nil { // a message cut inside an attachment
				return nil, 0, err
			}
			return out.Bytes(), red.elided, nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

// readLine returns the next line with its newline, or a fragment of at most
// the buffer size of a longer line (full is then false).
func readLine(br *bufio.Reader) (line []byte, full bool, err error) {
	line, err = br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return line, false, nil
	}
	return line, err == nil, err
}

type reducer struct {
	out        *bytes.Buffer
	boundaries map[string]bool
	elided     int64
	textCap    int64 // bytes kept of a text part
	otherCap   int64 // bytes kept of a non-text part

	inBody    bool
	block     []byte // the header block being read (to find Content-Type)
	blockCopy []byte // the last header block read
	headerLen int
	lineLen   int  // bytes of the current header line so far
	midLine   bool // the previous fragment did not end its line

	bodyCap int64
	bodyLen int64
	bodyCut bool

	// A coordinator's base64 attachment is decoded into a blob as it is
	// read (spool), and its part keeps only its header, with BlobHeader
	// naming the blob inserted at markAt.
	blobs   func() BlobWriter
	spool   bool
	markAt  int
	blob    BlobWriter
	b64     []byte // base64 characters not decoded yet (< 4), then scratch
	dec     []byte
	badBlob bool
	err     error
}

func (r *reducer) keep(b []byte) { r.out.Write(b) }
func (r *reducer) cut(b []byte)  { r.elided += int64(len(b)) }

func (r *reducer) header(line []byte, full bool) {
	start := !r.midLine
	r.midLine = !full
	if start {
		r.lineLen = 0
		if isBlank(line) {
			r.markAt = r.out.Len()
			r.keep(line)
			r.startBody()
			return
		}
	}
	r.lineLen += len(line)
	r.headerLen += len(line)
	if r.lineLen > reduceLineCap || r.headerLen > reduceHeaderCap {
		r.cut(line)
		if full && r.lineLen-len(line) < reduceLineCap && r.headerLen-len(line) < reduceHeaderCap {
			r.keep([]byte("\r\n")) // end the line that was cut
		}
		return
	}
	r.keep(line)
	if len(r.block) < 64<<10 {
		r.block = append(r.block, line...)
	}
}

// startBody ends a header block: its Content-Type decides how much of the
// body to keep, and whether a new header (an embedded message) follows.
func (r *reducer) startBody() {
	typ, boundary := contentType(r.block)
	r.blockCopy = append(r.blockCopy[:0], r.block...)
	r.block, r.headerLen = r.block[:0], 0
	if boundary != "" {
		r.boundaries[boundary] = true
	}
	switch {
	case typ == "message/rfc822" || typ == "message/global":
		return // the embedded message's header follows
	case bytes.HasPrefix([]byte(typ), []byte("text/")) || typ == "":
		r.bodyCap = r.textCap
	case bytes.HasPrefix([]byte(typ), []byte("multipart/")):
		r.bodyCap = min(r.otherCap, reduceOtherCap) // preamble
	default:
		r.bodyCap = r.otherCap
		if r.spool && transferEncoding(r.blockCopy) == "base64" {
			r.blob, r.badBlob, r.b64 = r.blobs(), false, r.b64[:0]
		}
	}
	r.inBody, r.bodyLen, r.bodyCut = true, 0, false
}

func (r *reducer) body(line []byte, full bool) {
	start := !r.midLine
	r.midLine = !full
	if start && bytes.HasPrefix(line, []byte("--")) {
		t := bytes.TrimRight(line[2:], " \t\r\n")
		closing := bytes.HasSuffix(t, []byte("--"))
		b := string(t)
		if closing {
			b = string(t[:len(t)-2])
		}
		if r.boundaries[b] || r.boundaries[string(t)] {
			if err := r.endBlob(); err != nil {
				r.err = err
			}
			if r.bodyCut {
				r.keep([]byte("\r\n"))
			}
			r.keep(line)
			if closing && r.boundaries[b] {
				r.bodyCap, r.bodyLen, r.bodyCut = min(r.otherCap, reduceOtherCap), 0, false // epilogue
				return
			}
			r.inBody = false // a part header follows
			return
		}
	}
	if r.blob != nil {
		r.decode(line)
		return
	}
	if r.bodyLen+int64(len(line)) <= r.bodyCap && !r.bodyCut {
		r.bodyLen += int64(len(line))
		r.keep(line)
		return
	}
	r.bodyCut = true
	r.cut(line)
}

// BlobHeader, in a part of a message as the watcher hands it over, names the
// blob its body was decoded into while it was read: "HANDLE; size=N"
// (store.BlobInfo), or "invalid" when its base64 could not be decoded. The
// handle is a keyed hash only the store makes, so mail cannot name a blob it
// did not bring.
const BlobHeader = "X-Consultd-Blob"

// decode feeds one base64 line to the blob.
func (r *reducer) decode(line []byte) {
	if r.badBlob {
		return
	}
	for _, c := range line {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=':
			r.b64 = append(r.b64, c)
		case c == ' ', c == '\t', c == '\r', c == '\n':
		default:
			r.badBlob = true
			return
		}
	}
	if n := len(r.b64) / 4 * 4; n >= 4<<10 {
		r.flushB64(n)
	}
}

func (r *reducer) flushB64(n int) {
	if r.badBlob || n == 0 {
		return
	}
	r.dec = slices.Grow(r.dec[:0], base64.StdEncoding.DecodedLen(n))[:base64.StdEncoding.DecodedLen(n)]
	k, err := base64.StdEncoding.Decode(r.dec, r.b64[:n])
	if err != nil {
		r.badBlob = true
		return
	}
	if _, err := r.blob.Write(r.dec[:k]); err != nil {
		r.err = err
		r.badBlob = true
		return
	}
	r.b64 = append(r.b64[:0], r.b64[n:]...)
}

// endBlob ends the part being spooled, and names its blob in its header.
func (r *reducer) endBlob() error {
	if r.blob == nil {
		return nil
	}
	b := r.blob
	r.flushB64(len(r.b64))
	if len(r.b64) > 0 { // characters after the last full quantum
		r.badBlob = true
	}
	r.blob, r.b64 = nil, r.b64[:0]
	if r.err != nil {
		b.Abort()
		return r.err
	}
	mark := BlobHeader + ": invalid\r\n"
	if r.badBlob {
		b.Abort()
	} else {
		handle, size, err := b.Close()
		if err != nil {
			return err
		}
		mark = fmt.Sprintf("%s: %s; size=%d\r\n", BlobHeader, handle, size)
	}
	tail := append([]byte(nil), r.out.Bytes()[r.markAt:]...)
	r.out.Truncate(r.markAt)
	r.out.WriteString(mark)
	r.out.Write(tail)
	return nil
}

// abortBlob drops a blob a failed read left open.
func (r *reducer) abortBlob() {
	if r.blob != nil {
		r.blob.Abort()
		r.blob = nil
	}
}

var cteRe = regexp.MustCompile(`(?is)^content-transfer-encoding[ \t]*:[ \t]*([a-z0-9-]+)`)

func transferEncoding(block []byte) string {
	for _, field := range splitFields(block) {
		if m := cteRe.FindSubmatch(field); m != nil {
			return string(bytes.ToLower(m[1]))
		}
	}
	return ""
}

func contentType(block []byte) (typ, boundary string) {
	for _, field := range splitFields(block) {
		if m := ctTypeRe.FindSubmatch(field); m != nil {
			typ = string(bytes.ToLower(m[1]))
			if b := ctBoundaryRe.FindSubmatch(field); b != nil {
				boundary = string(b[1]) + string(b[2])
			}
			return typ, boundary
		}
	}
	return "", ""
}

// splitFields splits a header block into unfolded fields.
func splitFields(block []byte) [][]byte {
	var fields [][]byte
	for _, l := range bytes.SplitAfter(block, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && len(fields) > 0 {
			fields[len(fields)-1] = append(bytes.TrimRight(fields[len(fields)-1], "\r\n"), l...)
			continue
		}
		fields = append(fields, append([]byte(nil), l...))
	}
	return fields
}

func isBlank(line []byte) bool { return len(bytes.TrimRight(line, "\r\n")) == 0 }
