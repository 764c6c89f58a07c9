// Package grouptest is a labelled round of member answers (32 members, en and
// ar: paraphrases, partial overlaps, false friends) and the scoring of how a
// coordinators' draft grouped their points. The engine's tests and the
// integration tests on the real mail stack both run it.
package grouptest

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"consultd/internal/statement"
)

//go:embed statement_round.txt
var corpus []byte

// Member is one member of the corpus and the lines of its reply.
type Member struct {
	ID, Name, Lang string
	Text           []string
}

// Load returns the members, and the label of each point by its statement.Key.
func Load() ([]Member, map[string]string, error) {
	labelRe := regexp.MustCompile(`^(.*\S)\s+\{([a-z0-9-]+)\}\s*$`)
	numRe := regexp.MustCompile(`^\s*(?:[-•*]|[0-9٠-٩]+[.)\-])\s*`)
	var ms []Member
	gold := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(corpus))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "=== "):
			c := strings.Split(strings.TrimPrefix(line, "=== "), " | ")
			if len(c) != 3 {
				return nil, nil, fmt.Errorf("member line %q: want id | name | language", line)
			}
			ms = append(ms, Member{ID: c[0], Name: c[1], Lang: c[2]})
		default:
			if len(ms) == 0 {
				return nil, nil, fmt.Errorf("text before the first member: %q", line)
			}
			if m := labelRe.FindStringSubmatch(line); m != nil {
				line = m[1]
				k := statement.Key(numRe.ReplaceAllString(line, ""))
				if old, dup := gold[k]; dup && old != m[2] {
					return nil, nil, fmt.Errorf("point %q labelled both %s and %s", line, old, m[2])
				}
				gold[k] = m[2]
			}
			ms[len(ms)-1].Text = append(ms[len(ms)-1].Text, line)
		}
	}
	return ms, gold, sc.Err()
}

// DraftGroups reads the points of a draft's version (the text between its
// marker lines) as a coordinator sees them: each point with the wordings
// grouped into it, concerns ("1- ") and recommendations ("1. ") apart.
func DraftGroups(text string) (concerns, recs [][]string) {
	pointRe := regexp.MustCompile(`^(\d+)([-.]) (.+)$`)
	var last *[][]string
	for _, l := range strings.Split(text, "\n") {
		if m := pointRe.FindStringSubmatch(l); m != nil {
			last = &recs
			if m[2] == "-" {
				last = &concerns
			}
			*last = append(*last, []string{m[3]})
			continue
		}
		if w, ok := strings.CutPrefix(l, "(consultd: grouped by similarity with “"); ok && last != nil {
			w, _, _ = strings.Cut(w, "” — split or edit")
			g := &(*last)[len(*last)-1]
			*g = append(*g, strings.Split(w, "”; “")...)
		}
	}
	return concerns, recs
}

// Score is how a draft's grouping compares with the labels, over every pair
// of distinct wordings in one section.
type Score struct {
	TP, FP, FN int
	Wordings   int      // distinct wordings the draft shows
	Unknown    []string // wordings shown that no member wrote
}

// Precision and Recall of the grouping.
func (s Score) Precision() float64 { return float64(s.TP) / float64(max(s.TP+s.FP, 1)) }
func (s Score) Recall() float64    { return float64(s.TP) / float64(max(s.TP+s.FN, 1)) }

// Grade scores the draft's concerns and recommendations against gold.
func Grade(draft string, gold map[string]string) Score {
	concerns, recs := DraftGroups(draft)
	var s Score
	for _, groups := range [][][]string{concerns, recs} {
		type item struct{ label, group int }
		var items []item
		labels := map[string]int{}
		for g, texts := range groups {
			for _, x := range texts {
				l, ok := gold[statement.Key(x)]
				if !ok {
					s.Unknown = append(s.Unknown, x)
					continue
				}
				if _, ok := labels[l]; !ok {
					labels[l] = len(labels)
				}
				items = append(items, item{labels[l], g})
			}
		}
		for i := range items {
			for j := i + 1; j < len(items); j++ {
				same, grouped := items[i].label == items[j].label, items[i].group == items[j].group
				switch {
				case same && grouped:
					s.TP++
				case grouped:
					s.FP++
				case same:
					s.FN++
				}
			}
		}
		s.Wordings += len(items)
	}
	return s
}

// Points counts the points of a draft's version.
func Points(draft string) int {
	c, r := DraftGroups(draft)
	return len(c) + len(r)
}
