package mailbox

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"regexp"
)

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
// header; when it returns true the message is read in full.
func readReduced(r io.Reader, size int64, whole func(header []byte) bool) (raw []byte, elided int64, err error) {
	return newReducer(reduceTextCap, reduceOtherCap).read(r, size, whole)
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
		out.Grow(int(max(0, size-int64(out.Len()))))
	}
	for {
		line, full, err := readLine(br)
		if len(line) > 0 {
			if red.inBody {
				red.body(line, full)
			} else {
				red.header(line, full)
			}
		}
		if err == io.EOF {
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
	headerLen int
	lineLen   int  // bytes of the current header line so far
	midLine   bool // the previous fragment did not end its line

	bodyCap int64
	bodyLen int64
	bodyCut bool
}

func (r *reducer) keep(b []byte) { r.out.Write(b) }
func (r *reducer) cut(b []byte)  { r.elided += int64(len(b)) }

func (r *reducer) header(line []byte, full bool) {
	start := !r.midLine
	r.midLine = !full
	if start {
		r.lineLen = 0
		if isBlank(line) {
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
	if r.bodyLen+int64(len(line)) <= r.bodyCap && !r.bodyCut {
		r.bodyLen += int64(len(line))
		r.keep(line)
		return
	}
	r.bodyCut = true
	r.cut(line)
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
