// Package reply extracts the new text a person wrote in a plain-text reply:
// quoted history, attribution lines ("On … wrote:", "في … كتب:"), Outlook header
// blocks, signatures, mobile footers and legal disclaimers are removed.
//
// It works line by line: every line is classified (text, blank, quote,
// attribution, forward marker, header, signature rule, mobile footer) and a few
// rules over that sequence decide what the member wrote, in the manner of
// Discourse's email_reply_trimmer, extended with Arabic (Gmail, Apple Mail,
// Outlook; bidi marks and Arabic-Indic digits anywhere) and the languages of the
// Talon and Discourse test suites. Work is linear in the input size: each line
// is matched by RE2 expressions on at most its first 1000 bytes, and wrapped
// attributions are joined over at most six lines.
//
// HTML mail is read with HTMLText, which drops the clients' quote containers
// first and then cuts by the same line rules.
package reply

// Trim returns the new text of a plain-text reply body: the member's own lines,
// without quoted history (top-, bottom- and inline-posting: lines starting with
// ">" are dropped, the member's lines between them kept), attribution lines,
// Outlook/Gmail header blocks and forward markers, anything after a signature
// rule ("-- ", "__", and short blocks after "----"), mobile footers ("Sent from
// my iPhone", "أُرسلت من الـ iPhone الخاص بي", "Get Outlook for Android"), a
// closing "-Name" line and a closing legal disclaimer. A sign-off such as
// "Best regards,\nName" written without a rule is kept.
//
// Line endings become "\n", trailing spaces are removed from each line, and
// leading/trailing blank lines are dropped. A message that is only quotation
// gives "".
func Trim(body string) string {
	return trim(body, modeTrim)
}

func trim(body string, m mode) string {
	return trimBody(parse(body), m)
}

// Parsed is a plain-text reply body parsed once, to be trimmed both ways:
// matching every line against the clients' attribution expressions is most
// of the cost, and a reader of answers needs both trims of the same body.
type Parsed struct{ b *body }

// Parse parses body for Trim and TrimInline.
func Parse(body string) Parsed { return Parsed{parse(body)} }

// Trim is reply.Trim of the parsed body.
func (p Parsed) Trim() string { return trimBody(p.b.clone(), modeTrim) }

// TrimInline is reply.TrimInline of the parsed body.
func (p Parsed) TrimInline() string { return trimBody(p.b.clone(), modeInline) }

// trimBody cuts b (parsed, and changed by the cut) in mode m.
func trimBody(b *body, m mode) string {
	b.mode = m
	b.markHeaderBlocks()
	b.cutSignatureDelimiter()
	b.cutAtFooter()
	lines := b.render(b.dropTrailingQuotes(b.selectTrim(0)), m)
	return join(dropClosing(lines))
}

// TrimInline is Trim for readers that need the questions an inline reply
// answers: when the member wrote between quoted passages (or below a leading
// quote), those '>' lines are kept as they are, as Discourse's trimmer does.
// Quoted lines after the member's last line are still removed, and a message
// that is only quotation still gives "".
func TrimInline(body string) string {
	return trim(body, modeInline)
}

// StripQuotes removes quoted history but keeps signatures, mobile footers and
// disclaimers: the convention of mailgun/talon's extract_from_plain. Text written
// below a quoted block is kept, a message that is a forward ("Forwarded
// message") is returned whole, and a stray ">" line or two without an
// attribution is taken as text. Lines are kept as written ("-- " keeps its
// space); only line endings become "\n" and outer blank lines are dropped.
func StripQuotes(body string) string {
	b := parse(body)
	b.markHeaderBlocks()
	return join(b.render(b.selectQuotes(), modeQuotes))
}

func join(lines []string) string {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	out := make([]byte, 0, n)
	for i, l := range lines {
		if i > 0 {
			out = append(out, '\n')
		}
		out = append(out, l...)
	}
	return string(out)
}
