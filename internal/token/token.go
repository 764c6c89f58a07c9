// Package token is the one place that knows what a reply token looks like:
// how it is made, where consultd puts it (a plus address and its own
// Message-IDs), how it is found again in a reply, and how it is kept out of
// logs. A token is 128 random bits, base32 lower case (26 characters):
// unguessable, and safe in an address's local part and in a Message-ID.
package token

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Len is the length of a token.
const Len = 26

// New returns a fresh token.
func New() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reply token: %w", err)
	}
	return strings.ToLower(strings.TrimRight(base32.StdEncoding.EncodeToString(b), "=")), nil
}

// MessageID returns a new Message-ID (without <>) on domain. kind and, for a
// member's conversation, the member's token are kept in it, so that a reply
// to any of our mails carries the token in In-Reply-To/References even when
// the plus address was lost.
func MessageID(kind, tok, domain string) (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("message-id: %w", err)
	}
	if tok != "" {
		return fmt.Sprintf("%s-%s-%s@%s", kind, tok, hex.EncodeToString(b), domain), nil
	}
	return fmt.Sprintf("%s-%s@%s", kind, hex.EncodeToString(b), domain), nil
}

// PlusAddress is the address replies to a member's conversation go to.
func PlusAddress(local, domain, tok string) string { return local + "+" + tok + "@" + domain }

var inID = regexp.MustCompile(`^[a-z]+(?:-[a-z]+)*-([a-z2-7]{26})-`)

// FromMessageID returns the token in one of our Message-IDs (with or without
// <>), or "".
func FromMessageID(id, domain string) string {
	id = strings.ToLower(strings.Trim(id, "<> "))
	if domain != "" && !strings.HasSuffix(id, "@"+strings.ToLower(domain)) {
		return ""
	}
	if mm := inID.FindStringSubmatch(id); mm != nil {
		return mm[1]
	}
	return ""
}

// Find looks for a token in a reply: in a plus address local+TOKEN@domain
// among addrs (To, Cc, Delivered-To), then in ids (References then
// In-Reply-To: oldest first) pointing at one of our messages, the most
// recent (the direct parent) first. It
// returns a candidate; the caller checks it against the store.
func Find(local, domain string, addrs, ids []string) string {
	local, domain = strings.ToLower(local), strings.ToLower(domain) // addresses are compared lower-cased
	for _, a := range addrs {
		a = strings.ToLower(strings.Trim(strings.TrimSpace(a), "<>"))
		at := strings.LastIndexByte(a, '@')
		if at < 0 || a[at+1:] != domain {
			continue
		}
		if lp := a[:at]; strings.HasPrefix(lp, local+"+") {
			if t := lp[len(local)+1:]; len(t) == Len {
				return t
			}
		}
	}
	for i := len(ids) - 1; i >= 0; i-- {
		if t := FromMessageID(ids[i], domain); t != "" {
			return t
		}
	}
	return ""
}

// like matches a token where consultd puts one: after "+" in a plus address
// or between dashes in one of our Message-IDs.
var like = regexp.MustCompile(`([+-])[a-z2-7]{26}([-@]|$)`)

// bearer matches an OAuth2 credential in the shapes a library error could
// quote: an Authorization header, a SASL XOAUTH2/OAUTHBEARER message, a
// token endpoint's JSON or form body. consultd itself never logs one; this
// is the second line of defence.
var bearer = regexp.MustCompile(`(?i)(bearer[ +]|auth=bearer |"(?:access|refresh|id)_token"\s*:\s*"|(?:access|refresh)_token=|client_secret=|client_assertion=)[^\s"&\x01,]+`)

// Redact hides tokens in s: a reply token in a log would let anyone who
// reads the log answer in a member's name, an OAuth2 token read the mailbox.
func Redact(s string) string {
	return bearer.ReplaceAllString(like.ReplaceAllString(s, "${1}[token]${2}"), "${1}[token]")
}

func secretLike(s string) bool { return like.MatchString(s) || bearer.MatchString(s) }

// RedactAttr is a slog ReplaceAttr function that redacts tokens in every
// string and error value, whoever logs them.
func RedactAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); secretLike(s) {
			return slog.String(a.Key, Redact(s))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok && secretLike(err.Error()) {
			return slog.String(a.Key, Redact(err.Error()))
		}
	}
	return a
}
