package round

import (
	"consultd/internal/statement/grouptest"
	"fmt"
	"strings"
	"testing"
)

// TestCorpusStatementRoundIsGroupedAsItsLabelsSay runs 32 members' answers (en
// and ar: paraphrases, partial overlaps, false friends) through the engine to
// the coordinators' draft and scores the grouping the draft shows.
func TestCorpusStatementRoundIsGroupedAsItsLabelsSay(t *testing.T) {
	ms, gold, err := grouptest.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 30 {
		t.Fatalf("only %d members in the corpus", len(ms))
	}
	var members strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&members, "  - {id: %s, name: %q, emails: [info@%s.example], language: %s}\n", m.ID, m.Name, m.ID, m.Lang)
	}
	y := strings.Replace(testConfig, "POLICY_APPROVAL", "false", 1)
	start, end := strings.Index(y, "members:\n"), strings.Index(y, "policy:")
	y = y[:start] + "members:\n" + members.String() + y[end:]
	h := newHarnessConfig(t, y)
	r, cons := h.open()
	for i, m := range ms {
		addr := "info@" + m.ID + ".example"
		h.handle(answerMail(cons[addr], addr, strings.Join(m.Text, "\n"), 1000+i))
	}
	drafts := h.outbox("draft")
	if len(drafts) != 1 || len(h.outbox("statement")) != 0 {
		t.Fatalf("%d drafts, %d statements: grouped and Arabic points must go to the coordinators first", len(drafts), len(h.outbox("statement")))
	}
	text := draftText(t, drafts[0])
	sc := grouptest.Grade(text, gold)
	if len(sc.Unknown) > 0 {
		t.Errorf("the draft shows wordings that no member wrote: %q", sc.Unknown)
	}
	if sc.Wordings != len(gold) {
		t.Errorf("the draft shows %d distinct wordings, the members wrote %d", sc.Wordings, len(gold))
	}
	p, rc := sc.Precision(), sc.Recall()
	fmt.Printf("corpus statement-round: precision %.3f recall %.3f (%d members, %d wordings, %d points in the draft)\n",
		p, rc, len(ms), sc.Wordings, grouptest.Points(text))
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
