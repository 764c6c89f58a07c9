package statement

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDescribeFindsWhenWhereAndFocus(t *testing.T) {
	cases := []struct {
		name, body string
		want       Details
	}{
		{"the story's invitation",
			"Dear colleagues,\n\nWe are pleased to invite your organisation to attend the Civil Society Support Room (CSSR) meetings in Geneva on 15 December 2026 to 17 December 2026.\n\nThe meetings will focus on constitutional reform and on detainees, abductees and missing persons, as well as refugees and displaced persons.\n\nPlease confirm your participation by 6 December 2026.",
			Details{When: "15 December 2026 to 17 December 2026", Where: "Geneva", Focus: "constitutional reform and on detainees, abductees and missing persons, as well as refugees and displaced persons"}},
		{"the seed's shape: US month-day range",
			"Several organizations received invitations to attend the CSSR meetings in Geneva on November 28-30, after the Special Envoy called for talks. The meetings will focus on the issue of constitutional reform.",
			Details{When: "November 28-30", Where: "Geneva", Focus: "the issue of constitutional reform"}},
		{"labelled lines (UN note verbale style)",
			"Subject: Consultation with civil society\nDate: 28–30 November 2026\nVenue: Palais des Nations, Geneva\nTopics: the constitutional committee; detainees\n\nKindly register by 20 November.",
			Details{When: "28–30 November 2026", Where: "Palais des Nations, Geneva", Focus: "the constitutional committee; detainees"}},
		{"reply-by date is not the meeting's",
			"Please reply by 10 March 2026. The workshop will be held at the Mövenpick Hotel in Amman from 24 to 25 March 2026.",
			Details{When: "24 to 25 March 2026", Where: "the Mövenpick Hotel in Amman"}},
		{"Arabic invitation",
			"السادة الأعزاء،\n\nيسرنا دعوتكم لحضور اجتماعات غرفة دعم المجتمع المدني التي ستعقد في جنيف من ٢٨ إلى ٣٠ تشرين الثاني ٢٠٢٦.\n\nستركز الاجتماعات على الإصلاح الدستوري وقضايا المعتقلين والمفقودين.\n\nيرجى تأكيد المشاركة قبل ٢٠ تشرين الثاني.",
			Details{When: "٢٨ إلى ٣٠ تشرين الثاني ٢٠٢٦", Where: "جنيف", Focus: "الإصلاح الدستوري وقضايا المعتقلين والمفقودين"}},
		{"Arabic labelled lines",
			"التاريخ: ١٢ كانون الأول ٢٠٢٦\nالمكان: فندق الشيراتون، إسطنبول\nالمحاور: العدالة الانتقالية",
			Details{When: "١٢ كانون الأول ٢٠٢٦", Where: "فندق الشيراتون، إسطنبول", Focus: "العدالة الانتقالية"}},
		{"UN information note: weekday, hours, a room of the Palais",
			"Informal consultations with NGOs will be held on Tuesday, 22 November 2026 from 10.00 a.m. to 1.00 p.m. in room XVII of the Palais des Nations.\n\nPlease confirm your attendance by 15 November.",
			Details{When: "22 November 2026", Where: "room XVII of the Palais des Nations"}},
		{"conference guide: held at an office at a city",
			"A. Dates and venue\n\nThe review conference will be held at the United Nations Office at Geneva from 20 to 24 April 2026.",
			Details{When: "20 to 24 April 2026", Where: "the United Nations Office at Geneva"}},
		{"nothing said", "Dear all, see you soon. Best, Anna", Details{}},
		{"a place that is a month is not a place", "The meeting is in December. It will address funding", Details{Focus: "funding"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Describe(c.body); got != c.want {
				t.Errorf("Describe =\n %+v\nwant\n %+v", got, c.want)
			}
		})
	}
}

func FuzzDescribe(f *testing.F) {
	for _, s := range []string{"Date: 1 May\nVenue: X", "meetings in Geneva on 28-30 November.", "ستعقد في جنيف", "will focus on " + strings.Repeat("x", 500)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		d := Describe(body)
		for _, v := range []string{d.When, d.Where, d.Focus} {
			if utf8.RuneCountInString(v) > maxDetail+1 || strings.Contains(v, "\n") {
				t.Errorf("detail %q from %q", v, body)
			}
		}
	})
}

func TestOpeningSaysWhoInvitedToWhatWhenWhereAndTheFocus(t *testing.T) {
	inv := seedInv
	d := Describe("We invite you to attend the CSSR meetings in Geneva on 28-30 November 2026. The meetings will focus on constitutional reform and detainees.")
	inv.When, inv.Where, inv.Focus = d.When, d.Where, d.Focus
	st, err := Compose(renderer(t), "en", "Test Coalition", "decline", inv, seedMembers)
	if err != nil {
		t.Fatal(err)
	}
	want := "On 19 November 2026, the member organisations of Test Coalition received an invitation from Office of the UN Special Envoy for Syria to Civil Society Support Room meetings in Geneva on 28-30 November 2026. The invitation stated that the meetings would focus on constitutional reform and detainees.\n"
	if !strings.Contains(st.Text, want) {
		t.Errorf("opening is not\n%s\n%s", want, st.Text)
	}
	// The Arabic statement does not repeat English details.
	ar, err := Compose(renderer(t), "ar", "التحالف", "decline", inv, seedMembers)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ar.Text, "constitutional") || strings.Contains(ar.Text, "28-30 November") {
		t.Errorf("English details in the Arabic opening:\n%s", ar.Text)
	}
}
