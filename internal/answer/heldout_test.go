package answer

import (
	"fmt"
	"strings"
	"testing"

	"consultd/internal/corpustest"
	"consultd/internal/mimeparse"
)

// Quoted consultations as mail clients quote them below or around an inline
// answer (mutt, Thunderbird, Gmail: "> " on every line, the attribution line
// above). Each is the HOW TO ANSWER part of templates/{en,ar}/consultation.tmpl.
const (
	muttAttribution = "On Tue, Dec 01, 2026 at 10:04:12AM EET, Coalition wrote:\n" // $attribution "On %d, %n wrote:"
	tbirdAttrib     = "On 01/12/2026 10:04, Coalition wrote:\n"
	gmailAttribAr   = "في الثلاثاء، ١ ديسمبر ٢٠٢٦ ١٠:٠٤ ص، كتب أمانة التحالف <\u200econsult+k7q2m9x4@coalition.example\u200e>:\n"

	qHowTo = "> HOW TO ANSWER\n> Reply to this email (keep the subject as it is) and write on the first line one of:\n>\n" +
		">   ACCEPT   - the coalition should accept the invitation\n>   DECLINE  - the coalition should decline it\n" +
		">   ABSTAIN  - your organisation takes no position\n>\n"
	qThen     = "> Then, if you wish, add:\n>\n"
	qConcerns = ">   Concerns:\n>   1. ...\n>   2. ...\n>\n"
	qRecs     = ">   Recommendations:\n>   1. ...\n>\n"
	qSign     = ">   Sign: yes    (or \"Sign: no\": whether your organisation signs the joint text)\n>\n"
	qTail     = "> You will receive a confirmation of what we understood. To change your answer, just reply again: the latest answer counts.\n" +
		">\n> ---------- The invitation ----------\n> From: Office of the Envoy <office@envoy.example>\n> Subject: Consultation meeting\n>\n> Dear partners, we invite you to a consultation.\n"

	qHowToAr = "> طريقة الرد\n> ردّوا على هذه الرسالة (مع الإبقاء على الموضوع كما هو) واكتبوا في السطر الأول إحدى الكلمات التالية:\n>\n" +
		">   أوافق (ACCEPT): أن يقبل التحالف الدعوة\n>   أرفض (DECLINE): أن يعتذر التحالف عن الدعوة\n>   أمتنع (ABSTAIN): لا تتخذ منظمتكم موقفاً\n>\n"
	qThenAr     = "> ثم يمكنكم إضافة:\n>\n"
	qConcernsAr = ">   المخاوف:\n>   ١. ...\n>   ٢. ...\n>\n"
	qRecsAr     = ">   التوصيات:\n>   ١. ...\n>\n"
	qSignAr     = ">   التوقيع: نعم    (أو \"التوقيع: لا\": هل توقّع منظمتكم على النص المشترك)\n>\n"
	qTailAr     = "> ستصلكم رسالة تأكيد بما فهمناه من ردّكم.\n"

	tbirdAttribFr = "Le 01/12/2026 à 10:04, Coalition a écrit :\n"
	qHowToFr      = ">   ACCEPTER     - la coalition devrait accepter l'invitation\n>   REFUSER      - la coalition devrait la décliner\n" +
		">   S'ABSTENIR   - votre organisation ne prend pas position\n>\n"
	qConcernsFr = ">   Préoccupations :\n>   1. ...\n>\n"
	qSignFr     = ">   Signer : oui    (ou « Signer : non » : votre organisation signe-t-elle le texte commun ?)\n>\n"
)

// heldOut is one member answer as members write it, with what a person
// reading it would record.
type heldOut struct {
	id      string
	body    string
	pos     Position
	sign    *bool
	conc    []string
	recs    []string
	holding bool
}

func heldOutAnswers() []heldOut {
	yes, no := new(bool), new(bool)
	*yes = true
	return []heldOut{
		// Colloquial positions, English.
		{id: "en-well-be-there", body: "Yes, we'll be there.\n\nBest,\nSara", pos: Accept},
		{id: "en-count-us-in", body: "Count us in!\n\nNadia", pos: Accept},
		{id: "en-were-in", body: "Hi all,\n\nWe're in.\n\nThanks\nOmar", pos: Accept},
		{id: "en-we-will-attend", body: "We will attend. Sign: yes", pos: Accept, sign: yes},
		{id: "en-sure-we-are-in", body: "Sure, we are in", pos: Accept},
		{id: "en-on-board", body: "We're on board with accepting this one.\n\nRegards,\nKarim", pos: Accept},
		{id: "en-happy-to-join", body: "Happy to join. We will sign the joint text.", pos: Accept, sign: yes},
		{id: "en-we-can-make-it", body: "Good news: we can make it.", pos: Accept},
		{id: "en-were-out", body: "We're out.\n\n-- \nLina", pos: Decline},
		{id: "en-not-this-time", body: "Not this time, sorry.\n\nRegards,\nAhmad", pos: Decline},
		{id: "en-wont-attend", body: "We won't attend.", pos: Decline},
		{id: "en-sit-this-one-out", body: "We'll sit this one out.", pos: Decline},
		{id: "en-will-not-be-there", body: "Unfortunately we will not be there.", pos: Decline},
		{id: "en-cant-make-it", body: "Sorry, we can't make it this time.", pos: Decline},
		{id: "en-count-us-out", body: "Count us out. Sign: no", pos: Decline, sign: no},
		{id: "en-well-pass", body: "Thanks for asking. We'll pass on this one.", pos: Decline},
		{id: "en-not-be-able-to-make-it", body: "I'm afraid we will not be able to make it.", pos: Decline},
		{id: "en-decline-to-attend", body: "We decline to attend.", pos: Decline},
		{id: "en-no-preference", body: "No preference from our side, we'll go with the majority.", pos: Abstain},
		{id: "en-either-way", body: "Either way is fine for us.", pos: Abstain},
		// Abstention with a conditional sign-on (issue 9).
		{id: "en-abstain-conditional-sign",
			body: "We abstain on attending, but please list us among the signatories if the coalition declines. Sign: yes",
			pos:  Abstain, sign: yes},
		{id: "en-abstain-conditional-sign-sentence",
			body: "We abstain from participating. Please list us among the signatories if the coalition declines.",
			pos:  Abstain, sign: yes},
		{id: "en-if-clause-main-clause-counts", body: "If the agenda is shared in advance, we will attend.", pos: Accept},
		// Two positions stated: asked, never guessed.
		{id: "en-contradiction-lines", body: "ACCEPT\nDECLINE", pos: None},
		{id: "en-contradiction-sentences", body: "We accept. We decline.", pos: None},
		{id: "en-contradiction-colloquial", body: "Count us in.\nActually, we're out.", pos: None},
		{id: "en-we-are-in-place-is-not-position", body: "We are in Geneva that week anyway.", pos: None},
		// Holding replies.
		{id: "en-holding-board", body: "Thanks, I will discuss this with our board and come back to you.\n\nBest regards,\nHiba",
			pos: None, holding: true},
		{id: "en-holding-get-back", body: "Hi, we need a few days. We'll get back to you by Thursday.", pos: None, holding: true},
		{id: "en-holding-not-decided", body: "We have not decided yet, still consulting our members.", pos: None, holding: true},
		{id: "en-holding-then-position-counts", body: "We accept. We'll get back to you with recommendations.", pos: Accept},
		{id: "en-unclear-is-not-holding", body: "What is the venue?", pos: None},
		{id: "en-question-is-not-a-position", body: "Who else will be there? Should we attend?", pos: None},
		{id: "en-not-for-us-to-decide", body: "It is not for us to decide alone; no position.", pos: Abstain},
		{id: "ar-question-is-not-a-position", body: "هل ستحضرون أنتم؟ هل نشارك؟", pos: None},
		// A single heading and a signature after the last item.
		{id: "en-single-recommendation-org",
			body: "Decline.\nRecommendation: involve the organisations in choosing the topics.\nAl-Haq Foundation",
			pos:  Decline, recs: []string{"involve the organisations in choosing the topics."}},
		{id: "en-single-recommendation-member-name",
			body: "Decline\nRecommendation: involve the organisations in choosing the topics\nBaytna Syria",
			pos:  Decline, recs: []string{"involve the organisations in choosing the topics"}},
		{id: "en-single-concern-name",
			body: "DECLINE\n\nConcern:\nThe invitation came three days before the meeting.\n\nLina Haddad",
			pos:  Decline, conc: []string{"The invitation came three days before the meeting."}},
		{id: "en-list-then-dash-name",
			body: "ACCEPT\n\nRecommendations:\n1. Share the agenda in advance\n2. Provide interpretation\n— Rami",
			pos:  Accept, recs: []string{"Share the agenda in advance", "Provide interpretation"}},
		{id: "en-list-then-name-and-org",
			body: "DECLINE\n\nConcerns:\n1. No agenda.\n2. No security guarantees.\nSamir Khalil\nProgramme Coordinator\nNetwork for Rights\n+961 1 234 567",
			pos:  Decline, conc: []string{"No agenda.", "No security guarantees."}},
		{id: "en-list-then-thanks",
			body: "Abstain\nRecommendations:\n- Publish the minutes\nThanks", pos: Abstain, recs: []string{"Publish the minutes"}},
		{id: "en-list-then-best-regards-name",
			body: "Accept\n\nConcerns:\n1. The venue is far.\n\nBest regards,\nJoumana Saleh\nCentre for Civil Society",
			pos:  Accept, conc: []string{"The venue is far."}},
		{id: "en-wrapped-item-is-not-signature",
			body: "Concerns:\n1. The invitation reached us three days before the meeting and the topics\n   remain vague.\n\nDecline.",
			pos:  Decline, conc: []string{"The invitation reached us three days before the meeting and the topics remain vague."}},
		// Inline answers under quoted headings (mutt, Thunderbird, Gmail).
		{id: "en-mutt-inline-concern",
			body: muttAttribution + qHowTo + "ABSTAIN\n\n" + qThen + qConcerns +
				"1. Victims' associations were not consulted on the agenda.\n\n" + qRecs + qSign + qTail,
			pos: Abstain, conc: []string{"Victims' associations were not consulted on the agenda."}},
		{id: "en-mutt-inline-all",
			body: muttAttribution + qHowTo + "DECLINE\n\n" + qThen + qConcerns +
				"1. Victims' associations were not consulted on the agenda.\n2. The meeting is closed to the press.\n\n" +
				qRecs + "1. Hold the meeting in public.\n\n" + qSign + "yes\n\n" + qTail,
			pos: Decline, sign: yes, conc: []string{"Victims' associations were not consulted on the agenda.", "The meeting is closed to the press."},
			recs: []string{"Hold the meeting in public."}},
		{id: "en-thunderbird-inline-unnumbered",
			body: tbirdAttrib + qHowTo + "Accept\n\n" + qThen + qConcerns + qRecs + "Invite the women's groups too\n\n" + qSign + "no\n\n" + qTail,
			pos:  Accept, sign: no, recs: []string{"Invite the women's groups too"}},
		{id: "en-inline-position-under-concerns-heading-stays-position",
			body: muttAttribution + qThen + qConcerns + "DECLINE\n\n" + qTail, pos: Decline},
		{id: "en-inline-sign-no",
			body: muttAttribution + qHowTo + "We're out.\n\n" + qThen + qSign + "No\n\n" + qTail, pos: Decline, sign: no},
		{id: "en-inline-under-instructions-only",
			body: muttAttribution + qHowTo + "We'll be there.\n\n" + qTail, pos: Accept},
		{id: "en-inline-closing-under-last-heading",
			body: muttAttribution + qHowTo + "ACCEPT\n\n" + qThen + qRecs + "Best regards,\nLina\n\n" + qTail, pos: Accept},
		{id: "en-outvoted-is-still-two-positions",
			body: "I think we should accept; accepting is the right call, though others want to decline.", pos: None},
		{id: "en-top-posted-not-inline",
			body: "Decline. We will sign.\n\n" + muttAttribution + qHowTo + qThen + qConcerns + qTail, pos: Decline, sign: yes},
		{id: "en-inline-own-heading-wins",
			body: muttAttribution + qHowTo + "ACCEPT\n\n" + qThen + qConcerns + "Recommendations:\n1. Translate the documents.\n\n" + qTail,
			pos:  Accept, recs: []string{"Translate the documents."}},

		{id: "en-in-touch-and-will-attend", body: "We are in touch with the organisers and will attend.", pos: Accept},
		{id: "en-come-back-is-not-coming", body: "We will come back to you tomorrow.", pos: None, holding: true},
		{id: "en-apologies-cant-make-it", body: "Please accept our apologies, we can't make it.", pos: Decline},
		{id: "en-be-there-and-sign", body: "Thanks for the invitation! We'll be there, and we will sign.", pos: Accept, sign: yes},
		{id: "en-considered-declining-but-attend", body: "ACCEPT\n\nWe considered declining, but decided to attend.", pos: Accept},
		{id: "en-cant-attend-but-will-sign", body: "We can't attend but we'll sign.", pos: Decline, sign: yes},
		{id: "en-do-not-list-us", body: "We decline. Please do not list us among the signatories.", pos: Decline, sign: no},

		{id: "en-mixed-arabic-sign", body: "We are in.\nالتوقيع: نعم", pos: Accept, sign: yes},
		{id: "en-yes-alone-is-not-a-position", body: "Yes.", pos: None},
		{id: "en-count-us-in-recommend",
			body: "Agreed, count us in. We would also like to recommend:\n- interpretation into Arabic", pos: Accept,
			recs: []string{"interpretation into Arabic"}},
		{id: "en-cant-join", body: "Sadly we can't join this time.", pos: Decline},

		// French, as members write it.
		{id: "fr-on-sera-la", body: "Oui, on sera là !\n\nCordialement,\nClaire", pos: Accept},
		{id: "fr-partants", body: "Nous sommes partants. Signer : oui", pos: Accept, sign: yes},
		{id: "fr-pas-cette-fois", body: "Pas cette fois, désolés.", pos: Decline},
		{id: "fr-ne-serons-pas-la", body: "Malheureusement nous ne serons pas là.", pos: Decline},
		{id: "fr-passons-notre-tour", body: "Nous passons notre tour pour cette réunion.", pos: Decline},
		{id: "fr-abstention-conditional-sign",
			body: "Nous nous abstenons de participer, mais inscrivez-nous parmi les signataires si la coalition décline. Signer : oui",
			pos:  Abstain, sign: yes},
		{id: "fr-holding", body: "Merci, nous reviendrons vers vous après consultation de notre conseil.", pos: None, holding: true},
		{id: "fr-contradiction", body: "ACCEPTER\nREFUSER", pos: None},
		{id: "fr-recommendation-then-org",
			body: "Nous refusons.\nRecommandation : associer les organisations au choix des thèmes.\nAssociation des Familles",
			pos:  Decline, recs: []string{"associer les organisations au choix des thèmes."}},

		{id: "fr-thunderbird-inline",
			body: tbirdAttribFr + qHowToFr + "S'ABSTENIR\n\n" + qConcernsFr + "1. Les associations de victimes n'ont pas été consultées.\n\n" +
				qSignFr + "non\n\n" + "> Vous recevrez une confirmation.\n",
			pos: Abstain, sign: no, conc: []string{"Les associations de victimes n'ont pas été consultées."}},

		// Colloquial positions, Arabic.
		{id: "ar-nahnu-maakum", body: "نحن معكم.\n\nمع التحية", pos: Accept},
		{id: "ar-sanahdur", body: "سنحضر إن شاء الله", pos: Accept},
		{id: "ar-sanakun-hadirin", body: "سنكون حاضرين في الموعد.", pos: Accept},
		{id: "ar-yusharifuna", body: "يشرفنا الحضور، والتوقيع: نعم", pos: Accept, sign: yes},
		{id: "ar-levantine-accept", body: "أكيد رح نشارك", pos: Accept},
		{id: "ar-inshallah-maakum", body: "إن شاء الله سنكون معكم.", pos: Accept},
		{id: "ar-no-objection-to-signing-is-not-accepting", body: "نعتذر عن الحضور، ولا مانع من التوقيع على البيان.", pos: Decline, sign: yes},
		{id: "ar-apology-comma-decline", body: "نعتذر، لن نتمكن من المشاركة هذه المرة.", pos: Decline},
		{id: "ar-lan-nahdur", body: "لن نحضر.", pos: Decline},
		{id: "ar-natadhir-an-alhudur", body: "نعتذر عن الحضور.\n\nشكراً", pos: Decline},
		{id: "ar-lan-natamakkan", body: "للأسف لن نتمكن من الحضور هذه المرة.", pos: Decline},
		{id: "ar-laysa-hadhihi", body: "ليس هذه المرة، شكراً لكم.", pos: Decline},
		{id: "ar-lasna-maakum", body: "لسنا معكم في هذه الدعوة.", pos: Decline},
		{id: "ar-namtani", body: "نمتنع.", pos: Abstain},
		{id: "ar-muhayidun", body: "نحن محايدون في هذا الأمر، ونلتزم بقرار الأغلبية.", pos: Abstain},
		{id: "ar-abstain-conditional-sign",
			body: "نمتنع عن الحضور، لكن نرجو إدراج اسمنا ضمن الموقعين إذا قرر التحالف الاعتذار.", pos: Abstain, sign: yes},
		{id: "ar-contradiction", body: "نوافق\nنرفض", pos: None},
		{id: "ar-will-contact-you-is-not-accept", body: "سنتواصل معكم لاحقاً بخصوص الموقف.", pos: None, holding: true},
		{id: "ar-holding", body: "سنعود إليكم بعد التشاور.", pos: None, holding: true},
		{id: "ar-holding-board", body: "شكراً، سنعرض الأمر على مجلس الإدارة ونوافيكم بالرد.", pos: None, holding: true},
		{id: "ar-holding-not-decided", body: "لم نحسم موقفنا بعد، ما زلنا نتشاور.", pos: None, holding: true},
		{id: "ar-single-recommendation-org",
			body: "نعتذر عن المشاركة.\nالتوصيات:\nإشراك المنظمات في اختيار المواضيع.\nجمعية الحقوق المدنية",
			pos:  Decline, recs: []string{"إشراك المنظمات في اختيار المواضيع."}},
		{id: "ar-concern-then-name",
			body: "أرفض\n\nالمخاوف:\n١. الدعوة وصلت متأخرة.\n\nأحمد خليل", pos: Decline, conc: []string{"الدعوة وصلت متأخرة."}},
		{id: "ar-list-then-shukran",
			body: "نوافق\nالتوصيات:\n- نشر المحضر\nشكراً", pos: Accept, recs: []string{"نشر المحضر"}},
		{id: "ar-list-then-maa-altahiya",
			body: "أرفض\n\nالمخاوف:\n١- المواضيع عامة.\n٢- لا توجد ضمانات.\n\nمع التحية،\nمركز الدراسات",
			pos:  Decline, conc: []string{"المواضيع عامة.", "لا توجد ضمانات."}},
		{id: "ar-inline-concern",
			body: gmailAttribAr + qHowToAr + "أمتنع\n\n" + qThenAr + qConcernsAr + "١. لم تتم استشارة جمعيات الضحايا.\n\n" + qRecsAr + qSignAr + qTailAr,
			pos:  Abstain, conc: []string{"لم تتم استشارة جمعيات الضحايا."}},
		{id: "ar-inline-all",
			body: gmailAttribAr + qHowToAr + "أرفض\n\n" + qThenAr + qConcernsAr + "الاجتماع مغلق أمام الصحافة.\n\n" + qRecsAr +
				"١. عقد الاجتماع بشكل علني.\n\n" + qSignAr + "نعم\n\n" + qTailAr,
			pos: Decline, sign: yes, conc: []string{"الاجتماع مغلق أمام الصحافة."}, recs: []string{"عقد الاجتماع بشكل علني."}},
		{id: "ar-inline-sign-no",
			body: gmailAttribAr + qHowToAr + "نحن معكم\n\n" + qThenAr + qSignAr + "لا\n\n" + qTailAr, pos: Accept, sign: no},
	}
}

// TestHeldOutAnswers reads answers as members write them, never seen while
// the vocabulary was written, through Read as the daemon does (trimming,
// inline quotes), and scores them: every one must be read as a person would.
func TestHeldOutAnswers(t *testing.T) {
	r := NewReader()
	cases := heldOutAnswers()
	if len(cases) < 60 {
		t.Fatalf("%d held-out answers, want at least 60", len(cases))
	}
	results := map[string]bool{}
	for _, c := range cases {
		if _, dup := results[c.id]; dup {
			t.Fatalf("duplicate id %s", c.id)
		}
		a := r.Read(&mimeparse.Message{Text: c.body})
		var d []string
		if a.Position != c.pos {
			d = append(d, fmt.Sprintf("position = %q, want %q", a.Position, c.pos))
		}
		if !sameSign(a.Sign, c.sign) {
			d = append(d, fmt.Sprintf("sign = %v, want %v", ptr(a.Sign), ptr(c.sign)))
		}
		if !sameItems(a.Concerns, c.conc) {
			d = append(d, fmt.Sprintf("concerns = %q, want %q", a.Concerns, c.conc))
		}
		if !sameItems(a.Recommendations, c.recs) {
			d = append(d, fmt.Sprintf("recommendations = %q, want %q", a.Recommendations, c.recs))
		}
		if a.Holding != c.holding {
			d = append(d, fmt.Sprintf("holding = %v, want %v", a.Holding, c.holding))
		}
		results[c.id] = len(d) == 0
		if len(d) > 0 {
			t.Logf("%s:\n\t%s", c.id, strings.Join(d, "\n\t"))
		}
	}
	corpustest.Score(t, "answers-held-out", "exact", results, corpustest.KnownFailures{})
}
