package automail

import (
	"bytes"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
)

// Fields is one block of a delivery-status report: canonical field name
// ("Final-Recipient", "Reporting-Mta", ...) to its values, folded lines joined.
type Fields map[string][]string

// Get returns the first value of a field, or "".
func (f Fields) Get(key string) string {
	if v := f[canonicalKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func canonicalKey(k string) string { return textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)) }

// MaxRecipients bounds the recipients read from one bounce; a report naming
// more is cut short rather than slowing the daemon down.
const MaxRecipients = 200

// maxDSNBytes bounds the work on one delivery-status part.
const maxDSNBytes = 1 << 20

// ParseDeliveryStatus splits the body of a message/delivery-status (or
// message/global-delivery-status) part into its per-message fields and one
// Fields per recipient. It is lenient: CR-only and CRLF line ends, missing
// blank lines between recipients, and stray lines are all accepted.
func ParseDeliveryStatus(raw []byte) (perMessage Fields, perRecipient []Fields) {
	if len(raw) > maxDSNBytes {
		raw = raw[:maxDSNBytes]
	}
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	raw = bytes.ReplaceAll(raw, []byte("\r"), []byte("\n"))
	perMessage = Fields{}
	var cur Fields
	var lastKey string
	var lastIdx int
	flush := func() {
		if cur != nil && isRecipientBlock(cur) {
			if len(perRecipient) < MaxRecipients {
				perRecipient = append(perRecipient, cur)
			}
		} else if cur != nil && len(perRecipient) == 0 {
			for k, v := range cur {
				perMessage[k] = append(perMessage[k], v...)
			}
		}
		cur, lastKey = nil, ""
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && lastKey != "" {
			v := cur[lastKey]
			v[lastIdx] = strings.TrimSpace(v[lastIdx] + " " + strings.TrimSpace(line))
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(strings.TrimSpace(k), " \t") || strings.TrimSpace(k) == "" {
			continue
		}
		k = canonicalKey(k)
		if cur == nil {
			cur = Fields{}
		}
		// A new recipient starts without a blank line in some MTAs' output.
		if (k == "Final-Recipient" && len(cur["Final-Recipient"]) > 0) ||
			(k == "Original-Recipient" && (len(cur["Original-Recipient"]) > 0 || (len(cur["Final-Recipient"]) > 0 && len(cur["Status"]) > 0))) {
			flush()
			cur = Fields{}
		}
		cur[k] = append(cur[k], strings.TrimSpace(v))
		lastKey, lastIdx = k, len(cur[k])-1
	}
	flush()
	return perMessage, perRecipient
}

func isRecipientBlock(f Fields) bool {
	return f.Get("Final-Recipient") != "" || f.Get("Original-Recipient") != "" ||
		(f.Get("Action") != "" && f.Get("Status") != "")
}

var xtextRe = regexp.MustCompile(`\\x\{([0-9A-Fa-f]{1,6})\}`)

// recipientAddress strips the address-type ("rfc822;", "utf-8;") and the
// angle brackets, and decodes RFC 6533 \x{...} escapes.
func recipientAddress(v string) string {
	if t, rest, ok := strings.Cut(v, ";"); ok && !strings.Contains(t, "@") {
		v = rest
	}
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			v = v[i+1 : i+j]
		}
	}
	v = xtextRe.ReplaceAllStringFunc(v, func(s string) string {
		n, err := strconv.ParseUint(xtextRe.FindStringSubmatch(s)[1], 16, 32)
		if err != nil {
			return s
		}
		return string(rune(n))
	})
	if f := strings.Fields(v); len(f) > 0 {
		v = f[0]
	}
	return strings.Trim(v, "<>\"'.,;")
}

// dsnRecipients turns the per-recipient blocks into Recipients.
func dsnRecipients(blocks []Fields) []Recipient {
	var out []Recipient
	for _, f := range blocks {
		addr := recipientAddress(f.Get("Final-Recipient"))
		if o := recipientAddress(f.Get("Original-Recipient")); !strings.Contains(addr, "@") && strings.Contains(o, "@") {
			addr = o
		}
		diag := f.Get("Diagnostic-Code")
		if t, rest, ok := strings.Cut(diag, ";"); ok && len(t) < 20 && !strings.ContainsAny(t, " @") {
			diag = rest
		}
		diag = strings.TrimSpace(diag)
		r := Recipient{
			Address:    addr,
			Action:     normaliseAction(f.Get("Action")),
			Status:     findStatus(f.Get("Status")),
			Diagnostic: diag,
		}
		out = append(out, r)
	}
	return out
}

func normaliseAction(a string) string {
	a = strings.ToLower(strings.TrimSpace(a))
	if i := strings.IndexAny(a, " (;"); i >= 0 {
		a = a[:i]
	}
	switch a {
	case "failed", "failure", "fail", "":
		return "failed"
	case "delayed", "delay":
		return "delayed"
	case "delivered", "deliverable", "success":
		return "delivered"
	case "relayed", "expanded":
		return a
	case "expired":
		return "failed"
	}
	return a
}
