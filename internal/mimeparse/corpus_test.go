package mimeparse

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"consultd/internal/corpustest"
)

type enmimeCase struct {
	ID            string         `json:"id"`
	Input         string         `json:"input"`
	InputText     *string        `json:"input_text"`
	API           string         `json:"api"`
	Expected      map[string]any `json:"expected"`
	ParserOptions map[string]any `json:"parser_options"`
}

// parseWithDeadline parses raw and fails the test on a panic (even one Parse
// recovered from) or when parsing takes longer than the deadline.
func parseWithDeadline(t *testing.T, id string, raw []byte) *Message {
	t.Helper()
	type result struct {
		m   *Message
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := Parse(raw)
		done <- result{m, err}
	}()
	select {
	case r := <-done:
		if r.m == nil {
			t.Errorf("%s: Parse returned nil message (err %v)", id, r.err)
			return &Message{}
		}
		for _, w := range r.m.Warnings {
			if strings.HasPrefix(w, "internal error") {
				t.Errorf("%s: Parse panicked internally: %s", id, w)
			}
		}
		return r.m
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: Parse did not finish within 10s", id)
		return nil
	}
}

func TestCorpusEnmime(t *testing.T) {
	root, man := corpustest.Load(t, "enmime-testdata")
	textResults := map[string]bool{}
	attResults := map[string]bool{}
	partResults := map[string]bool{}
	for _, raw := range man.Cases {
		var c enmimeCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		var in []byte
		if c.InputText != nil {
			in = []byte(*c.InputText)
		} else {
			in = corpustest.Read(t, root, c.Input)
		}
		m := parseWithDeadline(t, c.ID, in)
		if len(c.ParserOptions) > 0 {
			continue // upstream's non-default modes are not implemented
		}
		if ok, has := checkEnmimeText(t, c, in, m); has {
			textResults[c.ID] = ok
		}
		if ok, has := checkEnmimeAttachments(t, c, m); has {
			attResults[c.ID] = ok
		}
		if ok, has := checkEnmimeParts(t, c, m); has {
			partResults[c.ID] = ok
		}
	}
	corpustest.Score(t, "enmime-testdata", "text", textResults, corpustest.LoadKnown(t, "text:", true))
	corpustest.Score(t, "enmime-testdata", "attachments", attResults, corpustest.LoadKnown(t, "attach:", true))
	corpustest.Score(t, "enmime-testdata", "part contents", partResults, corpustest.LoadKnown(t, "parts:", true))
}

// checkEnmimeParts checks that the decoded content upstream expects of each
// part of a part-tree case is found in our Text, HTML or an attachment (we
// do not expose the part tree itself).
func checkEnmimeParts(t *testing.T, c enmimeCase, m *Message) (ok, has bool) {
	parts, _ := c.Expected["parts"].([]any)
	ok = true
	var hay []string
	hay = append(hay, m.Text, m.HTML)
	for _, a := range m.Attachments {
		hay = append(hay, string(a.Data))
	}
	found := func(want string, exact bool) bool {
		for _, h := range hay {
			if exact && (h == want || strings.TrimSpace(h) == strings.TrimSpace(want)) || !exact && strings.Contains(h, want) {
				return true
			}
		}
		return false
	}
	for _, it := range parts {
		p := it.(map[string]any)
		if ct, _ := p["content_type"].(string); strings.HasPrefix(ct, "multipart/") {
			continue
		}
		for _, k := range []string{"content_contains", "content_equals", "content_hex"} {
			want, isStr := p[k].(string)
			if !isStr || want == "" {
				continue
			}
			has = true
			if k == "content_hex" {
				b, _ := hex.DecodeString(want)
				want = string(b)
			}
			if !found(strings.ReplaceAll(want, "\r\n", "\n"), k != "content_contains") {
				ok = false
				t.Logf("%s: part %v: no body or attachment has %s %q", c.ID, p["part_id"], k, truncate(want, 60))
			}
		}
	}
	return ok, has
}

// checkEnmimeText compares Message.Text with the case's text expectations
// (for DSNs, the human-readable explanation). has is false when the case has none.
func checkEnmimeText(t *testing.T, c enmimeCase, in []byte, m *Message) (ok, has bool) {
	e := c.Expected
	ok = true
	fail := func(format string, a ...any) {
		ok = false
		t.Logf("%s: text: "+format, append([]any{c.ID}, a...)...)
	}
	if v, found := e["text_equals"].(string); found {
		has = true
		if m.Text != v {
			fail("got %q, want %q", m.Text, v)
		}
	}
	if v, found := e["text_trimmed_equals"].(string); found {
		has = true
		if strings.TrimSpace(m.Text) != strings.TrimSpace(v) {
			fail("got %q, want trimmed %q", m.Text, v)
		}
	}
	if vs, found := e["text_contains"].([]any); found {
		has = true
		for _, v := range vs {
			if !strings.Contains(m.Text, v.(string)) {
				fail("got %q, want it to contain %q", m.Text, v)
			}
		}
	}
	if v, found := e["text_empty"].(bool); found && v {
		has = true
		if m.Text != "" {
			fail("got %q, want empty", m.Text)
		}
	}
	if v, found := e["text_len_bytes"].(float64); found {
		has = true
		// Text is LF-normalised by contract; enmime keeps CRLF, so count the
		// length as it was when the input used CRLF.
		n := len(m.Text)
		if strings.Contains(string(in), "\r\n") {
			n += strings.Count(m.Text, "\n")
		}
		if n != int(v) {
			fail("got %d bytes (CRLF counted), want %d", n, int(v))
		}
	}
	if v, found := e["explanation_text"].(string); found && v != "" {
		has = true
		if !strings.Contains(m.Text, strings.TrimSpace(v)) {
			fail("got %q, want the explanation %q", m.Text, v)
		}
	}
	return ok, has
}

// enmimeKind maps an attachment to enmime's three lists.
func enmimeKind(a Attachment) string {
	switch a.Disposition {
	case "attachment":
		return "attachments"
	case "inline":
		return "inlines"
	}
	if a.ContentType == "application/octet-stream" {
		return "attachments" // enmime's rule for binary parts without disposition
	}
	return "other_parts"
}

// checkEnmimeAttachments compares attachment counts and per-item fields.
func checkEnmimeAttachments(t *testing.T, c enmimeCase, m *Message) (ok, has bool) {
	e := c.Expected
	ok = true
	fail := func(format string, a ...any) {
		ok = false
		t.Logf("%s: attachments: "+format, append([]any{c.ID}, a...)...)
	}
	lists := map[string][]Attachment{}
	for _, a := range m.Attachments {
		k := enmimeKind(a)
		lists[k] = append(lists[k], a)
	}
	for _, kind := range []string{"attachments", "inlines", "other_parts"} {
		if v, found := e[kind+"_count"].(float64); found {
			has = true
			if len(lists[kind]) != int(v) {
				fail("%d %s, want %d (%s)", len(lists[kind]), kind, int(v), describeAtts(m.Attachments))
			}
		}
		items, found := e[kind].([]any)
		if !found {
			continue
		}
		has = true
		for i, it := range items {
			want := it.(map[string]any)
			if i >= len(lists[kind]) {
				fail("missing %s[%d] (%s)", kind, i, describeAtts(m.Attachments))
				continue
			}
			if msg := compareAttachment(lists[kind][i], want); msg != "" {
				fail("%s[%d]: %s", kind, i, msg)
			}
		}
	}
	if v, found := e["original_message"]; found {
		has = true
		var got string
		for _, a := range m.Attachments {
			if a.ContentType == "message/rfc822" {
				got = string(a.Data)
			}
		}
		want, _ := v.(string)
		if got != want {
			fail("original message %q, want %q", got, want)
		}
	}
	return ok, has
}

func describeAtts(as []Attachment) string {
	var s []string
	for _, a := range as {
		s = append(s, fmt.Sprintf("%s %q disp=%q", a.ContentType, a.Filename, a.Disposition))
	}
	return strings.Join(s, "; ")
}

func compareAttachment(a Attachment, want map[string]any) string {
	if v, ok := want["filename"].(string); ok && a.Filename != v {
		return fmt.Sprintf("filename %q, want %q", a.Filename, v)
	}
	if v, ok := want["content_id"].(string); ok && a.ContentID != v {
		return fmt.Sprintf("content id %q, want %q", a.ContentID, v)
	}
	if v, ok := want["content_hex"].(string); ok && hex.EncodeToString(a.Data) != v {
		return fmt.Sprintf("content %x, want %s", a.Data, v)
	}
	if v, ok := want["content_prefix_hex"].(string); ok && !strings.HasPrefix(hex.EncodeToString(a.Data), v) {
		return fmt.Sprintf("content starts %x, want %s", a.Data[:min(len(a.Data), 8)], v)
	}
	if v, ok := want["content_contains"].(string); ok && !strings.Contains(string(a.Data), v) {
		return fmt.Sprintf("content %q lacks %q", truncate(string(a.Data), 80), v)
	}
	if v, ok := want["content_equals"].(string); ok && string(a.Data) != v {
		return fmt.Sprintf("content %q, want %q", truncate(string(a.Data), 80), v)
	}
	if v, ok := want["content_prefix_text"].(string); ok && !strings.HasPrefix(string(a.Data), v) {
		return fmt.Sprintf("content %q, want prefix %q", truncate(string(a.Data), 80), v)
	}
	return ""
}

// TestCorpusSisimai parses every sisimai bounce, auto-reply and feedback
// report: no panics or hangs, and the delivery-status part of each DSN that
// has one reaches Message.DeliveryStatus (the bounce parser reads it).
func TestCorpusSisimai(t *testing.T) {
	root, man := corpustest.Load(t, "sisimai-set-of-emails")
	results := map[string]bool{}
	for _, raw := range man.Cases {
		var c struct {
			ID    string `json:"id"`
			Input string `json:"input"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		in := corpustest.Read(t, root, c.Input)
		m := parseWithDeadline(t, c.ID, in)
		if !dsnPartHeader.Match(in) {
			continue
		}
		results[c.ID] = m.DeliveryStatus != nil || dsnInEmbedded(m)
		if !results[c.ID] {
			t.Logf("%s: no DeliveryStatus; warnings %q", c.ID, m.Warnings)
		}
	}
	corpustest.Score(t, "sisimai-set-of-emails", "delivery-status parts", results, corpustest.LoadKnown(t, "sisimai:", true))
}

var dsnPartHeader = regexp.MustCompile(`(?im)^content-type:\s*message/(global-)?delivery-status`)

func dsnInEmbedded(m *Message) bool {
	for _, e := range m.Embedded {
		if e.DeliveryStatus != nil || dsnInEmbedded(e) {
			return true
		}
	}
	return false
}
