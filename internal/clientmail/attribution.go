package clientmail

// Attribution is one way a client introduces the quoted original in a reply:
// "On <date>, <name> <addr> wrote:" and its translations. Lead is the word(s)
// that open the line ("" when the line opens with the date or the name), Wrote
// the verb phrase that closes it, or stands before the name when BeforeName is
// set ("Am <date> schrieb <name> <addr>:"). Example is a line in the shape the
// client writes, for tests.
//
// Sources: Thunderbird's mailnews.reply_header_* localisations (collected by
// email-parser ReplyPatterns), mail-parser-reply's language table and test
// mails, Outlook 2019 patterns from unquote, talon and Discourse's test mails,
// and real mailing-list archives (Gmail in hr and ro).
type Attribution struct {
	Lang       string
	Client     string
	Lead       string
	Wrote      string
	BeforeName bool
	Example    string
}

// Attributions lists the attribution shapes by language.
var Attributions = []Attribution{
	{"en", "Gmail", "On", "wrote", false, "On Tue, 18 Apr 2017 at 13:09, Test user <test@example.com> wrote:"},
	{"en", "Apple Mail", "On", "wrote", false, "On 18 Apr 2017, at 13:09, Test user <test@example.com> wrote:"},
	{"en", "Outlook", "On", "wrote", false, `On 28/10/2021 12:46, "Test user" <test@example.com> wrote:`},
	{"en", "Thunderbird", "", "wrote", false, "Test user wrote on 18/04/2017 13:09:"},
	{"en", "newsreader", "", "writes", false, "Test user <test@example.com> writes:"},
	{"ar", "Gmail", "في", "كتب", true, "في الثلاثاء، 18 أبريل 2017 في 1:09 م، كتب Test user <test@example.com>:"},
	{"ar", "Apple Mail", "في", "كتب", false, "في 18 أبريل 2017، الساعة 13:09، كتب Test user <test@example.com>:"},
	{"ar", "Thunderbird", "", "كتب", true, "كتب Test user:"},
	{"fr", "Gmail", "Le", "a écrit", false, "Le mar. 18 avr. 2017 à 13:09, Test user <test@example.com> a écrit :"},
	{"fr", "Apple Mail", "Le", "a écrit", false, "Le 18 avr. 2017 à 13:09, Test user <test@example.com> a écrit :"},
	{"fr", "webmail", "Le", "a ecrit", false, "Le 18/04/2017 13:09, Test user a ecrit :"},
	{"de", "Gmail", "Am", "schrieb", true, "Am Di., 18. Apr. 2017 um 13:09 Uhr schrieb Test user <test@example.com>:"},
	{"de", "Gmail mobile", "Am", "schrieb", true, "Am Mo., 15. Jan. 2025, 17:03 schrieb Anna Andersson <anna.andersson@example.com>:"},
	{"de", "Apple Mail", "Am", "schrieb", true, "Am 18.04.2017 um 13:09 schrieb Test user <test@example.com>:"},
	{"de", "Thunderbird", "", "schrieb", false, "Test user schrieb am 18.04.2017 um 13:09:"},
	{"de", "webmail", "Am", "geschrieben", false, "Am 18.04.2017 um 13:09 hat Test user geschrieben:"},
	{"tr", "Gmail", "", "tarihinde şunu yazdı", false, "Test user <test@example.com>, 18 Nis 2017 Sal, 13:09 tarihinde şunu yazdı:"},
	{"tr", "Outlook", "", "tarihinde şunu yazdı", false, `"Test user" <test@example.com>, 18.04.2017 13:09 tarihinde şunu yazdı:`},
	{"tr", "Thunderbird", "", "tarihinde yazdı", false, "Test user, 18.04.2017 13:09 tarihinde yazdı:"},
	{"es", "Gmail", "El", "escribió", false, "El mar, 18 abr 2017 a las 13:09, Test user (<test@example.com>) escribió:"},
	{"es", "Apple Mail", "El", "escribió", false, "El 18 abr 2017, a las 13:09, Test user <test@example.com> escribió:"},
	{"es", "webmail", "", "ha escrito", false, "Test user <test@example.com> ha escrito:"},
	{"it", "Gmail", "Il giorno", "ha scritto", false, "Il giorno mar 18 apr 2017 alle ore 13:09 Test user <test@example.com> ha scritto:"},
	{"it", "Apple Mail", "Il", "ha scritto", false, "Il giorno 18 apr 2017, alle ore 13:09, Test user <test@example.com> ha scritto:"},
	{"nl", "Gmail", "Op", "schreef", true, "Op di 18 apr. 2017 om 13:09 schreef Test user <test@example.com>:"},
	{"nl", "Apple Mail", "Op", "het volgende geschreven", false, "Op 2 nov. 2021 om 10:14 heeft Service Groningse Panden het volgende geschreven:"},
	{"pt", "Thunderbird", "Às", "escreveu", false, "Às 13:09 de 18/04/2017, Test user escreveu:"},
	{"pt-BR", "Gmail", "Em", "escreveu", false, "Em ter., 18 de abr. de 2017 às 13:09, Test user <test@example.com> escreveu:"},
	{"pt-BR", "Apple Mail", "Em", "escreveu", false, "Em 18 de abr. de 2017, à(s) 13:09, Test user <test@example.com> escreveu:"},
	{"ru", "Gmail", "", "", false, "вт, 18 апр. 2017 г. в 13:09, Test user <test@example.com>:"},
	{"ru", "Outlook", "", "написал", false, `18.04.2017 13:09 пользователь "Test user" <test@example.com> написал:`},
	{"ru", "Thunderbird", "", "пишет", false, "18.04.2017 13:09, Test user пишет:"},
	{"ru", "Yandex", "", "написал(а)", false, "18.04.2017, 13:09, \"Test user\" <test@example.com> написал(а):"},
	{"uk", "Gmail", "", "пише", false, "вт, 18 квіт. 2017 о 13:09 Test user <test@example.com> пише:"},
	{"uk", "webmail", "", "написав", false, "18.04.2017 13:09, Test user написав:"},
	{"pl", "Gmail", "W dniu", "napisał(a)", false, "W dniu wt., 18.04.2017 o 13:09 Test user <test@example.com> napisał(a):"},
	{"pl", "Thunderbird", "W dniu", "pisze", false, "W dniu 18.04.2017 o 13:09, Test user pisze:"},
	{"pl", "webmail", "Dnia", "napisał", false, "Dnia 18 kwietnia 2017 13:09 Test user <test@example.com> napisał:"},
	{"cs", "Gmail", "", "napsal", false, "út 18. 4. 2017 v 13:09 odesílatel Test user <test@example.com> napsal:"},
	{"cs", "Thunderbird", "Dne", "napsal(a)", false, "Dne po 15. led. 2025 17:03 Anna Anderssonová <anna.anderssonova@example.com> napsal(a):"},
	{"sk", "Thunderbird", "Dňa", "napísal(a)", false, "Dňa 18. 4. 2017 o 13:09 Test user napísal(a):"},
	{"sk", "Outlook", "", "napísal", false, "18. 4. 2017 13:09 používateľ Test user (<test@example.com>) napísal:"},
	{"hu", "Gmail", "", "ezt írta", false, "2026. jan. 5., h 14:32 időpontban Nagy Béla <bela@example.hu> ezt írta:"},
	{"hu", "Thunderbird", "", "írta", false, "2017. 04. 18. 13:09 keltezéssel, Test user írta:"},
	{"ro", "Gmail", "În", "a scris", false, "În vin., 25 iun. 2021 la 23:03, Warner Losh <imp@bsdimp.com> a scris:"},
	{"ro", "Gmail mobile", "", "a scris", false, "mar., 27 mar. 2018, 02:07 Stefan Beller <sbeller@google.com> a scris:"},
	{"ro", "Thunderbird", "La", "a scris", false, "La 18.04.2017 13:09, Test user a scris:"},
	{"hr", "Gmail", "", "napisao je", false, "čet, 15. lip 2023. u 21:55 Linus Walleij <linus.walleij@linaro.org> napisao je:"},
	{"hr", "Thunderbird", "", "je napisao/la", false, "18.04.2017 u 13:09, Test user je napisao/la:"},
	{"fi", "Gmail", "", "kirjoitti", false, "ti 18. huhtik. 2017 klo 13.09 Test user (<test@example.com>) kirjoitti:"},
	{"fi", "Apple Mail", "", "kirjoitti", false, "Dan Carpenter <error27@gmail.com> kirjoitti 23.12.2022 kello 11.54:"},
	{"sv", "Gmail", "", "skrev", true, "tis 18 apr. 2017 kl 13:09 skrev Test user <test@example.com>:"},
	{"sv", "Thunderbird", "Den", "skrev", true, "Den 2017-04-18 kl. 13:09, skrev Test user:"},
	{"sv", "Outlook", "Den", "följande", false, `Den 18 apr. 2017 13:09 skrev "Test user" <test@example.com> följande:`},
	{"da", "Gmail", "", "skrev", true, "tir. 18. apr. 2017 kl. 13:09 skrev Test user <test@example.com>:"},
	{"da", "Gmail mobile", "Den", "skrev", false, "Den man 15 jan 2025 17:03 Anna Andersson <anna.andersson@example.com> skrev:"},
	{"da", "Thunderbird", "Den", "skrev", true, "Den 18-04-2017 kl. 13:09 skrev Test user:"},
	{"no", "Gmail", "", "skrev", true, "tir. 18. apr. 2017 kl. 13:09 skrev Test user <test@example.com>:"},
	{"no", "Outlook", "", "skrev følgende den", false, "Test user <test@example.com> skrev følgende den 18.04.2017 13:09:"},
	{"no", "Thunderbird", "Den", "skrev", true, "Den 18.04.2017 13:09, skrev Test user:"},
	{"et", "Thunderbird", "", "kirjutas", false, "Test user kirjutas 18.04.2017 13:09:"},
	{"fa", "webmail", "در تاریخ", "نوشت", false, "در تاریخ ۱۸ آوریل ۲۰۱۷، Test user <test@example.com> نوشت:"},
	{"ja", "Gmail", "", "", false, "2017年4月18日(火) 13:09 Test user <test@example.com>:"},
	{"ja", "Apple Mail", "", "のメッセージ", false, "2017/04/18 13:09、Test user <test@example.com>のメッセージ:"},
	{"zh", "Gmail", "", "写道", false, "Test user <test@example.com> 于2017年4月18日周二 13:09写道："},
	{"zh", "Thunderbird", "在", "写道", false, "在 2017/4/18 13:09, Test user 写道:"},
	{"zh-TW", "Thunderbird", "", "寫道", false, "Test user 於 2017/4/18 13:09 寫道:"},
	{"vi", "Gmail", "Vào", "đã viết", true, "Vào 13:09 Th 3, 18 thg 4, 2017 Test user <test@example.com> đã viết:"},
	{"ca", "Thunderbird", "El", "ha escrit", false, "El 18/04/2017 a les 13:09, Test user ha escrit:"},
	{"gl", "Thunderbird", "", "escribiu", false, "O 18/04/2017 ás 13:09, Test user escribiu:"},
	{"bg", "Thunderbird", "На", "написа", false, "На 18.04.2017 в 13:09, Test user написа:"},
}

// AttributionWeekdays are the short weekday names Gmail and Thunderbird write
// at the start of an attribution that has no lead word ("tir. 18. apr. 2017
// kl. 13:09 skrev …", "вт, 18 апр. 2017 г. в 13:09, …"), by language (CLDR
// abbreviated format names). Single letters (hu, et) are left out: they would
// make every line starting "E " or "K," a candidate.
var AttributionWeekdays = map[string][]string{
	"en":    {"mon", "tue", "wed", "thu", "fri", "sat", "sun"},
	"da":    {"man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn."},
	"no":    {"man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn."},
	"sv":    {"mån", "tis", "ons", "tors", "fre", "lör", "sön"},
	"fi":    {"ma", "ti", "ke", "to", "pe", "la", "su"},
	"cs":    {"po", "út", "st", "čt", "pá", "so", "ne"},
	"sk":    {"po", "ut", "st", "št", "pi", "so", "ne"},
	"hr":    {"pon", "uto", "sri", "čet", "pet", "sub", "ned"},
	"ro":    {"lun.", "mar.", "mie.", "joi", "vin.", "sâm.", "dum."},
	"tr":    {"pzt", "sal", "çar", "per", "cum", "cmt", "paz"},
	"ru":    {"пн", "вт", "ср", "чт", "пт", "сб", "вс", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"},
	"uk":    {"пн", "вт", "ср", "чт", "пт", "сб", "нд", "понеділок", "вівторок", "середа", "четвер", "пʼятниця", "субота", "неділя"},
	"pl":    {"pon.", "wt.", "śr.", "czw.", "pt.", "sob.", "niedz."},
	"de":    {"mo.", "di.", "mi.", "do.", "fr.", "sa.", "so."},
	"fr":    {"lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."},
	"es":    {"lun", "mar", "mié", "jue", "vie", "sáb", "dom"},
	"it":    {"lun", "mar", "mer", "gio", "ven", "sab", "dom"},
	"nl":    {"ma", "di", "wo", "do", "vr", "za", "zo"},
	"pt-BR": {"seg.", "ter.", "qua.", "qui.", "sex.", "sáb.", "dom."},
}
