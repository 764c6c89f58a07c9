package lang

import (
	"fmt"
	"strings"
	"time"
)

// builtin is every language compiled in, each with its templates/CODE/ folder.
// English first: it is the fallback.
var builtin = []*Language{English, Arabic, French}

// English is the language of coordinators' mail and the fallback.
var English = &Language{
	Code: "en", Name: "English", Native: "English", Dir: LTR,
	Aliases: []string{"eng", "الانجليزية", "الانكليزية", "انجليزي", "انجليزيه", "الانجليزيه"},
	Keywords: Keywords{Accept: "ACCEPT", Decline: "DECLINE", Abstain: "ABSTAIN",
		Concerns: "Concerns", Recommendations: "Recommendations", Sign: "Sign", Yes: "yes", No: "no"},
	DateTime: func(t time.Time) string {
		if t.IsZero() {
			return "unknown"
		}
		return t.Format("Monday 2 January 2006, 15:04 MST")
	},
	Date: func(t time.Time) string {
		if t.IsZero() {
			return "unknown"
		}
		return t.Format("2 January 2006")
	},
}

var arMonths = [12]string{"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"}

// ArabicDigits writes ASCII digits as Arabic-Indic ones (٠١٢…).
var ArabicDigits = strings.NewReplacer("0", "٠", "1", "١", "2", "٢", "3", "٣", "4", "٤", "5", "٥", "6", "٦", "7", "٧", "8", "٨", "9", "٩").Replace

// Arabic is written right to left; dates keep ASCII digits (as Arabic mail
// clients and news sites write them), list numbers use Arabic-Indic ones.
var Arabic = &Language{
	Code: "ar", Name: "Arabic", Native: "العربية", Dir: RTL,
	Aliases: []string{"ara", "عربي", "عربيه", "عربية"},
	Keywords: Keywords{Accept: "أوافق", Decline: "أرفض", Abstain: "أمتنع",
		Concerns: "المخاوف", Recommendations: "التوصيات", Sign: "التوقيع", Yes: "نعم", No: "لا"},
	DateTime: func(t time.Time) string {
		if t.IsZero() {
			return "غير معروف"
		}
		return fmt.Sprintf("%d %s %d، الساعة %s (%s)", t.Day(), arMonths[t.Month()-1], t.Year(), t.Format("15:04"), t.Format("MST"))
	},
	Date: func(t time.Time) string {
		if t.IsZero() {
			return "غير معروف"
		}
		return fmt.Sprintf("%d %s %d", t.Day(), arMonths[t.Month()-1], t.Year())
	},
	Digits: ArabicDigits,
}

var (
	frMonths   = [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	frWeekdays = [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
)

// frDay writes the day of the month as French does: "1er" for the first.
func frDay(t time.Time) string {
	if t.Day() == 1 {
		return "1er"
	}
	return fmt.Sprint(t.Day())
}

// French: "mardi 1er décembre 2026 à 18:00 (UTC)", "1er décembre 2026".
var French = &Language{
	Code: "fr", Name: "French", Native: "Français", Dir: LTR,
	Aliases: []string{"fra", "fre", "francais", "الفرنسية", "الفرنسيه", "فرنسي", "فرنسية", "فرنسيه"},
	Keywords: Keywords{Accept: "ACCEPTER", Decline: "REFUSER", Abstain: "S'ABSTENIR",
		Concerns: "Préoccupations", Recommendations: "Recommandations", Sign: "Signer", Yes: "oui", No: "non"},
	DateTime: func(t time.Time) string {
		if t.IsZero() {
			return "date inconnue"
		}
		return fmt.Sprintf("%s %s %s %d à %s (%s)", frWeekdays[t.Weekday()], frDay(t), frMonths[t.Month()-1], t.Year(),
			t.Format("15:04"), t.Format("MST"))
	},
	Date: func(t time.Time) string {
		if t.IsZero() {
			return "date inconnue"
		}
		return fmt.Sprintf("%s %s %d", frDay(t), frMonths[t.Month()-1], t.Year())
	},
}
