package reply_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	. "consultd/internal/reply"
	"consultd/internal/testutil"
)

// Bidi marks as Gmail, Outlook and iOS put them around Arabic attributions.
const (
	lrm = "\u200e"
	rlm = "\u200f"
	lre = "\u202a"
	rle = "\u202b"
	pdf = "\u202c"
)

const quotedInvitation = `> Dear members,
>
> The Office of the Special Envoy invites the coalition to a consultation on
> 3 December. Please answer by 2 December: accept / decline / abstain,
> your concerns, your recommendations, and whether you sign the joint text.
>
> Coalition secretariat`

const quotedInvitationAr = `> الزملاء الأعزاء،
>
> يدعو مكتب المبعوث الخاص التحالف إلى مشاورة في ٣ ديسمبر.
> يرجى الرد قبل ٢ ديسمبر: موافقة / رفض / امتناع.`

type trimCase struct {
	name, in, want string
}

var trimCases = []trimCase{
	{
		name: "gmail top-post, English attribution",
		in: "We accept on behalf of our organisation.\n\nRecommendations:\n1. Publish the agenda in Arabic.\n2. Allow remote participation.\n\n" +
			"On Tue, Nov 21, 2017 at 10:02 AM, Coalition Secretariat <consult+a1b2@coalition.example> wrote:\n\n" + quotedInvitation + "\n",
		want: "We accept on behalf of our organisation.\n\nRecommendations:\n1. Publish the agenda in Arabic.\n2. Allow remote participation.",
	},
	{
		name: "gmail attribution wrapped over two lines at the address",
		in: "Decline, sorry.\n\nOn Tue, Nov 21, 2017 at 10:02 AM, Coalition Secretariat <\nconsult+a1b2@coalition.example> wrote:\n\n" +
			quotedInvitation + "\n",
		want: "Decline, sorry.",
	},
	{
		name: "attribution wrapped over three lines",
		in: "Decline.\n\nOn Tue, Nov 21, 2017 at 10:02 AM, Coalition\nSecretariat <consult+a1b2@coalition.example>\nwrote:\n\n" +
			quotedInvitation + "\n",
		want: "Decline.",
	},
	{
		name: "bottom-posting below the quote",
		in: "On Tue, Nov 21, 2017 at 10:02 AM, Coalition Secretariat <consult@coalition.example> wrote:\n" + quotedInvitation +
			"\n\nWe abstain this time.\n\nBest regards,\nMona\n",
		want: "We abstain this time.\n\nBest regards,\nMona",
	},
	{
		name: "inline answers between quoted questions (Thunderbird)",
		in: "On 21/11/2017 10:02, Coalition Secretariat wrote:\n> Position (accept / decline / abstain):\n\nDecline\n\n" +
			"> Concerns:\n\nThe invitation came three days before the meeting.\n\n> Do you sign the joint text?\n\nYes, we sign.\n",
		want: "Decline\n\nThe invitation came three days before the meeting.\n\nYes, we sign.",
	},
	{
		name: "top-post with inline quote further down keeps only the member's lines",
		in: "Hi,\nOn Tue, Nov 21, 2017 at 10:02 AM, Coalition Secretariat <consult@coalition.example> wrote:\n> Please answer accept / decline / abstain.\n\n" +
			"We decline.\n\n> Your recommendations:\n\n1. Give two weeks' notice.\n\n> Coalition secretariat\n",
		want: "Hi,\n\nWe decline.\n\n1. Give two weeks' notice.",
	},
	{
		name: "Arabic Gmail attribution with weekday and bidi embedding",
		in: "نعتذر عن عدم المشاركة.\n\n" + rle + "في الثلاثاء، ٢١ نوفمبر ٢٠١٧ ١٠:٠٢ ص، كتب أمانة التحالف <" + lre + "consult+a1b2@coalition.example" + pdf + ">:" + pdf + "\n\n" +
			quotedInvitationAr + "\n",
		want: "نعتذر عن عدم المشاركة.",
	},
	{
		name: "Arabic Gmail attribution with numeric date and RLM marks",
		in: "نوافق على الحضور.\n\nفي ٢١" + rlm + "/١١" + rlm + "/٢٠١٧ ١٠:٠٢ ص، كتب Coalition Secretariat <" + lrm + "consult@coalition.example" + lrm + ">:\n\n" +
			quotedInvitationAr + "\n",
		want: "نوافق على الحضور.",
	},
	{
		name: "Arabic Gmail attribution wrapped at the address",
		in: "نمتنع عن التصويت.\n\nفي الثلاثاء، ٢١ نوفمبر ٢٠١٧ ١٠:٠٢ ص، كتب أمانة التحالف <\nconsult+a1b2@coalition.example>:\n\n" +
			quotedInvitationAr + "\n",
		want: "نمتنع عن التصويت.",
	},
	{
		name: "Arabic Apple Mail on iPhone: footer and attribution",
		in: "نرفض الدعوة للأسباب التالية:\n١. ضيق الوقت\n٢. غياب الترجمة\n\nأُرسلت من الـ iPhone الخاص بي\n\n" +
			"> في ٢١ نوفمبر ٢٠١٧، الساعة ١٠:٠٢ ص، كتب أمانة التحالف <consult@coalition.example>:\n> \n" + quotedInvitationAr + "\n",
		want: "نرفض الدعوة للأسباب التالية:\n١. ضيق الوقت\n٢. غياب الترجمة",
	},
	{
		name: "Arabic Apple Mail attribution unquoted",
		in:   "نوقع على البيان.\n\nفي ٢١ نوفمبر ٢٠١٧، الساعة ١٠:٠٢ ص، كتب أمانة التحالف <consult@coalition.example>:\n\n" + quotedInvitationAr + "\n",
		want: "نوقع على البيان.",
	},
	{
		name: "Outlook desktop: underscore rule and From/Sent/To/Subject",
		in: "We accept and will send two participants.\r\n\r\n________________________________\r\nFrom: Coalition Secretariat <consult@coalition.example>\r\n" +
			"Sent: Tuesday, November 21, 2017 10:02 AM\r\nTo: Member Org <info@member.example>\r\nSubject: Consultation: invitation to the hearing\r\n\r\n" +
			"Dear members,\r\n\r\nThe Office of the Special Envoy invites the coalition.\r\n",
		want: "We accept and will send two participants.",
	},
	{
		name: "Outlook header block without a rule line",
		in: "We abstain.\n\nFrom: Coalition Secretariat <consult@coalition.example>\nSent: 21 November 2017 10:02\nTo: info@member.example\n" +
			"Cc: board@member.example\nSubject: RE: Consultation\n\nDear members,\n",
		want: "We abstain.",
	},
	{
		name: "Outlook -----Original Message-----",
		in:   "Decline.\n\nThanks\nSami\n\n-----Original Message-----\nFrom: Coalition Secretariat [mailto:consult@coalition.example]\nSent: Tuesday, November 21, 2017 10:02 AM\nTo: Sami\nSubject: Consultation\n\nDear members,\n",
		want: "Decline.\n\nThanks\nSami",
	},
	{
		name: "Arabic Outlook header block (تاريخ الإرسال)",
		in: "نوافق.\n\n________________________________\nمن: أمانة التحالف <consult@coalition.example>\nتاريخ الإرسال: الثلاثاء، ٢١ نوفمبر، ٢٠١٧ ١٠:٠٢ ص\n" +
			"إلى: منظمة عضو <info@member.example>\nنسخة: board@member.example\nالموضوع: مشاورة: دعوة إلى جلسة استماع\n\nالزملاء الأعزاء،\n",
		want: "نوافق.",
	},
	{
		name: "Arabic Outlook original message with أرسل",
		in: "نرفض.\n\n-----الرسالة الأصلية-----\nمن: أمانة التحالف [mailto:consult@coalition.example]\nأرسل: الثلاثاء، ٢١ نوفمبر، ٢٠١٧ ١٠:٠٢ ص\n" +
			"إلى: منظمة عضو\nالموضوع: مشاورة\n\nالزملاء الأعزاء،\n",
		want: "نرفض.",
	},
	{
		name: "Outlook web bold headers after a dashed rule",
		in: "Accept.\n\n\n ------------------------------\n\n*From:* Coalition Secretariat <consult@coalition.example>\n*Sent:* Tuesday, November 21, 2017 10:02 AM\n" +
			"*To:* info@member.example\n*Subject:* Consultation\n\nDear members,\n",
		want: "Accept.",
	},
	{
		name: "French Gmail attribution",
		in:   "Nous acceptons.\n\nLe mar. 21 nov. 2017 à 10:02, Secrétariat <consult@coalition.example> a écrit :\n\n" + quotedInvitation + "\n",
		want: "Nous acceptons.",
	},
	{
		name: "German Outlook header block",
		in: "Wir lehnen ab.\n\nVon: Sekretariat <consult@coalition.example>\nGesendet: Dienstag, 21. November 2017 10:02\nAn: info@member.example\n" +
			"Betreff: Konsultation\n\nLiebe Mitglieder,\n",
		want: "Wir lehnen ab.",
	},
	{
		name: "RFC 3676 signature delimiter",
		in:   "We decline.\n\n-- \nMona Haddad\nProgramme Officer\n+961 1 234 567\n",
		want: "We decline.",
	},
	{
		name: "double dash inside a sentence is not a delimiter",
		in:   "We decline -- the notice is too short.\n\nRegards,\nMona\n",
		want: "We decline -- the notice is too short.\n\nRegards,\nMona",
	},
	{
		name: "Sent from my iPhone before an Apple Mail quote",
		in: "Accept.\n\nSent from my iPhone\n\n> On Nov 21, 2017, at 10:02 AM, Coalition Secretariat <consult@coalition.example> wrote:\n>\n" +
			quotedInvitation + "\n",
		want: "Accept.",
	},
	{
		name: "mobile footers in English and Arabic",
		in: "We sign the statement.\n\nSent from my iPad\nSent from my BlackBerry 10 smartphone.\nSent from my Samsung Galaxy smartphone.\n" +
			"Get Outlook for iOS<https://aka.ms/o0ukef>\nGet Outlook for Android\nSent from Mail for Windows 10\n" +
			"أُرسلت من الـ iPhone الخاص بي\n" + rlm + "مرسل من iPhone" + rlm + "\nاحصل على Outlook for Android\n",
		want: "We sign the statement.",
	},
	{
		name: "sentence starting with Sent from my is kept",
		in:   "Sent from my desk, because answering on my phone is hard.\nWe accept.\nSent by courier today.\n",
		want: "Sent from my desk, because answering on my phone is hard.\nWe accept.\nSent by courier today.",
	},
	{
		name: "sign-off with a name is kept",
		in:   "We decline.\n\nBest regards,\nMona Haddad\nArab NGO Network for Development\n",
		want: "We decline.\n\nBest regards,\nMona Haddad\nArab NGO Network for Development",
	},
	{
		name: "member's own section rule above a numbered list is kept",
		in: "Position: decline\n\n----------\n\nRecommendations:\n1. Share documents two weeks ahead.\n2. Provide Arabic interpretation.\n" +
			"3. Publish a summary of the meeting.\n",
		want: "Position: decline\n\n----------\n\nRecommendations:\n1. Share documents two weeks ahead.\n2. Provide Arabic interpretation.\n3. Publish a summary of the meeting.",
	},
	{
		name: "English legal disclaimer at the end",
		in: "We sign.\n\nRegards,\nMona\n\nThis email and any attachments are confidential and intended solely for the use of the addressee. " +
			"If you are not the intended recipient, please notify the sender and delete it.\n",
		want: "We sign.\n\nRegards,\nMona",
	},
	{
		name: "CONFIDENTIALITY NOTICE disclaimer",
		in:   "Abstain.\n\nCONFIDENTIALITY NOTICE: The contents of this email message and any attachments are intended solely for the addressee(s).\n",
		want: "Abstain.",
	},
	{
		name: "Arabic disclaimer إخلاء مسؤولية",
		in:   "نوقع على البيان.\n\nمع التحية،\nمنى\n\nإخلاء مسؤولية: هذه الرسالة ومرفقاتها سرية ومخصصة للمرسل إليه فقط.\n",
		want: "نوقع على البيان.\n\nمع التحية،\nمنى",
	},
	{
		name: "Arabic disclaimer هذه الرسالة ومرفقاتها سرية",
		in:   "نرفض.\n\nهذه الرسالة ومرفقاتها سرية، فإذا وصلتك خطأً يرجى حذفها.\n",
		want: "نرفض.",
	},
	{
		name: "forward from Gmail keeps only the note above it",
		in: "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Office of the Envoy <office@envoy.example>\n" +
			"Date: Tue, Nov 21, 2017 at 10:02 AM\nSubject: Invitation\nTo: <consult@coalition.example>\n\nDear colleagues,\n",
		want: "FYI, see below.",
	},
	{
		name: "a line starting with On is not an attribution",
		in:   "On Monday we met the envoy's office.\nIn 2017 the envoy wrote:\n\"civil society is essential\"\nWe disagree.\n",
		want: "On Monday we met the envoy's office.\nIn 2017 the envoy wrote:\n\"civil society is essential\"\nWe disagree.",
	},
	{
		name: "fenced code survives",
		in:   "See the log:\n\n```\n--\n> not a quote\n####\n```\n\nThanks\n",
		want: "See the log:\n\n```\n--\n> not a quote\n####\n```\n\nThanks",
	},
	{
		name: "quotation only gives nothing",
		in:   "On Tue, Nov 21, 2017 at 10:02 AM, Coalition Secretariat <consult@coalition.example> wrote:\n" + quotedInvitation + "\n",
		want: "",
	},
	{
		name: "empty body",
		in:   "",
		want: "",
	},
	{
		name: "CRLF body without quotes",
		in:   "We accept.\r\nTwo people will attend.\r\n",
		want: "We accept.\nTwo people will attend.",
	},
	{
		name: "mixed Arabic and English reply with Gmail English attribution",
		in:   "Decline / نرفض\n\nالأسباب: ضيق الوقت.\n\nOn Tue, 21 Nov 2017 at 10:02, Coalition Secretariat <consult@coalition.example> wrote:\n\n" + quotedInvitation + "\n",
		want: "Decline / نرفض\n\nالأسباب: ضيق الوقت.",
	},
	{
		name: "Yahoo attribution with seconds and GMT offset",
		in:   "We accept.\n\nOn Tuesday, November 21, 2017, 10:02:33 AM GMT+3, Coalition Secretariat <consult@coalition.example> wrote:\n\n\nDear members,\n",
		want: "We accept.",
	},
	{
		name: "Outlook for Android: footer then header block",
		in: "Decline\n\nGet Outlook for Android<https://aka.ms/ghei36>\n\n________________________________\nFrom: Coalition Secretariat <consult@coalition.example>\n" +
			"Sent: Tuesday, November 21, 2017 10:02:33 AM\nTo: info@member.example\nSubject: Consultation\n\nDear members,\n",
		want: "Decline",
	},
	{
		name: "member's lines that look like headers or notes are kept",
		in:   "Date: we can attend on 3 December.\nTo: the envoy's office, with our thanks.\n\nThis message is to confirm that we sign.\nDisclaimer aside, we agree.\n",
		want: "Date: we can attend on 3 December.\nTo: the envoy's office, with our thanks.\n\nThis message is to confirm that we sign.\nDisclaimer aside, we agree.",
	},
	{
		name: "dash-name sign-off dropped",
		in:   "We accept.\n\n-Sami\n",
		want: "We accept.",
	},
}

func TestTrim(t *testing.T) {
	for _, c := range trimCases {
		t.Run(c.name, func(t *testing.T) {
			if got := Trim(c.in); got != c.want {
				t.Errorf("Trim:\n%s\n--- want:\n%s", got, c.want)
			}
		})
	}
}

func TestStripQuotes(t *testing.T) {
	cases := []trimCase{
		{
			name: "iPhone footer kept, Apple Mail quote removed",
			in:   "Accept.\n\nSent from my iPhone\n\nOn Nov 21, 2017, at 10:02 AM, Coalition Secretariat <consult@coalition.example> wrote:\n\n" + quotedInvitation + "\n",
			want: "Accept.\n\nSent from my iPhone",
		},
		{
			name: "RFC 3676 signature kept, Outlook block removed",
			in: "We decline.\n\n-- \nMona Haddad\n\n________________________________\nFrom: Coalition Secretariat <consult@coalition.example>\n" +
				"Sent: Tuesday, November 21, 2017 10:02 AM\nTo: Mona\nSubject: Consultation\n\nDear members,\n",
			want: "We decline.\n\n-- \nMona Haddad",
		},
		{
			name: "Arabic footer kept, Arabic attribution removed",
			in:   "نوافق.\n\nأُرسلت من الـ iPhone الخاص بي\n\nفي ٢١ نوفمبر ٢٠١٧، الساعة ١٠:٠٢ ص، كتب أمانة التحالف <consult@coalition.example>:\n\n" + quotedInvitationAr + "\n",
			want: "نوافق.\n\nأُرسلت من الـ iPhone الخاص بي",
		},
		{
			name: "text below the quote is kept",
			in:   "Accept.\n\nOn 21/11/2017 10:02, Coalition Secretariat wrote:\n" + quotedInvitation + "\n\nMona\n",
			want: "Accept.\n\nMona",
		},
		{
			name: "a forward is the whole message",
			in:   "FYI\n\n---------- Forwarded message ---------\nFrom: office@envoy.example\nDate: Tue, Nov 21, 2017 at 10:02 AM\nSubject: Invitation\nTo: consult@coalition.example\n\nDear colleagues",
			want: "FYI\n\n---------- Forwarded message ---------\nFrom: office@envoy.example\nDate: Tue, Nov 21, 2017 at 10:02 AM\nSubject: Invitation\nTo: consult@coalition.example\n\nDear colleagues",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := StripQuotes(c.in); got != c.want {
				t.Errorf("StripQuotes:\n%s\n--- want:\n%s", got, c.want)
			}
		})
	}
}

func TestTrimInline(t *testing.T) {
	cases := []trimCase{
		{
			name: "inline answers keep their quoted questions",
			in: "On 21/11/2017 10:02, Coalition Secretariat wrote:\n> Position (accept / decline / abstain):\n\nDecline\n\n" +
				"> Concerns:\n\nThe invitation came three days before the meeting.\n\n> Thank you,\n> Coalition secretariat\n",
			want: "> Position (accept / decline / abstain):\n\nDecline\n\n> Concerns:\n\nThe invitation came three days before the meeting.",
		},
		{
			name: "top-post is the same as Trim",
			in:   "We accept.\n\nOn Tue, Nov 21, 2017 at 10:02 AM, Coalition Secretariat <consult@coalition.example> wrote:\n" + quotedInvitation + "\n",
			want: "We accept.",
		},
		{
			name: "quotation only gives nothing",
			in:   quotedInvitation,
			want: "",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := TrimInline(c.in); got != c.want {
				t.Errorf("TrimInline:\n%s\n--- want:\n%s", got, c.want)
			}
		})
	}
}

// TestTrimLinear checks that work grows linearly: a 750 KB quote, lines made
// to look almost like attributions, and long runs of rules, disclaimers and
// header-like lines finish in well under a second of CPU each (quadratic work
// would take minutes). CPU time is measured, not wall time, so a busy machine
// does not make the test flaky.
func TestTrimLinear(t *testing.T) {
	testutil.SkipUnderRace(t, "CPU seconds per input")
	long := "Reply\n\nOn Tue, Nov 21, 2017 at 10:02 AM, X <x@example.org> wrote:\n" + strings.Repeat("> "+strings.Repeat("ACGT", 40)+"\n", 4500)
	inputs := map[string]string{
		"long quote":          long,
		"near-attributions":   strings.Repeat("On 21 Nov 2017 10:02 "+strings.Repeat("<a@b.c ", 30)+"\n", 3000),
		"one huge line":       strings.Repeat("On 2017 <a@b.c> wrote ", 40000),
		"many rules":          "Text\n" + strings.Repeat("----\n\n", 50000) + strings.Repeat("more text\n", 10),
		"many disclaimers":    "Text\n" + strings.Repeat("DISCLAIMER: "+strings.Repeat("x", 30)+"\n", 20000),
		"many header lines":   "Text\n" + strings.Repeat("From: a\nDate: b\n", 30000),
		"many wrapped starts": strings.Repeat("On Tue, Nov 21, 2017 at 10:02 AM, X <\n\n", 20000),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			start := cpuTime()
			got := Trim(in)
			StripQuotes(in)
			TrimInline(in)
			el := cpuTime() - start
			t.Logf("%d bytes: %v of CPU", len(in), el)
			if el > 5*time.Second {
				t.Errorf("%d bytes took %v of CPU", len(in), el)
			}
			if name == "long quote" && got != "Reply" {
				t.Errorf("got %q", got)
			}
		})
	}
}

// cpuTime is the CPU time used by this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
