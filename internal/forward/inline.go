package forward

import (
	"regexp"
	"strings"

	"consultd/internal/clientmail"
)

// Inline is a forwarded message found in a plain-text body.
type Inline struct {
	Form     string            // "gmail", "outlook", "apple", "iphone", "thunderbird", "headers"
	Before   string            // the text above the forward marker (or header block), trimmed
	Embedded string            // the forwarded message from its header block on, quote markers removed
	Header   map[string]string // canonical keys: from, date, subject, to, cc, reply-to, message-id; values as written
	Body     string            // the forwarded message's text after its header block, trimmed
	// Uncertain lists what was guessed about the shape, in words a
	// coordinator can check ("the line … was taken for the forward marker").
	Uncertain []string
}

// headerKeys maps the (folded) labels clients print in a forwarded header
// block to canonical names; the labels are clientmail's table.
var headerKeys = map[string]string{}

func init() {
	for _, l := range clientmail.Labels {
		headerKeys[fold(clientmail.NormalizeLabel(l.Text))] = string(l.Field)
	}
}

// reHeaderLine matches "Key: value" with the bold markers HTML conversion
// leaves ("*From:* Name").
var reHeaderLine = regexp.MustCompile(`^[*_]{0,2}([^\s:*_][^:*]{0,28}?)[*_]{0,2}\s*[:：][*_]{0,2}[ \t]*(.*)$`)

// headerLine reads a header line; ok is false for anything else.
func headerLine(line string) (key, value string, ok bool) {
	if c := strings.IndexAny(line, ":："); c < 0 || c > 120 {
		return "", "", false
	}
	m := reHeaderLine.FindStringSubmatch(strings.TrimSpace(stripBidi(line)))
	if m == nil {
		return "", "", false
	}
	canon, ok := headerKeys[fold(strings.TrimSpace(m[1]))]
	if !ok {
		return "", "", false
	}
	return canon, strings.TrimSpace(strings.Trim(m[2], "*")), true
}

// reMutt is Mutt's marker, which names the original sender.
var reMutt = regexp.MustCompile(`^-{3,}\s*forwarded message from .{1,100}-{3,}$`)

// reEndForward is the line Mutt and Yahoo write under a forwarded message.
var reEndForward = regexp.MustCompile(`(?im)^[ \t]*-{3,}\s*end (?:of )?forwarded message\s*-{3,}[ \t]*$`)

// markerForm returns the client form of a marker line, or "".
func markerForm(line string) string {
	l := strings.TrimSpace(stripBidi(line))
	if len(l) > 200 || l == "" {
		return ""
	}
	if reMutt.MatchString(strings.ToLower(l)) {
		return "mutt"
	}
	m, ok := clientmail.MatchForwardMarker(l)
	if !ok {
		return ""
	}
	if m.Shape == clientmail.MarkerColon {
		return m.Client
	}
	// The same words are drawn differently by each client: count the dashes.
	lead := len(l) - len(strings.TrimLeft(l, "-"))
	switch {
	case m.Client == "outlook" && lead < 8:
		return "outlook"
	case lead == 5:
		return "yahoo"
	case lead == 8 && strings.HasSuffix(l, " --------"):
		return "thunderbird"
	case m.Client == "outlook":
		return "outlook"
	case lead >= 9 && m.Client == "thunderbird":
		return "gmail" // HubSpot and Gmail-like clients with a translated caption
	}
	return m.Client
}

// isSeparator reports a rule line (underscores, dashes, equals) Outlook draws
// above a header block.
func isSeparator(line string) bool {
	l := strings.TrimSpace(line)
	if len(l) < 5 || len(l) > 200 {
		return false
	}
	for _, r := range l {
		if r != '_' && r != '-' && r != '=' && r != '*' && r != ' ' {
			return false
		}
	}
	return true
}

// unquote splits off one level of "> " quoting. iPhone Mail puts a byte
// order mark before the first quoted body line, so invisible marks go too.
func unquote(line string) (string, bool) {
	t := strings.TrimLeft(stripBidi(line), " ")
	if !strings.HasPrefix(t, ">") {
		return line, false
	}
	return strings.TrimPrefix(t[1:], " "), true
}

// blockWindow bounds the lines a header block may span.
const blockWindow = 40

// block is a run of header lines.
type block struct {
	start, end int // line indexes, end exclusive
	fields     map[string]string
	keys       []string // canonical keys in order
}

// readBlock reads header lines from start; wrapped values (a Subject broken
// over two lines) are joined when the next line is again a header.
func readBlock(lines []string, start int) block {
	b := block{start: start, end: start, fields: map[string]string{}}
	last := ""
	for i := start; i < len(lines) && i < start+blockWindow; i++ {
		key, val, ok := headerLine(lines[i])
		if ok {
			if _, dup := b.fields[key]; dup {
				if key == "from" {
					break // a second From: starts another block (or is prose)
				}
			} else {
				b.fields[key] = val
				b.keys = append(b.keys, key)
			}
			last = key
			b.end = i + 1
			continue
		}
		// A continuation line: not blank, followed (within two lines) by a header.
		if last == "" || strings.TrimSpace(lines[i]) == "" {
			break
		}
		// A recipient list ending in a comma goes on.
		prev := strings.TrimSpace(lines[i-1])
		cont := strings.HasSuffix(prev, ",") || strings.HasSuffix(prev, ";")
		for j := i + 1; !cont && j < len(lines) && j <= i+2; j++ {
			if _, _, ok := headerLine(lines[j]); ok {
				cont = true
				break
			}
			if strings.TrimSpace(lines[j]) == "" {
				break
			}
		}
		if !cont {
			break
		}
		b.fields[last] = strings.TrimSpace(b.fields[last] + " " + strings.TrimSpace(lines[i]))
		b.end = i + 1
	}
	return b
}

// strongEnough says whether a header block with no marker above it is a
// forwarded (or quoted) message header rather than prose that happens to
// contain "Key:" lines.
func (b block) strongEnough() bool {
	if len(b.keys) < 3 {
		return false
	}
	_, from := b.fields["from"]
	_, date := b.fields["date"]
	_, subj := b.fields["subject"]
	return from && (date || subj)
}

// FindInline finds the first forwarded message in a plain-text body: a
// client's forward marker followed by a header block, or an Outlook-style
// header block (From/Sent/To/Subject) on its own. ok is false when the text
// holds neither.
func FindInline(text string) (in Inline, ok bool) {
	lines := splitLines(text)
	for i := 0; i < len(lines); i++ {
		if in, ok := tryMarker(lines, i); ok {
			return in, true
		}
		if in, ok := tryBareBlock(lines, i); ok {
			return in, true
		}
	}
	return Inline{}, false
}

// tryMarker checks for a forward marker at line i.
func tryMarker(lines []string, i int) (Inline, bool) {
	line, quoted := unquote(lines[i])
	form := markerForm(line)
	if form == "" {
		return Inline{}, false
	}
	// The header block follows, after blank or bare ">" lines.
	j := i + 1
	for j < len(lines) && j < i+6 {
		l, _ := unquote(lines[j])
		if strings.TrimSpace(l) != "" {
			break
		}
		j++
	}
	hdrQuoted := false
	if j < len(lines) {
		if _, q := unquote(lines[j]); q && !quoted {
			hdrQuoted = true // iPhone: marker plain, headers "> "-quoted
		}
	}
	region := lines[min(j, len(lines)):]
	if quoted || hdrQuoted {
		region = unquoteRegion(region)
	}
	// With no header block the rest is still the forwarded text.
	b := readBlock(region, 0)
	if form == "apple" && hdrQuoted {
		form = "iphone"
	}
	if form == "gmail" && len(b.keys) > 0 && b.keys[0] == "subject" {
		form = "thunderbird"
	}
	return makeInline(form, lines[:i], region, b), true
}

// tryBareBlock checks for a header block with no marker at line i.
func tryBareBlock(lines []string, i int) (Inline, bool) {
	line, quoted := unquote(lines[i])
	key, _, ok := headerLine(line)
	if !ok || key != "from" && key != "date" && key != "subject" {
		return Inline{}, false
	}
	// Judge the block on a bounded window first: most "From:" lines are not
	// forwards, and unquoting the whole rest for each would be quadratic.
	window := lines[i:min(len(lines), i+blockWindow)]
	if quoted {
		window = unquoteRegion(window)
	}
	if b := readBlock(window, 0); !b.strongEnough() {
		return Inline{}, false
	}
	region := lines[i:]
	if quoted {
		region = unquoteRegion(region)
	}
	b := readBlock(region, 0)
	// Drop a rule line and blank lines between the text above and the block.
	k := i
	for k > 0 && strings.TrimSpace(lines[k-1]) == "" {
		k--
	}
	if k > 0 && isSeparator(lines[k-1]) {
		k--
	}
	form := "headers"
	if _, sent := b.fields["date"]; sent {
		form = "outlook"
	}
	return makeInline(form, lines[:k], region, b), true
}

// unquoteRegion returns lines with one quote level removed; the quoted
// region ends at the first unquoted, non-blank line, which is cut off with
// everything after it.
func unquoteRegion(lines []string) []string {
	out := make([]string, 0, len(lines))
	for i := 0; i < len(lines); i++ {
		l, q := unquote(lines[i])
		if !q && strings.TrimSpace(lines[i]) != "" {
			// iPhone quotes the headers but not always the body: keep an
			// unquoted body that starts right after the header block.
			if allUnquotedAfter(lines, i) {
				out = append(out, lines[i:]...)
			}
			break
		}
		out = append(out, l)
	}
	return out
}

// allUnquotedAfter reports that no quoted line follows i.
func allUnquotedAfter(lines []string, i int) bool {
	for _, l := range lines[i:] {
		if _, q := unquote(l); q {
			return false
		}
	}
	return true
}

// makeInline assembles the result; region starts with the header block.
func makeInline(form string, before, body []string, b block) Inline {
	in := Inline{
		Form:   form,
		Before: strings.TrimSpace(strings.Join(before, "\n")),
		Header: b.fields,
	}
	in.Embedded = strings.TrimSpace(strings.Join(body[b.start:], "\n"))
	in.Body = strings.TrimSpace(strings.Join(body[b.end:], "\n"))
	if loc := reEndForward.FindStringIndex(in.Body); loc != nil {
		in.Body = strings.TrimSpace(in.Body[:loc[0]])
	}
	return in
}
