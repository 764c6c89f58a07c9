package statement

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGroupMergesTheSamePointInOtherWords(t *testing.T) {
	got := Group("en", []Raised{
		{"Baytna", "Invitations arrive only days before the meeting."},
		{"SJAC", "Hold a press conference at the end of the meetings to share the results."},
		{"STJ", "We were invited three days before the meeting, too late to prepare."},
		{"TDA", "End the meetings with a press conference on the results."},
		{"VDC", "invitations come too late"},
		{"SCM", "Victims were not consulted on the topics."},
		{"SLA", "Victims were consulted on the topics."},
	})
	if len(got) != 4 {
		t.Fatalf("%d groups, want 4 (late invitations, press conference, and the two opposite points):\n%+v", len(got), got)
	}
	late := got[0]
	if !reflect.DeepEqual(late.Members, []string{"Baytna", "STJ", "VDC"}) || !late.Similar {
		t.Errorf("first group %+v: want the late invitations, raised by three, merged by similarity", late)
	}
	if late.Text != "We were invited three days before the meeting, too late to prepare." {
		t.Errorf("wording %q: want the longest complete sentence", late.Text)
	}
	if len(late.Wordings) != 2 {
		t.Errorf("other wordings %q, want the two others", late.Wordings)
	}
	if got[1].Members[0] != "SJAC" || len(got[1].Members) != 2 {
		t.Errorf("second group %+v: want the press conference, raised by two", got[1])
	}
	if got[2].Text != "Victims were not consulted on the topics." || got[3].Text != "Victims were consulted on the topics." {
		t.Errorf("the negated and the plain point were merged or misordered: %q / %q", got[2].Text, got[3].Text)
	}
}

func TestGroupIdenticalPointsAreNotSimilarMerges(t *testing.T) {
	got := Group("en", []Raised{{"A", "1. Invitations come too late."}, {"B", "invitations come too late!"}, {"A", "Invitations come too late."}})
	if len(got) != 1 || got[0].Similar || len(got[0].Wordings) != 0 || !reflect.DeepEqual(got[0].Members, []string{"A", "B"}) {
		t.Errorf("identical points: %+v, want one group, two members, no other wording, not marked similar", got)
	}
	if got[0].Text != "Invitations come too late." {
		t.Errorf("wording %q: numbering kept or incomplete wording chosen", got[0].Text)
	}
}

func TestGroupMarksThePointsLanguage(t *testing.T) {
	got := Group("en", []Raised{{"A", "Invitations come too late."}, {"B", "الدعوات تصل متأخرة"}, {"C", "تصل الدعوات متأخرة جداً"}})
	if len(got) != 2 || got[0].Lang != "ar" || got[1].Lang != "en" || len(got[0].Members) != 2 {
		t.Errorf("groups %+v: want the Arabic point (two members) first, marked ar", got)
	}
}

func TestClearestWordingSkipsRunOnParagraphs(t *testing.T) {
	long := "The invitations " + strings.Repeat("always and again ", 20) + "arrive too late."
	texts := []string{"invitations arrive late", long, "Invitations arrive too late to prepare."}
	if i := clearest("en", texts); i != 2 {
		t.Errorf("clearest = %q, want the complete sentence under %d words", texts[i], maxWords)
	}
}

func FuzzGroup(f *testing.F) {
	for _, s := range []string{"Invitations come too late.", "الدعوات لا تصل في وقتها", "١- ", "not not no", "ـــ", "3 days' notice", "\u0651\u064b"} {
		f.Add(s, "We were invited too late.")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		got := Group("en", []Raised{{"A", a}, {"B", b}, {"C", a}})
		n := 0
		for _, p := range got {
			n += len(p.Members)
			if strings.TrimSpace(p.Text) == "" && Key(p.Text) != "" {
				t.Errorf("empty wording for %q", p.Text)
			}
		}
		if len(got) > 2 || n > 3 {
			t.Errorf("Group(%q, %q) = %+v", a, b, got)
		}
		if s := NewSimilarity([]string{a, b}).Score(a, b); s < 0 || s > 1.0001 {
			t.Errorf("Score(%q, %q) = %v", a, b, s)
		}
	})
}
