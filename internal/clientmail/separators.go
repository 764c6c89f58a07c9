package clientmail

import (
	"strings"
	"unicode/utf8"
)

// Separator is the line a client writes above the original message when it
// quotes it unmarked (no ">"): Outlook desktop's "-----Original Message-----",
// Thunderbird's "-------- Original Message --------" and their translations.
// Text is the words between the dashes, as the client writes them.
type Separator struct {
	Lang   string // BCP 47 tag: "da", "pt-BR"
	Client string // who writes it
	Text   string
}

// Separators lists the original-message separators by language. Sources: the
// Thunderbird/SeaMonkey localisations of mailnews.reply_header_originalmessage
// (as collected by email-parser ReplyPatterns), Outlook desktop's strings seen
// in mail-parser-reply, quotequail-like separator lists and real mail.
var Separators = []Separator{
	{"en", "Outlook", "Original Message"},
	{"en", "Outlook", "Original Appointment"},
	{"en", "Thunderbird", "Original Message"},
	{"en", "webmail", "Reply Message"},
	{"ar", "Outlook", "الرسالة الأصلية"},
	{"ar", "Thunderbird", "الرسالة الأصليَّة"},
	{"fr", "Outlook", "Message d'origine"},
	{"fr", "Thunderbird", "Message original"},
	{"de", "Outlook", "Ursprüngliche Nachricht"},
	{"de", "Outlook", "Ursprüngliche Mitteilung"},
	{"de", "Thunderbird", "Original-Nachricht"},
	{"de", "webmail", "Antwort Nachricht"},
	{"tr", "Outlook", "Orijinal İleti"},
	{"tr", "Thunderbird", "Özgün İleti"},
	{"es", "Outlook", "Mensaje original"},
	{"it", "Outlook", "Messaggio originale"},
	{"nl", "Outlook", "Oorspronkelijk bericht"},
	{"pt", "Outlook", "Mensagem original"},
	{"pt-BR", "Thunderbird", "Mensagem original"},
	{"ru", "Outlook", "Исходное сообщение"},
	{"uk", "Thunderbird", "Початкове повідомлення"},
	{"uk", "Outlook", "Оригінальне повідомлення"},
	{"pl", "Outlook", "Wiadomość oryginalna"},
	{"pl", "Outlook", "Oryginalna wiadomość"},
	{"pl", "Thunderbird", "Treść oryginalnej wiadomości"},
	{"cs", "Thunderbird", "Původní zpráva"},
	{"cs", "webmail", "Originální zpráva"},
	{"sk", "Thunderbird", "Pôvodná správa"},
	{"sk", "webmail", "Originálna správa"},
	{"hu", "Thunderbird", "Eredeti üzenet"},
	{"ro", "Thunderbird", "Mesajul original"},
	{"hr", "Thunderbird", "Izvorna poruka"},
	{"hr", "webmail", "Originalna poruka"},
	{"fi", "Thunderbird", "Alkuperäinen viesti"},
	{"sv", "Thunderbird", "Ursprungligt meddelande"},
	{"sv", "webmail", "Originalt meddelande"},
	{"da", "Outlook", "Oprindelig meddelelse"},
	{"da", "Thunderbird", "Oprindelig besked"},
	{"da", "webmail", "Original besked"},
	{"no", "Thunderbird", "Opprinnelig melding"},
	{"no", "webmail", "Originalt melding"},
	{"et", "Thunderbird", "Algne kiri"},
	{"fa", "Thunderbird", "Original Message"},
	{"ja", "Thunderbird", "Original Message"},
	{"zh", "Thunderbird", "原始消息"},
	{"zh", "Outlook", "原始邮件"},
	{"zh-TW", "Thunderbird", "原始郵件"},
	{"ko", "Thunderbird", "원본 메시지"},
	{"el", "Thunderbird", "Αρχικό μήνυμα"},
	{"he", "Thunderbird", "הודעה מקורית"},
	{"bg", "Thunderbird", "Оригинално писмо"},
	{"sl", "Thunderbird", "Izvirno sporočilo"},
	{"lt", "Thunderbird", "Originalus laiškas"},
	{"id", "Thunderbird", "Pesan Asli"},
	{"ca", "Thunderbird", "Missatge original"},
	{"vi", "Thunderbird", "Thư Gốc"},
}

// BareSeparators are separators some webmails write without dashes, alone
// on a line ("Reply Message"), as the reply corpora show.
var BareSeparators = []Separator{
	{"en", "webmail", "Reply Message"},
}

// IsBareSeparator reports a line that is only a BareSeparators text.
func IsBareSeparator(line string) bool {
	if len(line) > 64 { // every line of a reply comes here: longer ones are not captions
		return false
	}
	l := strings.ToLower(strings.Trim(line, " \t>*"))
	for _, s := range BareSeparators {
		if l == strings.ToLower(s.Text) {
			return true
		}
	}
	return false
}

// separatorWords is every Separator.Text in lower case (each line of each
// reply is looked up in it).
var separatorWords = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range Separators {
		m[strings.ToLower(s.Text)] = true
	}
	return m
}()

// IsSeparator reports a line "-----Original Message-----" in any listed
// language: two or more dashes, the words, two or more dashes (spaces, ">" and
// "*" around them allowed, as clients and converters add them). A line of
// dashes alone is not a separator.
func IsSeparator(line string) bool {
	s := strings.TrimLeft(line, " \t>*")
	s = strings.TrimRight(s, " \t*")
	if !strings.HasPrefix(s, "--") || !strings.HasSuffix(s, "--") {
		return false
	}
	mid := strings.ToLower(strings.TrimSpace(strings.Trim(s, "-")))
	if mid == "" || !utf8.ValidString(mid) {
		return false
	}
	return separatorWords[mid]
}
