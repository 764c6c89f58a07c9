package clientmail

import "strings"

// Field is the canonical name of a header-block line.
type Field string

const (
	FieldFrom       Field = "from"
	FieldDate       Field = "date" // Date:, Sent:, Gesendet: …
	FieldTo         Field = "to"
	FieldCc         Field = "cc"
	FieldBcc        Field = "bcc"
	FieldSubject    Field = "subject"
	FieldReplyTo    Field = "reply-to"
	FieldMessageID  Field = "message-id"
	FieldImportance Field = "importance"
)

// Label is one way a client prints a header-block label, without its colon.
// Clients says where it was seen, for whoever checks or extends the row.
type Label struct {
	Lang    string
	Field   Field
	Text    string
	Clients string
}

// Languages are the UI languages the table covers.
var Languages = []string{"ar", "cs", "da", "de", "en", "es", "et", "fi", "fr", "hr", "hu", "it", "ja", "nl",
	"no", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sv", "tr", "uk"}

// Labels lists header-block labels by language and field. Gmail prints
// Date/Subject/To/Cc in English in every locale and only From translated.
var Labels = []Label{
	// English: every client.
	{"en", FieldFrom, "From", "all"},
	{"en", FieldDate, "Date", "Gmail, Apple Mail, Thunderbird, MailMate, Missive, HubSpot"},
	{"en", FieldDate, "Sent", "Outlook desktop, Outlook Live/365, Yahoo"},
	{"en", FieldTo, "To", "all"},
	{"en", FieldCc, "Cc", "all"},
	{"en", FieldCc, "CC", "Thunderbird, new Outlook"},
	{"en", FieldBcc, "Bcc", "all"},
	{"en", FieldSubject, "Subject", "all"},
	{"en", FieldReplyTo, "Reply-To", "Apple Mail, Thunderbird"},
	{"en", FieldReplyTo, "Reply to", "Thunderbird"},
	{"en", FieldMessageID, "Message-ID", "Apple Mail"},
	{"en", FieldMessageID, "Message-Id", "Apple Mail"},
	{"en", FieldImportance, "Importance", "Outlook desktop"},

	// Arabic: Outlook desktop and web, Gmail, Apple Mail, Thunderbird (consultd's own fixtures).
	{"ar", FieldFrom, "من", "Outlook, Gmail, Apple Mail"},
	{"ar", FieldFrom, "المرسل", "Outlook"},
	{"ar", FieldDate, "التاريخ", "Gmail, Apple Mail"},
	{"ar", FieldDate, "تاريخ الإرسال", "Outlook desktop"},
	{"ar", FieldDate, "أرسل", "Outlook"},
	{"ar", FieldDate, "أرسلت", "Outlook"},
	{"ar", FieldDate, "تم الإرسال", "Outlook web"},
	{"ar", FieldTo, "إلى", "all"},
	{"ar", FieldCc, "نسخة", "Outlook"},
	{"ar", FieldCc, "نسخة إلى", "Outlook"},
	{"ar", FieldBcc, "نسخة مخفية", "Outlook"},
	{"ar", FieldBcc, "نسخة مخفية الوجهة", "Outlook"},
	{"ar", FieldSubject, "الموضوع", "all"},
	{"ar", FieldSubject, "موضوع", "Outlook"},
	{"ar", FieldReplyTo, "الرد إلى", "Apple Mail"},
	{"ar", FieldImportance, "الأهمية", "Outlook desktop"},

	// Czech.
	{"cs", FieldFrom, "Od", "Apple Mail, Gmail, new Outlook, Thunderbird, Yahoo"},
	{"cs", FieldDate, "Datum", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"cs", FieldTo, "Komu", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"cs", FieldCc, "Kopie", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"cs", FieldSubject, "Předmět", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"cs", FieldReplyTo, "Odpověď na", "Apple Mail"},

	// Danish.
	{"da", FieldFrom, "Fra", "Apple Mail, Gmail, new Outlook, Yahoo"},
	{"da", FieldDate, "Dato", "Apple Mail, new Outlook"},
	{"da", FieldDate, "Sendt", "Yahoo"},
	{"da", FieldTo, "Til", "Apple Mail, new Outlook, Yahoo"},
	{"da", FieldSubject, "Emne", "Apple Mail, new Outlook, Yahoo"},
	{"da", FieldReplyTo, "Svar til", "Apple Mail"},

	// German.
	{"de", FieldFrom, "Von", "Apple Mail, Gmail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"de", FieldDate, "Datum", "Apple Mail, new Outlook, Thunderbird, HubSpot"},
	{"de", FieldDate, "Gesendet", "Outlook desktop, Yahoo"},
	{"de", FieldTo, "An", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"de", FieldCc, "Kopie", "Apple Mail"},
	{"de", FieldCc, "Kopie (CC)", "Thunderbird"},
	{"de", FieldSubject, "Betreff", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"de", FieldReplyTo, "Antwort an", "Apple Mail"},
	{"de", FieldImportance, "Wichtigkeit", "Outlook desktop"},

	// Spanish.
	{"es", FieldFrom, "De", "Apple Mail, Gmail, new Outlook, HubSpot, Yahoo"},
	{"es", FieldFrom, "Remitente", "Thunderbird"},
	{"es", FieldDate, "Fecha", "Apple Mail, new Outlook, Thunderbird, HubSpot"},
	{"es", FieldDate, "Enviado", "Yahoo"},
	{"es", FieldDate, "Enviado el", "Outlook desktop"},
	{"es", FieldTo, "Para", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"es", FieldTo, "A", "HubSpot"},
	{"es", FieldBcc, "CCO", "Outlook"},
	{"es", FieldSubject, "Asunto", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"es", FieldReplyTo, "Responder a", "Apple Mail"},

	// Estonian.
	{"et", FieldFrom, "Saatja", "Gmail, Thunderbird (headerFields.ftl)"},

	// Finnish.
	{"fi", FieldFrom, "Lähettäjä", "Apple Mail, Gmail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"fi", FieldDate, "Päivämäärä", "Apple Mail, new Outlook, HubSpot"},
	{"fi", FieldDate, "Päiväys", "Thunderbird"},
	{"fi", FieldDate, "Lähetetty", "Yahoo"},
	{"fi", FieldTo, "Vastaanottaja", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"fi", FieldCc, "Kopio", "Apple Mail, new Outlook, HubSpot, Yahoo"},
	{"fi", FieldSubject, "Aihe", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"fi", FieldReplyTo, "Vastaus", "Apple Mail"},

	// French: Thunderbird and Outlook put a space before the colon ("Sujet :").
	{"fr", FieldFrom, "De", "Apple Mail, Gmail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"fr", FieldFrom, "Expéditeur", "Thunderbird"},
	{"fr", FieldDate, "Date", "Apple Mail, new Outlook, Thunderbird, HubSpot"},
	{"fr", FieldDate, "Envoyé", "Outlook desktop, new Outlook, Yahoo"},
	{"fr", FieldDate, "Date d'envoi", "Outlook"},
	{"fr", FieldDate, "Envoye", "Outlook, accents lost by a plain-text conversion"},
	{"fr", FieldTo, "À", "Apple Mail, new Outlook, HubSpot, Yahoo"},
	{"fr", FieldTo, "Pour", "Thunderbird"},
	{"fr", FieldTo, "Destinataire", "Outlook"},
	{"fr", FieldCc, "Copie", "Outlook"},
	{"fr", FieldCc, "Copie à", "Thunderbird"},
	{"fr", FieldSubject, "Objet", "Apple Mail, new Outlook, HubSpot, Yahoo"},
	{"fr", FieldSubject, "Sujet", "Thunderbird"},
	{"fr", FieldReplyTo, "Répondre à", "Apple Mail"},
	{"fr", FieldImportance, "Priorité", "Outlook desktop"},

	// Croatian.
	{"hr", FieldFrom, "Šalje", "Apple Mail, Gmail, Thunderbird"},
	{"hr", FieldTo, "Prima", "Apple Mail, Thunderbird"},
	{"hr", FieldDate, "Datum", "Apple Mail, Thunderbird"},
	{"hr", FieldSubject, "Predmet", "Apple Mail"},
	{"hr", FieldSubject, "Naslov", "Thunderbird"},
	{"hr", FieldReplyTo, "Odgovori na", "Apple Mail"},

	// Hungarian.
	{"hu", FieldFrom, "Feladó", "Apple Mail, Gmail, new Outlook, Thunderbird, Yahoo"},
	{"hu", FieldDate, "Dátum", "Apple Mail, new Outlook, Thunderbird"},
	{"hu", FieldDate, "Elküldve", "Yahoo"},
	{"hu", FieldTo, "Címzett", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"hu", FieldCc, "Másolat", "Apple Mail, Yahoo"},
	{"hu", FieldCc, "Másolatot kap", "new Outlook"},
	{"hu", FieldSubject, "Tárgy", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"hu", FieldReplyTo, "Válaszcím", "Apple Mail"},

	// Italian.
	{"it", FieldFrom, "Da", "Apple Mail, Gmail, new Outlook, HubSpot, Yahoo"},
	{"it", FieldFrom, "Mittente", "Thunderbird"},
	{"it", FieldDate, "Data", "Apple Mail, new Outlook, Thunderbird, HubSpot"},
	{"it", FieldDate, "Inviato", "Outlook desktop, Yahoo"},
	{"it", FieldTo, "A", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"it", FieldSubject, "Oggetto", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"it", FieldReplyTo, "Rispondi a", "Apple Mail"},
	{"it", FieldReplyTo, "Risposta", "Outlook"},

	// Japanese: HubSpot writes full-width colons (件名：).
	{"ja", FieldFrom, "送信元", "HubSpot"},
	{"ja", FieldFrom, "差出人", "Outlook, Japanese desktop clients"},
	{"ja", FieldFrom, "送信者", "Thunderbird (ReplyWithHeader)"},
	{"ja", FieldDate, "日付", "HubSpot, Japanese desktop clients"},
	{"ja", FieldDate, "日時", "Thunderbird (ReplyWithHeader)"},
	{"ja", FieldTo, "送信先", "HubSpot"},
	{"ja", FieldTo, "宛先", "Thunderbird (ReplyWithHeader)"},
	{"ja", FieldSubject, "件名", "HubSpot, Outlook, Japanese desktop clients"},

	// Dutch.
	{"nl", FieldFrom, "Van", "Apple Mail, Gmail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"nl", FieldDate, "Datum", "Apple Mail, new Outlook, Thunderbird, HubSpot"},
	{"nl", FieldDate, "Verzonden", "Outlook desktop, Yahoo"},
	{"nl", FieldTo, "Aan", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"nl", FieldCc, "Kopie", "Apple Mail"},
	{"nl", FieldSubject, "Onderwerp", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"nl", FieldReplyTo, "Antwoord aan", "Apple Mail"},

	// Norwegian.
	{"no", FieldFrom, "Fra", "Apple Mail, Gmail, Thunderbird, Yahoo"},
	{"no", FieldDate, "Dato", "Apple Mail, Thunderbird"},
	{"no", FieldDate, "Sendt", "Yahoo"},
	{"no", FieldTo, "Til", "Apple Mail, Thunderbird, Yahoo"},
	{"no", FieldCc, "Kopi", "Apple Mail, Yahoo"},
	{"no", FieldSubject, "Emne", "Apple Mail, Thunderbird, Yahoo"},
	{"no", FieldReplyTo, "Svar til", "Apple Mail"},

	// Polish.
	{"pl", FieldFrom, "Od", "Apple Mail, Gmail, new Outlook, HubSpot, Yahoo"},
	{"pl", FieldFrom, "Nadawca", "Thunderbird"},
	{"pl", FieldDate, "Data", "Apple Mail, new Outlook, Thunderbird, HubSpot"},
	{"pl", FieldDate, "Wysłano", "Outlook desktop, Yahoo"},
	{"pl", FieldTo, "Do", "Apple Mail, new Outlook, HubSpot, Yahoo"},
	{"pl", FieldTo, "Adresat", "Thunderbird"},
	{"pl", FieldCc, "Dw", "Apple Mail, Yahoo"},
	{"pl", FieldCc, "DW", "new Outlook, HubSpot"},
	{"pl", FieldCc, "Kopia", "Thunderbird"},
	{"pl", FieldSubject, "Temat", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"pl", FieldReplyTo, "Odpowiedź-do", "Apple Mail"},

	// Portuguese (Portugal).
	{"pt", FieldFrom, "De", "Apple Mail, Gmail, new Outlook, Thunderbird, Yahoo"},
	{"pt", FieldDate, "Data", "Apple Mail, new Outlook, Thunderbird"},
	{"pt", FieldDate, "Enviado", "Outlook desktop, Yahoo"},
	{"pt", FieldTo, "Para", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"pt", FieldSubject, "Assunto", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"pt", FieldReplyTo, "Responder A", "Apple Mail"},

	// Portuguese (Brazil).
	{"pt-BR", FieldFrom, "De", "Apple Mail, Gmail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"pt-BR", FieldDate, "Data", "Apple Mail, new Outlook, Thunderbird, HubSpot"},
	{"pt-BR", FieldDate, "Enviado", "Outlook desktop, Yahoo"},
	{"pt-BR", FieldDate, "Enviada", "Outlook"},
	{"pt-BR", FieldDate, "Enviada em", "Outlook desktop"},
	{"pt-BR", FieldTo, "Para", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"pt-BR", FieldSubject, "Assunto", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"pt-BR", FieldReplyTo, "Responder a", "Apple Mail"},

	// Romanian.
	{"ro", FieldFrom, "De la", "Gmail, Thunderbird, Yahoo"},
	{"ro", FieldFrom, "Expeditorul", "Apple Mail"},
	{"ro", FieldDate, "Dată", "Apple Mail, Thunderbird"},
	{"ro", FieldDate, "Trimis", "Yahoo"},
	{"ro", FieldTo, "Către", "Thunderbird, Yahoo"},
	{"ro", FieldTo, "Destinatarul", "Apple Mail"},
	{"ro", FieldSubject, "Subiectul", "Apple Mail, Thunderbird"},
	{"ro", FieldSubject, "Subiect", "Yahoo"},
	{"ro", FieldReplyTo, "Răspuns către", "Apple Mail"},

	// Russian.
	{"ru", FieldFrom, "От", "Gmail, new Outlook, Thunderbird, Yahoo"},
	{"ru", FieldFrom, "Отправитель", "Apple Mail"},
	{"ru", FieldDate, "Дата", "Apple Mail, new Outlook, Thunderbird"},
	{"ru", FieldDate, "Отправлено", "Outlook desktop, Yahoo"},
	{"ru", FieldTo, "Кому", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"ru", FieldCc, "Копия", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"ru", FieldSubject, "Тема", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"ru", FieldReplyTo, "Ответ-Кому", "Apple Mail"},

	// Slovak.
	{"sk", FieldFrom, "Od", "Apple Mail, Gmail, new Outlook, Thunderbird, Yahoo"},
	{"sk", FieldDate, "Dátum", "Apple Mail, new Outlook, Thunderbird"},
	{"sk", FieldDate, "Odoslané", "Yahoo"},
	{"sk", FieldTo, "Komu", "new Outlook, Yahoo"},
	{"sk", FieldTo, "Pre", "Apple Mail, Thunderbird"},
	{"sk", FieldCc, "Kópia", "new Outlook, Thunderbird, Yahoo"},
	{"sk", FieldSubject, "Predmet", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"sk", FieldReplyTo, "Odpovedať-Pre", "Apple Mail"},

	// Swedish.
	{"sv", FieldFrom, "Från", "Apple Mail, Gmail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"sv", FieldDate, "Datum", "Apple Mail, new Outlook, Thunderbird, HubSpot"},
	{"sv", FieldDate, "Skickat", "Outlook desktop, Yahoo"},
	{"sv", FieldTo, "Till", "Apple Mail, new Outlook, Thunderbird, Yahoo"},
	{"sv", FieldCc, "Kopia", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"sv", FieldSubject, "Ämne", "Apple Mail, new Outlook, Thunderbird, HubSpot, Yahoo"},
	{"sv", FieldReplyTo, "Svara till", "Apple Mail"},

	// Turkish.
	{"tr", FieldFrom, "Gönderen", "Gmail"},
	{"tr", FieldFrom, "Kimden", "Apple Mail, Thunderbird, Yahoo"},
	{"tr", FieldDate, "Tarih", "Apple Mail, Thunderbird"},
	{"tr", FieldDate, "Gönderilen", "Yahoo"},
	{"tr", FieldTo, "Kime", "Apple Mail, Thunderbird, Yahoo"},
	{"tr", FieldCc, "Bilgi", "Apple Mail"},
	{"tr", FieldSubject, "Konu", "Apple Mail, Thunderbird, Yahoo"},
	{"tr", FieldReplyTo, "Yanıt Adresi", "Apple Mail"},

	// Ukrainian.
	{"uk", FieldFrom, "Від", "Gmail, Thunderbird, Yahoo"},
	{"uk", FieldFrom, "Від кого", "Apple Mail"},
	{"uk", FieldDate, "Дата", "Apple Mail, Thunderbird"},
	{"uk", FieldDate, "Відправлено", "Yahoo"},
	{"uk", FieldTo, "Кому", "Apple Mail, Thunderbird, Yahoo"},
	{"uk", FieldCc, "Копія", "Apple Mail, Yahoo"},
	{"uk", FieldSubject, "Тема", "Apple Mail, Thunderbird, Yahoo"},
	{"uk", FieldReplyTo, "Кому відповісти", "Apple Mail"},

	// Seen in the reply corpora's Outlook and webmail header blocks (the
	// reply trimmer's rows; consultd-arabic, talon, mail-parser-reply).
	{"ar", FieldTo, "الى", "Outlook (without hamza)"},
	{"ar", FieldTo, "المرسل إليه", "Outlook"},
	{"ar", FieldCc, "نسخة كربونية", "Outlook"},
	{"ar", FieldDate, "أرسل في", "Outlook"},
	{"ar", FieldDate, "بتاريخ", "Outlook"},
	{"ar", FieldDate, "تاريخ", "Outlook"},
	{"cs", FieldDate, "Odesláno", "Outlook"},
	{"et", FieldTo, "Saaja", "Outlook, Thunderbird (headerFields.ftl)"},
	{"et", FieldTo, "Adressaat", "Outlook"},
	{"et", FieldSubject, "Teema", "Outlook, Thunderbird (headerFields.ftl)"},
	{"et", FieldCc, "Koopia", "Outlook, Thunderbird (headerFields.ftl)"},
	{"et", FieldDate, "Saadetud", "Outlook"},
	{"et", FieldDate, "Kuupäev", "Thunderbird"},
	{"fr", FieldDate, "Envoyé le", "Outlook for Mac"},
	{"hr", FieldDate, "Poslano", "Outlook"},
	{"ja", FieldCc, "カーボンコピー", "Outlook"},
	{"ja", FieldDate, "送信日時", "Outlook"},
	{"pl", FieldDate, "Wysłane", "Outlook"},
	{"tr", FieldDate, "Gönderildi", "Outlook"},
	{"tr", FieldDate, "Gönderilme tarihi", "Outlook"},
	{"uk", FieldDate, "Надіслано", "Outlook"},
	// Persian: from one web app's reply header, not checked against a client.
	{"fa", FieldFrom, "از", "webmail (unverified)"},
	{"fa", FieldTo, "به", "webmail (unverified)"},
	{"fa", FieldDate, "ارسال شده", "webmail (unverified)"},
	{"fa", FieldDate, "تاریخ", "webmail (unverified)"},
	// Chinese, simplified and traditional (Outlook, Foxmail): in the corpora.
	{"zh", FieldFrom, "发件人", "Outlook, Foxmail"},
	{"zh", FieldTo, "收件人", "Outlook, Foxmail"},
	{"zh", FieldCc, "抄送", "Outlook, Foxmail"},
	{"zh", FieldSubject, "主题", "Outlook, Foxmail"},
	{"zh", FieldDate, "发送时间", "Outlook"},
	{"zh", FieldDate, "日期", "Foxmail"},
	{"zh-TW", FieldFrom, "寄件者", "Outlook"},
	{"zh-TW", FieldTo, "收件者", "Outlook"},
	{"zh-TW", FieldCc, "副本", "Outlook"},
	{"zh-TW", FieldSubject, "主旨", "Outlook"},
	{"zh-TW", FieldDate, "寄件日期", "Outlook"},
}

// LabelTexts returns the normalised labels of the given fields, in every
// language (for matchers that need the words, not their field).
func LabelTexts(fields ...Field) []string {
	var out []string
	for _, l := range Labels {
		for _, f := range fields {
			if l.Field == f {
				out = append(out, NormalizeLabel(l.Text))
				break
			}
		}
	}
	return out
}

// NormalizeLabel is the form labels are compared in: lower case, no bidi or
// zero-width marks, single spaces, no surrounding "*" (bold in HTML-to-text)
// and no colon.
func NormalizeLabel(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\u200e', r == '\u200f', r == '\u061c', r == '\u200b', r == '\ufeff':
			return -1
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return -1
		case r == '\u00a0', r == '\t':
			return ' '
		}
		return r
	}, s)
	s = strings.Trim(s, "*_ ")
	s = strings.TrimRight(s, ":：")
	s = strings.Trim(s, "*_ ")
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

var labelIndex = func() map[string]Field {
	m := map[string]Field{}
	for _, l := range Labels {
		m[NormalizeLabel(l.Text)] = l.Field
	}
	return m
}()

// FieldOf returns the field a label names ("Betreff", "Sujet :", "件名").
func FieldOf(label string) (Field, bool) {
	f, ok := labelIndex[NormalizeLabel(label)]
	return f, ok
}
