// Package forward recognises an invitation forwarded by a coordinator — inline
// or attached as message/rfc822 — and recovers the original invitation
// (inviter, subject, date, Cc, body) and the coordinator's directives and note
// written above it. Inline forwards are read by the shapes clients write
// (Gmail, Outlook desktop incl. its "On … wrote:" form, new Outlook, Outlook
// on the web, Apple Mail and iPhone, Thunderbird, Yahoo, HubSpot, MailMate,
// Missive, IONOS) with the labels and markers of internal/clientmail. What
// the parser had to guess is listed in Invitation.Uncertain for the
// coordinators; it never fills a value with a line it does not understand.
package forward

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"consultd/internal/clientmail"
	"consultd/internal/mimeparse"
)

// Directives are "Key: value" lines a coordinator writes above the forwarded part.
// They win over anything guessed from the invitation.
type Directives struct {
	Deadline time.Time          // Deadline: 2026-12-02 18:00 +02:00 (no zone: UTC; no time: 23:59)
	Inviter  *mimeparse.Address // Inviter: Name <office@envoy.example>
	Title    string             // Title: ...
	Language string             // Language: ar|en
	Errors   []string           // directives present but unreadable, e.g. "Deadline: next tuesday"
}

// Invitation is the original message recovered from the forward.
type Invitation struct {
	Inviter     mimeparse.Address
	Subject     string
	Date        time.Time // zero if unknown; UTC when the forward printed no zone
	MessageID   string    // without <>; "" if the forward did not carry it
	Body        string    // the original text
	Attachments []mimeparse.Attachment
	ReplyBy     time.Time           // a reply-by / RSVP date found in the body; zero if none; 23:59 (UTC unless a zone is written) when only a day is given
	Form        string              // "gmail", "outlook", "outlook-wrote", "apple", "iphone", "thunderbird", "yahoo", "mailmate", "mutt", "headers" (bare header block), "rfc822"; for logs
	Cc          []mimeparse.Address // the original's Cc line, when the forward shows it
	// Uncertain says, in words for the coordinators' "round opened" note,
	// what was guessed about this forward; empty when its shape was clear.
	Uncertain []string
}

// Result is what Parse found.
type Result struct {
	Directives Directives
	Invitation *Invitation // nil when the message is not a forward
	Note       string      // the coordinator's own text above the forward, directives removed
}

// Parse examines a message from a coordinator. now is used to resolve dates
// without a year. It never panics; a message that is neither an inline
// forward nor carries an attached message/rfc822 gives Invitation == nil.
//
// Directives and Note come from the text above the forward (the whole text
// when there is no inline forward). An inline forward wins over an attached
// message, since a forwarded invitation may itself carry attached mail.
func Parse(m *mimeparse.Message, now time.Time) Result {
	var r Result
	if m == nil {
		return r
	}
	text := bodyText(m)
	fwdSubject := clientmail.HasForwardPrefix(stripBidi(m.Subject))
	in, found := FindInline(text)
	if !found && fwdSubject {
		in, found = findLooseAttribution(text)
	}
	if found && isReply(m, in) {
		found = false
	}
	// Outlook writes the same "On …, "Name" <addr> wrote:" above a reply and
	// Apple Mail above one when the name has a comma: only a FW: subject
	// makes it a forward.
	if found && in.Form == "outlook-wrote" && !fwdSubject {
		found = false
	}
	above := text
	if found {
		above = in.Before
	}
	r.Directives, r.Note = readDirectives(above)
	switch {
	case found:
		r.Invitation = fromInline(m, innermost(m, in), now)
	case len(m.Embedded) > 0 && m.Embedded[0] != nil:
		r.Invitation = fromEmbedded(m.Embedded[0], now)
	}
	return r
}

// bodyText is the message's text, from its HTML when it has no plain part.
func bodyText(m *mimeparse.Message) string {
	if strings.TrimSpace(m.Text) != "" {
		return m.Text
	}
	if m.HTML != "" {
		return mimeparse.HTMLToText(m.HTML)
	}
	return ""
}

// isReply tells a reply that quotes an Outlook header block from a forward:
// only a bare header block or "Original Message" is ambiguous, and then the
// outer subject decides.
func isReply(m *mimeparse.Message, in Inline) bool {
	if in.Form != "outlook" && in.Form != "headers" && in.Form != "outlook-wrote" {
		return false
	}
	s := strings.TrimSpace(stripBidi(m.Subject))
	return clientmail.HasReplyPrefix(s) && !clientmail.HasForwardPrefix(s)
}

// stripForwardPrefixes removes the forward prefixes of clientmail's table
// ("Fwd:", "WG:", "TR:", "İLT:", "إعادة توجيه:", repeated) from a subject.
func stripForwardPrefixes(s string) string {
	return clientmail.StripSubjectPrefixes(cleanValue(s), clientmail.PrefixForward)
}

// innermost follows a chain of forwards inside the coalition: when the
// forwarded message came from the coordinator's own domain (a colleague
// forwarded the invitation to them) and itself holds a forward, the
// invitation is the one inside.
func innermost(m *mimeparse.Message, in Inline) Inline {
	if len(m.From) == 0 {
		return in
	}
	own := domainOf(m.From[0].Address)
	for depth := 0; depth < 3 && own != ""; depth++ {
		a, _ := parseAddress(in.Header["from"])
		if domainOf(a.Address) != own {
			break
		}
		next, ok := FindInline(in.Body)
		if !ok {
			break
		}
		in = next
	}
	return in
}

func domainOf(addr string) string {
	if at := strings.LastIndex(addr, "@"); at >= 0 {
		return strings.ToLower(addr[at+1:])
	}
	return ""
}

func fromInline(m *mimeparse.Message, in Inline, now time.Time) *Invitation {
	inv := &Invitation{Form: in.Form, Attachments: m.Attachments, Uncertain: in.Uncertain}
	if a, ok := parseAddress(in.Header["from"]); ok {
		inv.Inviter = a
	}
	if s, ok := in.Header["subject"]; ok {
		inv.Subject = cleanValue(s)
	} else {
		inv.Subject = stripForwardPrefixes(m.Subject)
		// Outlook's "On … wrote:" forward never shows the subject; its FW:
		// subject line is the original's. Anything else is a guess.
		if in.Form != "outlook-wrote" || !clientmail.HasForwardPrefix(stripBidi(m.Subject)) {
			inv.Uncertain = append(inv.Uncertain, fmt.Sprintf("the forwarded text shows no subject; %q was taken from your message's subject line", inv.Subject))
		}
	}
	if d := in.Header["date"]; d != "" {
		p := readHeaderDate(d, in.lang)
		ambiguous := ambiguousNumericDate(d)
		order := numericOrder(d, in.lang, in.order)
		if ambiguous && order == clientmail.MonthFirst && p.month != 0 {
			p.day, p.month = p.month, p.day
		}
		if p.hasYear {
			inv.Date, _ = p.resolve(now)
		}
		switch {
		case inv.Date.IsZero():
			inv.Uncertain = append(inv.Uncertain, fmt.Sprintf("the original's date %q could not be read", cleanValue(d)))
		case !ambiguous || order == clientmail.DayFirst:
			// The numbers or the client's language leave one reading.
		case order == clientmail.MonthFirst:
			inv.Uncertain = append(inv.Uncertain, fmt.Sprintf("the original's date %q was read month first, as US-English clients write it with a 12-hour clock, as %s", cleanValue(d), inv.Date.Format("2 January 2006")))
		default:
			inv.Uncertain = append(inv.Uncertain, fmt.Sprintf("the original's date %q was read day first, as %s", cleanValue(d), inv.Date.Format("2 January 2006")))
		}
	}
	inv.Cc = parseAddressList(in.Header["cc"])
	inv.MessageID = strings.Trim(cleanValue(in.Header["message-id"]), "<>")
	inv.Body = stripSignatureOf(in.Body, m.From)
	inv.ReplyBy = findReplyBy(inv.Body, now)
	return inv
}

func fromEmbedded(e *mimeparse.Message, now time.Time) *Invitation {
	inv := &Invitation{
		Form:        "rfc822",
		Subject:     cleanValue(e.Subject),
		Date:        e.Date,
		MessageID:   strings.Trim(e.MessageID, "<> "),
		Body:        strings.TrimSpace(bodyText(e)),
		Attachments: e.Attachments,
	}
	switch {
	case len(e.From) > 0:
		inv.Inviter = cleanAddress(e.From[0])
	case e.Sender != nil:
		inv.Inviter = cleanAddress(*e.Sender)
	}
	inv.ReplyBy = findReplyBy(inv.Body, now)
	return inv
}

func cleanAddress(a mimeparse.Address) mimeparse.Address {
	return mimeparse.Address{Name: cleanValue(a.Name), Address: cleanValue(a.Address)}
}

// reEmail finds an address in a header value, whatever wraps it:
// "Name <a@b>", "Name [mailto:a@b]", "a@b<mailto:a@b>", "<a@b>".
var reEmail = regexp.MustCompile(`[^\s<>\[\]()"',;:*]+@[^\s<>\[\]()"',;:*]+`)

// parseAddress reads a From line value or an Inviter directive. ok is false
// when there is neither a name nor an address.
func parseAddress(v string) (mimeparse.Address, bool) {
	v = cleanValue(v)
	if v == "" {
		return mimeparse.Address{}, false
	}
	var a mimeparse.Address
	loc := reEmail.FindStringIndex(v)
	if loc != nil {
		addr := strings.TrimRight(v[loc[0]:loc[1]], ".")
		addr = strings.TrimPrefix(addr, "mailto:")
		if at := strings.LastIndex(addr, "@"); at > 0 {
			addr = addr[:at] + strings.ToLower(addr[at:])
		}
		a.Address = addr
		name := v[:loc[0]]
		if i := strings.IndexAny(name, "<["); i >= 0 {
			name = name[:i]
		}
		name = strings.TrimSuffix(strings.TrimSpace(name), "mailto")
		if name == "" {
			// "a@b (Name)"
			rest := v[loc[1]:]
			if i, j := strings.Index(rest, "("), strings.LastIndex(rest, ")"); i >= 0 && j > i {
				name = rest[i+1 : j]
			}
		}
		a.Name = trimName(name)
		if strings.EqualFold(a.Name, a.Address) {
			a.Name = ""
		}
		return a, true
	}
	a.Name = trimName(v)
	return a, a.Name != ""
}

// parseAddressList reads a Cc value: addresses separated by "," (Gmail,
// Apple, Thunderbird) or ";" (Outlook, Yahoo); a comma inside quotes or
// before the address ("Sheltan, Walter <w@x>") does not separate.
func parseAddressList(v string) []mimeparse.Address {
	v = cleanValue(v)
	if v == "" {
		return nil
	}
	var out []mimeparse.Address
	var cur strings.Builder
	inQuote, inAngle := false, false
	flush := func() {
		part := strings.TrimSpace(cur.String())
		cur.Reset()
		if part == "" {
			return
		}
		if a, ok := parseAddress(part); ok && a.Address != "" {
			out = append(out, a)
		}
	}
	for _, r := range v {
		switch {
		case r == '"':
			inQuote = !inQuote
		case r == '<' || r == '[':
			inAngle = true
		case r == '>' || r == ']':
			inAngle = false
		case (r == ',' || r == ';') && !inQuote && !inAngle:
			// "Sheltan, Walter <w@x>": a comma before any address is part of the name.
			if strings.Contains(cur.String(), "@") {
				flush()
				continue
			}
		}
		cur.WriteRune(r)
	}
	flush()
	return out
}

func trimName(s string) string {
	return cleanValue(strings.Trim(strings.TrimSpace(s), "\"'*_ "))
}

// stripSignatureOf removes a trailing "-- " signature that names one of the
// senders (the coordinator's own signature under a forward), leaving the
// inviter's signature alone.
func stripSignatureOf(body string, senders []mimeparse.Address) string {
	lines := strings.Split(body, "\n")
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-15; i-- {
		if l := strings.TrimRight(lines[i], " "); l != "--" && l != "-- " && strings.TrimSpace(lines[i]) != "--" {
			continue
		}
		sig := strings.ToLower(strings.Join(lines[i+1:], "\n"))
		for _, s := range senders {
			name, addr := strings.ToLower(strings.TrimSpace(s.Name)), strings.ToLower(s.Address)
			if (name != "" && strings.Contains(sig, name)) || (addr != "" && strings.Contains(sig, addr)) {
				return strings.TrimSpace(strings.Join(lines[:i], "\n"))
			}
		}
		break
	}
	return strings.TrimSpace(body)
}
