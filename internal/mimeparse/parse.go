package mimeparse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // charset tables for bodies
)

// Limits on the work one message may cause.
const (
	MaxDepth    = 8        // nested multiparts and embedded messages
	MaxParts    = 1000     // MIME parts across the whole message, embedded ones included
	MaxPartSize = 64 << 20 // decoded bytes kept per part
)

// Parse reads a raw message. It returns an error only when nothing usable could
// be read at all; otherwise problems are recorded in Message.Warnings.
func Parse(raw []byte) (m *Message, err error) {
	return parseWith(raw, Options{})
}

func parseWith(raw []byte, opt Options) (m *Message, err error) {
	p := &parser{opt: opt, keepBudget: DefaultAttachmentBytes, maxHeld: 2*int64(len(raw)) + 1<<20}
	defer func() {
		if r := recover(); r != nil {
			if m == nil {
				m = &Message{Size: len(raw), Header: mail.Header{}}
			}
			m.Warnings = append(m.Warnings, fmt.Sprintf("internal error while parsing (message kept partially): %v", r))
			err = nil
		}
	}()
	return p.parse(raw, 0)
}

type parser struct {
	opt     Options
	parts   int // parts seen so far, across embedded messages
	retries int // re-reads after repairing part headers

	keepBudget int64 // attachment bytes that may be kept (Options.AttachmentBytes)
	kept       int64 // attachment bytes kept so far
	held       int64 // raw bytes of the messages being parsed (the top one and the embedded ones around this point)
	maxHeld    int64 // limit on held: embedded messages beyond it are not parsed
}

var errTooManyParts = errors.New("too many MIME parts")

func (p *parser) parse(raw []byte, depth int) (*Message, error) {
	m := &Message{Size: len(raw), Header: mail.Header{}}
	raw = normalizeInput(raw)
	if len(bytes.TrimSpace(raw)) == 0 {
		return m, errors.New("mimeparse: empty message")
	}
	if capped, n := capHeaderLines(raw); n > 0 {
		raw = capped
		m.Warnings = append(m.Warnings, fmt.Sprintf("malformed header: %d line(s) longer than %d bytes cut short", n, MaxHeaderLine))
	}
	p.held += int64(len(raw))
	defer func() { p.held -= int64(len(raw)) }()

	e, err := message.Read(bytes.NewReader(raw))
	if e == nil && !fieldLine.Match(firstLine(raw)) {
		// No header at all (a bare body, e.g. a returned message without
		// its header): read everything as a text body.
		e, err = message.New(message.Header{}, bytes.NewReader(raw))
		m.Warnings = append(m.Warnings, "missing header: whole message read as body")
	}
	if e == nil {
		// The header block itself is malformed: repair it and try again.
		fixed, n := repairHeader(raw)
		e, err = message.Read(bytes.NewReader(fixed))
		if e == nil {
			return m, fmt.Errorf("mimeparse: reading header: %w", err)
		}
		m.Warnings = append(m.Warnings, fmt.Sprintf("malformed header: %d line(s) repaired", n))
	}
	if err != nil {
		m.Warnings = append(m.Warnings, describeEntityErr("message", err))
	}
	p.readHeader(m, e.Header)
	if depth == 0 && p.opt.AttachmentBytes != nil {
		if b := p.opt.AttachmentBytes(m); b > 0 {
			p.keepBudget = b
		}
	}
	partsBefore, keptBefore := p.parts, p.kept
	if werr := p.walkBody(m, e, err, raw, depth); werr != nil && !errors.Is(werr, errTooManyParts) {
		// A part header or delimiter go-message could not read: repair the
		// part structure and read the message again.
		if fixed, n := repairPartHeaders(raw); n > 0 && p.retries < 3 {
			p.retries++
			p.parts, p.kept = partsBefore, keptBefore
			em, perr := p.parse(fixed, depth)
			if em != nil {
				em.Size = len(raw)
				em.Warnings = append([]string{fmt.Sprintf("malformed multipart: %d delimiter or part header line(s) repaired", n)}, em.Warnings...)
			}
			return em, perr
		}
	}
	p.finishText(m)
	return m, nil
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// normalizeInput turns CR-only line endings into LF (go-message needs LF)
// and drops a leading mbox "From " line.
func normalizeInput(raw []byte) []byte {
	if bytes.IndexByte(raw, '\n') < 0 && bytes.IndexByte(raw, '\r') >= 0 {
		raw = bytes.ReplaceAll(raw, []byte{'\r'}, []byte{'\n'})
	}
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	// Leading blank lines would end the header before it starts.
	for len(raw) > 0 && (raw[0] == '\n' || raw[0] == '\r') {
		if bytes.HasPrefix(raw, []byte("\r\n")) || bytes.HasPrefix(raw, []byte("\n")) {
			raw = raw[bytes.IndexByte(raw, '\n')+1:]
			continue
		}
		break
	}
	return raw
}

var fieldLine = regexp.MustCompile(`^[!-9;-~]+[ \t]*:`)

// repairHeader rewrites a header block that go-message rejects: lines that
// are not fields are joined to the previous field as continuations (or
// dropped when there is none). It returns the fixed message and the number
// of lines touched.
func repairHeader(raw []byte) ([]byte, int) {
	end := len(raw)
	sepLen := 0
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		end, sepLen = i, 2
	}
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 && i < end {
		end, sepLen = i, 4
	}
	var out bytes.Buffer
	fixed := 0
	have := false
	for _, line := range strings.Split(string(raw[:end]), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case line == "":
			continue
		case line[0] == ' ' || line[0] == '\t':
			if !have {
				fixed++
				continue
			}
		case fieldLine.MatchString(line):
			// Field names with spaces before the colon are tolerated by mail
			// clients; go-message is not.
			i := strings.IndexByte(line, ':')
			line = strings.TrimRight(line[:i], " \t") + line[i:]
			have = true
		default:
			fixed++
			if !have {
				continue
			}
			line = " " + line
		}
		out.WriteString(line)
		out.WriteString("\r\n")
	}
	out.WriteString("\r\n")
	if end+sepLen <= len(raw) {
		out.Write(raw[min(end+sepLen, len(raw)):])
	}
	return out.Bytes(), fixed
}

// repairPartHeaders unindents indented boundary delimiters and applies the
// header repair to every part header (the lines after each delimiter up to
// the first blank line).
func repairPartHeaders(raw []byte) ([]byte, int) {
	var bounds [][]byte
	for _, mm := range boundaryRe.FindAllSubmatch(raw, 200) {
		b := append(append([]byte{}, mm[1]...), mm[2]...)
		if len(b) > 0 {
			bounds = append(bounds, append([]byte("--"), b...))
		}
	}
	if len(bounds) == 0 {
		return raw, 0
	}
	isDelim := func(line []byte) bool {
		line = bytes.TrimRight(line, "\r\n \t")
		for _, b := range bounds {
			if bytes.Equal(line, b) {
				return true
			}
		}
		return false
	}
	var out bytes.Buffer
	out.Grow(len(raw))
	total := 0
	rest := raw
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		line := rest
		if i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') && isDelim(bytes.TrimLeft(line, " \t")) {
			line = bytes.TrimLeft(line, " \t") // an indented delimiter
			total++
		}
		out.Write(line)
		if !isDelim(line) {
			continue
		}
		// Part headers are short; looking further would make this quadratic
		// on messages full of delimiters without blank lines.
		win := rest[:min(len(rest), 64<<10)]
		end := bytes.Index(win, []byte("\n\r\n"))
		if e2 := bytes.Index(win, []byte("\n\n")); e2 >= 0 && (end < 0 || e2 < end) {
			end = e2
		}
		if end < 0 {
			continue
		}
		block := rest[:end+1]
		fixed, n := repairHeader(append(append([]byte{}, block...), '\n'))
		if n == 0 {
			continue
		}
		total += n
		// repairHeader ends the block with a blank line; the original blank
		// line follows in rest, so drop one.
		out.Write(bytes.TrimSuffix(fixed, []byte("\r\n")))
		rest = rest[len(block):]
	}
	return out.Bytes(), total
}

func describeEntityErr(where string, err error) string {
	switch {
	case message.IsUnknownCharset(err):
		return fmt.Sprintf("%s: unknown charset (%v); bytes decoded by guess", where, errors.Unwrap(err))
	case message.IsUnknownEncoding(err):
		return fmt.Sprintf("%s: unknown content-transfer-encoding (%v); body kept as sent", where, errors.Unwrap(err))
	}
	return fmt.Sprintf("%s: %v", where, err)
}

func (p *parser) readHeader(m *Message, h message.Header) {
	fields := h.Fields()
	for fields.Next() {
		k := textproto.CanonicalMIMEHeaderKey(fields.Key())
		m.Header[k] = append(m.Header[k], fields.Value())
	}
	get := func(k string) string { return m.Header.Get(k) }

	m.Subject = strings.TrimSpace(decodeHeader(unfold(get("Subject"))))
	addrs := func(k string) []Address {
		var all []Address
		for _, v := range m.Header[k] {
			list, ok := parseAddressList(unfold(v))
			if !ok {
				m.Warnings = append(m.Warnings, fmt.Sprintf("malformed header: %s address list read leniently", k))
			}
			all = append(all, list...)
		}
		return all
	}
	m.From = addrs("From")
	m.ReplyTo = addrs("Reply-To")
	m.To = addrs("To")
	m.Cc = addrs("Cc")
	if s := addrs("Sender"); len(s) > 0 {
		m.Sender = &s[0]
	}
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To"} {
		for _, v := range m.Header[k] {
			if v = strings.Trim(strings.TrimSpace(unfold(v)), "<>"); v != "" {
				m.DeliveredTo = append(m.DeliveredTo, v)
			}
		}
	}
	if rp, ok := m.Header["Return-Path"]; ok && len(rp) > 0 {
		v := strings.TrimSpace(unfold(rp[len(rp)-1])) // the last one is the final envelope sender
		if v == "<>" || v == "" {
			m.ReturnPathEmpty = true
		} else {
			m.ReturnPath = strings.Trim(v, "<> ")
		}
	}
	if ids := parseMsgIDs(get("Message-Id")); len(ids) > 0 {
		m.MessageID = ids[0]
	}
	m.InReplyTo = parseMsgIDs(unfold(get("In-Reply-To")))
	m.References = parseMsgIDs(unfold(get("References")))
	if d := get("Date"); d != "" {
		if t, ok := parseDate(unfold(d)); ok {
			m.Date = t
		} else {
			m.Warnings = append(m.Warnings, fmt.Sprintf("malformed header: unparsable Date %q", truncate(d, 80)))
		}
	}
	ct := get("Content-Type")
	typ, params, strict := parseMediaType(unfold(ct))
	if !strict {
		m.Warnings = append(m.Warnings, fmt.Sprintf("malformed header: Content-Type %q read leniently", truncate(ct, 120)))
	}
	if typ == "" || !strings.Contains(typ, "/") {
		typ = "text/plain"
	}
	m.ContentType, m.Params = typ, params
}

func unfold(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n ", " ")
	s = strings.ReplaceAll(s, "\n\t", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// bodyState collects body candidates while walking the tree.
type bodyState struct {
	text, html []string
	containers []container     // multipart containers by path depth
	altClaimed map[int]*[2]int // per alternative: branch (index+1) that gave the plain / HTML body
	nextAltID  int
}

type container struct {
	subtype  string
	altID    int // id of the nearest multipart/alternative at or above this level
	altLevel int // path length of that alternative container
}

// walkBody walks the MIME tree of e with Entity.Walk, sorting every leaf into
// text/html bodies, attachments, embedded messages and delivery status.
func (p *parser) walkBody(m *Message, e *message.Entity, rootErr error, raw []byte, depth int) error {
	st := &bodyState{altClaimed: map[int]*[2]int{}}
	root := true
	err := e.Walk(func(path []int, part *message.Entity, werr error) error {
		p.parts++
		if p.parts > MaxParts {
			return errTooManyParts
		}
		where := partName(path)
		if werr != nil && !root {
			m.Warnings = append(m.Warnings, describeEntityErr(where, werr))
		}
		isRoot := root
		root = false
		if isRoot {
			werr = rootErr
		}
		typ, params, strict := parseMediaType(unfold(part.Header.Get("Content-Type")))
		if !strict && !isRoot {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%s: malformed Content-Type %q read leniently", where, truncate(part.Header.Get("Content-Type"), 120)))
		}
		if typ == "" || !strings.Contains(typ, "/") {
			typ = defaultType(st, path)
		}
		if strings.HasPrefix(typ, "multipart/") {
			p.prepareMultipart(m, part, typ, params, strict, isRoot, raw, len(path)+depth, where)
			// prepareMultipart may have turned it into a single part.
			if t, _, _ := part.Header.ContentType(); strings.HasPrefix(t, "multipart/") {
				p.pushContainer(st, path, strings.TrimPrefix(typ, "multipart/"))
				return nil
			}
			typ, params, _ = parseMediaType(part.Header.Get("Content-Type"))
		}
		p.leaf(m, st, path, part, typ, params, strict, werr, depth)
		return nil
	})
	switch {
	case err == nil:
	case errors.Is(err, errTooManyParts):
		m.Warnings = append(m.Warnings, fmt.Sprintf("more than %d MIME parts; the rest ignored", MaxParts))
	default:
		// Typically a missing closing boundary: keep what was read.
		m.Warnings = append(m.Warnings, fmt.Sprintf("multipart structure broken (%v); parts read so far kept", err))
	}
	// Text parts of a multipart/mixed are joined with a "--" line, as enmime
	// does: what follows the first part (a list footer, a text attachment
	// without disposition) is rarely what the sender typed as the reply.
	m.Text = strings.Join(st.text, "\n--\n")
	m.HTML = strings.Join(st.html, "\n")
	if err != nil && strings.HasPrefix(m.ContentType, "multipart/") && len(st.text)+len(st.html)+len(m.Attachments)+len(m.Embedded) == 0 && m.DeliveryStatus == nil {
		// Not one part could be read: the declared boundary never occurs.
		// Use the one the body does use, else show the body as text.
		body := bodyAfterHeader(raw)
		if g := guessBoundary(body); g != "" && g != m.Params["boundary"] && p.retries < 3 {
			p.retries++
			typ, params, _ := parseMediaType(unfold(e.Header.Get("Content-Type")))
			params["boundary"] = g
			h := e.Header.Copy()
			h.Set("Content-Type", mime.FormatMediaType(typ, params))
			if ne, _ := message.New(h, bytes.NewReader(body)); ne != nil && h.Get("Content-Type") != "" {
				m.Warnings = append(m.Warnings, fmt.Sprintf("boundary %q not found; using %q found in the body", m.Params["boundary"], g))
				return p.walkBody(m, ne, nil, raw, depth)
			}
		}
		if len(bytes.TrimSpace(body)) > 0 {
			m.Text = decodeCharset("", body)
			m.Warnings = append(m.Warnings, "no MIME part found; body read as text")
		}
	}
	return err
}

// bodyAfterHeader returns what follows the first blank line.
func bodyAfterHeader(raw []byte) []byte {
	i := bytes.Index(raw, []byte("\n\n"))
	j := bytes.Index(raw, []byte("\n\r\n"))
	switch {
	case i < 0 && j < 0:
		return nil
	case i < 0 || (j >= 0 && j < i):
		return raw[j+3:]
	}
	return raw[i+2:]
}

// unflow undoes RFC 3676 format=flowed: a line ending in a space continues
// on the next line of the same quote depth. Signature separators stay.
func unflow(s string, delsp bool) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	var b strings.Builder
	b.Grow(len(s))
	prevDepth := -1
	joining := false
	for _, l := range lines {
		depth := 0
		for depth < len(l) && l[depth] == '>' {
			depth++
		}
		content := l[depth:]
		content = strings.TrimPrefix(content, " ") // space-stuffing
		if joining && depth != prevDepth {
			b.WriteByte('\n') // quote depth changed: the flowed line ends here
			joining = false
		}
		if !joining {
			b.WriteString(strings.Repeat(">", depth))
			if depth > 0 {
				b.WriteByte(' ')
			}
		}
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if flowed && delsp {
			content = content[:len(content)-1]
		}
		b.WriteString(content)
		if !flowed {
			b.WriteByte('\n')
		}
		joining, prevDepth = flowed, depth
	}
	out := b.String()
	if !strings.HasSuffix(s, "\n") {
		out = strings.TrimSuffix(out, "\n")
	}
	return out
}

// defaultType is text/plain, or message/rfc822 inside multipart/digest.
func defaultType(st *bodyState, path []int) string {
	if len(path) > 0 && len(path)-1 < len(st.containers) && st.containers[len(path)-1].subtype == "digest" {
		return "message/rfc822"
	}
	return "text/plain"
}

func partName(path []int) string {
	if len(path) == 0 {
		return "body"
	}
	s := make([]string, len(path))
	for i, n := range path {
		s[i] = fmt.Sprint(n + 1)
	}
	return "part " + strings.Join(s, ".")
}

func (p *parser) pushContainer(st *bodyState, path []int, subtype string) {
	lvl := len(path)
	st.containers = st.containers[:min(lvl, len(st.containers))]
	for len(st.containers) < lvl {
		st.containers = append(st.containers, container{})
	}
	c := container{subtype: subtype}
	if lvl > 0 {
		c.altID, c.altLevel = st.containers[lvl-1].altID, st.containers[lvl-1].altLevel
	}
	if subtype == "alternative" {
		st.nextAltID++
		c.altID, c.altLevel = st.nextAltID, lvl
		st.altClaimed[c.altID] = &[2]int{}
	}
	st.containers = append(st.containers, c)
}

var boundaryRe = regexp.MustCompile(`(?i)boundary\s*=\s*(?:"([^"]*)"?|([^\s;]+))`)

// prepareMultipart fixes a multipart entity before Walk reads its children:
// a boundary go-message could not parse is pulled out with a regex, a missing
// one is guessed from the body, and nesting beyond MaxDepth is not followed.
func (p *parser) prepareMultipart(m *Message, part *message.Entity, typ string, params map[string]string, strict, isRoot bool, raw []byte, depth int, where string) {
	if depth >= MaxDepth {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: multipart nested deeper than %d; not followed", where, MaxDepth))
		demote(part, "application/octet-stream", nil)
		return
	}
	b := params["boundary"]
	if strict && b != "" {
		return
	}
	if b == "" {
		if mm := boundaryRe.FindStringSubmatch(part.Header.Get("Content-Type")); mm != nil {
			b = mm[1] + mm[2]
		}
	}
	body := part.Body
	if b == "" {
		// No boundary parameter: take the first "--x" line of the body if a
		// later line closes or repeats it.
		data, _ := io.ReadAll(io.LimitReader(part.Body, MaxPartSize))
		b = guessBoundary(data)
		body = bytes.NewReader(data)
		if b == "" {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%s: %s without boundary; read as text", where, typ))
			demote(part, "text/plain", body)
			return
		}
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: missing boundary parameter; guessed %q", where, b))
	} else {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: malformed Content-Type parameters; boundary %q recovered", where, b))
	}
	h := part.Header.Copy()
	params["boundary"] = b
	h.Set("Content-Type", mime.FormatMediaType(typ, params))
	if h.Get("Content-Type") == "" { // FormatMediaType refuses odd values
		h.Set("Content-Type", typ+`; boundary="`+strings.ReplaceAll(b, `"`, "")+`"`)
	}
	ne, _ := message.New(h, body)
	*part = *ne
}

// demote replaces a multipart entity with a single part of typ so that Walk
// does not descend into it.
func demote(part *message.Entity, typ string, body io.Reader) {
	h := part.Header.Copy()
	h.Set("Content-Type", typ)
	h.Del("Content-Transfer-Encoding")
	if body == nil {
		body = part.Body
	}
	ne, _ := message.New(h, body)
	*part = *ne
}

func guessBoundary(data []byte) string {
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r \t")
		if len(line) > 2 && bytes.HasPrefix(line, []byte("--")) {
			b := string(line[2:])
			if bytes.Count(data, []byte("--"+b)) >= 2 {
				return strings.TrimSuffix(b, "--")
			}
			return ""
		}
	}
	return ""
}

// leaf sorts one non-multipart part.
func (p *parser) leaf(m *Message, st *bodyState, path []int, part *message.Entity, typ string, params map[string]string, strict bool, werr error, depth int) {
	where := partName(path)
	disp, dparams, _ := parseMediaType(unfold(part.Header.Get("Content-Disposition")))
	// Read no more than this part can use: what may be kept as an
	// attachment, MaxTextBytes of a body, or enough of an embedded message
	// to parse it. The rest is decoded and dropped, never held.
	limit := p.keepRoom()
	switch {
	case typ == "message/delivery-status" || typ == "message/global-delivery-status":
		limit = maxStatusBytes
	case typ == "message/rfc822" || typ == "message/global":
		if depth+1 < MaxDepth {
			limit = max(limit, p.maxHeld-p.held)
		}
	case (typ == "text/plain" || typ == "text/html") && disp != "attachment":
		limit = max(limit, MaxTextBytes)
	}
	data, total, rerr := readCapped(part.Body, min(limit, MaxPartSize))
	if rerr != nil {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: body damaged (%v); %d bytes kept", where, rerr, len(data)))
	}
	complete := total == int64(len(data))
	filename := firstNonEmpty(dparams["filename"], params["name"], params["filename"], params["file"])
	filename = strings.TrimSpace(decodeHeader(filename))

	parent := container{}
	if lvl := len(path) - 1; lvl >= 0 && lvl < len(st.containers) {
		parent = st.containers[lvl]
	}

	switch typ {
	case "message/delivery-status", "message/global-delivery-status":
		if m.DeliveryStatus == nil {
			m.DeliveryStatus = []byte{} // non-nil: the part exists, even if empty
		}
		m.DeliveryStatus = append(m.DeliveryStatus, data...)
		if !complete {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%s: delivery status longer than %s; the rest ignored", where, sizeText(maxStatusBytes)))
		}
		return
	case "message/rfc822", "message/global":
		if complete {
			p.embedded(m, data, depth, where)
		} else if depth+1 < MaxDepth {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%s: embedded message of %s not parsed: too large at this depth", where, sizeText(total)))
		}
		m.Attachments = append(m.Attachments, p.attachment(m, part, typ, filename, disp, data, total, where))
		return
	}

	// A named text part after the body is a text attachment, even when
	// shown inline (Apple Mail, Thunderbird).
	isBody := (typ == "text/plain" || typ == "text/html") && disp != "attachment" &&
		!(filename != "" && (len(st.text)+len(st.html) > 0))
	if isBody && looksBinary(data) {
		// Binary bytes labelled text (a GIF sent as text/plain): keep them
		// byte-exact as an attachment rather than as garbled text.
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: binary content labelled %s; kept as attachment", where, typ))
		isBody = false
	}
	if !isBody {
		m.Attachments = append(m.Attachments, p.attachment(m, part, typ, filename, disp, data, total, where))
		return
	}
	if len(data) > MaxTextBytes || !complete {
		data = data[:min(len(data), MaxTextBytes)]
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: text of %s cut to its first %s", where, sizeText(total), sizeText(MaxTextBytes)))
	}

	text := p.decodeText(m, part, params, strict, werr, data, where)
	text = strings.TrimPrefix(text, "\uFEFF") // BOM some iPhone and Windows clients add
	if typ == "text/plain" && strings.EqualFold(params["format"], "flowed") {
		text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
	}
	idx := 0
	if typ == "text/html" {
		idx = 1
	}
	if parent.altID != 0 && parent.altLevel < len(path) {
		// Only one branch of an alternative gives each body; a branch may
		// hold several pieces (Apple Mail splits HTML around images).
		claimed := st.altClaimed[parent.altID]
		branch := path[parent.altLevel] + 1
		if claimed[idx] != 0 && claimed[idx] != branch {
			m.Attachments = append(m.Attachments, p.attachment(m, part, typ, filename, disp, data, total, where))
			return
		}
		claimed[idx] = branch
	}
	if idx == 0 {
		st.text = append(st.text, text)
	} else {
		st.html = append(st.html, text)
	}
}

// decodeText returns a text part's body as UTF-8. go-message has already
// converted known charsets; when it could not (unknown or malformed charset
// parameter, no charset, 8-bit bytes under us-ascii) the bytes are decoded
// here with a fallback.
func (p *parser) decodeText(m *Message, part *message.Entity, params map[string]string, strict bool, werr error, data []byte, where string) string {
	cs := normCharset(params["charset"])
	converted := strict && cs != "" && cs != "utf-8" && cs != "us-ascii" && !message.IsUnknownCharset(werr)
	if converted {
		return string(bytes.ToValidUTF8(data, []byte("\uFFFD")))
	}
	if (cs == "" || cs == "us-ascii") && !utf8.Valid(data) {
		// HTML often names its charset only in a <meta> tag.
		if mm := metaCharset.FindSubmatch(data[:min(len(data), 4096)]); mm != nil {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%s: charset %q taken from <meta>", where, mm[1]))
			return decodeCharset(string(mm[1]), data)
		}
	}
	s := decodeCharset(cs, data)
	if cs == "" || cs == "utf-8" || cs == "us-ascii" {
		if !utf8.Valid(data) {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%s: bytes do not match charset %q; decoded by guess", where, params["charset"]))
		}
	}
	return s
}

var metaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?([a-z0-9_.:-]+)`)

// looksBinary reports NUL bytes or many control characters in the first 4 KB
// (ESC is allowed: ISO-2022-JP uses it).
func looksBinary(b []byte) bool {
	if len(b) > 4096 {
		b = b[:4096]
	}
	ctl := 0
	for _, c := range b {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b:
			ctl++
		}
	}
	return ctl*10 > len(b)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// attachment records a part of total decoded bytes, of which data was read,
// keeping as much of data as the budget allows.
func (p *parser) attachment(m *Message, part *message.Entity, typ, filename, disp string, data []byte, total int64, where string) Attachment {
	cid := strings.TrimSpace(part.Header.Get("Content-Id"))
	cid = strings.TrimSuffix(strings.TrimPrefix(cid, "<"), ">")
	kept := p.keep(data)
	a := Attachment{
		Filename:    filename,
		ContentType: typ,
		ContentID:   cid,
		Inline:      disp == "inline",
		Disposition: disp,
		Data:        kept,
		Size:        total,
		Truncated:   int64(len(kept)) < total,
	}
	if v := strings.TrimSpace(part.Header.Get("X-Consultd-Blob")); v != "" {
		// Stored while read (mailbox.BlobHeader): "HANDLE; size=N".
		handle, size, _ := strings.Cut(v, ";")
		a.Blob = strings.TrimSpace(handle)
		if n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(size), "size="), 10, 64); err == nil && n >= 0 {
			a.Size = n
		}
		a.Truncated = false
	}
	if a.Truncated {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: attachment %q of %s: only its first %s kept (limit on attachment data per message)",
			where, filename, sizeText(total), sizeText(int64(len(kept)))))
	}
	return a
}

// embedded parses a message/rfc822 part recursively, within MaxDepth.
func (p *parser) embedded(m *Message, data []byte, depth int, where string) {
	if depth+1 >= MaxDepth {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: embedded message nested deeper than %d; kept as attachment only", where, MaxDepth))
		return
	}
	// A failure inside the embedded message must not lose the outer one.
	defer func() {
		if r := recover(); r != nil {
			m.Warnings = append(m.Warnings, fmt.Sprintf("internal error in embedded message at %s (kept as attachment only): %v", where, r))
		}
	}()
	em, err := p.parse(data, depth+1)
	if err != nil {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: embedded message unreadable: %v", where, err))
		return
	}
	m.Embedded = append(m.Embedded, em)
}

// finishText normalises line endings and derives text from HTML when the
// message has no plain-text body.
func (p *parser) finishText(m *Message) {
	if strings.TrimSpace(m.Text) == "" && m.HTML != "" {
		m.Text = HTMLToText(m.HTML)
		m.Warnings = append(m.Warnings, "plain text derived from HTML")
	}
	m.Text = normalizeNewlines(m.Text)
	m.HTML = normalizeNewlines(m.HTML)
}

func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}
