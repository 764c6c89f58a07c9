package render

import "testing"

// BenchmarkConsultation is one member's consultation, what a round's opening
// renders for every member: with its HTML (a right-to-left language) and
// without (MailText, every other language).
func BenchmarkConsultation(b *testing.B) {
	r, err := New("")
	if err != nil {
		b.Fatal(err)
	}
	d := mixedSamples()["consultation"]
	for _, code := range []string{"en", "ar"} {
		b.Run(code+"-html", func(b *testing.B) {
			for b.Loop() {
				if _, err := r.Mail(code, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("en-text", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.MailText("en", d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
