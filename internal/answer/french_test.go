package answer

import (
	"reflect"
	"testing"

	"consultd/internal/lang"
)

// French answers as members write them: the keywords the French templates
// teach (with the space French puts before a colon), accents dropped on
// phones, the iPhone's curly apostrophe, elided articles, "ne … pas".
func TestParseFrench(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name string
		text string
		pos  Position
		conc []string
		recs []string
		sign *bool
	}{
		{"as the template teaches", "ACCEPTER\n\nPréoccupations :\n1. Les invitations arrivent trop tard.\n2. Les thèmes sont fixés sans nous.\n\nRecommandations :\n1. Nous consulter plus tôt.\n\nSigner : oui\n\nCordialement,\nNadia",
			Accept, []string{"Les invitations arrivent trop tard.", "Les thèmes sont fixés sans nous."}, []string{"Nous consulter plus tôt."}, &yes},
		{"decline keyword lower case", "refuser", Decline, nil, nil, nil},
		{"abstain with a curly apostrophe", "S’ABSTENIR", Abstain, nil, nil, nil},
		{"abstain sentence", "Bonjour,\nNous nous abstenons sur ce point.", Abstain, nil, nil, nil},
		{"without accents, colon without space", "Refuser\nPreoccupations: aucune\nSigner: non", Decline, nil, nil, &no},
		{"ne … pas", "Bonjour,\n\nNous ne pourrons pas participer à cette réunion.\n\nBien cordialement", Decline, nil, nil, nil},
		{"n'acceptons pas", "Nous n'acceptons pas l'invitation.", Decline, nil, nil, nil},
		{"elided d'accepter", "Après discussion, nous avons décidé d'accepter l'invitation.", Accept, nil, nil, nil},
		{"ne manquerons pas de", "Nous ne manquerons pas de participer.", Accept, nil, nil, nil},
		{"NE Syria is no negation", "Our members in NE Syria will attend.", Accept, nil, nil, nil},
		{"ne … pas around another verb", "Malheureusement, il ne nous sera pas possible de participer.", Decline, nil, nil, nil},
		{"pas de souci is no negation", "Pas de souci, nous acceptons.", Accept, nil, nil, nil},
		{"apology for the delay is no position", "Veuillez accepter nos excuses pour le retard.", None, nil, nil, nil},
		{"agreeing to sign is not accepting", "Nous acceptons de signer la déclaration.", None, nil, nil, nil},
		{"bulleted recommendations", "DÉCLINER\nRecommandations :\n- publier les résultats\n- inviter plus tôt\nSigner : non",
			Decline, nil, []string{"publier les résultats", "inviter plus tôt"}, &no},
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

// TestEveryLanguagesKeywordsAreUnderstood: what each language's templates
// teach members to write (lang.Keywords) is read as they mean it.
func TestEveryLanguagesKeywordsAreUnderstood(t *testing.T) {
	r := NewReader()
	for _, l := range lang.Builtin().All() {
		k := l.Keywords
		for _, c := range []struct {
			word string
			pos  Position
		}{{k.Accept, Accept}, {k.Decline, Decline}, {k.Abstain, Abstain}} {
			text := c.word + "\n\n" + k.Concerns + " :\n1. un\n\n" + k.Recommendations + ":\n1. deux\n\n" + k.Sign + " : " + k.Yes
			a := r.Parse(text)
			if a.Position != c.pos || !reflect.DeepEqual(a.Concerns, []string{"un"}) || !reflect.DeepEqual(a.Recommendations, []string{"deux"}) ||
				a.Sign == nil || !*a.Sign {
				t.Errorf("%s: %q read as %+v", l.Code, text, a)
			}
		}
		if a := r.Parse(k.Decline + "\n" + k.Sign + ": " + k.No); a.Sign == nil || *a.Sign {
			t.Errorf("%s: %q: sign %v", l.Code, k.Sign+": "+k.No, ptr(a.Sign))
		}
	}
}
