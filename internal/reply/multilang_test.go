package reply_test

import (
	"html"
	"sort"
	"strings"
	"testing"

	"consultd/internal/clientmail"
	"consultd/internal/corpustest"
	"consultd/internal/reply"
)

// The multi-language reply fixtures: for every language, the member's answer
// above the history each client writes — every attribution of clientmail
// (as written, wrapped by a plain-text client at 72 columns over two or three
// lines, and split inside the address), every original-message separator
// with the header block under it, every mobile footer with the original under
// it (quoted, and unquoted under an Outlook header block), an Outlook header
// block alone, and a member's text that holds a dashed rule and eight lines
// under it above the history. Scored per language as
// "corpus replies-LANG: N/M exact, K/M history removed".

// answers is a member's answer in each language (two paragraphs, so that a
// cut between them shows).
var answers = map[string]string{
	"en":    "We accept the invitation and will send two people.\n\nRegards,\nHuda",
	"ar":    "نقبل الدعوة وسنرسل شخصين.\n\nمع التحية،\nهدى",
	"fr":    "Nous acceptons l'invitation et enverrons deux personnes.\n\nCordialement,\nHuda",
	"de":    "Wir nehmen die Einladung an und schicken zwei Personen.\n\nViele Grüße\nHuda",
	"tr":    "Daveti kabul ediyoruz, iki kişi göndereceğiz.\n\nSaygılarımla,\nHuda",
	"es":    "Aceptamos la invitación y enviaremos a dos personas.\n\nSaludos,\nHuda",
	"it":    "Accettiamo l'invito e manderemo due persone.\n\nCordiali saluti,\nHuda",
	"nl":    "We nemen de uitnodiging aan en sturen twee mensen.\n\nMet vriendelijke groet,\nHuda",
	"pt":    "Aceitamos o convite e enviaremos duas pessoas.\n\nCumprimentos,\nHuda",
	"pt-BR": "Aceitamos o convite e vamos enviar duas pessoas.\n\nAbraços,\nHuda",
	"ru":    "Мы принимаем приглашение и пришлём двух человек.\n\nС уважением,\nХуда",
	"uk":    "Ми приймаємо запрошення і надішлемо двох людей.\n\nЗ повагою,\nХуда",
	"pl":    "Przyjmujemy zaproszenie i wyślemy dwie osoby.\n\nPozdrawiam,\nHuda",
	"cs":    "Pozvání přijímáme a pošleme dva lidi.\n\nS pozdravem,\nHuda",
	"sk":    "Pozvanie prijímame a pošleme dvoch ľudí.\n\nS pozdravom,\nHuda",
	"hu":    "Elfogadjuk a meghívást, két embert küldünk.\n\nÜdvözlettel,\nHuda",
	"ro":    "Acceptăm invitația și vom trimite două persoane.\n\nCu stimă,\nHuda",
	"hr":    "Prihvaćamo poziv i poslat ćemo dvije osobe.\n\nLijep pozdrav,\nHuda",
	"fi":    "Hyväksymme kutsun ja lähetämme kaksi henkilöä.\n\nTerveisin,\nHuda",
	"sv":    "Vi tackar ja till inbjudan och skickar två personer.\n\nMed vänliga hälsningar,\nHuda",
	"da":    "Vi tager imod invitationen og sender to personer.\n\nMed venlig hilsen\nHuda",
	"no":    "Vi takker ja til invitasjonen og sender to personer.\n\nMed vennlig hilsen\nHuda",
	"et":    "Võtame kutse vastu ja saadame kaks inimest.\n\nLugupidamisega,\nHuda",
	"fa":    "دعوت را می\u200cپذیریم و دو نفر را می\u200cفرستیم.\n\nبا احترام،\nهدى",
	"ja":    "ご招待をお受けします。二名で参加します。\n\nよろしくお願いいたします。\nHuda",
}

// outlookLabels are Outlook desktop's From/Sent/To/Subject labels in each
// language (French Outlook writes a space before the colon).
var outlookLabels = map[string][4]string{
	"en": {"From:", "Sent:", "To:", "Subject:"}, "ar": {"من:", "تم الإرسال:", "إلى:", "الموضوع:"},
	"fr": {"De :", "Envoyé :", "À :", "Objet :"}, "de": {"Von:", "Gesendet:", "An:", "Betreff:"},
	"tr": {"Kimden:", "Gönderildi:", "Kime:", "Konu:"}, "es": {"De:", "Enviado el:", "Para:", "Asunto:"},
	"it": {"Da:", "Inviato:", "A:", "Oggetto:"}, "nl": {"Van:", "Verzonden:", "Aan:", "Onderwerp:"},
	"pt": {"De:", "Enviado:", "Para:", "Assunto:"}, "pt-BR": {"De:", "Enviado:", "Para:", "Assunto:"},
	"ru": {"От:", "Отправлено:", "Кому:", "Тема:"}, "uk": {"Від:", "Надіслано:", "Кому:", "Тема:"},
	"pl": {"Od:", "Wysłano:", "Do:", "Temat:"}, "cs": {"Od:", "Odesláno:", "Komu:", "Předmět:"},
	"sk": {"Od:", "Odoslané:", "Komu:", "Predmet:"}, "hu": {"Feladó:", "Elküldve:", "Címzett:", "Tárgy:"},
	"ro": {"De la:", "Trimis:", "Către:", "Subiect:"}, "hr": {"Šalje:", "Poslano:", "Prima:", "Predmet:"},
	"fi": {"Lähettäjä:", "Lähetetty:", "Vastaanottaja:", "Aihe:"}, "sv": {"Från:", "Skickat:", "Till:", "Ämne:"},
	"da": {"Fra:", "Sendt:", "Til:", "Emne:"}, "no": {"Fra:", "Sendt:", "Til:", "Emne:"},
	"et": {"Saatja:", "Saadetud:", "Adressaat:", "Teema:"}, "fa": {"از:", "ارسال شده:", "به:", "موضوع:"},
	"ja": {"差出人:", "送信日時:", "宛先:", "件名:"},
}

const oldInvitation = "Dear members, the Special Envoy invites the coalition to a consultation on 3 December.\nPlease answer by 2 December."

type langCase struct {
	lang, name, in, want string
	history              []string // lines that must not come out
}

func outlookBlock(lang string) string {
	l := outlookLabels[lang]
	return l[0] + " Coalition Secretariat <coalition@example.net>\n" + l[1] + " 18.04.2017 13:09\n" +
		l[2] + " Members <members@example.net>\n" + l[3] + " Invitation: consultation on 3 December\n\n" + oldInvitation
}

func quoted(s string) string {
	return "> " + strings.ReplaceAll(s, "\n", "\n> ")
}

// wrap breaks s at spaces so that no line is longer than width, as Gmail and
// Outlook wrap a long attribution in text/plain.
func wrap(s string, width int) string {
	var out, line []string
	n := 0
	for _, w := range strings.Fields(s) {
		if n > 0 && n+1+len(w) > width {
			out = append(out, strings.Join(line, " "))
			line, n = nil, 0
		}
		if n > 0 {
			n++
		}
		line = append(line, w)
		n += len(w)
	}
	return strings.Join(append(out, strings.Join(line, " ")), "\n")
}

func multilangCases() []langCase {
	var cases []langCase
	add := func(lang, name, history string) {
		own := answers[lang]
		cases = append(cases, langCase{lang, lang + "/" + name, own + "\n\n" + history + "\n", own, historyLines(history)})
	}
	for _, a := range clientmail.Attributions {
		if answers[a.Lang] == "" {
			continue
		}
		q := "\n\n" + quoted(oldInvitation)
		add(a.Lang, a.Client+"/attribution", a.Example+q)
		if w := wrap(a.Example, 72); w != a.Example {
			add(a.Lang, a.Client+"/attribution wrapped", w+q)
		}
		if w := wrap(a.Example, 40); strings.Count(w, "\n") >= 2 {
			add(a.Lang, a.Client+"/attribution over three lines", w+q)
		}
		if at := strings.Index(a.Example, "@"); at > 0 && strings.Contains(a.Example, "<") {
			add(a.Lang, a.Client+"/attribution split in the address", a.Example[:at+1]+"\n"+a.Example[at+1:]+q)
		}
	}
	for _, s := range clientmail.Separators {
		if answers[s.Lang] == "" {
			continue
		}
		sep := "-----" + s.Text + "-----"
		if s.Client == "Thunderbird" {
			sep = "-------- " + s.Text + " --------"
		}
		add(s.Lang, s.Client+"/separator "+s.Text, sep+"\n"+outlookBlock(s.Lang))
	}
	for _, f := range clientmail.Footers {
		if answers[f.Lang] == "" {
			continue
		}
		text := f.Text
		if f.Prefix {
			text += " Android"
		}
		add(f.Lang, f.Client+"/footer "+f.Text+" above a quote", text+"\n\n"+quoted(oldInvitation))
		add(f.Lang, f.Client+"/footer "+f.Text+" above an Outlook block",
			text+"<https://aka.ms/o0ukef>\n________________________________\n"+outlookBlock(f.Lang))
		add(f.Lang, f.Client+"/footer "+f.Text+" above unquoted history", text+"\n\n"+oldInvitation)
	}
	langs := make([]string, 0, len(answers))
	for l := range answers {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		add(lang, "Outlook/header block", "________________________________\n"+outlookBlock(lang))
		add(lang, "Outlook/header block without rule", outlookBlock(lang))
		// A member's own text with a rule and eight lines under it, above the
		// history: the rule is not a cut point.
		var attrib string
		for _, a := range clientmail.Attributions {
			if a.Lang == lang {
				attrib = a.Example
				break
			}
		}
		table := "Organisation      Position\n--------------------------\n"
		for i := 1; i <= 8; i++ {
			table += "Member " + string(rune('A'+i-1)) + "          accept\n"
		}
		own := answers[lang] + "\n\n" + strings.TrimSuffix(table, "\n")
		history := attrib + "\n\n" + quoted(oldInvitation)
		cases = append(cases, langCase{lang, lang + "/own text with a table rule", own + "\n\n" + history + "\n", own, historyLines(history)})
	}
	return cases
}

func historyLines(h string) []string {
	var out []string
	for _, l := range strings.Split(h, "\n") {
		l = strings.TrimSpace(strings.TrimLeft(l, "> "))
		if len(l) > 3 && strings.Trim(l, "-_") != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestTrimRepliesByLanguage(t *testing.T) {
	scoreLanguages(t, "replies-", func(c langCase) string { return reply.Trim(c.in) })
}

// TestTrimHTMLRepliesByLanguage sends the same fixtures as a webmail writes
// them in HTML without a client's quote container: one <div> per line, the
// quoted lines in a plain <blockquote>. HTMLText then Trim (as answer.Read
// does) must give the same text as the plain reply.
func TestTrimHTMLRepliesByLanguage(t *testing.T) {
	// HTML collapses runs of spaces: compare with them as one
	scoreLanguages(t, "replies-html-", func(c langCase) string {
		if got := norm(reply.Trim(reply.HTMLText(asHTML(c.in)))); got != norm(c.want) {
			return got
		}
		return c.want
	})
}

func asHTML(plain string) string {
	var b strings.Builder
	b.WriteString("<html><body>")
	inQuote := false
	for _, l := range strings.Split(strings.TrimRight(plain, "\n"), "\n") {
		q := strings.HasPrefix(l, ">")
		if q != inQuote {
			if q {
				b.WriteString("<blockquote>")
			} else {
				b.WriteString("</blockquote>")
			}
			inQuote = q
		}
		l = strings.TrimSpace(strings.TrimPrefix(l, ">"))
		if l == "" {
			b.WriteString("<div><br></div>")
			continue
		}
		b.WriteString("<div>" + html.EscapeString(l) + "</div>")
	}
	if inQuote {
		b.WriteString("</blockquote>")
	}
	b.WriteString("</body></html>")
	return b.String()
}

// scoreLanguages runs every fixture through trim and prints one score line
// per language; a case that fails must be in testdata/known_failures.json
// under prefix+case name.
func scoreLanguages(t *testing.T, prefix string, trim func(langCase) string) {
	exact := map[string]map[string]bool{}
	removed := map[string]map[string]bool{}
	for _, c := range multilangCases() {
		if exact[c.lang] == nil {
			exact[c.lang], removed[c.lang] = map[string]bool{}, map[string]bool{}
		}
		got := trim(c)
		exact[c.lang][c.name] = got == c.want
		clean := true
		for _, h := range c.history {
			for _, l := range strings.Split(got, "\n") {
				if strings.TrimSpace(l) == h {
					clean = false
				}
			}
		}
		removed[c.lang][c.name] = clean
		if got != c.want {
			t.Logf("%s:\n--- got:\n%s\n--- want:\n%s", c.name, got, c.want)
		}
	}
	known := corpustest.LoadKnown(t, prefix, true)
	langs := make([]string, 0, len(exact))
	for l := range exact {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		e, n := count(exact[lang])
		r, _ := count(removed[lang])
		line := "corpus " + prefix + lang + ": " + itoa(e) + "/" + itoa(n) + " exact, " + itoa(r) + "/" + itoa(n) + " history removed"
		t.Log(line)
		println(line)
		for id, ok := range exact[lang] {
			reason, listed := known[id]
			switch {
			case !ok && !listed:
				t.Errorf("%s%s: the member's text is not exactly what they wrote, and the case is not in the known-failures list", prefix, id)
			case ok && listed:
				t.Errorf("%s%s now passes; remove it from the known-failures list (%s)", prefix, id, reason)
			}
		}
	}
}

func count(m map[string]bool) (pass, total int) {
	for _, ok := range m {
		total++
		if ok {
			pass++
		}
	}
	return pass, total
}
