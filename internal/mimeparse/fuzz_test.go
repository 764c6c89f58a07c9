package mimeparse

import (
	"bytes"
	"io"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// corpusMessages returns every enmime and sisimai message in the shared
// corpus, or nil when the corpus is not beside the repository (fuzzing and
// benchmarks then run on the built-in seeds only).
func corpusMessages(tb testing.TB) [][]byte {
	tb.Helper()
	_, msgs := corpusFiles(tb)
	return msgs
}

// corpusFiles is corpusMessages with the file paths.
func corpusFiles(tb testing.TB) (paths []string, msgs [][]byte) {
	tb.Helper()
	dir := os.Getenv("CONSULTD_CORPUS")
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; ; d = filepath.Dir(d) {
			c := filepath.Join(d, "..", "shared", "corpus")
			if _, err := os.Stat(filepath.Join(c, "README.md")); err == nil {
				dir = c
				break
			}
			if filepath.Dir(d) == d {
				return nil, nil
			}
		}
	}
	for _, sub := range []string{"enmime-testdata", "sisimai-set-of-emails"} {
		filepath.WalkDir(filepath.Join(dir, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if ext := filepath.Ext(p); ext != ".raw" && ext != ".eml" {
				return nil
			}
			if b, err := os.ReadFile(p); err == nil {
				msgs = append(msgs, b)
				paths = append(paths, p)
			}
			return nil
		})
	}
	return paths, msgs
}

// checkInvariants fails on what a user would notice: a panic, text that is
// not UTF-8, or CRs left in Text.
func checkInvariants(t *testing.T, m *Message, depth int) {
	t.Helper()
	for _, w := range m.Warnings {
		if strings.HasPrefix(w, "internal error") {
			t.Fatalf("Parse panicked: %s", w)
		}
	}
	if !utf8.ValidString(m.Text) || !utf8.ValidString(m.Subject) || !utf8.ValidString(m.HTML) {
		t.Fatalf("invalid UTF-8: subject %q text %q", m.Subject, truncate(m.Text, 200))
	}
	for _, list := range [][]Address{m.From, m.To, m.Cc, m.ReplyTo} {
		for _, a := range list {
			if !utf8.ValidString(a.Name) || !utf8.ValidString(a.Address) {
				t.Fatalf("invalid UTF-8 address %+v", a)
			}
		}
	}
	for _, a := range m.Attachments {
		if !utf8.ValidString(a.Filename) {
			t.Fatalf("invalid UTF-8 file name %q", a.Filename)
		}
	}
	if strings.Contains(m.Text, "\r") {
		t.Fatalf("CR left in Text: %q", truncate(m.Text, 200))
	}
	if depth > MaxDepth {
		t.Fatalf("embedded messages nested %d deep, MaxDepth is %d", depth, MaxDepth)
	}
	for _, e := range m.Embedded {
		checkInvariants(t, e, depth+1)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("From: a@example.org\nSubject: hi\n\nhello\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"q\"; foo\n\n--q\nContent-Type: text/html\n\n<p>x</p>\n--q--\n"))
	f.Add([]byte("Subject: =?windows-1256?Q?=DA=E1=ED?=\nContent-Type: message/rfc822\n\nFrom: b@x\n\nbody"))
	for _, m := range corpusMessages(f) {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if m == nil {
			t.Fatalf("nil message (err %v)", err)
		}
		checkInvariants(t, m, 0)
	})
}

func FuzzHTMLToText(f *testing.F) {
	f.Add(`<div dir="ltr">Yes<div class="gmail_quote">On Mon wrote:<blockquote>q</blockquote></div></div>`)
	f.Add(`<p class=MsoNormal>ok</p><hr><b>From:</b> x<br><b>Sent:</b> y`)
	f.Add(`<ul><li>a<li>b</ul><pre>  x  </pre><script>bad()</script>&nbsp;&amp;`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{HTMLToText(s)} {
			if utf8.ValidString(s) && !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 output %q", out)
			}
		}
	})
}

func BenchmarkParseCorpus(b *testing.B) {
	msgs := corpusMessages(b)
	if len(msgs) == 0 {
		b.Skip("shared corpus not found")
	}
	total := 0
	for _, m := range msgs {
		total += len(m)
	}
	b.ReportAllocs()
	b.SetBytes(int64(total))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, raw := range msgs {
			if _, err := Parse(raw); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkBaselineReadAll is the floor to compare BenchmarkParseCorpus with:
// copy each message and read its header and body with net/mail.
func BenchmarkBaselineReadAll(b *testing.B) {
	msgs := corpusMessages(b)
	if len(msgs) == 0 {
		b.Skip("shared corpus not found")
	}
	total := 0
	for _, m := range msgs {
		total += len(m)
	}
	b.ReportAllocs()
	b.SetBytes(int64(total))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, raw := range msgs {
			msg, err := mail.ReadMessage(bytes.NewReader(bytes.Clone(raw)))
			if err != nil {
				continue // net/mail rejects some corpus messages outright
			}
			io.Copy(io.Discard, msg.Body)
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
}
