package forward

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

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
	lang      string // the UI language the From label gives away, when only one language writes it
	// order is how the client writes numeric dates, when its label or
	// opening tells (every language writing "De" puts the day first).
	order clientmail.DateOrder
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
	fromLabel  string   // the From label as written, which tells the UI language
	unknown    []string // lines with a label consultd does not know, kept out of every value
	joined     []string // values read over two lines at the end of the block
}

// reUnknownLabel is a "Label: value" line whose label may be a header label
// consultd does not know: one to three words of letters, then a colon.
var reUnknownLabel = regexp.MustCompile(`^[*_]{0,2}(\pL[\pL\pM'’.\-]*(?: [\pL\pM'’.\-()]+){0,2}?)[*_]{0,2} ?[:：][*_]{0,2}(?:[ \t]+\S|[^\x00-\x7f])`)

// unknownLabel reports a line shaped like a header line with a label not in
// the table.
func unknownLabel(line string) (string, bool) {
	l := strings.TrimSpace(stripBidi(line))
	m := reUnknownLabel.FindStringSubmatch(l)
	if m == nil {
		return "", false
	}
	switch strings.ToLower(m[1]) {
	case "http", "https", "mailto", "tel", "ftp":
		return "", false
	}
	return m[1], true
}

// unknownBelongs says an unknown-label line at i is part of the header block
// rather than the first line of the body: a known header follows it, or it
// closes a block of several headers and its value looks like a header value
// (a date or an address).
func unknownBelongs(lines []string, i int, b block) bool {
	for j := i + 1; j < len(lines) && j <= i+2; j++ {
		if _, _, ok := headerLine(lines[j]); ok {
			return true
		}
		if strings.TrimSpace(lines[j]) == "" {
			break
		}
	}
	if len(b.keys) < 2 || i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
		return false
	}
	v := lines[i][strings.IndexAny(lines[i], ":：")+1:]
	return len(v) < 100 && (strings.Contains(v, "@") || strings.ContainsAny(v, "0123456789"))
}

// wrapWidth is about where clients hard-wrap plain text; a header line this
// long may go on, wrapped, on the next line.
const wrapWidth = 64

// readBlock reads header lines from start; wrapped values (a Subject broken
// over two lines) are joined when the next line is again a header, or when a
// long value is followed by one short line and a blank line.
func readBlock(lines []string, start int) block {
	b := block{start: start, end: start, fields: map[string]string{}}
	last := ""
	const skipping = "\x00unknown"
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
				if key == "from" {
					b.fromLabel = strings.TrimSpace(lines[i][:strings.IndexAny(lines[i], ":：")])
				}
			}
			last = key
			b.end = i + 1
			continue
		}
		if last != "" || i == start {
			// At the start too: a block whose From label is unknown ("از:")
			// still has its other lines read, and the inviter is missing.
			if _, unk := unknownLabel(lines[i]); unk && unknownBelongs(lines, i, b) {
				b.unknown = append(b.unknown, cleanValue(lines[i]))
				last = skipping
				b.end = i + 1
				continue
			}
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
		atEnd := false
		if !cont && last != skipping && len([]rune(prev)) >= wrapWidth && (i+1 == len(lines) || strings.TrimSpace(lines[i+1]) == "") {
			// The last header, wrapped: a short line, then the blank line
			// before the body. A line ending like a sentence is the body.
			t := strings.TrimSpace(lines[i])
			if !strings.ContainsAny(t[len(t)-1:], ",:;.!?") && len([]rune(t)) < wrapWidth {
				cont, atEnd = true, true
			}
		}
		if !cont {
			break
		}
		if last != skipping {
			b.fields[last] = strings.TrimSpace(b.fields[last] + " " + strings.TrimSpace(lines[i]))
			if atEnd {
				b.joined = append(b.joined, last)
			}
		}
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
// client's forward marker followed by a header block, Outlook's "On …,
// "Name" <addr> wrote:" opening above an indented body, or an Outlook-style
// header block (From/Sent/To/Subject) on its own. ok is false when the text
// holds none of them.
func FindInline(text string) (in Inline, ok bool) {
	lines := expandOneLineHeaders(splitLines(text))
	for i := 0; i < len(lines); i++ {
		if in, ok := tryMarker(lines, i); ok {
			return in, true
		}
		if in, ok := tryAttribution(lines, i); ok {
			return in, true
		}
		if in, ok := tryBareBlock(lines, i); ok {
			return in, true
		}
	}
	return Inline{}, false
}

// reLabelAnywhere finds known labels inside a line, for Yahoo's header block
// written on one line. Longer labels come first so "Data" wins over "Da".
var reLabelAnywhere = func() *regexp.Regexp {
	seen := map[string]bool{}
	var texts []string
	for _, l := range clientmail.Labels {
		if k := strings.ToLower(l.Text); !seen[k] {
			seen[k] = true
			texts = append(texts, regexp.QuoteMeta(l.Text))
		}
	}
	sort.Slice(texts, func(i, j int) bool { return len(texts[i]) > len(texts[j]) })
	return regexp.MustCompile(`(?i)(` + strings.Join(texts, "|") + `) ?[:：]`)
}()

// expandOneLineHeaders splits Yahoo's "----- Forwarded Message ----- From:
// …To: …Subject: …" into a marker line and one line per header.
func expandOneLineHeaders(lines []string) []string {
	var out []string
	tries := 0 // a real forward has one or two such lines; bound the work on floods
	for i, l := range lines {
		var parts []string
		if tries < 5 && len(l) > 40 && len(l) < 4000 && strings.Contains(l, "@") {
			if marker, rest, ok := clientmail.SplitDashedPrefix(stripBidi(l)); ok && markerForm(marker) != "" {
				tries++
				if p := splitAtLabels(rest); len(p) >= 3 {
					parts = append([]string{marker}, p...)
				}
			}
		}
		if parts == nil {
			if out != nil {
				out = append(out, l)
			}
			continue
		}
		if out == nil {
			out = append(out, lines[:i]...)
		}
		out = append(out, parts...)
	}
	if out == nil {
		return lines
	}
	return out
}

// splitAtLabels cuts "From: a <a@x>To: b <b@x>Subject: s" at each known
// label. A label counts where a header could start: after ">", a digit or
// quote, or as a capital right after a letter ("…comCc:", "…MEZBetreff:"); short
// labels ("A:", "De:") only after ">" or a digit, so "Plan A: budget" stays
// whole.
func splitAtLabels(s string) []string {
	// Yahoo in Polish writes its Cc label without a colon: ">Dw Name <…>".
	s = strings.ReplaceAll(s, ">Dw ", ">Dw: ")
	idx := reLabelAnywhere.FindAllStringSubmatchIndex(s, 40)
	var cuts []int
	for _, m := range idx {
		at := m[2]
		label := s[m[2]:m[3]]
		if at == 0 {
			cuts = append(cuts, at)
			continue
		}
		prev, _ := utf8.DecodeLastRuneInString(s[:at])
		first, _ := utf8.DecodeRuneInString(label)
		short := utf8.RuneCountInString(label) <= 2
		switch {
		case prev == '>' || prev == '"' || unicode.IsDigit(prev):
			cuts = append(cuts, at)
		case !short && unicode.IsSpace(prev):
			cuts = append(cuts, at)
		case !short && unicode.IsLetter(prev) && unicode.IsUpper(first):
			// "…comCc:", and after a zone abbreviation "…09:26:50 MEZBetreff:".
			cuts = append(cuts, at)
		}
	}
	if len(cuts) == 0 || cuts[0] != 0 {
		return nil
	}
	var out []string
	for k, c := range cuts {
		end := len(s)
		if k+1 < len(cuts) {
			end = cuts[k+1]
		}
		out = append(out, strings.TrimSpace(s[c:end]))
	}
	return out
}

// tryAttribution checks for Outlook 2016-2021's forward opening, "On
// 28/10/2021 12:46, "Name" <addr> wrote:", above a body indented by four
// spaces or quoted with ">".
func tryAttribution(lines []string, i int) (Inline, bool) {
	line, quoted := unquote(lines[i])
	date, name, addr, fa, ok := clientmail.MatchForwardAttribution(line)
	if !ok {
		return Inline{}, false
	}
	j := i + 1
	for j < len(lines) && j < i+4 {
		l, _ := unquote(lines[j])
		if quoted {
			l = lines[j]
		}
		if strings.TrimSpace(l) != "" {
			break
		}
		j++
	}
	if j >= len(lines) {
		return Inline{}, false
	}
	region := lines[j:]
	if quoted {
		region = unquoteRegion(lines[i+1:])
		for len(region) > 0 && strings.TrimSpace(region[0]) == "" {
			region = region[1:]
		}
	}
	var body []string
	switch {
	case len(region) > 0 && indented(region[0]):
		body = dedentRegion(region)
	case len(region) > 0 && isQuoted(region[0]):
		body = unquoteRegion(region)
	default:
		return Inline{}, false
	}
	in := Inline{
		Form:     "outlook-wrote",
		Before:   strings.TrimSpace(strings.Join(lines[:i], "\n")),
		Header:   map[string]string{"from": name + " <" + addr + ">", "date": date},
		Embedded: strings.TrimSpace(strings.Join(lines[i:], "\n")),
		Body:     strings.TrimSpace(strings.Join(body, "\n")),
		lang:     fa.Lang, // the opening's words tell the UI language, and with it the date order
		order:    clientmail.NumericDateOrder(fa.Lang),
	}
	return in, true
}

// findLooseAttribution is tryAttribution for text converted from HTML,
// where Outlook's indent (a blockquote) is gone: the body is everything
// under the line. Only called when the subject says FW:, which with the
// quoted name leaves no doubt that this is Outlook's forward.
func findLooseAttribution(text string) (Inline, bool) {
	lines := splitLines(text)
	for i, l := range lines {
		date, name, addr, fa, ok := clientmail.MatchForwardAttribution(l)
		if !ok {
			continue
		}
		body := cleanBody(lines[i+1:])
		if strings.TrimSpace(strings.Join(body, "")) == "" {
			return Inline{}, false
		}
		return Inline{
			Form:     "outlook-wrote",
			Before:   strings.TrimSpace(strings.Join(lines[:i], "\n")),
			Header:   map[string]string{"from": name + " <" + addr + ">", "date": date},
			Embedded: strings.TrimSpace(strings.Join(lines[i:], "\n")),
			Body:     strings.TrimSpace(strings.Join(body, "\n")),
			lang:     fa.Lang,
			order:    clientmail.NumericDateOrder(fa.Lang),
		}, true
	}
	return Inline{}, false
}

func indented(l string) bool { return strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t") }

func isQuoted(l string) bool {
	_, q := unquote(l)
	return q
}

// dedentRegion removes Outlook's four-space indent; the indented text ends
// at the first line that is neither blank nor indented.
func dedentRegion(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		switch {
		case strings.TrimSpace(l) == "":
			out = append(out, "")
		case strings.HasPrefix(l, "    "):
			out = append(out, l[4:])
		case strings.HasPrefix(l, "\t"):
			out = append(out, l[1:])
		default:
			return out
		}
	}
	return out
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
	var uncertain []string
	if k > 0 && isSeparator(lines[k-1]) {
		k--
	} else if k > 0 {
		// A marker the table does not know (another language or client)
		// must not become the coordinator's note: drop a dashed caption, or
		// a short line ending in a colon standing alone above the block.
		prev, _ := unquote(lines[k-1])
		if p := strings.TrimSpace(prev); clientmail.LooksLikeMarker(p) || standaloneColonLine(lines, k-1) {
			uncertain = append(uncertain, fmt.Sprintf("the line %q right above the forwarded header was taken for your mail client's forward marker and left out of your note", cleanValue(p)))
			k--
		}
	}
	form := "headers"
	if _, sent := b.fields["date"]; sent {
		form = "outlook"
	}
	in := makeInline(form, lines[:k], region, b)
	in.Uncertain = append(uncertain, in.Uncertain...)
	return in, true
}

// standaloneColonLine reports a short line ending in a colon with a blank
// line (or nothing) above it, as forward markers stand.
func standaloneColonLine(lines []string, i int) bool {
	l, _ := unquote(lines[i])
	l = strings.TrimSpace(stripBidi(l))
	if !strings.HasSuffix(l, ":") && !strings.HasSuffix(l, "：") || utf8.RuneCountInString(l) > 60 {
		return false
	}
	if _, _, ok := headerLine(l); ok {
		return false
	}
	if i == 0 {
		return true
	}
	above, _ := unquote(lines[i-1])
	return strings.TrimSpace(above) == ""
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
	in.Body = strings.TrimSpace(strings.Join(cleanBody(body[b.end:]), "\n"))
	if loc := reEndForward.FindStringIndex(in.Body); loc != nil {
		in.Body = strings.TrimSpace(in.Body[:loc[0]])
	}
	for _, u := range b.unknown {
		in.Uncertain = append(in.Uncertain, fmt.Sprintf("the forwarded header has a line consultd does not know, %q; it was left out of the inviter, subject and date", u))
	}
	for _, k := range b.joined {
		in.Uncertain = append(in.Uncertain, fmt.Sprintf("the %s was read over two lines: %q", k, b.fields[k]))
	}
	in.lang = labelLanguage(b.fromLabel)
	in.order = clientmail.LabelDateOrder(b.fromLabel)
	return in
}

// cleanBody unquotes a body every line of which is quoted (Missive quotes
// the forwarded text under a plain header block) and empties lines of only
// spaces (IONOS writes "> " plus a space for blank lines).
func cleanBody(lines []string) []string {
	all, some := true, false
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		some = true
		if !isQuoted(l) {
			all = false
			break
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		if all && some {
			l, _ = unquote(l)
		}
		if strings.TrimSpace(l) == "" {
			l = ""
		}
		out[i] = l
	}
	return out
}

// labelLanguage is the one language whose From label this is, or "".
func labelLanguage(label string) string {
	lang := ""
	for _, l := range clientmail.Labels {
		if l.Field == clientmail.FieldFrom && clientmail.NormalizeLabel(l.Text) == clientmail.NormalizeLabel(label) {
			if lang != "" && lang != l.Lang {
				return ""
			}
			lang = l.Lang
		}
	}
	return lang
}
