package mailserver

import (
	"bytes"
	"net"
	"testing"
)

// bufConn is a net.Conn that only records what is written.
type bufConn struct {
	net.Conn
	out bytes.Buffer
}

func (b *bufConn) Write(p []byte) (int, error) { return b.out.Write(p) }

func TestHideCapsRewritesOnlyCapabilityLines(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"greeting", "* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL- AUTH=PLAIN] IMAP server ready\r\n",
			"* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL- AUTH=PLAIN] IMAP server ready\r\n"},
		{"login OK", "T1 OK [CAPABILITY IMAP4rev1 UNSELECT ENABLE IDLE UTF8=ACCEPT] LOGIN completed\r\n",
			"T1 OK [CAPABILITY IMAP4rev1 UNSELECT ENABLE UTF8=ACCEPT] LOGIN completed\r\n"},
		{"untagged, IDLE last", "* CAPABILITY IMAP4rev1 MOVE IDLE\r\nT2 OK done\r\n", "* CAPABILITY IMAP4rev1 MOVE\r\nT2 OK done\r\n"},
		{"message text mentioning IDLE", "* 1 FETCH (BODY[] {11}\r\nIDLE IDLE\r\n)\r\n", "* 1 FETCH (BODY[] {11}\r\nIDLE IDLE\r\n)\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bc := &bufConn{}
			c := &hideCapsConn{Conn: bc, drop: []byte("IDLE")}
			// Split the writes mid-line, as a buffered writer may.
			for i := 0; i < len(tc.in); i += 7 {
				c.Write([]byte(tc.in[i:min(i+7, len(tc.in))]))
			}
			if got := bc.out.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func FuzzHideCaps(f *testing.F) {
	f.Add([]byte("* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n* CAPABILITY IDLE\r\n"), 5)
	f.Add([]byte("* 3 FETCH (BODY[] {5}\r\nabc\r\n)\r\nT OK [CAPABILITY IDLE]"), 1)
	f.Fuzz(func(t *testing.T, in []byte, chunk int) {
		if chunk <= 0 || chunk > 1<<16 {
			chunk = 1
		}
		bc := &bufConn{}
		c := &hideCapsConn{Conn: bc, drop: []byte("IDLE")}
		for i := 0; i < len(in); i += chunk {
			if n, err := c.Write(in[i:min(i+chunk, len(in))]); err != nil || n != min(chunk, len(in)-i) {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		got := append(bc.out.Bytes(), c.pending...)
		if !bytes.Contains(in, []byte("CAPABILITY")) && !bytes.Equal(got, in) {
			t.Fatalf("a stream without CAPABILITY was changed:\n%q\n%q", in, got)
		}
	})
}
