package round

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"consultd/internal/statement"
)

type corpusMember struct {
	id, name, lang string
	text           []string
}

// loadRoundCorpus reads testdata/statement_round.txt: the members, their
// replies without labels, and the label of each point by its Key.
func loadRoundCorpus(t *testing.T) ([]corpusMember, map[string]string) {
	t.Helper()
	f, err := os.Open("testdata/statement_round.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	labelRe := regexp.MustCompile(`^(.*\S)\s+\{([a-z0-9-]+)\}\s*$`)
	numRe := regexp.MustCompile(`^\s*(?:[-•*]|[0-9٠-٩]+[.)\-])\s*`)
	var ms []corpusMember
	gold := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "=== "):
			c := strings.Split(strings.TrimPrefix(line, "=== "), " | ")
			ms = append(ms, corpusMember{id: c[0], name: c[1], lang: c[2]})
		default:
			if m := labelRe.FindStringSubmatch(line); m != nil {
				line = m[1]
				k := statement.Key(numRe.ReplaceAllString(line, ""))
				if old, dup := gold[k]; dup && old != m[2] {
					t.Fatalf("point %q labelled both %s and %s", line, old, m[2])
				}
				gold[k] = m[2]
			}
			ms[len(ms)-1].text = append(ms[len(ms)-1].text, line)
		}
	}
	return ms, gold
}

// draftGroups reads the points of the draft's version between the plain
// markers, as a coordinator sees them: each point with the wordings grouped
// into it, concerns ("1- ") and recommendations ("1. ") apart.
func draftGroups(t *testing.T, text string) (concerns, recs [][]string) {
	t.Helper()
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

// pairScore counts, over every pair of distinct wordings in one section,
// whether the draft grouped them as the labels do.
func pairScore(t *testing.T, groups [][]string, gold map[string]string) (tp, fp, fn, n int) {
	t.Helper()
	type item struct{ label, group int }
	var items []item
	labels := map[string]int{}
	for g, texts := range groups {
		for _, x := range texts {
			l, ok := gold[statement.Key(x)]
			if !ok {
				t.Errorf("the draft shows a wording that no member wrote: %q", x)
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
				tp++
			case grouped:
				fp++
			case same:
				fn++
			}
		}
	}
	return tp, fp, fn, len(items)
}

// TestCorpusStatementRoundIsGroupedAsItsLabelsSay runs 32 members' answers (en
// and ar: paraphrases, partial overlaps, false friends) through the engine to
// the coordinators' draft and scores the grouping the draft shows.
func TestCorpusStatementRoundIsGroupedAsItsLabelsSay(t *testing.T) {
	ms, gold := loadRoundCorpus(t)
	if len(ms) < 30 {
		t.Fatalf("only %d members in the corpus", len(ms))
	}
	var members strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&members, "  - {id: %s, name: %q, emails: [info@%s.example], language: %s}\n", m.id, m.name, m.id, m.lang)
	}
	y := strings.Replace(testConfig, "POLICY_APPROVAL", "false", 1)
	start, end := strings.Index(y, "members:\n"), strings.Index(y, "policy:")
	y = y[:start] + "members:\n" + members.String() + y[end:]
	h := newHarnessConfig(t, y)
	r, cons := h.open()
	for i, m := range ms {
		addr := "info@" + m.id + ".example"
		h.handle(answerMail(cons[addr], addr, strings.Join(m.text, "\n"), 1000+i))
	}
	drafts := h.outbox("draft")
	if len(drafts) != 1 || len(h.outbox("statement")) != 0 {
		t.Fatalf("%d drafts, %d statements: grouped and Arabic points must go to the coordinators first", len(drafts), len(h.outbox("statement")))
	}
	text := draftText(t, drafts[0])
	concerns, recs := draftGroups(t, text)
	var tp, fp, fn, n int
	for _, g := range [][][]string{concerns, recs} {
		a, b, c, d := pairScore(t, g, gold)
		tp, fp, fn, n = tp+a, fp+b, fn+c, n+d
	}
	if n != len(gold) {
		t.Errorf("the draft shows %d distinct wordings, the members wrote %d", n, len(gold))
	}
	p, rc := float64(tp)/float64(max(tp+fp, 1)), float64(tp)/float64(max(tp+fn, 1))
	fmt.Printf("corpus statement-round: precision %.3f recall %.3f (%d members, %d wordings, %d points in the draft)\n",
		p, rc, len(ms), n, len(concerns)+len(recs))
	if p < 0.95 || rc < 0.85 {
		t.Errorf("grouping precision %.3f recall %.3f, want ≥ 0.95 / ≥ 0.85; draft:\n%s", p, rc, text)
	}
	if c := strings.Count(text, "(consultd: written in Arabic — translate or remove)"); c == 0 {
		t.Errorf("no Arabic point is marked for translation:\n%s", text)
	}
	if !strings.Contains(drafts[0].Text, "Round "+r.ID+" has closed") {
		t.Errorf("draft:\n%s", drafts[0].Text)
	}
}
