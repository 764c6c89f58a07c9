package statement

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"consultd/internal/lang"
	"consultd/internal/render"
)

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func mem(id, pos string, sign *bool) Member {
	return Member{ID: id, Name: "Org " + strings.ToUpper(id), Position: pos, Sign: sign}
}

func TestCountUnderPolicies(t *testing.T) {
	maj := Policy{Quorum: 0.5, Decision: "majority", OnNoQuorum: "decline"}
	cons := Policy{Quorum: 0.5, Decision: "consensus", OnNoQuorum: "ask"}
	cases := []struct {
		name    string
		p       Policy
		ms      []Member
		outcome string
		quorum  bool
	}{
		{"majority declines", maj, []Member{mem("a", "decline", nil), mem("b", "decline", nil), mem("c", "accept", nil), mem("d", "", nil)}, "decline", true},
		{"majority accepts", maj, []Member{mem("a", "accept", nil), mem("b", "accept", nil), mem("c", "decline", nil)}, "accept", true},
		{"exactly half answered meets a 50% quorum", maj, []Member{mem("a", "accept", nil), mem("b", "", nil)}, "accept", true},
		{"below quorum falls back to decline", maj, []Member{mem("a", "accept", nil), mem("b", "", nil), mem("c", "", nil)}, "decline", false},
		{"below quorum falls back to accept", Policy{Quorum: 0.5, Decision: "majority", OnNoQuorum: "accept"}, []Member{mem("a", "decline", nil), mem("b", "", nil), mem("c", "", nil)}, "accept", false},
		{"below quorum with ask leaves it to coordinators", Policy{Quorum: 0.5, Decision: "majority", OnNoQuorum: "ask"}, []Member{mem("a", "decline", nil), mem("b", "", nil), mem("c", "", nil)}, "", false},
		{"tie under majority with ask", Policy{Quorum: 0.5, Decision: "majority", OnNoQuorum: "ask"}, []Member{mem("a", "accept", nil), mem("b", "decline", nil)}, "", true},
		{"tie under majority with decline applies the fallback", maj, []Member{mem("a", "accept", nil), mem("b", "decline", nil)}, "decline", true},
		{"nobody answered", Policy{Quorum: 0.5, Decision: "majority", OnNoQuorum: "ask"}, []Member{mem("a", "", nil), mem("b", "", nil)}, "", false},
		{"all abstain meets quorum but decides nothing", Policy{Quorum: 0.5, Decision: "majority", OnNoQuorum: "ask"}, []Member{mem("a", "abstain", nil), mem("b", "abstain", nil)}, "", true},
		{"consensus broken by one accept", cons, []Member{mem("a", "decline", nil), mem("b", "decline", nil), mem("c", "accept", nil)}, "", true},
		{"consensus with abstentions", cons, []Member{mem("a", "decline", nil), mem("b", "abstain", nil), mem("c", "decline", nil)}, "decline", true},
		{"no members at all", Policy{Quorum: 0, Decision: "majority", OnNoQuorum: "ask"}, nil, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Count(c.p, c.ms)
			if got.Outcome != c.outcome || got.QuorumMet != c.quorum {
				t.Errorf("outcome %q quorum %v, want %q %v (reason: %s)", got.Outcome, got.QuorumMet, c.outcome, c.quorum, got.Reason)
			}
			if got.Reason == "" {
				t.Errorf("no reason a coordinator can read")
			}
			if c.outcome == "" && !strings.Contains(got.Reason, "coordinators decide") {
				t.Errorf("undecided reason does not say the coordinators decide: %s", got.Reason)
			}
		})
	}
}

func TestSignatoriesAreExactlyThoseWhoAgreed(t *testing.T) {
	ms := []Member{
		mem("decl", "decline", nil),      // on the outcome's side: signs
		mem("declno", "decline", no()),   // on the side, but Sign: no
		mem("accyes", "accept", yes()),   // other side, but Sign: yes
		mem("acc", "accept", nil),        // other side: does not sign
		mem("abst", "abstain", nil),      // abstained: does not sign
		mem("abstyes", "abstain", yes()), // abstained, Sign: yes
		mem("silent", "", nil),           // never answered
		mem("silentyes", "", yes()),      // impossible in practice; explicit yes still counts
		mem("declyes", "decline", yes()), // side and yes
		mem("accno", "accept", no()),     // other side and no
	}
	var got []string
	for _, s := range Signatories("decline", ms) {
		got = append(got, s.ID)
	}
	want := []string{"decl", "accyes", "abstyes", "silentyes", "declyes"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("signatories %v, want %v", got, want)
	}
	if s := Signatories("", ms); len(s) != 4 {
		t.Errorf("with no outcome only explicit Sign: yes may sign, got %d", len(s))
	}
}

func TestMergeKeepsOrderAndMergesPointsMadeAlike(t *testing.T) {
	cases := []struct {
		name  string
		lists [][]string
		want  []string
	}{
		{"case and punctuation", [][]string{{"Invitations come too late."}, {"invitations come too late!"}}, []string{"Invitations come too late."}},
		{"numbering", [][]string{{"1. Consult us earlier"}, {"2) consult us earlier"}, {"- Consult us earlier"}}, []string{"1. Consult us earlier"}},
		{"Arabic-Indic numbering", [][]string{{"١- إشراك المنظمات في تحديد المواضيع"}, {"٢. إشراك المنظمات في تحديد المواضيع"}}, []string{"١- إشراك المنظمات في تحديد المواضيع"}},
		{"whitespace", [][]string{{"  Too   little\tnotice "}, {"Too little notice"}}, []string{"Too   little\tnotice"}},
		{"order of first appearance", [][]string{{"B point", "A point"}, {"C point", "b point"}}, []string{"B point", "A point", "C point"}},
		{"empty and punctuation-only points dropped", [][]string{{"", "...", "1."}, {"Real point"}}, []string{"Real point"}},
		{"different points stay", [][]string{{"Publish the agenda"}, {"Publish the minutes"}}, []string{"Publish the agenda", "Publish the minutes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Merge(c.lists...); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Merge = %q, want %q", got, c.want)
			}
		})
	}
}

var (
	seedInv = Invitation{Title: "Civil Society Support Room meetings in Geneva", InviterName: "Office of the UN Special Envoy for Syria",
		Date: time.Date(2026, 11, 19, 7, 0, 0, 0, time.UTC), Summary: "We are pleased to invite your organisation to attend the CSSR meetings."}
	seedMembers = []Member{
		{ID: "baytna", Name: "Baytna Syria", Position: "decline", Concerns: []string{"Invitations come too late.", "The topics are set without us."},
			Recommendations: []string{"Consult us on the topics.", "Send invitations a month ahead."}},
		{ID: "sjac", Name: "SJAC", Position: "decline", Concerns: []string{"1. invitations come too late"}, Recommendations: []string{"consult us on the topics!"}, Sign: no()},
		{ID: "kawakibi", Name: "AlKawakbi Center", Position: "accept", Recommendations: []string{"Hold meetings in the region."}, Sign: yes()},
		{ID: "dawlaty", Name: "Dawlaty", Position: "accept", Recommendations: []string{"Fund travel."}},
	}
)

func renderer(t *testing.T) *render.Renderer {
	t.Helper()
	r, err := render.New("")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestComposeDeclineInTheSeedsShape(t *testing.T) {
	st, err := Compose(renderer(t), "en", "Test Coalition", "decline", seedInv, seedMembers)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\n1- Invitations come too late.\n", "\n2- The topics are set without us.\n",
		"\n1. Consult us on the topics.\n", "\n2. Send invitations a month ahead.\n", "\n3. Hold meetings in the region.\n",
		"\n– Baytna Syria\n– AlKawakbi Center\n", "apologise for not being able to accept",
	} {
		if !strings.Contains(st.Text, want) {
			t.Errorf("statement lacks %q:\n%s", want, st.Text)
		}
	}
	if strings.Contains(st.Text, "SJAC") || strings.Contains(st.Text, "Dawlaty") {
		t.Errorf("a member that did not agree to sign is listed:\n%s", st.Text)
	}
	if strings.Contains(st.Text, "Fund travel") {
		t.Errorf("a point of a non-signing member on the other side was included:\n%s", st.Text)
	}
	if !strings.HasPrefix(st.Text, st.Title+"\n\n") || strings.Contains(st.Title, "\n") {
		t.Errorf("title %q is not the one-line first line", st.Title)
	}
}

func TestComposeAcceptListsAttendees(t *testing.T) {
	st, err := Compose(renderer(t), "en", "Test Coalition", "accept", seedInv, seedMembers)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"will attend: AlKawakbi Center, Dawlaty.", "\n1. Hold meetings in the region.\n", "\n– AlKawakbi Center\n– Dawlaty\n"} {
		if !strings.Contains(st.Text, want) {
			t.Errorf("acceptance lacks %q:\n%s", want, st.Text)
		}
	}
	if strings.Contains(st.Text, "– Baytna") {
		t.Errorf("a declining member signs the acceptance:\n%s", st.Text)
	}
}

func TestComposeArabicUsesArabicIndicNumberingAndRTLHTML(t *testing.T) {
	ms := []Member{
		{ID: "a", Name: "مركز الكواكبي", Position: "decline", Concerns: []string{"الدعوات تصل متأخرة", "المواضيع تحدد دون استشارتنا"}, Recommendations: []string{"استشارة المنظمات مسبقاً"}},
		{ID: "b", Name: "بيتنا سوريا", Position: "decline", Concerns: []string{"١. الدعوات تصل متأخرة!"}},
	}
	st, err := Compose(renderer(t), "ar", "التحالف", "decline", seedInv, ms)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n١- الدعوات تصل متأخرة\n", "\n٢- المواضيع تحدد دون استشارتنا\n", "\n١. استشارة المنظمات مسبقاً\n", "\n– مركز الكواكبي\n– بيتنا سوريا\n", "تعتذر"} {
		if !strings.Contains(st.Text, want) {
			t.Errorf("Arabic statement lacks %q:\n%s", want, st.Text)
		}
	}
	if strings.Contains(st.Text, "٣-") {
		t.Errorf("the same concern made twice was not merged:\n%s", st.Text)
	}
	h := HTML(lang.Arabic, st.Text)
	if !strings.Contains(h, `dir="rtl"`) || !strings.Contains(h, `lang="ar"`) {
		t.Errorf("Arabic HTML is not right-to-left:\n%s", h)
	}
	if md := Markdown(st.Text); !strings.HasPrefix(md, "# "+st.Title+"\n\n") {
		t.Errorf("Markdown does not start with the title: %q", md[:80])
	}
}

func TestComposeFrenchDeclineAndAcceptForAFrancophoneInviter(t *testing.T) {
	inv := seedInv
	inv.Date = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	st, err := Compose(renderer(t), "fr", "La Coalition", "decline", inv, seedMembers)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Déclaration de La Coalition sur l'invitation à « Civil Society Support Room meetings in Geneva »\n",
		"Le 1er décembre 2026, les organisations membres de La Coalition ont reçu de Office of the UN Special Envoy for Syria une invitation",
		"regrettent par conséquent de ne pouvoir accepter", "\n1- Invitations come too late.\n", "\n1. Consult us on the topics.\n",
		"\n– Baytna Syria\n– AlKawakbi Center\n"} {
		if !strings.Contains(st.Text, want) {
			t.Errorf("French declining statement lacks %q:\n%s", want, st.Text)
		}
	}
	if h := HTML(lang.French, st.Text); !strings.Contains(h, `lang="fr" dir="ltr"`) {
		t.Errorf("French HTML:\n%s", h)
	}
	st, err = Compose(renderer(t), "fr", "La Coalition", "accept", inv, seedMembers)
	if err != nil {
		t.Fatal(err)
	}
	if want := "remercient Office of the UN Special Envoy for Syria pour son invitation et l'acceptent. Les organisations suivantes y participeront : AlKawakbi Center, Dawlaty."; !strings.Contains(st.Text, want) {
		t.Errorf("French accepting statement lacks %q:\n%s", want, st.Text)
	}
}

func TestMemberTextStaysLiteralData(t *testing.T) {
	ms := []Member{{ID: "x", Name: "Evil <b>Org</b>\r\nBcc: x@y", Position: "decline",
		Concerns:        []string{"{{.Coalition}} is {{printf \"%s\" \"pwned\"}}", "<script>alert(1)</script>"},
		Recommendations: []string{"line\r\nBcc: victim@example.org"}}}
	inv := seedInv
	inv.Title = "Meeting\r\nBcc: x@y"
	for _, l := range lang.Builtin().All() {
		t.Run(l.Code, func(t *testing.T) {
			st, err := Compose(renderer(t), l.Code, "Test Coalition", "decline", inv, ms)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(st.Text, "{{.Coalition}} is {{printf") {
				t.Errorf("template syntax in a member's text was executed or lost:\n%s", st.Text)
			}
			if strings.ContainsAny(st.Title, "\r\n") {
				t.Errorf("title (used as a subject) has a line break: %q", st.Title)
			}
			h := HTML(l, st.Text)
			if strings.Contains(h, "<script>") || strings.Contains(h, "<b>Org") || !strings.Contains(h, "&lt;script&gt;") {
				t.Errorf("member text became markup in the published HTML:\n%s", h)
			}
		})
	}
}

func TestSummarySkipsGreetingsAndShortensAtASentence(t *testing.T) {
	long := strings.Repeat("The meetings will focus on constitutional reform and detainees. ", 12)
	body := "Dear colleagues,\r\n\r\nThanks.\r\n\r\n" + long + "\r\n\r\nKind regards"
	got := Summary(body)
	if strings.HasPrefix(got, "Dear") || !strings.HasSuffix(got, ".") || len([]rune(got)) > 500 {
		t.Errorf("Summary = %q", got)
	}
	if got := Summary("السادة الأعزاء،\n\nيسرنا دعوتكم لحضور اجتماعات غرفة دعم المجتمع المدني في جنيف لمناقشة الإصلاح الدستوري."); !strings.HasPrefix(got, "يسرنا") {
		t.Errorf("Arabic Summary = %q", got)
	}
	if got := Summary("Madame, Monsieur, chers partenaires de la société civile syrienne,\n\nNous avons le plaisir de vous inviter aux réunions de Genève sur la réforme constitutionnelle."); !strings.HasPrefix(got, "Nous avons le plaisir") {
		t.Errorf("French Summary = %q", got)
	}
}

func TestMergeNeverMergesPointsThatDifferOnlyInALeadingNumber(t *testing.T) {
	got := Merge([]string{"3 days' notice is too short", "2026 elections must be monitored"},
		[]string{"30 days' notice is too short", "2025 elections were not monitored", "(1) 3 days' notice is too short"})
	want := []string{"3 days' notice is too short", "2026 elections must be monitored", "30 days' notice is too short", "2025 elections were not monitored"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Merge = %q, want %q", got, want)
	}
}

func TestAcceptanceNamesNoOrganisationThatSaidSignNo(t *testing.T) {
	ms := []Member{
		{ID: "a", Name: "Baytna Syria", Position: "accept"},
		{ID: "b", Name: "Quiet Org", Position: "accept", Sign: no()},
	}
	st, err := Compose(renderer(t), "en", "Test Coalition", "accept", seedInv, ms)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(st.Text, "Quiet Org") {
		t.Errorf("an organisation that said Sign: no is named in the joint text:\n%s", st.Text)
	}
	if !strings.Contains(st.Text, "will attend: Baytna Syria.") {
		t.Errorf("attendees:\n%s", st.Text)
	}
}
