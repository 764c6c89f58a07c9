package clientmail

import "testing"

// TestEveryLanguageHasLabels: a language without a From label cannot give an
// inviter, one without Date or Subject loses them silently.
func TestEveryLanguageHasLabels(t *testing.T) {
	full := []Field{FieldFrom, FieldDate, FieldTo, FieldSubject}
	have := map[string]map[Field]bool{}
	for _, l := range Labels {
		if have[l.Lang] == nil {
			have[l.Lang] = map[Field]bool{}
		}
		have[l.Lang][l.Field] = true
	}
	for _, lang := range Languages {
		for _, f := range full {
			if !have[lang][f] {
				t.Errorf("language %s has no %s label", lang, f)
			}
		}
	}
}

// TestLabelsAreUnambiguous: one text must not name two fields, or a value
// would land in the wrong one.
func TestLabelsAreUnambiguous(t *testing.T) {
	seen := map[string]Label{}
	for _, l := range Labels {
		k := NormalizeLabel(l.Text)
		if prev, ok := seen[k]; ok && prev.Field != l.Field {
			t.Errorf("%q is %s (%s) and %s (%s)", l.Text, prev.Field, prev.Lang, l.Field, l.Lang)
		}
		seen[k] = l
	}
}

func TestFieldOf(t *testing.T) {
	for in, want := range map[string]Field{
		"Sujet :": FieldSubject, "件名：": FieldSubject, "Gönderen:": FieldFrom, "Feladó": FieldFrom,
		"*From:*": FieldFrom, "Dato": FieldDate, "Від кого:": FieldFrom, "De la:": FieldFrom, "Kopie (CC):": FieldCc,
	} {
		if got, ok := FieldOf(in); !ok || got != want {
			t.Errorf("FieldOf(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"Note", "Dear colleagues", "Ort"} {
		if f, ok := FieldOf(in); ok {
			t.Errorf("FieldOf(%q) = %q; want unknown", in, f)
		}
	}
}

func TestMatchForwardMarker(t *testing.T) {
	cases := []struct {
		line, client, lang string
	}{
		{"---------- Forwarded message ---------", "gmail", "en"},
		{"-------- Перенаправленное сообщение --------", "thunderbird", "ru"},
		{"Začátek přeposílané zprávy:", "apple", "cs"},
		{"Début du message réexpédié :", "apple", "fr"},
		{"Forwarded message:", "mailmate", "en"},
		{"-----Original Message-----", "outlook", "en"},
		{"---------- メッセージを転送 ---------", "hubspot", "ja"},
		{"----- Przekazana wiadomość -----", "yahoo", "pl"},
	}
	for _, c := range cases {
		m, ok := MatchForwardMarker(c.line)
		if !ok || m.Client != c.client || m.Lang != c.lang {
			t.Errorf("MatchForwardMarker(%q) = %+v, %v; want %s/%s", c.line, m, ok, c.client, c.lang)
		}
	}
	for _, l := range []string{"--", "Dear all:", "-- ", "------", "Please see below:"} {
		if m, ok := MatchForwardMarker(l); ok {
			t.Errorf("MatchForwardMarker(%q) = %+v; want none", l, m)
		}
	}
	if !LooksLikeMarker("-------- Ursprungligt --------") || LooksLikeMarker("----------") || LooksLikeMarker("Thanks -- Rania") {
		t.Error("LooksLikeMarker misjudges a dashed caption")
	}
}

func TestMatchForwardAttribution(t *testing.T) {
	for _, c := range []struct{ line, date, name, addr string }{
		{`On 28/10/2021 12:46, "John Doe" <john.doe@acme.com> wrote:`, "28/10/2021 12:46", "John Doe", "john.doe@acme.com"},
		{`Le 28/10/2021 12:46, « John Doe » <john.doe@acme.com> a écrit :`, "28/10/2021 12:46", "John Doe", "john.doe@acme.com"},
		{`Am 28.10.21, 12:46 schrieb "John Doe" <john.doe@acme.com>:`, "28.10.21, 12:46", "John Doe", "john.doe@acme.com"},
	} {
		d, n, a, _, ok := MatchForwardAttribution(c.line)
		if !ok || d != c.date || n != c.name || a != c.addr {
			t.Errorf("MatchForwardAttribution(%q) = %q %q %q %v", c.line, d, n, a, ok)
		}
	}
	// Gmail's reply attribution has no quoted name: not Outlook's forward.
	if _, _, _, _, ok := MatchForwardAttribution("On Tue, Nov 21, 2017 at 10:02 AM John Doe <john@acme.com> wrote:"); ok {
		t.Error("a Gmail reply attribution read as Outlook's forward opening")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("---------- Forwarded message ---------")
	f.Add(`On 28/10/2021 12:46, "John Doe" <john.doe@acme.com> wrote:`)
	f.Fuzz(func(t *testing.T, s string) {
		MatchForwardMarker(s)
		MatchForwardAttribution(s)
		LooksLikeMarker(s)
		SplitDashedPrefix(s)
		FieldOf(s)
		StripSubjectPrefixes(s)
		MatchMarkerLine(s)
	})
}

// TestEveryLanguageHasAForwardMarker: a language with labels but no marker
// would leave its clients' marker line in the coordinator's note.
func TestEveryLanguageHasAForwardMarker(t *testing.T) {
	have := map[string]bool{}
	for _, m := range ForwardMarkers {
		have[m.Lang] = true
	}
	for _, lang := range Languages {
		if !have[lang] {
			t.Errorf("language %s has no forward marker", lang)
		}
	}
}

// TestSubjectPrefixes: subjects as the clients write them, prefixes piled up
// the way forwards of replies pile them.
func TestSubjectPrefixes(t *testing.T) {
	for _, c := range []struct {
		subject, want string
		fwd, rep      bool
	}{
		{"Fwd: Invitation", "Invitation", true, false},
		{"FW: Invitation", "Invitation", true, false},
		{"WG: AW: Einladung zur Konsultation", "Einladung zur Konsultation", true, false},
		{"TR : Invitation", "Invitation", true, false},
		{"RV: Invitación", "Invitación", true, false},
		{"I: Invito", "Invito", true, false},
		{"PD: Odp: Zaproszenie", "Zaproszenie", true, false},
		{"ENC: Convite", "Convite", true, false},
		{"İLT: Davet", "Davet", true, false},
		{"VB: Inbjudan", "Inbjudan", true, false},
		{"Redir.: Invitație", "Invitație", true, false},
		{"Videresend: Invitasjon", "Invitasjon", true, false},
		{"Fwd[2]: Invitation", "Invitation", true, false},
		{"إعادة توجيه: دعوة", "دعوة", true, false},
		{"\u200fإعادة توجيه: دعوة", "دعوة", true, false},
		{"Re: Invitation", "Invitation", false, true},
		{"SV: Inbjudan", "Inbjudan", false, true},
		{"YNT: Davet", "Davet", false, true},
		{"رد: دعوة", "دعوة", false, true},
		// Not prefixes: a word that begins like one, a colon far away.
		{"Invitation: consultation", "Invitation: consultation", false, false},
		{"Iran: consultation", "Iran: consultation", false, false},
		{"Reform agenda", "Reform agenda", false, false},
	} {
		if got := StripSubjectPrefixes(c.subject); got != c.want {
			t.Errorf("StripSubjectPrefixes(%q) = %q; want %q", c.subject, got, c.want)
		}
		if got := HasForwardPrefix(c.subject); got != c.fwd {
			t.Errorf("HasForwardPrefix(%q) = %v", c.subject, got)
		}
		if got := HasReplyPrefix(c.subject); got != c.rep {
			t.Errorf("HasReplyPrefix(%q) = %v", c.subject, got)
		}
	}
	// Only forward prefixes are removed when asked: a reply stays a reply.
	if got := StripSubjectPrefixes("FW: RE: Invitation", PrefixForward); got != "RE: Invitation" {
		t.Errorf("forward-only strip = %q", got)
	}
}

// TestEveryLanguageHasAForwardPrefix: a language without a row would leave
// its forwards' subjects with "VB:" or "PD:" in every member's consultation.
func TestEveryLanguageHasAForwardPrefix(t *testing.T) {
	have := map[string]bool{}
	for _, p := range SubjectPrefixes {
		if p.Kind == PrefixForward {
			have[p.Lang] = true
		}
		if !HasForwardPrefix(p.Text+": x") && p.Kind == PrefixForward || !HasReplyPrefix(p.Text+": x") && p.Kind == PrefixReply {
			t.Errorf("row %+v does not match its own text", p)
		}
	}
	for _, lang := range Languages {
		if !have[lang] {
			t.Errorf("language %s has no forward subject prefix", lang)
		}
	}
}

// TestMatchMarkerLine: the reply trimmer keeps a forward whole and cuts a
// reply's history, so a marker must be told from a separator.
func TestMatchMarkerLine(t *testing.T) {
	for _, c := range []struct {
		line string
		want MarkerLine
	}{
		{"---------- Forwarded message ---------", MarkerForwarded},
		{"> ---------- Forwarded message ---------", MarkerForwarded},
		{"Begin forwarded message:", MarkerForwarded},
		{"*Begin forwarded message:* From: Rania", MarkerForwarded},
		{"----- Forwarded Message ----- From: Envoy <office@envoy.example> To: us", MarkerForwarded},
		{"-------- Weitergeleitete Nachricht --------", MarkerForwarded},
		{"---------- 转发的邮件 ---------", MarkerForwarded},
		{"-----Original Message-----", MarkerOriginal},
		{"-------- Oprindelig besked --------", MarkerOriginal},
		{"-----Message d'origine-----", MarkerOriginal},
		{"----- Mensaje original -----", MarkerOriginal},
		{"-------- الرسالة الأصلية --------", MarkerOriginal},
		{"Reply Message", MarkerOriginal},
		{"--------", NoMarker},
		{"-- ", NoMarker},
		{"Please see below: the forwarded message", NoMarker},
		{"From: Rania <rania@example.org>", NoMarker},
		{"-------- Ursprungligt --------", NoMarker},
	} {
		if got := MatchMarkerLine(c.line); got != c.want {
			t.Errorf("MatchMarkerLine(%q) = %v; want %v", c.line, got, c.want)
		}
	}
}

func TestLabelDateOrder(t *testing.T) {
	for label, want := range map[string]DateOrder{
		"De": DayFirst, "Von": DayFirst, "Od": DayFirst, "Från": YearFirst, "From": OrderUnknown, "Nobody": OrderUnknown,
	} {
		if got := LabelDateOrder(label); got != want {
			t.Errorf("LabelDateOrder(%q) = %v; want %v", label, got, want)
		}
	}
}
