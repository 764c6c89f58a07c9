package forward

import (
	"strings"
	"testing"

	"consultd/internal/mimeparse"
)

// TestNothingWrongGoesOutSilently: shapes consultd cannot be sure of are
// read without putting anything wrong into the inviter, subject or note, and
// say what was guessed (for the coordinators' "round opened" note).
func TestNothingWrongGoesOutSilently(t *testing.T) {
	const inv = "Office of the Special Envoy <office@envoy.example>"
	cases := []struct {
		name, subject, text string
		html                string // used when text is empty
		notForward          bool
		inviterAddr         string // "" = no inviter found (the round goes to Needs-Review)
		wantSubject         string
		wantNote            string
		wantUncertain       string // a phrase the Uncertain list must hold; "" = must be empty
		wantDate            string // "2006-01-02" when the original's date is checked
	}{
		{
			name: "unknown label under the subject is not glued onto it", subject: "Fwd: Invitation",
			text: "FYI\n\n---------- Forwarded message ---------\nFrom: " + inv + "\nDate: Wed, Oct 27, 2021 at 9:31 AM\n" +
				"Subject: Invitation to the consultation\nDagsetning: 27. okt. 2021 kl. 14:25\nTo: <coalition@coalition.example>\n\nDear colleagues,\n",
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "FYI",
			wantUncertain: "Dagsetning: 27. okt. 2021",
		},
		{
			name: "Danish Dato is a date, not part of the subject", subject: "Fwd: Invitation",
			text: "FYI\n\n> Start på videresendt besked:\n>\n> Fra: " + inv + "\n> Emne: Invitation to the consultation\n" +
				"> Dato: 26. oktober 2021 kl. 14.25.08 EEST\n> Til: coalition@coalition.example\n>\n> Dear colleagues,\n",
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "FYI",
		},
		{
			name: "a marker in a language the table lacks stays out of the note", subject: "Fwd: Invitation",
			text: "Please handle.\n\n-------- 전달된 메시지 --------\nSubject: \tInvitation to the consultation\n" +
				"Date: \tWed, 3 Nov 2021 15:51:30 +0100\nFrom: \t" + inv + "\nTo: \tcoalition@coalition.example\n\n\nDear colleagues,\n",
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "Please handle.",
			wantUncertain: "전달된 메시지",
		},
		{
			name: "a caption ending in a colon above the header block stays out of the note", subject: "Fwd: Invitation",
			text: "Please handle.\n\nMessage transféré :\n\nDe : " + inv + "\nDate : jeudi, 28 octobre 2021 à 12:46\n" +
				"Objet : Invitation to the consultation\n\nDear colleagues,\n",
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "Please handle.",
			wantUncertain: "Message transféré :",
		},
		{
			name: "an unknown From label (Icelandic) leaves the inviter missing (Needs-Review), not a wrong one", subject: "Fwd: Invitation",
			text: "---------- Forwarded message ---------\nFrá: " + inv + "\nDate: Wed, Oct 27, 2021 at 9:31 AM\n" +
				"Subject: Invitation to the consultation\nTo: <coalition@coalition.example>\n\nDear colleagues,\n",
			inviterAddr: "", wantSubject: "Invitation to the consultation", wantUncertain: "Frá:",
		},
		{
			name: "Outlook's On … wrote: in HTML, the indent lost, under FW: is a forward", subject: "FW: Invitation to the consultation",
			html: `<div>FYI</div><div>On 28/10/2021 12:46, "Office of the Special Envoy" &lt;office@envoy.example&gt; wrote:</div>` +
				`<blockquote style="margin-left:0.8ex"><p>Dear colleagues,</p><p>Please come.</p></blockquote>`,
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "FYI",
		},
		{
			name: "the same without FW: is not taken for a forward", subject: "Invitation to the consultation",
			html: `<div>FYI</div><div>On 28/10/2021 12:46, "Office of the Special Envoy" &lt;office@envoy.example&gt; wrote:</div>` +
				`<blockquote style="margin-left:0.8ex"><p>Dear colleagues,</p><p>Please come.</p></blockquote>`,
			notForward: true,
		},
		{
			name: "Outlook's On … wrote: under Re: is a reply, not a forward", subject: "RE: Invitation",
			text:       "We agree.\n\nOn 28/10/2021 12:46, \"Office of the Special Envoy\" <office@envoy.example> wrote:\n\n    Dear colleagues,\n",
			notForward: true,
		},
		{
			// Outlook writes the same line above a reply: without FW: the
			// coordinator is asked (no invitation found) rather than guessed for.
			name: "Outlook's On … wrote: without FW: in the subject is not taken for a forward", subject: "Invitation to the consultation",
			text:       "FYI\n\nOn 28/10/2021 12:46, \"Office of the Special Envoy\" <office@envoy.example> wrote:\n\n    Dear colleagues,\n",
			notForward: true,
		},
		{
			name: "Apple Mail's reply attribution with a quoted name is not a forward", subject: "",
			text:       "Thanks, noted.\n\nOn 28 Oct 2021, at 12:46, \"Doe, John\" <john@envoy.example> wrote:\n\n> Dear colleagues,\n",
			notForward: true,
		},
		{
			name: "a day-month date that could be month-day is flagged", subject: "FW: Invitation to the consultation",
			text:        "FYI\n\nOn 05/10/2021 12:46, \"Office of the Special Envoy\" <office@envoy.example> wrote:\n\n    Dear colleagues,\n",
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "FYI",
			wantUncertain: "read day first, as 5 October 2021", wantDate: "2021-10-05",
		},
		{
			// en-US Outlook writes M/d/yyyy and a 12-hour clock; en-GB a 24-hour one.
			name: "an English date with a 12-hour clock is read month first and flagged", subject: "FW: Invitation to the consultation",
			text:        "FYI\n\nOn 05/10/2021 5:46 PM, \"Office of the Special Envoy\" <office@envoy.example> wrote:\n\n    Dear colleagues,\n",
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "FYI",
			wantUncertain: "read month first", wantDate: "2021-05-10",
		},
		{
			// Outlook's short date setting gives "05/10/2021 12:46"; every
			// language that writes "De:" (es, fr, pt, ro) puts the day first.
			name: "a numeric date under Spanish labels is day first and needs no question", subject: "RV: Invitation to the consultation",
			text: "FYI\n\n-----Mensaje original-----\nDe: Office of the Special Envoy [mailto:office@envoy.example]\nEnviado el: 05/10/2021 12:46\n" +
				"Para: coalition@coalition.example\nAsunto: Invitation to the consultation\n\nDear colleagues,\n",
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "FYI",
			wantDate: "2021-10-05",
		},
		{
			name: "a numeric date under English labels is still flagged", subject: "FW: Invitation to the consultation",
			text: "FYI\n\n-----Original Message-----\nFrom: Office of the Special Envoy [mailto:office@envoy.example]\nSent: 05/10/2021 12:46\n" +
				"To: coalition@coalition.example\nSubject: Invitation to the consultation\n\nDear colleagues,\n",
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "FYI",
			wantUncertain: "read day first", wantDate: "2021-10-05",
		},
		{
			name: "a German Outlook date is day first and needs no question", subject: "WG: Invitation to the consultation",
			text:        "FYI\n\nAm 05.10.21, 12:46 schrieb \"Office of the Special Envoy\" <office@envoy.example>:\n\n    Dear colleagues,\n",
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "FYI",
			wantDate: "2021-10-05",
		},
		{
			name: "a Spanish Outlook date is day first and needs no question", subject: "RV: Invitation to the consultation",
			text:        "FYI\n\nEl 05/10/2021 12:46, \"Office of the Special Envoy\" <office@envoy.example> escribió:\n\n    Dear colleagues,\n",
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "FYI",
			wantDate: "2021-10-05",
		},
		{
			name: "a subject wrapped at the end of the block is joined and flagged", subject: "FW: Invitation",
			text: "FYI\n\n________________________________\nFrom: " + inv + "\nSent: Thursday, October 28, 2021 12:46 PM\n" +
				"To: coalition@coalition.example\nSubject: Invitation to a consultation with civil society organisations on the\n" +
				"political process\n\nDear colleagues,\n",
			inviterAddr: "office@envoy.example", wantNote: "FYI",
			wantSubject:   "Invitation to a consultation with civil society organisations on the political process",
			wantUncertain: "read over two lines",
		},
		{
			name: "a header block with no subject takes the forward's subject and says so", subject: "Fwd: Invitation to the consultation",
			text: "FYI\n\n---------- Forwarded message ---------\nFrom: " + inv + "\nDate: Wed, Oct 27, 2021 at 9:31 AM\n" +
				"To: <coalition@coalition.example>\n\nDear colleagues,\n",
			inviterAddr: "office@envoy.example", wantSubject: "Invitation to the consultation", wantNote: "FYI",
			wantUncertain: "taken from your message's subject line",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Parse(&mimeparse.Message{Subject: c.subject, Text: c.text, HTML: c.html,
				From: []mimeparse.Address{{Name: "Rania", Address: "rania@coalition.example"}}}, now)
			if c.notForward {
				if r.Invitation != nil {
					t.Fatalf("read as a forward (%s) from %q", r.Invitation.Form, r.Invitation.Inviter.Address)
				}
				return
			}
			inv := r.Invitation
			if inv == nil {
				t.Fatal("not read as a forward")
			}
			if inv.Inviter.Address != c.inviterAddr {
				t.Errorf("inviter = %q, want %q", inv.Inviter.Address, c.inviterAddr)
			}
			if inv.Subject != c.wantSubject {
				t.Errorf("subject = %q, want %q", inv.Subject, c.wantSubject)
			}
			if r.Note != c.wantNote {
				t.Errorf("note = %q, want %q", r.Note, c.wantNote)
			}
			if c.wantDate != "" && inv.Date.Format("2006-01-02") != c.wantDate {
				t.Errorf("date = %s, want %s", inv.Date.Format("2006-01-02"), c.wantDate)
			}
			all := strings.Join(inv.Uncertain, "\n")
			switch {
			case c.wantUncertain == "" && all != "":
				t.Errorf("flagged a clear forward: %q", inv.Uncertain)
			case c.wantUncertain != "" && !strings.Contains(all, c.wantUncertain):
				t.Errorf("Uncertain = %q, want it to mention %q", inv.Uncertain, c.wantUncertain)
			}
		})
	}
}
