// Package statement decides a closed round and writes the coalition's joint
// text: the tally under the policy (quorum, majority or consensus), the
// signatories (exactly those who agreed to sign), the members' points merged
// when several made them alike, and the text in the shape of the seed
// statement, as plain text for mail and as Markdown and HTML for publication.
package statement

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"consultd/internal/bidihtml"
	"consultd/internal/inert"
	"consultd/internal/lang"
	"consultd/internal/render"
)

// Member is one participant's answer as the statement needs it.
type Member struct {
	ID              string
	Name            string
	Position        string // accept | decline | abstain | "" (no answer)
	Concerns        []string
	Recommendations []string
	Sign            *bool
}

// Policy is the part of the configuration that decides a round.
type Policy struct {
	Quorum     float64 // fraction of members who must answer
	Decision   string  // majority | consensus
	OnNoQuorum string  // decline | accept | ask
}

// Tally is the count of a round and what it decides.
type Tally struct {
	Members, Answered, Accept, Decline, Abstain int
	QuorumMet                                   bool
	// Outcome is accept or decline; "" when the coordinators must decide.
	Outcome string
	Reason  string // one sentence a coordinator can read
}

// Count tallies the answers under the policy.
func Count(p Policy, ms []Member) Tally {
	t := Tally{Members: len(ms)}
	for _, m := range ms {
		switch m.Position {
		case "accept":
			t.Accept++
		case "decline":
			t.Decline++
		case "abstain":
			t.Abstain++
		}
	}
	t.Answered = t.Accept + t.Decline + t.Abstain
	t.QuorumMet = t.Members > 0 && float64(t.Answered) >= p.Quorum*float64(t.Members)-1e-9
	counts := fmt.Sprintf("%d of %d members answered: %d accept, %d decline, %d abstain", t.Answered, t.Members, t.Accept, t.Decline, t.Abstain)
	undecided := func(why string) Tally {
		switch p.OnNoQuorum {
		case "accept", "decline":
			t.Outcome = p.OnNoQuorum
			t.Reason = fmt.Sprintf("%s; %s, so the policy (on_no_quorum: %s) applies", counts, why, p.OnNoQuorum)
		default:
			t.Reason = fmt.Sprintf("%s; %s, so the coordinators decide", counts, why)
		}
		return t
	}
	if !t.QuorumMet {
		return undecided(fmt.Sprintf("the quorum of %.0f%% was not reached", p.Quorum*100))
	}
	if t.Accept+t.Decline == 0 {
		return undecided("nobody took a position")
	}
	if p.Decision == "consensus" {
		if t.Accept > 0 && t.Decline > 0 {
			return undecided("there is no consensus")
		}
	} else if t.Accept == t.Decline {
		return undecided("accept and decline are tied")
	}
	if t.Accept > t.Decline {
		t.Outcome = "accept"
	} else {
		t.Outcome = "decline"
	}
	t.Reason = fmt.Sprintf("%s; decided by %s: %s", counts, p.Decision, t.Outcome)
	return t
}

// Signatories are the members whose position matches the outcome, unless they
// said "Sign: no", plus the members who explicitly said "Sign: yes". Nobody else.
func Signatories(outcome string, ms []Member) []Member {
	var out []Member
	for _, m := range ms {
		explicit := m.Sign != nil
		if (explicit && *m.Sign) || (!explicit && m.Position != "" && m.Position == outcome) {
			out = append(out, m)
		}
	}
	return out
}

// Merge returns the points in order of first appearance, with points made alike
// (ignoring case, punctuation, numbering and whitespace) kept once.
func Merge(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, p := range l {
			p = strings.TrimSpace(p)
			k := Key(p)
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}

// Key is the normalised form of a point used to merge points made alike.
func Key(s string) string {
	// Only numbering ("1.", "2)", "(3)", "١-") is dropped: a point that starts
	// with a number ("30 days' notice", "2025 elections") keeps it.
	s = numberingRe.ReplaceAllString(s, "")
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		} else {
			b.WriteRune(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// numberingRe is a list item's leading number: digits (any script) closed by
// punctuation, or in brackets, optionally after a bullet.
var numberingRe = regexp.MustCompile(`^[\s\-–•*]*(?:[(\[]\p{Nd}+[)\]]|\p{Nd}+\s*[.)\]\-–:،/])\s*`)

// Invitation is what the statement says about the invitation (the
// templates' data, render.Invitation).
type Invitation = render.Invitation

// forLanguage keeps the details a statement in lang can repeat as they are:
// those written in its script (a date or place in another script would put
// a second language into the text), and not the place when the title says it.
func forLanguage(inv Invitation, lang string) Invitation {
	for _, f := range []*string{&inv.When, &inv.Where, &inv.Focus} {
		if l := Language(*f); l != "" && l != script(lang) {
			*f = ""
		}
	}
	if inv.Where != "" && strings.Contains(strings.ToLower(inv.Title), strings.ToLower(inv.Where)) {
		inv.Where = ""
	}
	return inv
}

// Statement is a composed joint text.
type Statement struct {
	Lang            string
	Outcome         string
	Title           string
	Text            string // plain text, title on the first line: what is sent
	Signatories     []string
	Concerns        []string
	Recommendations []string
	// The same points with who raised them and what was merged into them.
	ConcernPoints, RecommendationPoints []Point
	// Draft is Text with notes under each point, for the coordinators.
	Draft string
	// Review says why the coordinators must see the text before the inviter
	// does, whatever the policy; empty when nothing needs it.
	Review []string
}

// Compose writes the joint text for an outcome from the templates of lang.
func Compose(r *render.Renderer, lang, coalition, outcome string, inv Invitation, ms []Member) (*Statement, error) {
	signers := Signatories(outcome, ms)
	var concerns, recs []Raised
	var attendees []string
	for _, m := range ms {
		// The text carries the points of those who stand behind it: members on
		// the side of the outcome, and anyone who signs.
		if m.Position == outcome || containsMember(signers, m.ID) {
			for _, c := range m.Concerns {
				concerns = append(concerns, Raised{Member: m.Name, Text: c})
			}
			for _, r := range m.Recommendations {
				recs = append(recs, Raised{Member: m.Name, Text: r})
			}
		}
		// Only signatories are named: "Sign: no" keeps a member's name out of the text.
		if outcome == "accept" && m.Position == "accept" && containsMember(signers, m.ID) {
			attendees = append(attendees, m.Name)
		}
	}
	st := &Statement{Lang: lang, Outcome: outcome, ConcernPoints: Group(lang, concerns), RecommendationPoints: Group(lang, recs)}
	st.Concerns, st.Recommendations = Texts(st.ConcernPoints), Texts(st.RecommendationPoints)
	for _, s := range signers {
		st.Signatories = append(st.Signatories, s.Name)
	}
	data := render.Statement{Outcome: outcome, Coalition: coalition, Invitation: forLanguage(inv, lang),
		Concerns: st.Concerns, Recommendations: st.Recommendations, Signatories: st.Signatories,
		Attendees: attendees}
	title, body, err := r.Render(lang, data)
	if err != nil {
		return nil, err
	}
	st.Title = title
	st.Text = title + "\n\n" + body
	// The draft is the same text with each point's notes under it.
	var cs, rs []string
	for _, p := range st.ConcernPoints {
		cs = append(cs, annotate(lang, p))
	}
	for _, p := range st.RecommendationPoints {
		rs = append(rs, annotate(lang, p))
	}
	data.Concerns, data.Recommendations = cs, rs
	_, draft, err := r.Render(lang, data)
	if err != nil {
		return nil, err
	}
	st.Draft = title + "\n\n" + draft
	st.Review = review(st)
	return st, nil
}

// Summary picks the paragraph of an invitation that says what it is for: the
// first one that is not a greeting, shortened at a sentence end.
func Summary(body string) string {
	for _, para := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		p := strings.Join(strings.Fields(para), " ")
		low := strings.ToLower(p)
		if len([]rune(p)) < 40 || strings.HasPrefix(low, "dear") || strings.HasPrefix(low, "hello") ||
			strings.HasPrefix(low, "madame") || strings.HasPrefix(low, "mesdames") || strings.HasPrefix(low, "bonjour") ||
			strings.HasPrefix(low, "cher ") || strings.HasPrefix(low, "chers ") || strings.HasPrefix(low, "chère") ||
			strings.HasPrefix(p, "السادة") || strings.HasPrefix(p, "الأعزاء") || strings.HasPrefix(p, "تحية") {
			continue
		}
		rs := []rune(p)
		if len(rs) <= 500 {
			return p
		}
		cut := string(rs[:500])
		if i := strings.LastIndexAny(cut, ".!?؟"); i > 100 {
			return cut[:i+1]
		}
		return cut + "…"
	}
	return ""
}

// Markdown renders a statement text (generated or edited by a coordinator) for
// publication: the first line is the title. Everything else is plain text,
// escaped (package inert) so that site generators (marked, Hugo/goldmark,
// Jekyll/kramdown) show what members wrote and never turn it into a link,
// an image, HTML, a heading or a list.
//
// links are the same statement in other languages, shown under the title.
func Markdown(text string, links ...Link) string {
	title, rest := SplitTitle(text)
	var ls string
	for i, l := range links {
		if i > 0 {
			ls += " · "
		}
		ls += "[" + inert.MarkdownLine(l.Native) + "](" + url.PathEscape(l.Href) + ")"
	}
	if ls != "" {
		ls += "\n\n"
	}
	return "# " + inert.MarkdownLine(title) + "\n\n" + ls + inert.Markdown(rest) + "\n"
}

// Link points to the published statement in another language.
type Link struct {
	Lang   string // its code: en, ar
	Native string // the language's name in itself: English, العربية
	Href   string // a file name beside this one
}

// HTML renders a statement text as a bare standalone page in language l
// (its direction: Arabic is right-to-left), each run in the other direction
// isolated (package bidihtml). The published page with its links to the
// index and other languages is package site's.
// The text is cleaned (inert.Text: no controls, no bidi overrides) and
// escaped: nothing a member wrote can become markup, and no link is made.
func HTML(l *lang.Language, text string, links ...Link) string {
	title, rest := SplitTitle(inert.Text(text))
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\">\n<head><meta charset=\"utf-8\"><title>%s</title></head>\n<body>\n<h1>%s</h1>\n",
		html.EscapeString(l.Code), l.Dir, html.EscapeString(title), bidihtml.Line(title, l.Dir))
	if len(links) > 0 {
		b.WriteString("<p>")
		for i, k := range links {
			if i > 0 {
				b.WriteString(" · ")
			}
			fmt.Fprintf(&b, "<a href=\"%s\" hreflang=\"%s\" lang=\"%s\">%s</a>", html.EscapeString(url.PathEscape(k.Href)),
				html.EscapeString(k.Lang), html.EscapeString(k.Lang), html.EscapeString(k.Native))
		}
		b.WriteString("</p>\n")
	}
	b.WriteString(bidihtml.Fragment(rest, l.Dir))
	b.WriteString("</body>\n</html>\n")
	return b.String()
}

// SplitTitle splits a statement's text into its first line (the title) and
// the rest.
func SplitTitle(text string) (string, string) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	title, rest, _ := strings.Cut(text, "\n")
	return strings.TrimSpace(title), strings.TrimSpace(rest)
}

func containsMember(ms []Member, id string) bool {
	for _, m := range ms {
		if m.ID == id {
			return true
		}
	}
	return false
}
