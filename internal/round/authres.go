package round

import (
	"strings"

	"consultd/internal/mimeparse"
)

// verifiedSender reports whether the coalition's own mail server vouched for
// the From: domain of m in an Authentication-Results header (RFC 8601): a
// header whose authserv-id is ours, saying dmarc=pass, or dkim=pass with the
// signing domain equal to the From: domain. Headers written by anyone else
// (a sender can add its own) are ignored.
func verifiedSender(m *mimeparse.Message, authservID string) bool {
	from := strings.ToLower(firstFrom(m))
	at := strings.LastIndexByte(from, '@')
	if at < 0 {
		return false
	}
	domain := from[at+1:]
	for _, h := range m.Header["Authentication-Results"] {
		id, results := parseAuthResults(h)
		if !strings.EqualFold(id, authservID) {
			continue
		}
		for _, r := range results {
			switch {
			case r.method == "dmarc" && r.result == "pass":
				return true
			case r.method == "dkim" && r.result == "pass" && (strings.EqualFold(r.props["header.d"], domain) ||
				strings.HasSuffix(strings.ToLower(r.props["header.i"]), "@"+domain)):
				return true
			}
		}
	}
	return false
}

type authResult struct {
	method, result string
	props          map[string]string
}

// parseAuthResults reads "authserv-id [version]; method=result prop=value ...; ..."
// leniently: comments in parentheses are dropped, unknown parts ignored.
func parseAuthResults(h string) (string, []authResult) {
	h = stripComments(strings.Join(strings.Fields(h), " "))
	parts := strings.Split(h, ";")
	id := ""
	if f := strings.Fields(parts[0]); len(f) > 0 {
		id = f[0]
	}
	var out []authResult
	for _, p := range parts[1:] {
		f := strings.Fields(p)
		if len(f) == 0 {
			continue
		}
		method, result, ok := strings.Cut(f[0], "=")
		if !ok {
			continue
		}
		r := authResult{method: strings.ToLower(method), result: strings.ToLower(result), props: map[string]string{}}
		for _, kv := range f[1:] {
			if k, v, ok := strings.Cut(kv, "="); ok {
				r.props[strings.ToLower(k)] = strings.Trim(v, `"`)
			}
		}
		out = append(out, r)
	}
	return id, out
}

func stripComments(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}
