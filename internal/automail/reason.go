package automail

import (
	"regexp"
	"strings"
)

var (
	statusRe    = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	replyCodeRe = regexp.MustCompile(`(?:^|[^\d.\-])([245][0-5]\d)(?:[ \-,;:]|$)`)
)

var afterReplyRe = regexp.MustCompile(`\b[245]\d\d[ \-]'?\s*([245]\.\d{1,3}\.\d{1,3})\b`)

// findStatus returns the RFC 3463 code in s, or "": the one that follows an
// SMTP reply code ("550 5.1.1") if any, else the first.
func findStatus(s string) string {
	if m := afterReplyRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return firstStatus(s)
}

func firstStatus(s string) string {
	for _, loc := range statusRe.FindAllStringIndex(s, -1) {
		// Skip IP addresses and versions: 5.1.1 must not be glued to more dots.
		if loc[0] > 0 && (s[loc[0]-1] == '.' || isDigit(s[loc[0]-1])) {
			continue
		}
		if loc[1] < len(s) && s[loc[1]] == '.' && loc[1]+1 < len(s) && isDigit(s[loc[1]+1]) {
			continue
		}
		return s[loc[0]:loc[1]]
	}
	return ""
}

// findReplyCode returns the first SMTP reply code (4xx/5xx/2xx) in s, or "".
func findReplyCode(s string) string {
	if m := replyCodeRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// reasonRule is one cause and the phrases MTAs use for it.
type reasonRule struct {
	reason  string
	phrases []string
}

// reasonRules are tried in order against the lower-cased diagnostic; the
// first phrase found names the reason. Order matters: a full mailbox is often
// reported with "user" wording, and a block list rejection with "rejected".
var reasonRules = []reasonRule{
	{"mailboxfull", []string{"mailbox full", "mailbox is full", "mailbox quota", "quota exceeded", "over quota", "overquota",
		"over the quota", "exceeded storage", "exceeds quota", "exceeded its quota", "is over its quota", "disk quota",
		"account is full", "mailbox size limit", "full mailbox", "too much mail data", "out of storage",
		"mail box full", "mailfolder is full", "maildir over quota", "quota full", "box is full", "storage quota",
		"exceeded the rate limit or quota", "insufficient storage for", "user's mailbox full", "mailbox exceeds allowed size",
		"mailbox has exceeded", "not enough space on the mailbox", "mailbox exceeded", "quota violation"}},
	{"mesgtoobig", []string{"message too large", "message is too large", "message too big", "message is too big",
		"message size exceeds", "exceeds size limit", "size limit exceeded", "message exceeds", "larger than the maximum",
		"exceeds maximum message size", "mail size limit", "message size limit"}},
	{"exceedlimit", []string{"message length exceeds administrative limit", "exceeds administrative limit"}},
	{"blocked", []string{"remote protocol error"}},
	{"rejected", []string{"not a member", "not member", "domain of sender address", "sender address rejected", "send mail as", "unroutable sender",
		"sender verify failed", "sender domain must exist"}},
	{"requireptr", []string{"ip name lookup failed", "reverse dns", "ptr record", "no ptr", "reverse lookup", "rdns",
		"reverse-dns", "reverse hostname", "cannot find your hostname", "not have a reverse"}},
	{"notaccept", []string{"no smtp service", "no mx record", "null mx", "does not accept mail",
		"accepts no mail"}},
	{"networkerror", []string{"network error", "no route to host", "routing loop", "mail loop", "too many hops",
		"loop detected", "loops back", "hop count"}},
	{"systemerror", []string{"duplicated message-id", "loop alert"}},
	{"expired", []string{"retry timeout exceeded", "message expired", "delivery time expired", "connection timed out",
		"was not delivered within", "could not be delivered for", "delivery expired"}},
	{"mailererror", []string{"procmail:", "command output:", "mailer error", "x-unix", "command died", "exit status"}},
	{"failedstarttls", []string{"support tls", "starttls", "requiretls", "tls is required", "tls required", "tls negotiation"}},
	{"hasmoved", []string{"has been moved", "has moved", "no longer at this address", "address has changed"}},
	{"suspend", []string{"account disabled", "account has been disabled", "account is disabled", "suspended",
		"mailbox disabled", "mailbox has been disabled", "account is inactive", "account inactive", "is locked",
		"temporarily disabled", "been deactivated", "is deactivated", "mailbox is frozen", "account expired",
		"has been terminated", "account has been closed"}},
	{"norelaying", []string{"relay access denied", "relaying denied", "not permitted to relay", "relay not permitted",
		"unable to relay", "relaying not allowed", "we do not relay", "insecure mail relay", "relay denied",
		"not allowed to relay", "relaying mail to", "not a gateway", "no relaying"}},
	{"authfailure", []string{"spf check", "spf fail", "spf validation", "fails spf", "failed spf", "sender policy framework",
		"dkim", "dmarc", "sender authentication", "authentication checks", "unauthenticated email", "spf)"}},
	{"hostunknown", []string{"host unknown", "host not found", "domain not found", "no such domain", "unknown domain",
		"domain does not exist", "unrouteable address", "unroutable address", "name or service not known", "nxdomain",
		"host or domain name not found", "domain name not found", "unknown host", "no such host", "domain unknown",
		"recipient domain does not exist", "no route to domain", "illegal host/domain", "host name lookup failure",
		"domain is not found", "domain isn't in my list of allowed rcpthosts", "domain may not exist", "domain is not reachable", "host …not found"}},
	{"userunknown", []string{"user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient",
		"no such person", "no such address", "unknown recipient", "recipient unknown", "invalid recipient",
		"recipient not found", "recipient does not exist", "user not found", "user does not exist", "user doesn't exist",
		"mailbox not found", "mailbox does not exist", "mailbox unavailable", "mailbox is unavailable", "mailbox not available",
		"address does not exist", "address unknown", "unknown address", "address not found", "invalid address",
		"invalid mailbox", "unknown mailbox", "not a valid mailbox", "not a valid recipient", "not a valid user",
		"is not a known user", "no mailbox here", "no mailbox by that name", "account does not exist", "does not exist",
		"doesn't exist", "not our customer", "no account by that name", "user not known", "recipient rejected",
		"bad destination mailbox", "recipientnotfound", "recipient not ok", "not listed in", "badrcptto",
		"not in my validrcptto", "no valid recipients", "email account that you tried to reach does not exist",
		"recipient address rejected: user unknown", "recipient address rejected: invalid", "address rejected",
		"account unavailable", "user not exist", "undeliverable address", "no such local user", "not a local address",
		"unknown local part", "user missing home directory", "utilisateur inconnu", "existe", "unknown or illegal alias",
		"destination addresses were unknown", "address is not valid", "wasn't found at", "was not found", "not found in",
		"could not be found", "couldn't be found", "unknown e-mail address", "not registered", "isn't a valid",
		"doesn't have a …account", "check if address is correct", "and other recipients in the same domain"}},
	{"virusdetected", []string{"virus", "malware", "infected"}},
	{"spamdetected", []string{"spam", "junk mail", "unsolicited", "bulk mail", "message content rejected",
		"suspicious", "scam", "phishing"}},
	{"requireptr", []string{"reverse dns", "ptr record", "no ptr", "reverse lookup", "rdns", "reverse-dns",
		"reverse hostname", "cannot find your hostname", "not have a reverse"}},
	{"notcompliantrfc", []string{"rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "duplicate header", "multiple from",
		"not rfc compliant", "rfc compliant"}},
	{"badreputation", []string{"ip reputation", "poor reputation", "bad reputation", "sender reputation", "low reputation"}},
	{"speeding", []string{"rate limit", "too many messages", "sending too fast", "rate of", "ratelimit", "throttl"}},
	{"toomanyconn", []string{"too many connections", "too many recipients", "too many simultaneous",
		"too many concurrent", "too many hosts"}},
	{"rejected", []string{"sender address rejected", "domain of sender address", "sender verify failed",
		"sender rejected", "invalid sender", "sender domain must exist", "sender unknown", "bad sender",
		"sender verification", "unverified sender", "mail from", "envelope sender", "senders domain",
		"sender is not allowed", "your email address", "address rejected: domain not found"}},
	{"expired", []string{"will be retried", "failed …attempts", "delivery attempts", "retry time", "giving up", "has been delayed", "deferred",
		"too long", "expired", "timeout", "timed out"}},
	{"blocked", []string{"blacklist", "black list", "blocklist", "block list", "rbl", "dnsbl", "spamhaus", "spamcop",
		"sorbs", "your ip", "ip address", "access denied", "connection refused", "client host rejected",
		"banned", "not allowed to send", "blocked", "denied", "refused"}},
	{"networkerror", []string{"lost connection", "connection reset", "could not connect", "connect to", "dns",
		"name server"}},
	{"systemfull", []string{"insufficient system storage", "disk full", "out of disk space", "system full",
		"insufficient disk"}},
	{"securityerror", []string{"tls", "certificate", "encryption", "authentication required", "must authenticate",
		"auth required"}},
	{"policyviolation", []string{"policy", "prohibited", "not allowed", "not permitted"}},
	{"contenterror", []string{"content", "attachment", "mime", "charset", "header"}},
	{"mailererror", []string{"mailer error", "x-unix", "command died", "pipe to", "procmail", "exit status",
		"mailer", "program"}},
	{"systemerror", []string{"system error", "server error", "internal error", "configuration error",
		"temporary failure", "local error", "try again later", "problem", "unavailable"}},
	{"filtered", []string{"filter", "rejected by recipient", "blocked by recipient", "recipient refuses"}},
	{"notaccept", []string{"not accept"}},
	{"syntaxerror", []string{"syntax error", "command unrecognized", "unrecognized command", "malformed address"}},
}

// statusReasons names the cause of the specific RFC 3463 codes.
var statusReasons = map[string]string{
	"5.1.0": "userunknown", "5.1.1": "userunknown", "5.1.2": "hostunknown", "5.1.3": "userunknown",
	"5.1.4": "filtered", "5.1.6": "hasmoved", "5.1.7": "rejected", "5.1.8": "rejected", "5.1.9": "systemerror",
	"5.1.10": "notaccept", "5.2.0": "filtered", "5.2.1": "filtered", "5.2.2": "mailboxfull", "5.2.3": "exceedlimit",
	"5.2.4": "filtered", "5.3.0": "systemerror", "5.3.1": "systemfull", "5.3.2": "notaccept", "5.3.3": "systemerror",
	"5.3.4": "mesgtoobig", "5.3.5": "systemerror", "5.4.0": "networkerror", "5.4.3": "systemerror",
	"5.4.4": "hostunknown", "5.5.2": "syntaxerror", "5.5.3": "toomanyconn", "5.5.4": "systemerror",
	"5.5.5": "systemerror", "5.7.13": "suspend", "5.7.17": "hasmoved", "5.7.18": "hasmoved",
	"5.7.20": "authfailure", "5.7.21": "authfailure", "5.7.22": "authfailure", "5.7.23": "authfailure",
	"5.7.24": "authfailure", "5.7.25": "requireptr", "5.7.26": "authfailure", "5.7.27": "notaccept",
	"5.7.28": "spamdetected", "5.7.29": "authfailure", "5.7.30": "failedstarttls",
	"4.1.6": "hasmoved", "4.1.7": "rejected", "4.1.8": "rejected", "4.1.9": "systemerror", "4.2.1": "blocked",
	"4.2.2": "mailboxfull", "4.2.3": "exceedlimit", "4.2.4": "filtered", "4.3.1": "systemfull", "4.3.2": "notaccept",
	"4.3.3": "systemerror", "4.3.5": "systemerror", "4.4.1": "expired", "4.4.2": "networkerror",
	"4.4.3": "systemerror", "4.4.4": "networkerror", "4.4.5": "systemfull", "4.4.6": "networkerror",
	"4.4.7": "expired", "4.4.8": "networkerror", "4.5.3": "systemerror", "4.5.5": "systemerror",
	"4.7.1": "blocked", "4.7.2": "blocked", "4.7.24": "authfailure", "4.7.25": "requireptr", "4.7.26": "authfailure",
}

// pseudoCodes are Sisimai's internal status codes, used when a bounce gives
// a reason but no RFC 3463 code.
var pseudoCodes = map[string]string{
	"authfailure": "926", "badreputation": "975", "blocked": "971", "contenterror": "960", "exceedlimit": "923",
	"expired": "947", "failedstarttls": "976", "filtered": "910", "hasmoved": "916", "hostunknown": "912",
	"mailboxfull": "922", "mailererror": "939", "mesgtoobig": "934", "networkerror": "944", "norelaying": "909",
	"notaccept": "932", "notcompliantrfc": "974", "onhold": "901", "policyviolation": "972", "rejected": "918",
	"requireptr": "973", "securityerror": "970", "spamdetected": "980", "speeding": "946", "suppressed": "903",
	"suspend": "921", "systemerror": "930", "systemfull": "931", "syntaxerror": "902", "toomanyconn": "945",
	"userunknown": "911", "undefined": "900", "virusdetected": "981",
}

// pseudoStatus returns the internal code for a reason ("" if none).
func pseudoStatus(reason string, temporary bool) string {
	n, ok := pseudoCodes[reason]
	if !ok {
		return ""
	}
	if temporary {
		if reason == "hasmoved" || reason == "hostunknown" || reason == "userunknown" {
			return ""
		}
		if reason == "filtered" {
			n = "924"
		}
		return "4.0." + n
	}
	return "5.0." + n
}

// textReason returns the first reason whose phrases occur in diag.
func textReason(diag string) string {
	d := strings.ToLower(diag)
	if d == "" {
		return ""
	}
	for _, r := range reasonRules {
		for _, p := range r.phrases {
			if containsPhrase(d, p) {
				return r.reason
			}
		}
	}
	return ""
}

// containsPhrase matches p in d; "a …b" means a followed later by b.
func containsPhrase(d, p string) bool {
	a, b, ok := strings.Cut(p, "…")
	if !ok {
		return strings.Contains(d, p)
	}
	i := strings.Index(d, a)
	return i >= 0 && strings.Contains(d[i+len(a):], b)
}

// classify fills Reason, Status and Hard of r from its diagnostic text,
// status code, reply code and action. context is the bounce's own prose
// about this recipient (or the whole report), used when the diagnostic
// alone does not say why.
func classify(r *Recipient, context string) {
	if r.ReplyCode == "" {
		r.ReplyCode = findReplyCode(r.Diagnostic)
	}
	if code := findStatus(r.Diagnostic); code != "" && code != r.Status && code[0] == statusClass(r) {
		// The remote server's own code, quoted in the diagnostic, is more
		// precise than the one the reporting MTA put in Status.
		r.Status = code
	}
	if r.Status == "" || (isGeneric(r.Status) && r.Diagnostic == "") {
		if c := findStatus(context); c != "" && (r.Status == "" || c[0] == r.Status[0]) && !(r.Action == "delayed" && c[0] != '4') {
			r.Status = c
		}
	}
	if r.Reason == "" {
		r.Reason = reasonFor(r, context)
	}
	// Exim's "retry timeout exceeded" ends a run of temporary failures.
	temporary := r.Action == "delayed" || strings.HasPrefix(r.Status, "4") || (r.Status == "" && strings.HasPrefix(r.ReplyCode, "4")) ||
		eximRetryTimeout(r.Diagnostic)
	if r.Status == "" {
		r.Status = pseudoStatus(r.Reason, temporary)
	}
	// A temporary (4.x.x) failure is never permanent, whatever its wording.
	r.Hard = r.Action == "failed" && !strings.HasPrefix(r.Status, "4") && isHard(r.Reason, r.Status, r.ReplyCode)
}

// eximRetryTimeout: Exim's own "retry timeout exceeded" (not a remote
// server's "delivery retry timeout exceeded") ends a run of temporary errors.
func eximRetryTimeout(diag string) bool {
	d := strings.ToLower(diag)
	return strings.Contains(d, "retry timeout exceeded") && !strings.Contains(d, "delivery retry timeout")
}

// statusClass is the class digit the recipient's status must have.
func statusClass(r *Recipient) byte {
	if r.Status != "" {
		return r.Status[0]
	}
	if r.Action == "delayed" {
		return '4'
	}
	return '5'
}

func isGeneric(s string) bool {
	return strings.HasSuffix(s, ".0.0")
}

func reasonFor(r *Recipient, context string) string {
	if strings.HasPrefix(r.Status, "2.") || r.Action == "delivered" {
		return "delivered"
	}
	reason := textReason(r.Diagnostic)
	if reason == "" && statusReasons[r.Status] == "" {
		reason = textReason(context)
	}
	if reason == "" {
		reason = statusReasons[r.Status]
	}
	temporary := strings.HasPrefix(r.Status, "4") || r.Action == "delayed"
	cmd := smtpCommand(r.Diagnostic + "\n" + context)
	switch {
	case reason == "userunknown" && statusReasons[r.Status] != "userunknown" && cmd != "RCPT" &&
		(remoteSaysUnknown(r.Diagnostic+"\n"+context) || textReason(r.Diagnostic) == "userunknown" && !strongUnknown(r.Diagnostic)):
		// Sisimai's convention: a bare "user unknown" that is not known to
		// answer RCPT TO comes from a filter that hides the real reason.
		return "filtered"
	case reason == "userunknown" && cmd == "DATA" && !strongUnknown(r.Diagnostic):
		// A recipient refused only after the message was sent was refused
		// for its content, not because the mailbox does not exist.
		return "filtered"
	case reason == "hostunknown" && temporary:
		// A DNS failure that the MTA will retry is a network problem.
		return "networkerror"
	case reason != "":
		return reason
	case strings.HasSuffix(strings.ToLower(r.Address), "@googlegroups.com"):
		// Google Groups refuses posts from non-members with a prose notice.
		return "rejected"
	case strings.HasPrefix(r.Status, "5.6") || strings.HasPrefix(r.Status, "4.6"):
		return "contenterror"
	case strings.HasPrefix(r.Status, "5.7") || strings.HasPrefix(r.Status, "4.7"):
		return "securityerror"
	case r.Action == "delayed":
		return "expired"
	case r.Diagnostic != "":
		return "onhold"
	}
	return "undefined"
}

var replyLineRe = regexp.MustCompile(`(?:^|[\s:'"<(])5\d\d(?:[ \-:]|$)`)

// remoteSaysUnknown reports a remote server's SMTP reply (a line with a 5xx
// code) that says "user unknown" in the usual, ambiguous words.
func remoteSaysUnknown(text string) bool {
	for _, l := range strings.Split(text, "\n") {
		if replyLineRe.MatchString(l) && textReason(l) == "userunknown" && !strongUnknown(l) {
			return true
		}
	}
	return false
}

// strongUnknown reports wording that can only mean the address does not exist.
func strongUnknown(diag string) bool {
	d := strings.ToLower(diag)
	for _, p := range []string{"not recognized", "not listed in", "doesn't have a", "invalid recipient", "couldn't be found", "unknown user:", "recipientnotfound", "not found by smtp address lookup",
		"and other recipients in the same domain", "check if address is correct"} {
		if strings.Contains(d, p) {
			return true
		}
	}
	return false
}

var commandRe = regexp.MustCompile(`(?i)in reply to (?:end of )?(data|rcpt to|mail from)\b|after (?:end of )?(data|rcpt|mail)\b|>>> (data|rcpt to|mail from)\b|(does not like recipient)|smtp:(rcpt)\b`)

// smtpCommand names the SMTP command a rejection answered, when the text
// says so ("in reply to end of DATA command", "after RCPT TO", ">>> DATA").
func smtpCommand(s string) string {
	m := commandRe.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	for _, g := range m[1:] {
		if g != "" {
			if strings.HasPrefix(strings.ToLower(g), "does not like") {
				return "RCPT"
			}
			return strings.ToUpper(strings.Fields(g)[0])
		}
	}
	return ""
}

// isHard: only errors about the recipient address itself are permanent; a
// full mailbox, a block or a policy rejection may pass on a later try.
func isHard(reason, status, reply string) bool {
	switch reason {
	case "userunknown", "hostunknown", "hasmoved":
		return true
	case "notaccept":
		return strings.HasPrefix(status, "5") || strings.HasPrefix(reply, "5")
	}
	return false
}
