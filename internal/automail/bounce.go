package automail

import (
	"encoding/json"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"consultd/internal/mimeparse"
)

// maxScan bounds the text scanned for a free-text bounce; maxContext the
// text read for one recipient's reason.
const (
	maxScan    = 256 << 10
	maxContext = 8 << 10
)

// clip cuts s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func parseBounce(m *mimeparse.Message) *Bounce {
	if b, ok := sesBounce(m); ok {
		return b
	}
	var rcpts []Recipient
	ds := m.DeliveryStatus
	if len(ds) == 0 && !isHumanResend(m) {
		ds = inlineDeliveryStatus(scanText(m))
	}
	isDSN := len(ds) > 0
	if isDSN {
		_, blocks := ParseDeliveryStatus(ds)
		rcpts = dsnRecipients(blocks)
		if len(rcpts) > 0 && allSucceeded(rcpts) {
			return nil
		}
	}
	if !isDSN && !looksLikeBounce(m) {
		return nil
	}
	if !isDSN {
		// Some gateways wrap the real DSN as an attachment of their own notice.
		for _, e := range m.Embedded {
			if e != nil && (len(e.DeliveryStatus) > 0 || looksLikeBounce(e)) {
				if b := parseBounce(e); b != nil && len(b.Recipients) > 0 {
					return b
				}
			}
		}
	}
	if len(rcpts) == 0 {
		rcpts = freeTextRecipients(m)
	}
	explain := explanation(m)
	var kept []Recipient
	for i, r := range rcpts {
		if r.Action == "delivered" || r.Action == "relayed" || r.Action == "expanded" {
			continue
		}
		// The human-readable part often says more than the DSN fields.
		ctx := clip(diagnosticFor(explain, r.Address), maxContext)
		// The whole report is read for the first few recipients only, so a
		// report naming hundreds stays cheap.
		if i < 20 && (r.Status == "" || isGeneric(r.Status)) && findStatus(r.Diagnostic+" "+ctx) == "" {
			ctx += "\n" + clip(explain, maxContext)
		}
		r.Diagnostic = clip(r.Diagnostic, maxContext)
		classify(&r, ctx)
		kept = append(kept, r)
	}
	if isDSN && len(kept) == 0 && len(rcpts) > 0 {
		return nil
	}
	return &Bounce{Recipients: kept, OriginalMessageID: originalMessageID(m)}
}

var inlineDSNRe = regexp.MustCompile(`(?mi)^(?:Reporting-MTA|Final-Recipient|Original-Recipient):`)

// inlineDeliveryStatus finds DSN fields written into a plain-text bounce (or
// left in the text when the MIME structure is broken), or returns nil.
func inlineDeliveryStatus(text string) []byte {
	loc := inlineDSNRe.FindStringIndex(text)
	if loc == nil {
		return nil
	}
	rest := text[loc[0]:]
	if !regexp.MustCompile(`(?mi)^(?:Final|Original)-Recipient:`).MatchString(rest) || !regexp.MustCompile(`(?mi)^(?:Action|Status):`).MatchString(rest) {
		return nil
	}
	return []byte(rest)
}

func allSucceeded(rs []Recipient) bool {
	for _, r := range rs {
		switch r.Action {
		case "delivered", "relayed", "expanded":
		default:
			if !strings.HasPrefix(r.Status, "2.") {
				return false
			}
		}
	}
	return true
}

var (
	bounceSubjectRe = regexp.MustCompile(`(?i)^\s*(?:` + strings.Join([]string{
		`undeliver(?:ed|able)`, `undelivered mail`, `mail delivery (?:failed|failure|system|subsystem)`,
		`delivery (?:status notification|failure|failed|notification|report|problem|has failed)`,
		`failure notice`, `returned mail`, `return(?:ed)? to sender`, `non[- ]?delivery`, `delivery failed`,
		`could not send message`, `message (?:could not be delivered|not delivered|delivery failed)`,
		`mail could not be delivered`, `unable to deliver`, `nondeliverable`, `warning: could not send`,
		`rejected:`, `failed mail`, `mail failure`, `bounce`, `permanent delivery failure`, `delayed mail`,
		`delivery delayed`, `mail system error`, `error sending message`, `message you sent`, `notice of delivery failure`,
		`delivery notification`, `address not found`, `mail returned`, `warning: message`, `mail delivery problem`,
		`there was an error sending`, `unzustellbar`, `non remis`, `no se puede entregar`, `不達`, `配信`, `エラー`, `returned message`,
	}, "|") + `)`)
	daemonNameRe = regexp.MustCompile(`(?i)mail delivery (?:sub)?system|mailer[- ]?daemon|postmaster|mail administrator|delivery status|microsoft outlook|mail delivery`)
)

// looksLikeBounce recognises a non-delivery report by its sender, subject or
// the headers MTAs add to bounces.
func looksLikeBounce(m *mimeparse.Message) bool {
	if m.ContentType == "multipart/report" && !isReport(m) {
		return true
	}
	if m.Get("X-Failed-Recipients") != "" {
		return true
	}
	fromDaemon := false
	for _, a := range m.From {
		local, _, _ := strings.Cut(strings.ToLower(a.Address), "@")
		l := addrPunct.Replace(local)
		if l == "mailerdaemon" || l == "postmaster" || l == "maildaemon" || strings.HasPrefix(l, "mailerdaemon") || daemonNameRe.MatchString(a.Name) {
			fromDaemon = true
		}
	}
	if f := strings.ToLower(m.Header.Get("From")); strings.Contains(f, "mailer-daemon") || strings.Contains(f, "mailer_daemon") {
		fromDaemon = true
	}
	if fromDaemon {
		return true
	}
	if m.Get("X-Mlserver") != "" && listErrorSubjectRe.MatchString(m.Subject) {
		// fml list server notices: a post refused or looping.
		return true
	}
	if bounceSubjectRe.MatchString(m.Subject) {
		return true
	}
	if isHumanResend(m) {
		// A person forwarding or replying to a bounce quotes its text; that
		// is not a bounce of ours.
		return false
	}
	body := strings.ToLower(scanText(m))
	for _, p := range bounceBodyMarkers {
		if strings.Contains(body, strings.ToLower(p)) {
			return true
		}
	}
	return false
}

var resendSubjectRe = regexp.MustCompile(`(?i)^\s*(?:re|fw|fwd|tr|wg|aw|rv|sv|vs|antw|رد|إعادة توجيه|توجيه)\s*:`)

// isHumanResend: a subject that a person's client writes when replying or
// forwarding ("Re:", "Fwd:", "TR:", Arabic "رد:"), not an MTA's.
func isHumanResend(m *mimeparse.Message) bool {
	return resendSubjectRe.MatchString(m.Subject)
}

var listErrorSubjectRe = regexp.MustCompile(`(?i)not member|loop alert|command error|rejected`)

// bounceBodyMarkers are sentences that only MTA bounce templates contain.
var bounceBodyMarkers = []string{
	"This message was created automatically by mail delivery software",
	"I'm afraid I wasn't able to deliver your message",
	"I'm sorry to have to inform you that your message could not",
	"This is the mail system at host",
	"Delivery has failed to these recipients or groups",
	"Your message did not reach some or all of the intended recipients",
	"The following addresses had permanent fatal errors",
	"Delivery to the following recipient",
	"Delivery to the following recipients failed",
	"could not be delivered to one or more recipients",
	"Your message could not be delivered",
	"Message delivery has failed",
	"The original message was received at",
	"Unable to deliver message to the following",
	"The message you sent to",
	"Hi. This is the qmail-send program",
	"This is an automatically generated Delivery Status Notification",
	"Your message wasn't delivered",
	"Diagnostic-Code:",
	"Could not be delivered to:",
	"We had trouble delivering your message",
	"You are not a member of this mailing list",
}

func scanText(m *mimeparse.Message) string {
	t := m.Text
	if t == "" {
		t = stripTags(m.HTML)
	}
	if strings.TrimSpace(t) == "" {
		// A body the parser kept as an attachment (odd disposition or
		// encoding) is still the bounce's text.
		for _, a := range m.Attachments {
			if strings.HasPrefix(strings.ToLower(a.ContentType), "text/plain") && len(t) < maxScan {
				t += string(a.Data) + "\n"
			}
		}
	}
	if len(t) > maxScan {
		t = t[:maxScan]
	}
	return strings.ReplaceAll(strings.ReplaceAll(t, "\r\n", "\n"), "\r", "\n")
}

var tagRe = regexp.MustCompile(`(?s)<(?:style|script)[^>]*>.*?</(?:style|script)>|<br\s*/?>|</?(?:p|div|tr|li|table)[^>]*>|<[^>]*>`)

// stripTags is a crude HTML-to-text good enough to find addresses and codes.
func stripTags(h string) string {
	if len(h) > maxScan {
		h = h[:maxScan]
	}
	h = tagRe.ReplaceAllStringFunc(h, func(t string) string {
		lt := strings.ToLower(t)
		if strings.HasPrefix(lt, "<br") || strings.HasPrefix(lt, "<p") || strings.HasPrefix(lt, "</p") || strings.HasPrefix(lt, "<div") || strings.HasPrefix(lt, "</div") || strings.HasPrefix(lt, "<tr") || strings.HasPrefix(lt, "<li") {
			return "\n"
		}
		return ""
	})
	return htmlEntities.Replace(h)
}

// returnedMarkers start the copy of the original message that bounces append;
// text after them is the sender's own mail and must not be read as a report.
var returnedMarkers = []string{
	"------ This is a copy of the message",
	"------ The body of the message is",
	"--- Below this line is a copy of the message",
	"--- Enclosed is a copy of the message",
	"----- Original message -----",
	"-----Original Message-----",
	"------ Original message ------",
	"----- Original Message -----",
	"----- The following is a copy of the message",
	"----- Unsent message follows -----",
	"------- Returned Message --------",
	"----- Transcript of session follows -----",
	"Original message follows",
	"Original message headers:",
	"The header of the original message is following",
	"Content-Type: message/rfc822",
	"Content-Type: text/rfc822-headers",
	"----- Message header follows -----",
	"--- Original message follows.",
	"Received: from",
	"Return-Path: <",
	"Return-path: <",
}

// reportPart returns the bounce's own explanation: the text before any copy
// of the returned message.
func reportPart(text string) string {
	cut := len(text)
	for _, mk := range returnedMarkers {
		if i := strings.Index(text, mk); i >= 0 && i < cut {
			if mk == "----- Transcript of session follows -----" {
				continue
			}
			cut = i
		}
	}
	return text[:cut]
}

func explanation(m *mimeparse.Message) string { return reportPart(scanText(m)) }

var (
	addrRe = regexp.MustCompile(`[A-Za-z0-9!#$%&'*+/=?^_{|}~.\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+`)
	// recipientLineRe: a line that starts with a failed recipient, as MTAs
	// write it: "<addr>: host said ...", "  addr", "addr on <date>",
	// "*  addr", ">>> addr <addr>... User unknown", "Recipient: addr".
	recipientLineRe = regexp.MustCompile(`(?i)^[\s*\->•\[]*(?:[245]\d\d[ \-])?(?:status: \w+, )?` +
		`(?:(?:original[- ]recipient|final[- ]recipient|recipient(?:\s+address(?:es)?)?|failed\s+recipient|rcpt\s+to|address|unknown\s+(?:user|address)|invalid\s+recipient|undeliverable\s+to|to)\s*:\s*(?:rfc822;\s*)?)?` +
		`["<]?[A-Za-z0-9!#$%&'*+/=?^_{|}~.\-]+@[A-Za-z0-9.\-]+[>"]?(?:[\s:;,.(\[]|$)`)
)

// freeTextRecipients extracts failed recipients from a free-text bounce.
func freeTextRecipients(m *mimeparse.Message) []Recipient {
	report := explanation(m)
	skip := ownAddresses(m)
	var out []Recipient
	seen := map[string]bool{}
	add := func(addr, diag string) {
		addr = strings.Trim(addr, "<>\"'.,;:()[]")
		la := strings.ToLower(addr)
		if addr == "" || seen[la] || skip[la] || len(out) >= MaxRecipients {
			return
		}
		seen[la] = true
		out = append(out, Recipient{Address: addr, Action: "failed", Diagnostic: diag})
	}
	if xf := m.Get("X-Failed-Recipients"); xf != "" {
		for _, a := range addrRe.FindAllString(xf, -1) {
			add(a, diagnosticFor(report, a))
		}
		if len(out) > 0 {
			return out
		}
	}
	lines := strings.Split(report, "\n")
	for i, line := range lines {
		if !recipientLineRe.MatchString(line) {
			continue
		}
		for _, a := range addrRe.FindAllString(line, 1) {
			add(a, blockAfter(lines, i))
		}
	}
	if len(out) == 0 {
		for _, a := range originalRecipients(m) {
			add(a, strings.TrimSpace(report))
		}
	}
	if len(out) == 0 {
		// Last resort: any address in the report that is not ours.
		for _, a := range addrRe.FindAllString(report, -1) {
			add(a, strings.TrimSpace(report))
			break
		}
	}
	return out
}

var transcriptLineRe = regexp.MustCompile(`^(?:[245]\d\d [^\s]+.*\.\.\. |While talking to |>>> )`)

// blockAfter returns line i and the following non-blank, indented or
// continuation lines: the diagnostic that MTAs print under an address.
func blockAfter(lines []string, i int) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(lines[i]))
	for j := i + 1; j < len(lines) && j <= i+8; j++ {
		l := lines[j]
		if strings.TrimSpace(l) == "" {
			if b.Len() > len(strings.TrimSpace(lines[i]))+2 && !strings.HasSuffix(b.String(), ":") {
				break
			}
			continue
		}
		if recipientLineRe.MatchString(l) && addrRe.MatchString(l) && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "\t") {
			break
		}
		if transcriptLineRe.MatchString(l) {
			// Sendmail transcripts: one line per recipient or host.
			break
		}
		b.WriteString(" ")
		b.WriteString(strings.TrimSpace(l))
	}
	return b.String()
}

// diagnosticFor returns the lines of the report around addr, or the whole
// report when addr is not mentioned.
func diagnosticFor(report, addr string) string {
	lines := strings.Split(report, "\n")
	if addr != "" {
		for i, l := range lines {
			if strings.Contains(strings.ToLower(l), strings.ToLower(addr)) {
				return blockAfter(lines, i)
			}
		}
	}
	return strings.Join(strings.Fields(report), " ")
}

// ownAddresses are addresses in a bounce that are not failed recipients: the
// bounce's sender and recipient (our own address).
func ownAddresses(m *mimeparse.Message) map[string]bool {
	s := map[string]bool{}
	for _, h := range []string{"From", "To", "Reply-To", "Return-Path", "Sender"} {
		for _, a := range addrRe.FindAllString(m.Header.Get(h), -1) {
			s[strings.ToLower(a)] = true
		}
	}
	for _, e := range m.Embedded {
		if e == nil {
			continue
		}
		for _, a := range addrRe.FindAllString(e.Header.Get("From"), -1) {
			s[strings.ToLower(a)] = true
		}
	}
	return s
}

// originalRecipients are the To addresses of the returned message, from the
// embedded message or text/rfc822-headers.
func originalRecipients(m *mimeparse.Message) []string {
	for _, e := range m.Embedded {
		if e != nil {
			if as := addrRe.FindAllString(e.Header.Get("To"), -1); len(as) > 0 {
				return as
			}
		}
	}
	if h := returnedHeaders(m); h != nil {
		return addrRe.FindAllString(h.Get("To"), -1)
	}
	return nil
}

// returnedHeaders reads the header block of a returned message found in a
// text/rfc822-headers attachment or after a marker in the text.
func returnedHeaders(m *mimeparse.Message) mail.Header {
	for _, a := range m.Attachments {
		ct := strings.ToLower(a.ContentType)
		if ct == "text/rfc822-headers" || ct == "message/rfc822-headers" || ct == "message/rfc822" {
			if h := readHeaderBlock(string(a.Data)); h != nil {
				return h
			}
		}
	}
	text := scanText(m)
	rep := reportPart(text)
	if len(rep) < len(text) {
		rest := text[len(rep):]
		// Skip the marker line itself, then read headers.
		if i := strings.IndexByte(rest, '\n'); i >= 0 && !strings.HasPrefix(rest, "Received:") && !strings.HasPrefix(rest, "Return-") {
			rest = rest[i+1:]
		}
		return readHeaderBlock(strings.TrimLeft(rest, "\n "))
	}
	return nil
}

var headerLineRe = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9\-]*):\s?(.*)$`)

// readHeaderBlock reads RFC 5322 header fields up to the first blank line,
// tolerating indentation and junk lines.
func readHeaderBlock(s string) mail.Header {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	h := mail.Header{}
	var last string
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if n++; n > 400 {
			break
		}
		if strings.TrimSpace(l) == "" {
			if len(h) > 0 {
				break
			}
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && last != "" {
			v := h[last]
			v[len(v)-1] += " " + strings.TrimSpace(l)
			continue
		}
		if sm := headerLineRe.FindStringSubmatch(strings.TrimSpace(l)); sm != nil {
			last = canonicalKey(sm[1])
			h[last] = append(h[last], sm[2])
		}
	}
	if len(h) == 0 {
		return nil
	}
	return h
}

var msgIDRe = regexp.MustCompile(`<([^<>\s]+@[^<>\s]+)>`)

// originalMessageID is the Message-ID of the returned message, without <>.
func originalMessageID(m *mimeparse.Message) string {
	for _, e := range m.Embedded {
		if e == nil {
			continue
		}
		if e.MessageID != "" {
			return e.MessageID
		}
		if id := cleanID(e.Header.Get("Message-Id")); id != "" {
			return id
		}
	}
	if h := returnedHeaders(m); h != nil {
		if id := cleanID(h.Get("Message-Id")); id != "" {
			return id
		}
	}
	return ""
}

func cleanID(v string) string {
	if sm := msgIDRe.FindStringSubmatch(v); sm != nil {
		return sm[1]
	}
	return strings.Trim(strings.TrimSpace(v), "<>")
}

// sesNotification is the JSON Amazon SES sends (via SNS e-mail) for bounces,
// complaints and deliveries.
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	Mail             struct {
		MessageID string `json:"messageId"`
	} `json:"mail"`
	Bounce struct {
		BounceType        string `json:"bounceType"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Action         string `json:"action"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
}

func decodeSES(m *mimeparse.Message) *sesNotification {
	t := m.Text
	i := strings.Index(t, `{"notificationType"`)
	if i < 0 {
		i = strings.Index(t, `"notificationType"`)
		if i < 0 {
			return nil
		}
		i = strings.LastIndex(t[:i], "{")
		if i < 0 {
			return nil
		}
	}
	var n sesNotification
	if err := json.NewDecoder(strings.NewReader(t[i:])).Decode(&n); err != nil {
		return nil
	}
	return &n
}

func isSESNotification(m *mimeparse.Message, kind string) bool {
	n := decodeSES(m)
	return n != nil && strings.EqualFold(n.NotificationType, kind)
}

// sesBounce handles SES JSON notifications: ok is true when m is one.
func sesBounce(m *mimeparse.Message) (*Bounce, bool) {
	n := decodeSES(m)
	if n == nil {
		return nil, false
	}
	if !strings.EqualFold(n.NotificationType, "Bounce") {
		return nil, true
	}
	b := &Bounce{OriginalMessageID: n.Mail.MessageID}
	for _, r := range n.Bounce.BouncedRecipients {
		rc := Recipient{Address: r.EmailAddress, Action: normaliseAction(r.Action), Status: findStatus(r.Status), Diagnostic: r.DiagnosticCode}
		if strings.EqualFold(n.Bounce.BounceType, "Transient") && rc.Action == "failed" {
			rc.Action = "failed"
		}
		classify(&rc, "")
		b.Recipients = append(b.Recipients, rc)
	}
	return b, true
}
