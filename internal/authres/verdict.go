package authres

import (
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Verdict is what the trusted server said about a message's From: domain.
type Verdict int

const (
	// Unproven: no trusted header vouches for the From: domain (none found,
	// none trusted, or no pass for that domain). The mail may be genuine.
	Unproven Verdict = iota
	// Pass: the trusted server reports dmarc=pass for the From: domain, or
	// dkim=pass for a signing domain aligned with it, or (Microsoft 365)
	// that the mail was sent from inside the organisation.
	Pass
	// Fail: the trusted server reports dmarc=fail for the From: domain: the
	// From: is proven forged (or the domain's own mail is misconfigured).
	Fail
)

func (v Verdict) String() string {
	switch v {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	}
	return "unproven"
}

// Trust says whose Authentication-Results headers are believed.
type Trust struct {
	// AuthservID is the authserv-id the coalition's receiving server writes
	// (mx.google.com for Google, the MX host name for Postfix with
	// OpenDKIM/OpenDMARC or rspamd, mx3.messagingengine.com style for Fastmail).
	AuthservID string
	// Microsoft365: Exchange Online writes its header without an authserv-id,
	// so the topmost headers without one are its; and it strips
	// X-MS-Exchange-Organization-* headers from mail arriving from outside, so
	// "X-MS-Exchange-Organization-AuthAs: Internal" proves the mail was sent
	// by an authenticated user of the organisation.
	Microsoft365 bool
}

// Configured reports whether anything can be trusted at all.
func (t Trust) Configured() bool { return t.AuthservID != "" || t.Microsoft365 }

func (t Trust) ours(h Header) bool {
	if t.Microsoft365 {
		return h.AuthservID == ""
	}
	return h.AuthservID != "" && strings.EqualFold(h.AuthservID, t.AuthservID)
}

func (t Trust) name() string {
	if t.Microsoft365 {
		return "Microsoft 365"
	}
	return t.AuthservID
}

// Message is what Check needs from a message, header values in the order
// they appear (topmost first).
type Message struct {
	From                  string   // the From: address (or just its domain)
	AuthenticationResults []string // every Authentication-Results value
	AuthAs                []string // every X-MS-Exchange-Organization-AuthAs value
}

// Evidence is a verdict with the reason, for logs and notes (it holds no
// token or secret: only methods, results and domains).
type Evidence struct {
	Verdict Verdict
	Reason  string
}

// Check decides whether the trusted server vouched for m's From: domain.
//
// The rule, against headers a sender planted before the mail reached us
// (a receiving server prepends its fields, so anything the sender wrote is
// below them):
//
//  1. Only the topmost run of Authentication-Results fields is read: the
//     fields from the top down to (not including) the first one that is not
//     the trusted server's, or that cannot be parsed. If the topmost field is
//     not the trusted server's, nothing is trusted.
//  2. Inside the run, each method is decided by the topmost field that reports
//     it at all; the same method in fields further down is ignored, because a
//     field planted right below ours looks exactly like ours.
//  3. dmarc=fail for the From: domain (or without header.from) is Fail, and no
//     dkim=pass changes that. dmarc=pass counts only with header.from equal to
//     the From: domain. Otherwise dkim=pass counts when header.d (or the
//     domain of header.i) is the From: domain or shares its organisational
//     domain (DMARC relaxed alignment, by the public suffix list).
//
// With Microsoft365, X-MS-Exchange-Organization-AuthAs: Internal (topmost
// value) is Pass before any of this.
func Check(t Trust, m Message) Evidence {
	if !t.Configured() {
		return Evidence{Unproven, "no authentication is configured"}
	}
	domain := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(m.From), "."))
	if at := strings.LastIndexByte(domain, '@'); at >= 0 {
		domain = domain[at+1:]
	}
	domain = strings.Trim(domain, "<>")
	if domain == "" {
		return Evidence{Unproven, "the message has no From: domain"}
	}
	if t.Microsoft365 && len(m.AuthAs) > 0 && strings.EqualFold(strings.TrimSpace(m.AuthAs[0]), "internal") {
		return Evidence{Pass, "Microsoft 365 reports it was sent from inside the organisation (AuthAs: Internal)"}
	}
	var run []Header
	for _, v := range m.AuthenticationResults {
		h, err := Parse(v)
		if err != nil || !t.ours(h) {
			break
		}
		run = append(run, h)
	}
	if len(run) == 0 {
		if len(m.AuthenticationResults) == 0 {
			return Evidence{Unproven, "no Authentication-Results header"}
		}
		return Evidence{Unproven, "the topmost Authentication-Results header is not written by " + t.name()}
	}
	dmarc := topmost(run, "dmarc")
	var failed, passedOther []string
	for _, r := range dmarc {
		hf := strings.ToLower(r.Prop("header.from"))
		switch {
		case r.Value == "fail" && (hf == "" || hf == domain):
			return Evidence{Fail, fmt.Sprintf("%s reports dmarc=fail for %s", t.name(), domain)}
		case r.Value == "pass" && hf == domain:
			return Evidence{Pass, fmt.Sprintf("%s reports dmarc=pass for %s", t.name(), domain)}
		case r.Value == "pass":
			passedOther = append(passedOther, "dmarc=pass is for "+orNone(hf))
		default:
			failed = append(failed, "dmarc="+r.Value)
		}
	}
	for _, r := range topmost(run, "dkim") {
		d := strings.ToLower(r.Prop("header.d"))
		if d == "" {
			if i := r.Prop("header.i"); strings.Contains(i, "@") {
				d = strings.ToLower(i[strings.LastIndexByte(i, '@')+1:])
			}
		}
		if r.Value != "pass" {
			failed = append(failed, "dkim="+r.Value)
			continue
		}
		if Aligned(d, domain) {
			return Evidence{Pass, fmt.Sprintf("%s reports dkim=pass for %s", t.name(), d)}
		}
		passedOther = append(passedOther, "dkim=pass is for "+orNone(d))
	}
	why := append(passedOther, failed...)
	if len(why) == 0 {
		why = []string{"no dmarc or dkim result"}
	}
	return Evidence{Unproven, fmt.Sprintf("%s does not vouch for %s (%s)", t.name(), domain, strings.Join(why, ", "))}
}

// topmost returns the results of method in the first header of run that
// reports it.
func topmost(run []Header, method string) []Result {
	for _, h := range run {
		if rs := h.ByMethod(method); len(rs) > 0 {
			return rs
		}
	}
	return nil
}

// Aligned reports DMARC relaxed alignment: the signing domain d and the From:
// domain are equal or have the same organisational domain.
func Aligned(d, from string) bool {
	d, from = strings.ToLower(strings.TrimSuffix(d, ".")), strings.ToLower(strings.TrimSuffix(from, "."))
	if d == "" || from == "" {
		return false
	}
	if d == from {
		return true
	}
	od, err1 := publicsuffix.EffectiveTLDPlusOne(d)
	of, err2 := publicsuffix.EffectiveTLDPlusOne(from)
	return err1 == nil && err2 == nil && od == of
}

func orNone(s string) string {
	if s == "" {
		return "no domain"
	}
	return s
}
