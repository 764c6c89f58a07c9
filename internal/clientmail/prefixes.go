package clientmail

import (
	"regexp"
	"sort"
	"strings"
)

// PrefixKind says what a subject prefix marks.
type PrefixKind int

const (
	// PrefixForward marks a forward: "Fwd:", "WG:", "TR:".
	PrefixForward PrefixKind = iota
	// PrefixReply marks a reply: "Re:", "AW:", "SV:".
	PrefixReply
)

// SubjectPrefix is a word a client writes before the subject of a forward
// or reply, without its colon. Clients says where it was seen.
type SubjectPrefix struct {
	Lang    string
	Kind    PrefixKind
	Text    string
	Clients string
}

// SubjectPrefixes lists the subject prefixes by language. Forward rows: the
// per-client, per-locale fixtures of crisp-oss/email-forward-parser (Outlook
// 2019 writes "FW" in every locale; Gmail and Thunderbird "Fwd"), Hungarian
// and Dutch from other projects' prefix lists, Arabic from consultd's own
// fixtures. Reply rows: neomutt's reply_regex (Re/Aw/Sv), other projects'
// prefix lists (Antw, RIF, Odp, YNT, Vá). "VS" is a forward in Danish
// Outlook but a reply in Finnish clients; only the Danish row is kept, so a
// Finnish "VS:" reads as a forward (the header block still decides).
// Not found, so not listed: Czech "Přeposlat", Persian and Estonian prefixes
// (their clients' fixtures show "Fwd"/"FW").
var SubjectPrefixes = []SubjectPrefix{
	{"en", PrefixForward, "Fwd", "Gmail, Thunderbird, Missive, Apple Mail (every locale)"},
	{"en", PrefixForward, "Fw", "Outlook Live/365, Yahoo (every locale)"},
	{"en", PrefixForward, "FW", "Outlook 2019 (every locale), new Outlook"},
	{"ar", PrefixForward, "إعادة توجيه", "Gmail, Outlook (consultd fixtures)"},
	{"ar", PrefixForward, "اعادة توجيه", "Gmail (consultd fixtures, without hamza)"},
	{"ar", PrefixForward, "توجيه", "Outlook (consultd fixtures)"},
	{"cs", PrefixForward, "FW", "Outlook 2019, new Outlook"},
	{"cs", PrefixForward, "Fw", "Outlook Live/365"},
	{"da", PrefixForward, "VS", "Outlook Live/365, new Outlook"},
	{"de", PrefixForward, "WG", "Outlook Live/365, new Outlook"},
	{"es", PrefixForward, "RV", "Outlook Live/365, new Outlook"},
	{"et", PrefixForward, "Fwd", "Gmail, Thunderbird"},
	{"fi", PrefixForward, "VL", "new Outlook"},
	{"fr", PrefixForward, "TR", "Outlook Live/365, new Outlook"},
	{"hr", PrefixForward, "Fw", "Outlook Live/365"},
	{"hu", PrefixForward, "Fw", "Outlook Live/365"},
	{"hu", PrefixForward, "Továbbítás", "Outlook (other projects' prefix lists)"},
	{"it", PrefixForward, "I", "Outlook Live/365, new Outlook"},
	{"ja", PrefixForward, "Fwd", "Gmail, HubSpot"},
	{"nl", PrefixForward, "FW", "Outlook Live/365, new Outlook"},
	{"nl", PrefixForward, "Doorst", "Outlook (other projects' prefix lists)"},
	{"no", PrefixForward, "Vs", "Outlook Live/365"},
	{"no", PrefixForward, "Videresend", "new Outlook"},
	{"pl", PrefixForward, "PD", "Outlook Live/365, new Outlook"},
	{"pt", PrefixForward, "FW", "Outlook Live/365, new Outlook"},
	{"pt-BR", PrefixForward, "ENC", "Outlook Live/365, new Outlook"},
	{"ro", PrefixForward, "Redir.", "Outlook Live/365"},
	{"ru", PrefixForward, "FW", "new Outlook, Outlook 2019"},
	{"sk", PrefixForward, "Fw", "Outlook Live/365"},
	{"sv", PrefixForward, "VB", "Outlook Live/365, new Outlook"},
	{"tr", PrefixForward, "İLT", "new Outlook"},
	{"uk", PrefixForward, "Fwd", "Gmail, Thunderbird"},

	{"en", PrefixReply, "Re", "every client"},
	{"ar", PrefixReply, "رد", "Outlook, Gmail (consultd fixtures)"},
	{"de", PrefixReply, "AW", "Outlook (neomutt reply_regex)"},
	{"hu", PrefixReply, "Vá", "Outlook (other projects' prefix lists)"},
	{"it", PrefixReply, "RIF", "Outlook (other projects' prefix lists)"},
	{"nl", PrefixReply, "Antw", "Outlook (other projects' prefix lists)"},
	{"pl", PrefixReply, "Odp", "Outlook (other projects' prefix lists)"},
	{"sv", PrefixReply, "SV", "Outlook (neomutt reply_regex)"},
	{"tr", PrefixReply, "YNT", "Outlook (other projects' prefix lists)"},
}

// prefixPattern is one prefix of the kinds given, as a regexp anchored at the
// start: the word, an optional "[2]" counter, a colon (or a full-width one).
func prefixPattern(kinds ...PrefixKind) string {
	seen := map[string]bool{}
	var words []string
	for _, p := range SubjectPrefixes {
		for _, k := range kinds {
			// Keyed by upper case: strings.ToLower("İLT") is "i̇lt" with a
			// combining dot, which no subject contains; (?i) folds the rest.
			key := strings.ToUpper(p.Text)
			if p.Kind == k && !seen[key] {
				seen[key] = true
				words = append(words, p.Text)
			}
		}
	}
	// Longest first: RE2 takes the leftmost alternative, and "fwd" must win over "fw".
	sort.Slice(words, func(i, j int) bool {
		if len(words[i]) != len(words[j]) {
			return len(words[i]) > len(words[j])
		}
		return words[i] < words[j]
	})
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return `^\s*(?:` + strings.Join(words, "|") + `)\s*(?:\[\d+\])?\s*[:：]\s*`
}

var (
	reForwardPrefix = regexp.MustCompile(`(?i)` + prefixPattern(PrefixForward))
	reReplyPrefix   = regexp.MustCompile(`(?i)` + prefixPattern(PrefixReply))
	reAnyPrefix     = regexp.MustCompile(`(?i)` + prefixPattern(PrefixForward, PrefixReply))
)

// HasForwardPrefix reports a subject that starts with a forward prefix.
func HasForwardPrefix(subject string) bool {
	return reForwardPrefix.MatchString(stripInvisible(subject))
}

// HasReplyPrefix reports a subject that starts with a reply prefix.
func HasReplyPrefix(subject string) bool {
	return reReplyPrefix.MatchString(stripInvisible(subject))
}

// StripSubjectPrefixes removes leading prefixes of the given kinds (all
// kinds when none is given), repeated as forwards of replies pile them up:
// "WG: AW: Einladung" is "Einladung".
func StripSubjectPrefixes(subject string, kinds ...PrefixKind) string {
	re := reAnyPrefix
	if len(kinds) == 1 && kinds[0] == PrefixForward {
		re = reForwardPrefix
	} else if len(kinds) == 1 && kinds[0] == PrefixReply {
		re = reReplyPrefix
	}
	s := strings.TrimSpace(stripInvisible(subject))
	for i := 0; i < 20; i++ {
		loc := re.FindStringIndex(s)
		if loc == nil || loc[1] == 0 {
			break
		}
		s = strings.TrimSpace(s[loc[1]:])
	}
	return s
}
