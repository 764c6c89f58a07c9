package statement

import (
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Raised is one point as one member wrote it.
type Raised struct {
	Member string // the member's name, as the draft credits it
	Text   string
}

// Point is a group of members' points that say the same thing.
type Point struct {
	Text     string   // the group's wording: its clearest complete version
	Members  []string // who raised it, in order of first appearance
	Wordings []string // the other wordings merged into it
	Similar  bool     // some wordings were merged by similarity, not only as identical
	Lang     string   // the script Text is written in: en, ar or ""
}

// maxWords is the longest a wording may be and still be chosen as the
// group's: past that, a point reads as a paragraph, not an item.
const maxWords = 45

// Group merges the points that say the same thing (identical once case,
// punctuation and numbering are ignored, or similar by Similarity.Score) and
// orders the groups by how many members raised them, then by first
// appearance. A point joins the group it is most similar to, and only when no
// point of that group is kept apart from it by a rule (negation, numbers,
// opposite words, different subjects): similarity does not chain a point
// into a group that holds its opposite. lang is the statement's language:
// a wording in it is preferred.
func Group(lang string, raised []Raised) []Point {
	type group struct {
		texts   []string // distinct wordings, first first
		keys    map[string]bool
		an      []analysed
		members []string
		similar bool

		index     int             // in groups
		memberSet map[string]bool // members, to add each once
	}
	var texts []string
	for _, r := range raised {
		texts = append(texts, strings.TrimSpace(r.Text))
	}
	sim := NewSimilarity(texts)
	var groups []*group
	byKey := map[string]*group{}
	// Only a group with a word in common can score above Threshold
	// (overlap needs minShared shared words), so a point is compared with
	// those alone, found through the groups of each word, in group order as
	// before: a round of thousands of points is not a comparison of each
	// with all.
	byWord := map[string][]int{}
	seenAt := []int{} // by group: the last point that listed it as a candidate
	var cands []int
	for n, r := range raised {
		text := strings.TrimSpace(r.Text)
		k := Key(text)
		if k == "" {
			continue
		}
		into, identical := byKey[k], byKey[k] != nil
		a := analyse(text)
		sim.weigh(&a)
		if into == nil {
			cands = cands[:0]
			for f := range a.feats {
				for _, gi := range byWord[f] {
					if seenAt[gi] != n+1 {
						seenAt[gi] = n + 1
						cands = append(cands, gi)
					}
				}
			}
			slices.Sort(cands)
			best := 0.0
			for _, gi := range cands {
				g := groups[gi]
				score, ok := 0.0, true
				for _, b := range g.an {
					if blocked(a, b) || opposite(a, b) || opposite(b, a) {
						ok = false
						break
					}
					score = max(score, sim.overlap(a, b)) // sim.score without the rules just checked
				}
				if ok && score >= Threshold && score > best {
					best, into = score, g
				}
			}
		}
		if into == nil {
			into = &group{keys: map[string]bool{}, index: len(groups)}
			groups = append(groups, into)
			seenAt = append(seenAt, 0)
		}
		if !identical {
			into.texts = append(into.texts, text)
			into.keys[k] = true
			byKey[k] = into
			into.an = append(into.an, a)
			into.similar = into.similar || len(into.texts) > 1
			for f := range a.feats {
				if !strings.Contains(f, " ") {
					if l := byWord[f]; len(l) == 0 || l[len(l)-1] != into.index {
						byWord[f] = append(l, into.index)
					}
				}
			}
		}
		if r.Member != "" && !into.memberSet[r.Member] {
			if into.memberSet == nil {
				into.memberSet = map[string]bool{}
			}
			into.memberSet[r.Member] = true
			into.members = append(into.members, r.Member)
		}
	}
	out := make([]Point, 0, len(groups))
	for _, g := range groups {
		best := clearest(lang, g.texts)
		p := Point{Text: numberingRe.ReplaceAllString(g.texts[best], ""), Members: g.members, Similar: g.similar}
		p.Lang = Language(p.Text)
		for i, t := range g.texts {
			if i != best {
				p.Wordings = append(p.Wordings, t)
			}
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Members) > len(out[j].Members) })
	return out
}

// clearest picks a group's wording: among those in the statement's language
// (any, when none is), the longest complete sentence of at most maxWords
// words; failing that the longest of at most maxWords; failing that the
// shortest. A complete sentence has at least four words, starts with a
// capital (or a letter of a script without case) and ends with . ! ? or ؟.
func clearest(lang string, texts []string) int {
	cands := []int{}
	for i, t := range texts {
		if Language(t) == lang {
			cands = append(cands, i)
		}
	}
	if len(cands) == 0 {
		for i := range texts {
			cands = append(cands, i)
		}
	}
	pick := func(ok func(string) bool) int {
		best, n := -1, 0
		for _, i := range cands {
			w := len(strings.Fields(texts[i]))
			if ok(texts[i]) && w <= maxWords && w > n {
				best, n = i, w
			}
		}
		return best
	}
	if i := pick(complete); i >= 0 {
		return i
	}
	if i := pick(func(string) bool { return true }); i >= 0 {
		return i
	}
	best := cands[0]
	for _, i := range cands {
		if len(texts[i]) < len(texts[best]) {
			best = i
		}
	}
	return best
}

func complete(s string) bool {
	s = strings.TrimSpace(numberingRe.ReplaceAllString(s, ""))
	if len(strings.Fields(s)) < 4 {
		return false
	}
	first := []rune(s)[0]
	if !unicode.IsLetter(first) || (unicode.IsLower(first)) {
		return false
	}
	return strings.ContainsAny(s[len(s)-1:], ".!?") || strings.HasSuffix(s, "؟")
}

// Texts are the groups' wordings.
func Texts(ps []Point) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Text
	}
	return out
}
