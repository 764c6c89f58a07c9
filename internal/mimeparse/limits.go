package mimeparse

import (
	"bytes"
	"fmt"
	"io"
)

// Memory limits. A message may be up to imap.max_message_size (25 MB by
// default) on the wire; these keep what parsing it holds at the same time
// to a small multiple of that, whatever its shape.
const (
	// DefaultAttachmentBytes is the decoded attachment data Parse keeps
	// (Attachment.Data) across the whole message, embedded messages included.
	DefaultAttachmentBytes = 32 << 20
	// SmallAttachmentBytes is a budget for mail whose attachments nobody will
	// use (see Options): enough for a bounce's returned headers.
	SmallAttachmentBytes = 1 << 20
	// MaxTextBytes caps each text body part (plain or HTML); the rest is
	// read and dropped with a warning. No reply or invitation is this long.
	MaxTextBytes = 1 << 20
	// MaxHeaderLine caps one header line (RFC 5322 allows 998 characters;
	// real References headers reach a few kilobytes). Longer lines are cut.
	MaxHeaderLine = 64 << 10
	// maxStatusBytes caps a message/delivery-status part.
	maxStatusBytes = 1 << 20
)

// Options tune Parse.
type Options struct {
	// AttachmentBytes is called once the top-level header is read and
	// returns how many decoded attachment bytes to keep for this message
	// (0 or a nil func: DefaultAttachmentBytes). Beyond it, Attachment.Data
	// is cut short and Attachment.Truncated set; Size is still exact.
	AttachmentBytes func(header *Message) int64
}

// ParseWith is Parse with options.
func ParseWith(raw []byte, opt Options) (m *Message, err error) {
	return parseWith(raw, opt)
}

// readCapped reads r to the end, keeping at most limit bytes, and returns
// what it kept and how many bytes r held in all.
func readCapped(r io.Reader, limit int64) (data []byte, total int64, err error) {
	if limit < 0 {
		limit = 0
	}
	data, err = io.ReadAll(io.LimitReader(r, limit))
	total = int64(len(data))
	if err == nil && int64(len(data)) == limit {
		var n int64
		n, err = io.Copy(io.Discard, r)
		total += n
	}
	return data, total, err
}

// keepRoom is how many more attachment bytes may be kept.
func (p *parser) keepRoom() int64 { return max(0, p.keepBudget-p.kept) }

// keep returns the part of data to store in an attachment, charging the budget.
func (p *parser) keep(data []byte) []byte {
	n := min(int64(len(data)), p.keepRoom())
	p.kept += n
	return data[:n]
}

// capHeaderLines cuts header lines longer than MaxHeaderLine. It returns raw
// itself when no line is that long (the common case: no copy).
func capHeaderLines(raw []byte) ([]byte, int) {
	end := headerEnd(raw)
	head := raw[:end]
	long := false
	for len(head) > 0 {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			i = len(head)
		}
		if i > MaxHeaderLine {
			long = true
			break
		}
		head = head[min(i+1, len(head)):]
	}
	if !long {
		return raw, 0
	}
	var out bytes.Buffer
	out.Grow(len(raw))
	cut := 0
	head = raw[:end]
	for len(head) > 0 {
		i := bytes.IndexByte(head, '\n')
		line := head
		if i >= 0 {
			line = head[:i+1]
		}
		head = head[len(line):]
		if len(line) > MaxHeaderLine {
			cut++
			line = append(bytes.TrimRight(line[:MaxHeaderLine], "\r\n"), '\r', '\n')
		}
		out.Write(line)
	}
	out.Write(raw[end:])
	return out.Bytes(), cut
}

// headerEnd is the offset of the blank line that ends the header block (or
// len(raw) when there is none).
func headerEnd(raw []byte) int {
	end := len(raw)
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		end = i + 1
	}
	if i := bytes.Index(raw[:end], []byte("\n\r\n")); i >= 0 && i+1 < end {
		end = i + 1
	}
	return end
}

func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}
