package story

import (
	"strings"
	"time"
)

// OwnWords are the nine organisations' answers with their points in their
// own words, as members really write them: paraphrases of each other (which
// consultd groups), and the Arabic-speaking organisations in Arabic (which the
// English statement's draft marks for a coordinator to translate). Between
// them they make the seed's four concerns and five recommendations, each
// written once in Arabic or one or more times in English.
func OwnWords(c map[string]Consultation, contact map[string]string, now time.Time) []Reply {
	var rs []Reply
	add := func(id, says string, raw []byte) {
		rs = append(rs, Reply{Member: id, From: contact[id], Says: says, Raw: raw})
	}
	n := 0
	next := func() time.Time { n++; return now.Add(time.Duration(n) * time.Minute) }

	add("baytna", "Gmail, top-posted: DECLINE, a concern and two recommendations in its own words",
		gmailReply(c["baytna"], "Baytna Syria", contact["baytna"], next(), `Dear coordinators,

We decline.

Concerns:
1. What we said in previous CSSR meetings was not reflected in the Special Envoy's briefings to the Security Council.

Recommendations:
1. Involve civil society organisations in choosing the topics of the meeting together with the office of the Special Envoy.
2. Let the organisations contribute to the frameworks and discussion points of the meeting.

Sign: yes

Best,
Lina
Baytna Syria`))

	add("sjac", "Outlook, HTML only: DECLINE, a concern and a recommendation",
		outlookHTMLReply(c["sjac"], "SJAC", contact["sjac"], next(),
			`<p>DECLINE</p><p>Concerns:</p><ul><li>There was no prior consultation with the organisations on the topics and frameworks of the discussions, and invitations arrive a few days before the meeting, leaving no time to prepare.</li></ul><p>Recommendations:</p><ul><li>Include the results of the CSSR meetings in full in the Special Envoy's periodic briefings to the Security Council.</li></ul><p>Sign: yes</p><p>Regards,<br>SJAC team</p>`))

	add("sla", "iPhone: Decline, signs",
		iphoneReply(c["sla"], "Syrian Lawyers Aggregation", contact["sla"], next(), "Decline. We agree with declining this time.\nSign: yes"))

	add("stj", "Gmail: ACCEPT (changed below)",
		gmailReply(c["stj"], "STJ", contact["stj"], next(), "ACCEPT\n\nWe think we should attend.\n\nSTJ"))

	add("scm", "Arabic out-of-office auto-reply (must be ignored)",
		autoReplyAr(c["scm"], "المركز السوري للإعلام", contact["scm"], next()))

	add("tda", "Gmail: DECLINE, a concern, a recommendation, and Baytna's recommendation in other words",
		gmailReply(c["tda"], "The Day After", contact["tda"], next(), `DECLINE

Concerns:
- The people who send the invitations do not know enough about the topics to answer the questions of those invited.

Recommendations:
- The invitations should be sent by people specialised in the topic of the meeting, who can communicate with the Syrian organisations.
- civil society organisations should be involved beforehand in identifying the topics of the meeting

Sign: yes`))

	add("alkawakibi", "Arabic Gmail: declines with a concern in Arabic",
		gmailReplyAr(c["alkawakibi"], "مركز الكواكبي", contact["alkawakibi"], next(),
			"نعتذر عن عدم قبول الدعوة.\n\nالمخاوف:\n١. يتم اختيار مواضيع اجتماعات الغرفة بطريقة غير منهجية ولا تبني على النقاشات السابقة.\n\nالتوقيع: نعم\n\nمع التحية،\nمركز الكواكبي"))

	add("sednaya", "Arabic Outlook: declines with a recommendation in Arabic",
		outlookReplyAr(c["sednaya"], "رابطة معتقلي صيدنايا", contact["sednaya"], next(),
			"أرفض\n\nالتوصيات:\n١. اختتام أعمال غرفة دعم المجتمع المدني بمؤتمر صحفي يطلع السوريين والعالم على نتائج الاجتماع.\n\nالتوقيع: نعم"))

	add("vdc", "Gmail: DECLINE, Baytna's concern and SJAC's recommendation in its own words",
		gmailReply(c["vdc"], "VDC", contact["vdc"], next(), `Decline.

Concerns:
1) the results of previous CSSR meetings were not fully reflected in the periodic briefings of the Special Envoy to the Security Council

Recommendations:
1) the full inclusion of the results of the Support Room meetings in the Envoy's briefings to the Security Council

Sign: yes`))

	add("stj", "Gmail again: changes its answer to DECLINE",
		gmailReply(c["stj"], "STJ", contact["stj"], next(), "Sorry, after discussing internally: DECLINE.\nSign: yes\n\nSTJ"))

	add("scm", "Arabic Gmail, back from leave: declines, with Al-Kawakibi's concern in its own words",
		gmailReplyAr(c["scm"], "المركز السوري للإعلام", contact["scm"], next(),
			"نعتذر عن المشاركة في هذه الاجتماعات.\n\nالمخاوف:\n- تُختار مواضيع الاجتماعات بطريقة غير منهجية.\n\nالتوقيع: نعم"))
	return rs
}

// ToEnglish is what a coordinator writes for the Arabic points of OwnWords
// when translating the English draft.
var ToEnglish = map[string]string{
	"يتم اختيار مواضيع اجتماعات الغرفة بطريقة غير منهجية ولا تبني على النقاشات السابقة.":         "The topics of the Support Room meetings are chosen in a manner that is not systematic and does not build on previous discussions.",
	"تُختار مواضيع الاجتماعات بطريقة غير منهجية.":                                                "The topics of the meetings are chosen in a manner that is not systematic.",
	"اختتام أعمال غرفة دعم المجتمع المدني بمؤتمر صحفي يطلع السوريين والعالم على نتائج الاجتماع.": "Concluding the work of the Civil Society Support Room with a press conference that communicates the results of the meeting to the Syrians and the world.",
}

// ToArabic is what a coordinator writes for the English points of OwnWords
// when translating the Arabic draft.
var ToArabic = map[string]string{
	"What we said in previous CSSR meetings was not reflected in the Special Envoy's briefings to the Security Council.":                                                                        "لم تنعكس نتائج النقاشات في اجتماعات الغرفة السابقة في إحاطات المبعوث الخاص إلى مجلس الأمن.",
	"the results of previous CSSR meetings were not fully reflected in the periodic briefings of the Special Envoy to the Security Council":                                                     "لم تنعكس نتائج النقاشات في اجتماعات الغرفة السابقة في إحاطات المبعوث الخاص إلى مجلس الأمن.",
	"There was no prior consultation with the organisations on the topics and frameworks of the discussions, and invitations arrive a few days before the meeting, leaving no time to prepare.": "لم تتم استشارة المنظمات مسبقاً في مواضيع النقاش وأطره، وتصل الدعوات قبل أيام قليلة من الاجتماع دون أي وقت للتحضير.",
	"The people who send the invitations do not know enough about the topics to answer the questions of those invited.":                                                                         "لا تملك جهات الاتصال التي ترسل الدعوات معرفة كافية بالمواضيع للإجابة عن أسئلة المدعوين.",
	"Involve civil society organisations in choosing the topics of the meeting together with the office of the Special Envoy.":                                                                  "إشراك منظمات المجتمع المدني مسبقاً في تحديد مواضيع الاجتماع بالتشاور مع مكتب المبعوث الخاص.",
	"civil society organisations should be involved beforehand in identifying the topics of the meeting":                                                                                        "إشراك منظمات المجتمع المدني مسبقاً في تحديد مواضيع الاجتماع بالتشاور مع مكتب المبعوث الخاص.",
	"Let the organisations contribute to the frameworks and discussion points of the meeting.":                                                                                                  "مساهمة المنظمات في تطوير أطر النقاش ونقاطه.",
	"Include the results of the CSSR meetings in full in the Special Envoy's periodic briefings to the Security Council.":                                                                       "التضمين الكامل لنتائج اجتماعات الغرفة في الإحاطات الدورية للمبعوث الخاص إلى مجلس الأمن.",
	"the full inclusion of the results of the Support Room meetings in the Envoy's briefings to the Security Council":                                                                           "التضمين الكامل لنتائج اجتماعات الغرفة في الإحاطات الدورية للمبعوث الخاص إلى مجلس الأمن.",
	"The invitations should be sent by people specialised in the topic of the meeting, who can communicate with the Syrian organisations.":                                                      "تكليف أشخاص مختصين بموضوع الاجتماع بإرسال الدعوات والتواصل مع المنظمات السورية.",
}

// Translate is the coordinator's work on the draft of OwnWords: the Arabic
// points of the English version put in English, the English points of the
// Arabic version in Arabic; the rest (notes included) left as drafted.
func Translate(en, ar string) (string, string) {
	for from, to := range ToEnglish {
		en = strings.ReplaceAll(en, from, to)
	}
	for from, to := range ToArabic {
		ar = strings.ReplaceAll(ar, from, to)
	}
	return en, ar
}
