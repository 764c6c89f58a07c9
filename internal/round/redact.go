package round

import (
	"log/slog"
	"regexp"
)

// tokenLike matches a reply token where consultd puts one: after "+" in a plus
// address or between dashes in one of our Message-IDs.
var tokenLike = regexp.MustCompile(`([+-])[a-z2-7]{26}([-@]|$)`)

// Redact hides reply tokens in a string: a token in a log would let anyone
// who reads the log answer in a member's name.
func Redact(s string) string { return tokenLike.ReplaceAllString(s, "${1}[token]${2}") }

// RedactAttr is a slog ReplaceAttr function that redacts tokens in every
// string and error value, whoever logs them.
func RedactAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); tokenLike.MatchString(s) {
			return slog.String(a.Key, Redact(s))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok && tokenLike.MatchString(err.Error()) {
			return slog.String(a.Key, Redact(err.Error()))
		}
	}
	return a
}
