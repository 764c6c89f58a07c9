package command

import (
	"consultd/internal/mimeparse"
	"testing"
	"time"
)

func TestOnlyWholeCommandLinesAreCommands(t *testing.T) {
	cases := []struct {
		line string
		verb string // "" = not a command
	}{
		{"STATUS 2026-01", "STATUS"},
		{"status", "STATUS"},
		{"CLOSE 2026-01.", "CLOSE"},
		{"EXTEND 2026-01 48h", "EXTEND"},
		{"extend 2026-01 2026-12-02", "EXTEND"},
		{"APPROVE", "APPROVE"},
		{"APPROVE 2026-03 DECLINE", "APPROVE"},
		{"**CANCEL 2026-01**", "CANCEL"},
		{"إلغاء 2026-01", "CANCEL"},
		{"Close to finishing my review, will send comments tomorrow.", ""},
		{"Cancel that, I misread the date.", ""},
		{"Status: still waiting for two members.", ""},
		{"Approve of the idea in general, but let us wait.", ""},
		{"Thanks, noted.", ""},
	}
	for _, c := range cases {
		cmd, ok := commandLine(c.line)
		if got := map[bool]string{true: cmd.Verb.String(), false: ""}[ok]; got != c.verb {
			t.Errorf("%q read as %q, want %q", c.line, got, c.verb)
		}
	}
}

func TestAnEditedStatementIsAnApproval(t *testing.T) {
	body := "Here is our version.\n\n" + BeginMarker + "\nWe decline, with thanks.\n" + EndMarker + "\n"
	cases := []struct {
		name, subject, body string
		verb                Verb
		edited              string
	}{
		{"text between the markers", "Re: [Consultation 2026-03] Draft statement", body, Approve, "We decline, with thanks."},
		{"CANCEL on top wins over the markers", "Re: [Consultation 2026-03] Draft", "CANCEL\n\n" + body, Cancel, ""},
		{"quoted markers are not an edit", "Re: [Consultation 2026-03] Draft", "> " + BeginMarker + "\n> text\n> " + EndMarker, "", ""},
	}
	for _, c := range cases {
		got, ok := Parse(&mimeparse.Message{Subject: c.subject, Text: c.body})
		if c.verb == "" {
			if ok {
				t.Errorf("%s: read as %v", c.name, got.Verb)
			}
			continue
		}
		if !ok || got.Verb != c.verb || got.Edited != c.edited || got.RoundID != "2026-03" {
			t.Errorf("%s: got %+v (ok %v), want %s with %q in round 2026-03", c.name, got, ok, c.verb, c.edited)
		}
	}
}

func TestExtensions(t *testing.T) {
	deadline := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		arg  string
		want time.Time
	}{
		{"48h", deadline.Add(48 * time.Hour)},
		{"2d", deadline.Add(48 * time.Hour)},
		{"90m", deadline.Add(90 * time.Minute)},
		{"2026-12-05", time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)},
		{"2026-12-05T17:30", time.Date(2026, 12, 5, 17, 30, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		if got, err := ParseExtension(c.arg, deadline); err != nil || !got.Equal(c.want) {
			t.Errorf("%q: %v, %v; want %v", c.arg, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "soon", "-2d", "0h"} {
		if _, err := ParseExtension(bad, deadline); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestConfirmations(t *testing.T) {
	for text, want := range map[string]bool{
		"CONFIRM":             true,
		"Confirmed.\n\nRania": true,
		"تأكيد":               true,
		"I confirm nothing of the sort, who sent this?": false,
		"Please do not confirm it":                      false,
	} {
		if got := IsConfirmation(&mimeparse.Message{Text: text}); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("Re: [Consultation 2026-01] x", "EXTEND 2026-01 48h")
	f.Add("", BeginMarker+"\nx\n"+EndMarker)
	f.Add("إلغاء 2026-01", "")
	f.Fuzz(func(t *testing.T, subject, text string) {
		c, ok := Parse(&mimeparse.Message{Subject: subject, Text: text})
		if ok && c.Verb == "" {
			t.Fatalf("a command without a verb: %+v", c)
		}
	})
}

// TestSubjectCommandsUnderLocalisedPrefixes: a coordinator forwarding a
// status note from German or Polish Outlook writes "WG:"/"PD:" before the
// command; a localised reply prefix ("AW:", "Odp:") makes the subject an
// old one, never a command.
func TestSubjectCommandsUnderLocalisedPrefixes(t *testing.T) {
	for _, c := range []struct {
		subject string
		verb    string // "" = not a command
	}{
		{"WG: [Consultation 2026-01] STATUS", "STATUS"},
		{"[Consultation 2026-01] PD: CLOSE 2026-01", "CLOSE"},
		{"إعادة توجيه: STATUS 2026-01", "STATUS"},
		{"AW: [Consultation 2026-01] STATUS", ""},
		{"Odp: CLOSE 2026-01", ""},
		{"YNT: CLOSE 2026-01", ""},
	} {
		cmd, ok := Parse(&mimeparse.Message{Subject: c.subject})
		if got := map[bool]string{true: cmd.Verb.String(), false: ""}[ok]; got != c.verb {
			t.Errorf("subject %q read as %q, want %q", c.subject, got, c.verb)
		}
	}
	if got := StripSubject("RE: AW: [Consultation 2026-01] Status"); got != "Status" {
		t.Errorf("StripSubject = %q", got)
	}
}
