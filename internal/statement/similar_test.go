package statement

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

type pair struct {
	merge bool
	lang  string
	a, b  string
}

func loadPairs(t *testing.T) []pair {
	t.Helper()
	f, err := os.Open("testdata/pairs.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ps []pair
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 4 || (c[0] != "0" && c[0] != "1") {
			t.Fatalf("pairs.tsv:%d: want merge, lang, A, B", n)
		}
		ps = append(ps, pair{merge: c[0] == "1", lang: c[1], a: c[2], b: c[3]})
	}
	return ps
}

// pairSimilarity weighs the words over every point of the set, as a round
// weighs them over its own points.
func pairSimilarity(ps []pair) *Similarity {
	var all []string
	for _, p := range ps {
		all = append(all, p.a, p.b)
	}
	return NewSimilarity(all)
}

func precisionRecall(ps []pair, sim *Similarity, threshold float64) (p, r float64, wrong []string) {
	var tp, fp, fn int
	for _, x := range ps {
		s := sim.Score(x.a, x.b)
		got := s >= threshold
		switch {
		case got && x.merge:
			tp++
		case got && !x.merge:
			fp++
			wrong = append(wrong, fmt.Sprintf("merged (%.2f), must not: %q / %q", s, x.a, x.b))
		case !got && x.merge:
			fn++
			wrong = append(wrong, fmt.Sprintf("kept apart (%.2f), same point: %q / %q", s, x.a, x.b))
		}
	}
	p, r = 1, 1
	if tp+fp > 0 {
		p = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		r = float64(tp) / float64(tp+fn)
	}
	return p, r, wrong
}

// TestCorpusStatementPairs scores the merge decision on the labelled pairs and
// shows the sweep the threshold was chosen on.
func TestCorpusStatementPairs(t *testing.T) {
	ps := loadPairs(t)
	if len(ps) < 150 {
		t.Fatalf("only %d labelled pairs", len(ps))
	}
	sim := pairSimilarity(ps)
	for th := 0.30; th < 0.71; th += 0.05 {
		p, r, _ := precisionRecall(ps, sim, th)
		t.Logf("threshold %.2f: precision %.3f recall %.3f", th, p, r)
	}
	for _, lang := range []string{"en", "ar"} {
		var sub []pair
		for _, x := range ps {
			if x.lang == lang {
				sub = append(sub, x)
			}
		}
		p, r, _ := precisionRecall(sub, sim, Threshold)
		fmt.Printf("corpus statement-pairs/%s: precision %.3f recall %.3f (%d pairs)\n", lang, p, r, len(sub))
	}
	p, r, wrong := precisionRecall(ps, sim, Threshold)
	fmt.Printf("corpus statement-pairs: precision %.3f recall %.3f (%d pairs)\n", p, r, len(ps))
	for _, w := range wrong {
		t.Log(w)
	}
	if p < 0.95 || r < 0.85 {
		t.Errorf("precision %.3f recall %.3f at threshold %.2f, want ≥ 0.95 / ≥ 0.85", p, r, Threshold)
	}
}

func TestNegationBlocksAMerge(t *testing.T) {
	sim := NewSimilarity(nil)
	for _, c := range [][2]string{
		{"Victims were consulted.", "Victims were not consulted."},
		{"The organisations were consulted on the topics", "The organisations weren't consulted on the topics"},
		{"The contact persons have knowledge of the topics", "The contact persons lack knowledge of the topics"},
		{"تمت استشارة الضحايا", "لم تتم استشارة الضحايا"},
		{"النساء ممثلات في الوفد", "النساء غير ممثلات في الوفد"},
	} {
		if s := sim.Score(c[0], c[1]); s != 0 {
			t.Errorf("%q and %q score %.2f, want 0 (one is negated)", c[0], c[1], s)
		}
	}
}

func TestArabicNormalisation(t *testing.T) {
	for _, c := range [][2]string{
		{"إشراك", "اشراك"}, {"المنظّمات", "المنظمات"}, {"الدعـــوة", "الدعوة"}, {"مستشفى", "مستشفي"}, {"الدعوة", "دعوه"},
		{"والمنظمات", "المنظمات"}, {"بالمواضيع", "المواضيع"},
	} {
		a, b := analyse(c[0]), analyse(c[1])
		if strings.Join(a.words, " ") != strings.Join(b.words, " ") || len(a.words) != 1 {
			t.Errorf("%q → %q, %q → %q: want one and the same stem", c[0], a.words, c[1], b.words)
		}
	}
}

func TestLanguageByScript(t *testing.T) {
	for in, want := range map[string]string{
		"Invitations come too late.":                          "en",
		"الدعوات تصل متأخرة":                                  "ar",
		"الدعوات تصل متأخرة (CSSR) جداً":                      "ar",
		"The Civil Society Support Room (غرفة الدعم) is late": "en",
		"١. ٢.": "",
	} {
		if got := Language(in); got != want {
			t.Errorf("Language(%q) = %q, want %q", in, got, want)
		}
	}
}
