package mailserver

import (
	"bytes"
	"net"
)

// go-imap's server always advertises IDLE once it speaks IMAP4rev1, so hiding
// IDLE (to test a client's polling fallback) means removing the word from the
// CAPABILITY lines on the wire. hideCapsListener wraps accepted connections
// to do that. Only lines starting like a CAPABILITY response are touched;
// a message whose body has a line "* CAPABILITY … IDLE" would be altered,
// which a test fixture is unlikely to contain.
type hideCapsListener struct {
	net.Listener
	drop string
}

func (l *hideCapsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &hideCapsConn{Conn: c, drop: []byte(l.drop)}, nil
}

// hideCapsConn rewrites complete server lines. A partial line is held until
// its CRLF arrives (every IMAP response ends with one), except that long
// runs without CRLF (message literals) pass through unchanged.
type hideCapsConn struct {
	net.Conn
	drop    []byte
	pending []byte
}

const maxHeldLine = 8 << 10

func (c *hideCapsConn) Write(p []byte) (int, error) {
	c.pending = append(c.pending, p...)
	var out []byte
	for {
		i := bytes.Index(c.pending, []byte("\r\n"))
		if i < 0 {
			break
		}
		out = append(out, c.filterLine(c.pending[:i+2])...)
		c.pending = c.pending[i+2:]
	}
	if len(c.pending) > maxHeldLine {
		out = append(out, c.pending...)
		c.pending = c.pending[:0]
	}
	if len(c.pending) == 0 {
		c.pending = nil // release the buffer
	}
	if len(out) > 0 {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// filterLine removes the capability from "* CAPABILITY ..." and from
// "[CAPABILITY ...]" response codes (greeting, LOGIN OK).
func (c *hideCapsConn) filterLine(line []byte) []byte {
	start := -1
	switch {
	case bytes.HasPrefix(line, []byte("* CAPABILITY ")):
		start = len("* CAPABILITY")
	case bytes.HasPrefix(line, []byte("* OK [CAPABILITY ")) || bytes.Contains(line, []byte(" OK [CAPABILITY ")):
		start = bytes.Index(line, []byte("[CAPABILITY ")) + len("[CAPABILITY")
	default:
		return line
	}
	end := len(line) - 2
	if k := bytes.IndexByte(line[start:], ']'); k >= 0 {
		end = start + k
	}
	caps := bytes.Fields(line[start:end])
	var kept [][]byte
	for _, cp := range caps {
		if !bytes.EqualFold(cp, c.drop) {
			kept = append(kept, cp)
		}
	}
	var b bytes.Buffer
	b.Write(line[:start])
	for _, cp := range kept {
		b.WriteByte(' ')
		b.Write(cp)
	}
	b.Write(line[end:])
	return b.Bytes()
}
