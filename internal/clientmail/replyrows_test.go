package clientmail

import (
	"sort"
	"strings"
	"testing"
)

// replyLangs are the UI languages issue 9 asks for.
var replyLangs = []string{"ar", "en", "fr", "de", "tr", "es", "it", "nl", "pt", "pt-BR", "ru", "uk", "pl", "cs",
	"sk", "hu", "ro", "hr", "fi", "sv", "da", "no", "et", "fa", "ja"}

// notFound lists, per kind of row, the languages for which no real client
// string was found (the search covered Thunderbird localisations, talon,
// mail-parser-reply, email-reply-parser forks and public archives). A row
// added for one of them must also remove it here.
var notFound = map[string][]string{
	"footer": {"uk", "hu", "no", "et", "fa"},
	// Persian: no forward marker or subject prefix of any client was found.
	"forward-marker": {"fa"},
	"forward-prefix": {"fa"},
}

// TestEveryLanguageHasEveryKindOfReplyRow: adding a language is adding rows,
// and a language without a separator, an attribution or a footer shows here.
func TestEveryLanguageHasEveryKindOfReplyRow(t *testing.T) {
	have := map[string]map[string]bool{"separator": {}, "attribution": {}, "footer": {}, "forward-marker": {}, "forward-prefix": {}}
	for _, m := range ForwardMarkers {
		have["forward-marker"][m.Lang] = true
	}
	for _, p := range SubjectPrefixes {
		if p.Kind == PrefixForward {
			have["forward-prefix"][p.Lang] = true
		}
	}
	for _, s := range Separators {
		have["separator"][s.Lang] = true
	}
	for _, a := range Attributions {
		have["attribution"][a.Lang] = true
	}
	for _, f := range Footers {
		have["footer"][f.Lang] = true
	}
	kinds := []string{"separator", "attribution", "footer", "forward-marker", "forward-prefix"}
	for _, kind := range kinds {
		gaps := map[string]bool{}
		for _, l := range notFound[kind] {
			gaps[l] = true
		}
		for _, l := range replyLangs {
			switch {
			case !have[kind][l] && !gaps[l]:
				t.Errorf("language %s has no %s row", l, kind)
			case have[kind][l] && gaps[l]:
				t.Errorf("language %s now has a %s row: remove it from notFound", l, kind)
			}
		}
	}
}

func TestRowsAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range Attributions {
		if a.Example == "" || a.Lang == "" || a.Client == "" {
			t.Errorf("attribution row without language, client or example: %+v", a)
		}
		if a.Lead != "" && !strings.Contains(strings.ToLower(a.Example), strings.ToLower(a.Lead)) {
			t.Errorf("%s %s: example %q lacks its lead %q", a.Lang, a.Client, a.Example, a.Lead)
		}
		if a.Wrote != "" && !strings.Contains(strings.ToLower(a.Example), strings.ToLower(a.Wrote)) {
			t.Errorf("%s %s: example %q lacks its verb %q", a.Lang, a.Client, a.Example, a.Wrote)
		}
		key := a.Lang + "|" + a.Example
		if seen[key] {
			t.Errorf("duplicate attribution %q", a.Example)
		}
		seen[key] = true
	}
	for _, s := range Separators {
		if strings.TrimSpace(s.Text) != s.Text || strings.Contains(s.Text, "-") && !strings.Contains(s.Text, "Original-") {
			t.Errorf("separator text %q: words only, without the dashes", s.Text)
		}
	}
}

func TestIsSeparator(t *testing.T) {
	yes := []string{
		"-----Original Message-----",
		"-------- Original Message --------",
		"-----Ursprüngliche Nachricht-----",
		"-------- Oprindelig besked --------",
		"-------- Message d'origine --------",
		"---- Original Message ----",
		"> -----Mensaje original-----",
		"-----ORIJINAL İLETI-----",
		"*-----Původní zpráva-----*",
		"-------- الرسالة الأصلية --------",
	}
	no := []string{
		"--------",
		"-- ",
		"---- Original ----",
		"Original Message",
		"-----Original Message",
		"--- our original message was clear ---",
		"|---|---|",
	}
	for _, l := range yes {
		if !IsSeparator(l) {
			t.Errorf("IsSeparator(%q) = false", l)
		}
	}
	for _, l := range no {
		if IsSeparator(l) {
			t.Errorf("IsSeparator(%q) = true", l)
		}
	}
}

func TestFooterIn(t *testing.T) {
	yes := []string{
		"Sent from my iPhone",
		"Get Outlook for iOS<https://aka.ms/o0ukef>",
		"Envoyé à partir de Outlook pour iOS",
		"Gesendet von Outlook für Android",
		"Sent from TypeApp",
		"Wysłane z iPhone’a",
		"iPhoneから送信",
		"Hent Outlook til Android",
		"Wysłano z mojego Samsunga",
		"Odesláno z mého iPhonu",
		"Sendt fra min iPhone.",
	}
	no := []string{
		"Sent from my iPhone while we were at the consultation, and I agree with the text",
		"We sent from Geneva the list of signatories",
		"Hent Outlook til Android og iOS og Windows og Mac nu i dag",
		"Wysłano z Genewy do wszystkich",
		"Odesláno z mého pohledu pozdě",
		"",
	}
	for _, l := range yes {
		if !FooterIn(l) {
			t.Errorf("FooterIn(%q) = false", l)
		}
	}
	for _, l := range no {
		if FooterIn(l) {
			t.Errorf("FooterIn(%q) = true", l)
		}
	}
}

// TestLanguagesAreKnownTags keeps language tags to the set the rest of the
// table uses, so "pt_BR" or "nb" does not split a language in two.
func TestLanguagesAreKnownTags(t *testing.T) {
	known := map[string]bool{}
	for _, l := range append(replyLangs, "zh", "zh-TW", "ko", "el", "he", "bg", "sl", "lt", "id", "ca", "vi", "gl") {
		known[l] = true
	}
	var bad []string
	for _, s := range Separators {
		if !known[s.Lang] {
			bad = append(bad, s.Lang)
		}
	}
	for _, a := range Attributions {
		if !known[a.Lang] {
			bad = append(bad, a.Lang)
		}
	}
	for _, f := range Footers {
		if !known[f.Lang] {
			bad = append(bad, f.Lang)
		}
	}
	for _, m := range ForwardMarkers {
		if !known[m.Lang] {
			bad = append(bad, m.Lang)
		}
	}
	for _, p := range SubjectPrefixes {
		if !known[p.Lang] {
			bad = append(bad, p.Lang)
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("unknown language tags: %v", bad)
	}
	for l := range AttributionWeekdays {
		if !known[l] {
			t.Errorf("weekdays for unknown language %q", l)
		}
	}
}
