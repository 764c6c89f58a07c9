package answer

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name string
		text string
		pos  Position
		conc []string
		recs []string
		sign *bool
	}{
		{"keyword first line", "DECLINE", Decline, nil, nil, nil},
		{"keyword with punctuation", "Accept.\nThanks", Accept, nil, nil, nil},
		{"sentence", "Dear all, we decline this invitation.", Decline, nil, nil, nil},
		{"negated accept", "Unfortunately we cannot accept the invitation this time.", Decline, nil, nil, nil},
		{"won't attend", "We won't attend.", Decline, nil, nil, nil},
		{"will attend", "Yes, we will attend and bring two people.", Accept, nil, nil, nil},
		{"abstain", "We abstain on this one.", Abstain, nil, nil, nil},
		{"position heading", "Position: accept", Accept, nil, nil, nil},
		{"changed mind in one line", "Sorry, after discussing internally: DECLINE.", Decline, nil, nil, nil},
		{"nothing", "Thanks, we will discuss internally and come back to you.", None, nil, nil, nil},
		{"conflicting weak", "Some of us want to accept, others want to decline.", None, nil, nil, nil},
		{"arabic decline negation", "نعتذر عن عدم قبول الدعوة.", Decline, nil, nil, nil},
		{"arabic no agree", "لا نوافق على المشاركة", Decline, nil, nil, nil},
		{"arabic accept", "نوافق على قبول الدعوة", Accept, nil, nil, nil},
		{"arabic abstain", "نمتنع عن التصويت", Abstain, nil, nil, nil},
		{"arabic apologise participation", "نعتذر عن المشاركة في هذه الاجتماعات.\nالتوقيع: نعم", Decline, nil, nil, &yes},
		{"arabic with prefix and bidi", "\u200fونعتذر عن المشاركة", Decline, nil, nil, nil},
		{"sections numbered", "DECLINE\n\nConcerns:\n1. Too little notice.\n2. Topics are vague\n   and general.\n\nRecommendations:\n1. Consult us earlier.\n\nSign: yes\n\nBest,\nLina",
			Decline, []string{"Too little notice.", "Topics are vague and general."}, []string{"Consult us earlier."}, &yes},
		{"bullets", "We decline.\nRecommendations:\n- consult us on the topics!\n* publish the results\nSign: no", Decline, nil,
			[]string{"consult us on the topics!", "publish the results"}, &no},
		{"paragraph items", "ACCEPT\n\nRecommendations:\nInvite us earlier next time.\n\nShare the agenda in advance.\n\nRegards,\nSami",
			Accept, nil, []string{"Invite us earlier next time.", "Share the agenda in advance."}, nil},
		{"single recommendation line", "Decline.\nRecommendation: involve the organisations in choosing topics.", Decline, nil,
			[]string{"involve the organisations in choosing topics."}, nil},
		{"arabic sections with arabic digits", "أرفض\n\nالمخاوف:\n١- الدعوات تصل متأخرة.\n٢- المواضيع عامة.\n\nالتوصيات:\n١. التشاور المسبق مع المنظمات.\n\nالتوقيع: لا",
			Decline, []string{"الدعوات تصل متأخرة.", "المواضيع عامة."}, []string{"التشاور المسبق مع المنظمات."}, &no},
		{"section text does not vote", "ABSTAIN\nConcerns:\n1. Organisations should not accept invitations sent days before.", Abstain,
			[]string{"Organisations should not accept invitations sent days before."}, nil, nil},
		{"we will sign", "Accept. We will sign.", Accept, nil, nil, &yes},
	}
	r := NewReader()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := r.Parse(c.text)
			if a.Position != c.pos {
				t.Errorf("position = %q, want %q", a.Position, c.pos)
			}
			if !reflect.DeepEqual(a.Concerns, c.conc) {
				t.Errorf("concerns = %q, want %q", a.Concerns, c.conc)
			}
			if !reflect.DeepEqual(a.Recommendations, c.recs) {
				t.Errorf("recommendations = %q, want %q", a.Recommendations, c.recs)
			}
			if (a.Sign == nil) != (c.sign == nil) || (a.Sign != nil && *a.Sign != *c.sign) {
				t.Errorf("sign = %v, want %v", ptr(a.Sign), ptr(c.sign))
			}
		})
	}
}

func TestExtraVocabularyFromConfiguration(t *testing.T) {
	r := NewReader(Vocabulary{Language: "fr", Accept: []string{"nous acceptons"}, Decline: []string{"nous déclinons"},
		Recommendations: []string{"recommandations"}, Sign: []string{"signature"}, Yes: []string{"oui"}})
	a := r.Parse("Nous déclinons l'invitation.\nRecommandations:\n1. Consulter plus tôt.\nSignature: oui")
	if a.Position != Decline || len(a.Recommendations) != 1 || a.Sign == nil || !*a.Sign {
		t.Fatalf("french vocabulary not used: %+v", a)
	}
}

func ptr(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}
