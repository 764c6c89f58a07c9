package mailbox

import (
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// fetchBodies fetches the full bodies of uids (BODY.PEEK[]), streaming each
// literal into a buffer of exactly its announced size. go-imap's Collect
// would io.ReadAll every literal, which for a 20 MB message allocates about
// twice that while the buffer grows. A literal larger than MaxMessageSize
// (the server's RFC822.SIZE may differ from what it sends) is read and
// thrown away; its UID is reported in tooLarge.
func (s *session) fetchBodies(uids []imap.UID) (bodies map[imap.UID]fetched, tooLarge map[imap.UID]bool, err error) {
	if len(uids) == 0 {
		return nil, nil, nil // an empty set would kill the connection
	}
	section := &imap.FetchItemBodySection{Peek: true} // BODY.PEEK[]: leave \Seen alone
	opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}
	bodies = make(map[imap.UID]fetched, len(uids))
	tooLarge = map[imap.UID]bool{}
	timeout := max(s.w.cfg.CommandTimeout, minBodyTimeout)
	err = s.doWithin("fetch bodies", timeout, func() error {
		cmd := s.c.Fetch(imap.UIDSetNum(uids...), opts)
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			var uid imap.UID
			var body fetched
			var large bool
			// The UID item may come before or after the body.
			for item := msg.Next(); item != nil; item = msg.Next() {
				switch it := item.(type) {
				case imapclient.FetchItemDataUID:
					uid = it.UID
				case imapclient.FetchItemDataBodySection:
					if it.Literal == nil {
						continue
					}
					b, big, err := s.readBody(it.Literal)
					if err != nil {
						cmd.Close()
						return err
					}
					body, large = b, big
				}
			}
			switch {
			case uid == 0:
			case large:
				tooLarge[uid] = true
			case body.raw != nil:
				bodies[uid] = body
			}
		}
		return cmd.Close()
	})
	return bodies, tooLarge, err
}

// fetched is one message body as read.
type fetched struct {
	raw    []byte
	elided int64 // bytes of big attachments not kept (see readReduced)
}

// readBody reads one literal: a big one through readReduced.
func (s *session) readBody(lit imap.LiteralReader) (fetched, bool, error) {
	if n := lit.Size(); n > reduceAbove && n <= s.w.cfg.MaxMessageSize {
		raw, elided, err := readReduced(lit, n, s.w.cfg.WholeMessage, s.w.cfg.Blobs)
		if err != nil {
			return fetched{}, false, fmt.Errorf("read message body: %w", err)
		}
		return fetched{raw: raw, elided: elided}, false, nil
	}
	raw, big, err := readLiteral(lit, s.w.cfg.MaxMessageSize)
	return fetched{raw: raw}, big, err
}

// readLiteral reads one literal into a buffer of its exact size, or discards
// it when it is larger than limit.
func readLiteral(lit imap.LiteralReader, limit int64) (body []byte, tooLarge bool, err error) {
	n := lit.Size()
	if n > limit {
		if _, err := io.Copy(io.Discard, lit); err != nil {
			return nil, true, fmt.Errorf("read message body: %w", err)
		}
		return nil, true, nil
	}
	body = make([]byte, n)
	if _, err := io.ReadFull(lit, body); err != nil {
		return nil, false, fmt.Errorf("read message body: %w", err)
	}
	return body, false, nil
}

// maxOversizedHeader bounds the header read from an oversized message.
const maxOversizedHeader = 256 << 10

// fetchHeader returns the header of one message (BODY.PEEK[HEADER]), or nil
// when the server sends none or one over maxOversizedHeader.
func (s *session) fetchHeader(uid imap.UID) ([]byte, error) {
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}
	var header []byte
	err := s.do("fetch header", func() error {
		cmd := s.c.Fetch(imap.UIDSetNum(uid), opts)
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			for item := msg.Next(); item != nil; item = msg.Next() {
				if it, ok := item.(imapclient.FetchItemDataBodySection); ok && it.Literal != nil {
					b, _, err := readLiteral(it.Literal, maxOversizedHeader)
					if err != nil {
						cmd.Close()
						return err
					}
					header = b
				}
			}
		}
		return cmd.Close()
	})
	return header, err
}
