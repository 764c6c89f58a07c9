package reply_test

import (
	"testing"

	"consultd/internal/reply"
)

// TestTrimClientShapes: replies in the shapes real clients write, one per
// client and language, including the misses reported in issue 9.
func TestTrimClientShapes(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"Gmail da: attribution wrapped inside the address",
			"Vi deltager gerne.\n\ntir. 18. apr. 2017 kl. 13:09 skrev Test user <test@\nexample.com>:\n\n> Kan I deltage?\n",
			"Vi deltager gerne."},
		{"Gmail da mobile: lead word, verb on the next line",
			"Hej Anna,\n\nvilkårene lyder fornuftige.\n\nHilsen\nB\n\n\nDen man 15 jan 2025 17:03 Anna Andersson <anna.andersson@example.com>\nskrev:\n\n> Hej B, stillingen er åben igen.\n",
			"Hej Anna,\n\nvilkårene lyder fornuftige.\n\nHilsen\nB"},
		{"Gmail de: split after the opening bracket",
			"Danke, wir kommen.\n\nAm Mo., 15. Jan. 2025, 17:03 schrieb Anna Andersson <\nanna.andersson@example.com>:\n\n> Hallo B, kommt ihr?\n",
			"Danke, wir kommen."},
		{"Thunderbird cs: verb on its own line",
			"Děkuji, přijdeme.\n\nDne po 15. led. 2025 17:03 Anna Anderssonová <anna.anderssonova@example.com>\nnapsal(a):\n\n> Ahoj B, přijdete?\n",
			"Děkuji, přijdeme."},
		{"Gmail hu: date first, history unquoted",
			"Elfogadjuk a meghívást.\n\n2026. jan. 5., h 14:32 időpontban Nagy Béla <bela@example.hu> ezt írta:\nSzia Anna, részt vesztek?\n",
			"Elfogadjuk a meghívást."},
		{"Gmail hr: weekday first",
			"Prihvaćamo.\n\nčet, 15. lip 2023. u 21:55 Linus Walleij <linus.walleij@linaro.org> napisao je:\n>\n> Dolazite li?\n",
			"Prihvaćamo."},
		{"Gmail ro: wrapped after the name",
			"Acceptăm invitația.\n\nÎn vin., 25 iun. 2021 la 23:03, Warner Losh <imp@bsdimp.com> a\nscris:\n\n> Veniți?\n",
			"Acceptăm invitația."},
		{"Thunderbird da: localised separator and header block",
			"Vi siger ja.\n\n-------- Oprindelig besked --------\nEmne: Invitation\nDato: 18.04.2017 13:09\nFra: Koalitionen <coalition@example.net>\nTil: Medlemmer <members@example.net>\n\nKære medlemmer\n",
			"Vi siger ja."},
		{"Outlook de: separator without spaces",
			"Wir sagen zu.\n\n-----Ursprüngliche Nachricht-----\nVon: Koalition <coalition@example.net>\nGesendet: Dienstag, 18. April 2017 13:09\nAn: Mitglieder\nBetreff: Einladung\n\nLiebe Mitglieder\n",
			"Wir sagen zu."},
		{"Outlook iOS fr: footer with its link above an Outlook block",
			"Nous acceptons.\n\nEnvoyé à partir de Outlook pour iOS<https://aka.ms/o0ukef>\n________________________________\nDe : Coalition <coalition@example.net>\nEnvoyé : mardi 18 avril 2017 13:09\nÀ : Membres\nObjet : Invitation\n\nChers membres\n",
			"Nous acceptons."},
		{"Outlook Android de: footer and the old text under it, no quote marks",
			"Wir lehnen ab.\n\nGesendet von Outlook für Android\n\nLiebe Mitglieder, die Konsultation findet am 3. Dezember statt.\nBitte antworten Sie bis zum 2. Dezember.\n",
			"Wir lehnen ab."},
		{"TypeApp en: footer above an unmarked original",
			"Count us in.\n\nSent from TypeApp\n\nDear members, please answer by 2 December.\n",
			"Count us in."},
		{"Yahoo ro: footer in Romanian",
			"Acceptăm.\n\nTrimis din Yahoo Mail pe Android\n\n  Pe mar., 18 apr. 2017 la 13:09, Coaliția a scris:\n  Dragi membri\n",
			"Acceptăm."},
		{"iOS tr: footer above a quoted attribution",
			"Katılıyoruz.\n\niPhone'umdan gönderildi\n\n> 18 Nis 2017 tarihinde 13:09 saatinde, Koalisyon <coalition@example.net> şunları yazdı:\n>\n> Değerli üyeler\n",
			"Katılıyoruz."},
		{"Outlook 2019 tr: name first, verb last",
			"Katılıyoruz.\n\n\"Koalisyon\" <coalition@example.net>, 18.04.2017 13:09 tarihinde şunu yazdı:\n\n> Değerli üyeler\n",
			"Katılıyoruz."},
		{"member's table rule with eight lines under it above the history",
			"We accept.\n\nOur delegation\n--------\nAmina, director\nBilal, legal\nCarla, policy\nDavid, press\nEva, finance\nFarid, field\nGina, youth\nHadi, liaison\n\nOn Tue, 18 Apr 2017 at 13:09, Coalition <coalition@example.net> wrote:\n\n> Who comes?\n",
			"We accept.\n\nOur delegation\n--------\nAmina, director\nBilal, legal\nCarla, policy\nDavid, press\nEva, finance\nFarid, field\nGina, youth\nHadi, liaison"},
		{"markdown table in the member's text",
			"Our answers:\n\n| item | answer |\n|---|---|\n| attend | yes |\n| sign | yes |\n\nThanks",
			"Our answers:\n\n| item | answer |\n|---|---|\n| attend | yes |\n| sign | yes |\n\nThanks"},
		{"dashed rule between the member's sections, no history",
			"Position: accept\n\n--------------------\n\nConcerns:\n1. The deadline is short.\n2. Victims' associations were not consulted.\n\nRecommendations:\nConsult them first.",
			"Position: accept\n\n--------------------\n\nConcerns:\n1. The deadline is short.\n2. Victims' associations were not consulted.\n\nRecommendations:\nConsult them first."},
		{"signature under a dashed rule, then the quote",
			"We accept.\n\n----\nHuda Saleh\nProgramme officer\nExample Org\n\nOn Tue, 18 Apr 2017 at 13:09, Coalition <coalition@example.net> wrote:\n> Who comes?\n",
			"We accept."},
		{"iPhone footer above inline answers is not a cut",
			"Sent from my iPhone\n\n> Do you attend?\nYes.\n\n> Concerns:\nThe deadline.\n\n> Do you sign?\nYes.\n",
			"Yes.\n\nThe deadline.\n\nYes."},
		{"the member quotes someone and goes on below",
			"We accept.\n\nAs our director wrote:\n> the deadline is short\n\nSo we ask for more time.",
			"We accept.\n\nAs our director wrote:\n\nSo we ask for more time."},
		{"a sentence ending in a verb and a colon is the member's text",
			"As our director wrote:\n\nWe will attend with two people.",
			"As our director wrote:\n\nWe will attend with two people."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := reply.Trim(tc.in); got != tc.want {
				t.Errorf("Trim =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
