package statement

import (
	"reflect"
	"strings"
	"testing"
)

func TestDraftCreditsMembersAndMarksGroupedAndForeignPoints(t *testing.T) {
	ms := []Member{
		{ID: "baytna", Name: "Baytna Syria", Position: "decline", Concerns: []string{"Invitations arrive only days before the meeting."}},
		{ID: "stj", Name: "STJ", Position: "decline", Concerns: []string{"We were invited three days before the meeting, too late to prepare."}},
		{ID: "sednaya", Name: "Sednaya Association", Position: "decline", Concerns: []string{"لم تتم استشارة المنظمات في المواضيع"}},
	}
	st, err := Compose(renderer(t), "en", "Test Coalition", "decline", seedInv, ms)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\n1- We were invited three days before the meeting, too late to prepare.\n(consultd: raised by Baytna Syria, STJ)\n(consultd: grouped by similarity with “Invitations arrive only days before the meeting.” — split or edit if they differ)\n",
		"\n2- لم تتم استشارة المنظمات في المواضيع\n(consultd: raised by Sednaya Association)\n(consultd: written in Arabic — translate or remove)\n",
	} {
		if !strings.Contains(st.Draft, want) {
			t.Errorf("draft lacks %q:\n%s", want, st.Draft)
		}
	}
	if strings.Contains(st.Text, "consultd:") {
		t.Errorf("notes leaked into the statement text:\n%s", st.Text)
	}
	if StripNotes(st.Draft) != strings.TrimSpace(st.Text) {
		t.Errorf("the draft without its notes is not the statement:\n%s\n---\n%s", StripNotes(st.Draft), st.Text)
	}
	if want := []string{"1 point was grouped with others written differently", "1 point is not written in English"}; !reflect.DeepEqual(st.Review, want) {
		t.Errorf("review %q, want %q", st.Review, want)
	}
	if f := st.Foreign(); len(f) != 1 || f[0].Lang != "ar" {
		t.Errorf("foreign points %+v", f)
	}
}

func TestNothingToReviewWhenPointsAreDistinctAndInTheStatementsLanguage(t *testing.T) {
	st, err := Compose(renderer(t), "en", "Test Coalition", "decline", seedInv, seedMembers)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Review) != 0 {
		t.Errorf("review %q for identical merges only", st.Review)
	}
}

func TestSignatoryChanges(t *testing.T) {
	signers := []string{"Baytna Syria", "The Day After (TDA)"}
	body := "Statement\n\n1- Invitations come too late.\n- a bullet in the text\n\n"
	cases := []struct {
		name           string
		list           string
		added, removed []string
	}{
		{"unchanged", "– Baytna Syria\n– The Day After (TDA)", nil, nil},
		{"other dash and spacing", "- baytna  syria\n• The Day After (TDA)\n", nil, nil},
		{"one removed", "– Baytna Syria", nil, []string{"The Day After (TDA)"}},
		{"one added", "– Baytna Syria\n– The Day After (TDA)\n– Dawlaty", []string{"Dawlaty"}, nil},
		{"replaced", "– Baytna Syria\n– Dawlaty", []string{"Dawlaty"}, []string{"The Day After (TDA)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			added, removed := SignatoryChanges(body+c.list, signers)
			if !reflect.DeepEqual(added, c.added) || !reflect.DeepEqual(removed, c.removed) {
				t.Errorf("added %q removed %q, want %q %q", added, removed, c.added, c.removed)
			}
		})
	}
}

func TestDiffShowsOnlyWhatChanged(t *testing.T) {
	a := "Title\n\nIntro.\n1- Invitations come too late.\n2- Topics set without us.\n\n– Baytna"
	b := "Title\n\nIntro.\n1- Invitations come far too late.\n2- Topics set without us.\n\n– Baytna"
	if got, want := Diff(a, b, 20), "- 1- Invitations come too late.\n+ 1- Invitations come far too late."; got != want {
		t.Errorf("Diff = %q, want %q", got, want)
	}
	if got := Diff(a, a, 20); got != "" {
		t.Errorf("Diff of the same text = %q", got)
	}
}

func TestALatinScriptStatementDoesNotFlagLatinPoints(t *testing.T) {
	ms := []Member{{ID: "a", Name: "Org A", Position: "decline", Concerns: []string{"Les invitations arrivent trop tard.", "الدعوات تصل متأخرة"}}}
	st, err := Compose(renderer(t), "fr", "Coalition", "decline", seedInv, ms)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1 point is not written in French"}; !reflect.DeepEqual(st.Review, want) {
		t.Errorf("review %q, want %q (only the Arabic point)", st.Review, want)
	}
	ar, err := Compose(renderer(t), "ar", "Coalition", "decline", seedInv, ms)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ar.Draft, "Les invitations arrivent trop tard.\n(consultd: raised by Org A)\n(consultd: not written in Arabic — translate or remove)") {
		t.Errorf("Arabic draft:\n%s", ar.Draft)
	}
}

func TestSignatoryNamesCompareAsTheMailShowedThem(t *testing.T) {
	// Mail text drops bidi overrides: the coordinator's copy of the list lacks them.
	added, removed := SignatoryChanges("Text\n\n– Nour evil Foundation", []string{"Nour \u202Eevil\u202C Foundation"})
	if len(added)+len(removed) != 0 {
		t.Errorf("added %q removed %q: an unchanged list was refused", added, removed)
	}
}
