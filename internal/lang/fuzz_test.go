package lang

import (
	"testing"
	"time"
)

// FuzzSpec: any language.yaml either is refused with an error or gives a
// language whose dates can be written for any moment; never a panic.
func FuzzSpec(f *testing.F) {
	for _, s := range []string{"", "name: Persian\ndirection: rtl\ndigits: \"۰۱۲۳۴۵۶۷۸۹\"\n",
		"months: [a, b, c, d, e, f, g, h, i, j, k, l]\nweekdays: [a, b, c, d, e, f, g]\ndate: \"{weekday} {day} {month} {year}\"\n",
		"datetime: \"{\"\n", "date: \"{{month}}\"\n", "months: 3\n", "digits: \"12\"\n", "unknown: \"\"\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSpec(b)
		if err != nil {
			return
		}
		l, err := s.language("xx")
		if err != nil {
			return
		}
		for _, at := range []time.Time{{}, time.Date(2026, 12, 1, 18, 5, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1, time.FixedZone("X", -3600))} {
			_ = l.Date(at)
			_ = l.DateTime(at)
		}
		_ = l.Number(1234567890)
	})
}
