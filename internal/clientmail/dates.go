package clientmail

// DateOrder is the order in which a locale writes a numeric date.
type DateOrder int

const (
	// OrderUnknown: the language alone does not tell (English: en-US
	// writes 10/5/2021 month first, en-GB 05/10/2021 day first).
	OrderUnknown DateOrder = iota
	DayFirst
	MonthFirst
	YearFirst
)

// NumericDateOrders are the orders of the short date formats clients take
// from the locale (CLDR's short date patterns: de "dd.MM.yy", fr "dd/MM/y",
// nl "dd-MM-y", sv "y-MM-dd", hu "y. MM. dd.", ja "y/MM/dd", en-US "M/d/yy",
// en-GB "dd/MM/y"). A language missing here is OrderUnknown.
var NumericDateOrders = map[string]DateOrder{
	"ar": DayFirst, "cs": DayFirst, "da": DayFirst, "de": DayFirst, "es": DayFirst, "et": DayFirst,
	"fi": DayFirst, "fr": DayFirst, "hr": DayFirst, "it": DayFirst, "nl": DayFirst, "no": DayFirst,
	"pl": DayFirst, "pt": DayFirst, "pt-BR": DayFirst, "ro": DayFirst, "ru": DayFirst, "sk": DayFirst,
	"tr": DayFirst, "uk": DayFirst,
	"hu": YearFirst, "ja": YearFirst, "sv": YearFirst, "zh": YearFirst, "zh-TW": YearFirst,
}

// NumericDateOrder returns the order lang's clients write numeric dates in.
func NumericDateOrder(lang string) DateOrder {
	return NumericDateOrders[lang]
}

// LabelDateOrder is the date order every language that writes this header
// label shares, or OrderUnknown: "De" is Spanish, French, Portuguese and
// Romanian, all day first; "From" is English (and Thunderbird's Danish), so
// it does not tell.
func LabelDateOrder(label string) DateOrder {
	n := NormalizeLabel(label)
	order, seen := OrderUnknown, false
	for _, l := range Labels {
		if NormalizeLabel(l.Text) != n {
			continue
		}
		o := NumericDateOrder(l.Lang)
		if seen && o != order {
			return OrderUnknown
		}
		order, seen = o, true
	}
	return order
}
