package statement_test

import (
	"fmt"
	"regexp"
	"testing"

	"consultd/internal/statement"
	"consultd/internal/statement/grouptest"
)

// BenchmarkGroup groups the points of a large round: the corpus round's
// wordings, each made distinct by the places it names, as thousands of
// members would raise them (go test -bench Group ./internal/statement/).
func BenchmarkGroup(b *testing.B) {
	ms, _, err := grouptest.Load()
	if err != nil {
		b.Fatal(err)
	}
	numbered := regexp.MustCompile(`^\s*(?:[-•*]|[0-9٠-٩]+[.)\-])\s*`)
	var base []string
	for _, m := range ms {
		for _, l := range m.Text {
			if numbered.MatchString(l) {
				base = append(base, numbered.ReplaceAllString(l, ""))
			}
		}
	}
	places := []string{"Aleppo", "Idlib", "Raqqa", "Homs", "Hama", "Daraa", "Latakia", "Tartus", "Deir", "Hasakah",
		"Qamishli", "Afrin", "Manbij", "Douma", "Zabadani", "Palmyra", "Suwayda", "Quneitra", "Azaz", "Jarablus"}
	for _, n := range []int{300, 3000} {
		raised := make([]statement.Raised, n)
		for i := range raised {
			raised[i] = statement.Raised{Member: fmt.Sprintf("member %d", i), Text: fmt.Sprintf("%s, especially in %s and %s",
				base[i%len(base)], places[i%len(places)], places[(i/len(places))%len(places)])}
		}
		b.Run(fmt.Sprintf("points=%d", n), func(b *testing.B) {
			for b.Loop() {
				if ps := statement.Group("en", raised); len(ps) == 0 {
					b.Fatal("no points")
				}
			}
		})
	}
}
