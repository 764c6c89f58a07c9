package statement

import (
	"fmt"
	"strings"

	"consultd/internal/inert"
	"consultd/internal/lang"
)

// The coordinators' draft is the statement with a note line under each point:
// who raised it, what other wordings were merged into it, and whether it is
// written in another language than the statement's. Note lines start with
// "(consultd:" and end with ")"; they are dropped (StripNotes) from whatever
// is sent or published, so a coordinator may approve or edit the draft with
// them in place.

const notePrefix = "(consultd: "

// LanguageName is the English name of a built-in language, for notes (the
// code itself for another).
func LanguageName(code string) string {
	if l := lang.Builtin().Get(code); l != nil {
		return l.Name
	}
	return code
}

// annotate is a point's text followed by its note lines.
func annotate(lang string, p Point) string {
	var b strings.Builder
	b.WriteString(p.Text)
	if len(p.Members) > 0 {
		fmt.Fprintf(&b, "\n%sraised by %s)", notePrefix, strings.Join(p.Members, ", "))
	}
	if p.Similar && len(p.Wordings) > 0 {
		quoted := make([]string, len(p.Wordings))
		for i, w := range p.Wordings {
			quoted[i] = "“" + strings.Join(strings.Fields(w), " ") + "”"
		}
		fmt.Fprintf(&b, "\n%sgrouped by similarity with %s — split or edit if they differ)", notePrefix, strings.Join(quoted, "; "))
	}
	switch {
	case !foreign(lang, p):
	case p.Lang == "ar":
		fmt.Fprintf(&b, "\n%swritten in Arabic — translate or remove)", notePrefix)
	default:
		fmt.Fprintf(&b, "\n%snot written in %s — translate or remove)", notePrefix, LanguageName(lang))
	}
	return b.String()
}

// foreign says whether a point is written in another script than the
// statement's language: Arabic in an English or French statement, Latin
// letters in an Arabic one.
func foreign(lang string, p Point) bool {
	return p.Lang != "" && p.Lang != script(lang)
}

// review says why a statement must go to the coordinators before the inviter,
// whatever the policy: points merged by similarity, points in another language.
func review(st *Statement) []string {
	var grouped, other int
	for _, p := range append(append([]Point{}, st.ConcernPoints...), st.RecommendationPoints...) {
		if p.Similar {
			grouped++
		}
		if foreign(st.Lang, p) {
			other++
		}
	}
	var out []string
	if grouped > 0 {
		out = append(out, fmt.Sprintf("%d %s grouped with others written differently", grouped, plural(grouped, "point was", "points were")))
	}
	if other > 0 {
		out = append(out, fmt.Sprintf("%d %s not written in %s", other, plural(other, "point is", "points are"), LanguageName(st.Lang)))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Foreign are the points written in another language than the statement's.
func (st *Statement) Foreign() []Point {
	var out []Point
	for _, p := range append(append([]Point{}, st.ConcernPoints...), st.RecommendationPoints...) {
		if foreign(st.Lang, p) {
			out = append(out, p)
		}
	}
	return out
}

// StripNotes drops the draft's note lines from a text.
func StripNotes(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	out := lines[:0]
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, notePrefix) && strings.HasSuffix(t, ")") {
			continue
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// SignatoryChanges compares the signatory list at the end of an edited text
// (its last run of lines starting with a dash or bullet) with the signatories
// the answers give. added are names in the list that do not sign; removed
// are signatories missing from it. Names compare ignoring case and spacing.
func SignatoryChanges(text string, signatories []string) (added, removed []string) {
	listed := map[string]string{}
	lines := strings.Split(strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		t := strings.TrimSpace(lines[i])
		if t == "" {
			if len(listed) > 0 {
				break // the list ends at the blank line above it
			}
			continue
		}
		name, ok := bullet(t)
		if !ok {
			break
		}
		listed[nameKey(name)] = name
	}
	want := map[string]bool{}
	for _, s := range signatories {
		want[nameKey(s)] = true
		if _, ok := listed[nameKey(s)]; !ok {
			removed = append(removed, s)
		}
	}
	for i := 0; i < len(lines); i++ {
		name, ok := bullet(strings.TrimSpace(lines[i]))
		if _, inList := listed[nameKey(name)]; ok && inList && !want[nameKey(name)] {
			added = append(added, name)
			delete(listed, nameKey(name))
		}
	}
	return added, removed
}

func bullet(line string) (string, bool) {
	for _, b := range []string{"– ", "- ", "— ", "• ", "* "} {
		if strings.HasPrefix(line, b) {
			return strings.TrimSpace(line[len(b):]), true
		}
	}
	return "", false
}

// nameKey compares names as the coordinator's mail showed them: without the
// controls and bidi overrides mail text drops (inert.Text).
func nameKey(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(inert.Text(s)), " "))
}

// Diff is a short line diff from a to b: the lines removed ("- ") and added
// ("+ "), with "  …" where unchanged lines were left out; at most limit lines.
func Diff(a, b string, limit int) string {
	al, bl := diffLines(a), diffLines(b)
	if len(al)*len(bl) > 1_000_000 {
		return "(the texts are too long to compare line by line)"
	}
	// lcs[i][j] is the longest common subsequence of al[i:] and bl[j:].
	lcs := make([][]int, len(al)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(bl)+1)
	}
	for i := len(al) - 1; i >= 0; i-- {
		for j := len(bl) - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	gap := false
	emit := func(s string) {
		if gap && len(out) > 0 {
			out = append(out, "  …")
		}
		gap = false
		out = append(out, s)
	}
	i, j := 0, 0
	for i < len(al) || j < len(bl) {
		switch {
		case i < len(al) && j < len(bl) && al[i] == bl[j]:
			gap = true
			i++
			j++
		case i < len(al) && (j == len(bl) || lcs[i+1][j] >= lcs[i][j+1]):
			emit("- " + al[i])
			i++
		default:
			emit("+ " + bl[j])
			j++
		}
	}
	if len(out) > limit {
		out = append(out[:limit], fmt.Sprintf("  … and %d more changed lines", len(out)-limit))
	}
	return strings.Join(out, "\n")
}

func diffLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n"), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}
