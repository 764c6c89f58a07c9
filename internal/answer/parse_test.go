package answer

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseShapes covers what members write beyond the form the invitation
// suggests: headings as sentences, positions after the points, one point per
// line, letter numbering, sign-on phrased loosely, apologies that are not a
// decline, changes of mind.
func TestParseShapes(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name string
		text string
		pos  Position
		conc []string
		recs []string
		sign *bool
	}{
		{"heading as a sentence also states the position",
			"We decline for the following reasons:\n1. Short notice.\n2. No agenda.", Decline,
			[]string{"Short notice.", "No agenda."}, nil, nil},
		{"arabic recommendations announced by a verb", "نوصي بما يلي:\n- التشاور المسبق.", None,
			nil, []string{"التشاور المسبق."}, nil},
		{"position paragraph after paragraph points",
			"Concerns:\nThe notice was too short.\n\nTherefore we decline.", Decline,
			[]string{"The notice was too short."}, nil, nil},
		{"position line right after a list item that ends a sentence",
			"المخاوف:\n١. الوقت قصير.\nلذلك نعتذر عن المشاركة.", Decline, []string{"الوقت قصير."}, nil, nil},
		{"imperative point is not a position",
			"Recommendations:\nInvite us earlier.\n\nAttend to the security of participants.", None,
			nil, []string{"Invite us earlier.", "Attend to the security of participants."}, nil},
		{"one point per short line",
			"Concerns:\nThe notice was short.\nThe topics are vague.", None,
			[]string{"The notice was short.", "The topics are vague."}, nil, nil},
		{"hard-wrapped paragraph stays one point",
			"Concerns:\nThe invitation arrived three days before the meeting, which leaves us no.\ntime at all to consult the members of our network.", None,
			[]string{"The invitation arrived three days before the meeting, which leaves us no. time at all to consult the members of our network."}, nil, nil},
		{"heading text goes on on the next line",
			"Concerns: the invitation arrived three days before\nthe meeting.", None,
			[]string{"the invitation arrived three days before the meeting."}, nil, nil},
		{"arabic letter numbering", "التوصيات:\nأ- النشر.\nب) الترجمة.", None, nil, []string{"النشر.", "الترجمة."}, nil},
		{"slash numbering", "التوصيات:\n1/ النشر\n2/ الترجمة", None, nil, []string{"النشر", "الترجمة"}, nil},
		{"markdown bold heading", "**Concerns:**\n- Late.", None, []string{"Late."}, nil, nil},
		{"sign-on heading is not 'sign'", "Sign-on: yes", None, nil, nil, &yes},
		{"sign the statement", "Sign the joint statement: no", None, nil, nil, &no},
		{"sign with dash", "Sign - yes", None, nil, nil, &yes},
		{"arabic sign no objection", "التوقيع: لا مانع", None, nil, nil, &yes},
		{"arabic sign joined negation", "ولن نوقع على البيان", None, nil, nil, &no},
		{"arabic agree to sign is not accepting", "نوافق على التوقيع", None, nil, nil, &yes},
		{"arabic decline but sign", "نعتذر عن الحضور، لكننا موافقون على التوقيع على البيان.", Decline, nil, nil, &yes},
		{"levantine negation", "ما رح نقدر نشارك هالمرة", Decline, nil, nil, nil},
		{"egyptian negation", "مش حنقدر نحضر للأسف", Decline, nil, nil, nil},
		{"first person singular", "أعتذر عن المشاركة.", Decline, nil, nil, nil},
		{"apologies are not a decline", "Please accept our apologies, we cannot attend.", Decline, nil, nil, nil},
		{"sorry for the delay then accept", "نعتذر عن التأخير في الرد، نوافق على المشاركة.", Accept, nil, nil, nil},
		{"won't be able to attend", "We won't be able to attend.", Decline, nil, nil, nil},
		{"change of mind after but", "We would have liked to attend, but we must decline.", Decline, nil, nil, nil},
		{"arabic change of mind", "كنا نميل إلى الاعتذار، لكننا قررنا المشاركة في النهاية.", Accept, nil, nil, nil},
		{"but without a position after it", "We accept, but we won't sign.", Accept, nil, nil, &no},
		{"no objection", "لا مانع لدينا من الحضور", Accept, nil, nil, nil},
		{"count us as abstaining", "الرجاء اعتبارنا ممتنعين.", Abstain, nil, nil, nil},
		{"bidi marks around an item", "\u202bالتوصيات:\u202c\n\u202b١- النشر.\u202c", None, nil, []string{"النشر."}, nil},
		{"bidi mark alone after a heading", "التوصيات:\u200f\n- النشر", None, nil, []string{"النشر"}, nil},
		{"point starting with thanks is kept",
			"Concerns:\nThanks for including us, but three days is too short to consult our members.\n\nThanks,\nLina", None,
			[]string{"Thanks for including us, but three days is too short to consult our members."}, nil, nil},
		{"nothing to say under a heading", "Decline.\nConcerns: none\nRecommendations: N/A", Decline, nil, nil, nil},
		{"arabic nothing to say", "نعتذر\nالمخاوف: لا يوجد\nالتوصيات:\n- لا شيء", Decline, nil, nil, nil},
		{"eastern arabic digits", "المخاوف:\n۱) الوقت\n۲) المكان", None, []string{"الوقت", "المكان"}, nil, nil},
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
			if !sameSign(a.Sign, c.sign) {
				t.Errorf("sign = %v, want %v", ptr(a.Sign), ptr(c.sign))
			}
		})
	}
}

// TestVocabularyFromConfigurationPhrases checks that configured phrases of any
// length and NotPosition phrases are used.
func TestVocabularyFromConfigurationPhrases(t *testing.T) {
	r := NewReader(Vocabulary{Language: "fr",
		Decline:     []string{"nous ne pourrons malheureusement pas être des vôtres cette fois"},
		Accept:      []string{"accepter"},
		NotPosition: []string{"veuillez accepter nos excuses"}})
	if a := r.Parse("Nous ne pourrons malheureusement pas être des vôtres cette fois."); a.Position != Decline {
		t.Errorf("nine-word phrase: position = %q, want decline", a.Position)
	}
	if a := r.Parse("Veuillez accepter nos excuses pour le retard."); a.Position != None {
		t.Errorf("NotPosition phrase: position = %q, want none", a.Position)
	}
	r = NewReader(Vocabulary{Language: "fr", Accept: []string{"on en est$"}, Holding: []string{"nous reviendrons vers vous"}})
	if a := r.Parse("Oui, on en est !"); a.Position != Accept {
		t.Errorf("phrase at the end of a sentence: position = %q, want accept", a.Position)
	}
	if a := r.Parse("On en est loin."); a.Position != None {
		t.Errorf("end-only phrase inside a sentence: position = %q, want none", a.Position)
	}
	if a := r.Parse("Merci, nous reviendrons vers vous."); a.Position != None || !a.Holding {
		t.Errorf("configured holding phrase: position %q holding %v, want none and holding", a.Position, a.Holding)
	}
}

// TestParseBounded checks that only the first MaxRead bytes are read: a huge
// reply cannot make the reader work without bound, and its text is kept whole.
func TestParseBounded(t *testing.T) {
	filler := strings.Repeat("we discussed the invitation at length with our members and partners\n", MaxRead/60)
	text := "Concerns:\n1. First point.\n\n" + filler + "\nRecommendations:\n1. Beyond the bound."
	a := NewReader().Parse(text)
	if !reflect.DeepEqual(a.Concerns, []string{"First point."}) || a.Recommendations != nil {
		t.Errorf("concerns %q, recommendations %q: want only the point before the bound", a.Concerns, a.Recommendations)
	}
	if a.Text != strings.TrimSpace(text) {
		t.Errorf("text not kept whole: %d bytes of %d", len(a.Text), len(text))
	}
}

func TestHeadLines(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"one\ntwo\nthree", 9, "one\ntwo"},
		{"نعم", 4, "نع"},  // a cut inside a rune drops the rune
		{"نعم", 3, "ن"},   // ... and keeps the complete ones
		{"aنعم", 3, "aن"}, // the cut falls on a rune end
		{"abcdef", 3, "abc"},
	}
	for _, c := range cases {
		if got := headLines(c.in, c.n); got != c.want {
			t.Errorf("headLines(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// TestDropConditions: a condition clause is blanked up to the next comma, and
// only a whole condition word opens one ("sit", "signer", "iffy" do not).
func TestDropConditions(t *testing.T) {
	cases := []struct{ in, want string }{
		{"If the agenda is shared, we will attend", " , we will attend"},
		{"list us among the signatories if the coalition declines", "list us among the signatories "},
		{"We'll sit this one out", "We'll sit this one out"},
		{"Nous acceptons de signer", "Nous acceptons de signer"},
		{"an iffy agenda", "an iffy agenda"},
		{"سنوقع إذا قرر التحالف الاعتذار، ونحضر", "سنوقع ، ونحضر"},
		{"sign if", "sign "},
	}
	for _, c := range cases {
		if got := dropConditions(c.in); got != c.want {
			t.Errorf("dropConditions(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
