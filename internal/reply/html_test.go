package reply_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"consultd/internal/corpustest"
	"consultd/internal/mimeparse"
	"consultd/internal/reply"
	"consultd/internal/testutil"
)

func TestHTMLText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"Gmail", `<div dir="ltr">We accept.</div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, Jun 2, 2025 at 10:00 AM Coalition &lt;c@example.net&gt; wrote:<br></div><blockquote class="gmail_quote">Invitation</blockquote></div>`, "We accept."},
		{"Gmail forward kept", `<div dir="ltr">FYI<div class="gmail_quote">---------- Forwarded message ---------<br>From: UN &lt;u@un.example&gt;<br>Subject: Invitation<br><br>Dear partners</div></div>`, "FYI\n---------- Forwarded message ---------\nFrom: UN <u@un.example>\nSubject: Invitation\n\nDear partners"},
		{"Apple Mail", `<html><body dir="auto">Nous acceptons.<br><div><br><blockquote type="cite">Le 2 juin 2025 à 10:00, Coalition a écrit&nbsp;:<br>Invitation</blockquote></div></body></html>`, "Nous acceptons."},
		{"Outlook web", `<div>We decline.</div><div id="appendonsend"></div><hr tabindex="-1"><div id="divRplyFwdMsg"><b>From:</b> Coalition<br><b>Sent:</b> Monday</div><div>Invitation</div>`, "We decline."},
		{"Outlook desktop border block", `<div class=WordSection1><p class=MsoNormal>We abstain.</p><div><div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in'><p class=MsoNormal><b>From:</b> Coalition<br><b>Sent:</b> Monday</p></div></div><p class=MsoNormal>Invitation</p></div>`, "We abstain."},
		{"Outlook Arabic header block", `<p class=MsoNormal dir=RTL>نوافق.</p><div style='border:none;border-top:solid #E1E1E1 1.0pt'><p class=MsoNormal dir=RTL><b>من:</b> التحالف<br><b>تاريخ الإرسال:</b> الاثنين</p></div><p>الدعوة</p>`, "نوافق."},
		{"Thunderbird", `<p>Agreed.</p><div class="moz-cite-prefix">On 02/06/2025 10:00, Coalition wrote:<br></div><blockquote type="cite">Invitation</blockquote>`, "Agreed."},
		{"Yahoo", `<div>Yes.</div><div id="yahoo_quoted_123" class="yahoo_quoted"><div>On Monday, Coalition wrote:</div><div>Invitation</div></div>`, "Yes."},
		{"Outlook for Mac", `<div>Reply</div><span id="OLK_SRC_BODY_SECTION"><div><b>From: </b>Coalition</div><div>Invitation</div></span>`, "Reply"},
		{"nothing but quote keeps all", `<blockquote>Only a quote</blockquote>`, "Only a quote"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := reply.HTMLText(tc.in); got != tc.want {
				t.Errorf("HTMLText = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHTMLTextArabic(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"Gmail Arabic attribution with RLM, no gmail_quote class",
			`<div dir="rtl">نوافق على البيان.</div><br><div dir="rtl">&#x200F;في الاثنين، 2 يونيو 2025 في 10:00 ص، التحالف &lt;c@example.net&gt; كتب:<br></div><div>الدعوة الأصلية</div>`,
			"نوافق على البيان.",
		},
		{"Outlook Arabic header block in plain paragraphs",
			`<p dir=rtl>نعتذر عن المشاركة.</p><p dir=rtl><b>من:</b> التحالف<br><b>تاريخ الإرسال:</b> الاثنين، 2 يونيو 2025<br><b>إلى:</b> أعضاء<br><b>الموضوع:</b> دعوة</p><p>نص الدعوة</p>`,
			"نعتذر عن المشاركة.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := reply.HTMLText(tc.in); got != tc.want {
				t.Errorf("HTMLText = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestHTMLTextMail reads HTML parts as mimeparse gives them from real MIME:
// Outlook on the web (quoted-printable, divRplyFwdMsg) and Gmail's
// multipart/alternative with an Arabic line.
func TestHTMLTextMail(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"Outlook web", "From: a@example.org\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
			"<html><body><div><p class=3D\"MsoNormal\">We accept.<o:p></o:p></p>\r\n" +
			"<p class=3D\"MsoNormal\">Concern: the deadline is too short &amp; unclear.<o:p></o:p></p>\r\n" +
			"<div id=3D\"appendonsend\"></div>\r\n<hr style=3D\"display:inline-block;width:98%\" tabindex=3D\"-1\">\r\n" +
			"<div id=3D\"divRplyFwdMsg\" dir=3D\"ltr\"><b>From:</b> Coalition &lt;coalition@ex=\r\nample.net&gt;<br><b>Sent:</b> Monday, June 2, 2025 10:00 AM</div>\r\n" +
			"<div>Old invitation text</div>\r\n</div></body></html>\r\n",
			"We accept.\nConcern: the deadline is too short & unclear."},
		{"Gmail alternative", "From: a@example.org\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
			"<div dir=3D\"ltr\">We decline, sorry.<div dir=3D\"rtl\">=D9=86=D8=B9=D8=AA=D8=B0=D8=B1.</div></div><br><div class=3D\"gmail_quote gmail_quote_container\">=\r\n" +
			"<div dir=3D\"ltr\" class=3D\"gmail_attr\">On Mon, Jun 2, 2025 at 10:00 AM Coalit=\r\nion &lt;coalition@example.net&gt; wrote:<br></div><blockquote class=3D\"gmail_quote\">Please reply by Friday.</blockquote></div>\r\n",
			"We decline, sorry.\nنعتذر."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := mimeparse.Parse([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if got := reply.HTMLText(m.HTML); got != tc.want {
				t.Errorf("HTMLText = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestHTMLTextBigInputIsLinear: 2 MB of the slowest HTML shape (nested
// blocks, quotes and rules) costs well under a CPU second per MB.
func TestHTMLTextBigInputIsLinear(t *testing.T) {
	testutil.SkipUnderRace(t, "CPU seconds per MB")
	var b strings.Builder
	b.WriteString("<html><body>")
	for b.Len() < 2<<20 {
		b.WriteString("<div class=x><p>Para &amp; <b>bold</b>&nbsp;text</p><blockquote type=cite>q</blockquote><hr></div>\n")
	}
	b.WriteString("</body></html>")
	mb := float64(b.Len()) / (1 << 20)
	start := cpuTime()
	if reply.HTMLText(b.String()) == "" {
		t.Errorf("HTMLText empty")
	}
	if d := (cpuTime() - start).Seconds() / mb; d > 0.5 {
		t.Errorf("HTMLText %.3f CPU s/MB", d)
	}
}

// TestCorpusTalonHTML scores HTMLText on talon's html_reply cases (text
// compared without whitespace, as talon does).
func TestCorpusTalonHTML(t *testing.T) {
	root, man := corpustest.Load(t, "mailgun-talon")
	results := map[string]bool{}
	for _, raw := range man.Cases {
		var c corpusCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if c.Kind != "html_reply" {
			continue
		}
		want, ok := c.Expected["text_nows"].(string)
		if !ok {
			continue
		}
		var in string
		if c.InputText != nil {
			in = *c.InputText
		} else {
			in = string(corpustest.Read(t, root, c.Input))
		}
		got := removeSpace(reply.HTMLText(in))
		results[c.ID] = got == removeSpace(want)
		if !results[c.ID] {
			t.Logf("%s:\n got: %s\nwant: %s", c.ID, got, removeSpace(want))
		}
	}
	corpustest.Score(t, "mailgun-talon", "html_reply", results, corpustest.LoadKnown(t, "talon-html:", true))
}

func removeSpace(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// FuzzHTMLText: any HTML gives valid UTF-8 text without a panic, and what
// Trim then keeps is never longer than the text HTMLText gave.
func FuzzHTMLText(f *testing.F) {
	f.Add(`<div dir="ltr">Yes<div class="gmail_quote">On Mon wrote:<blockquote>q</blockquote></div></div>`)
	f.Add(`<p class=MsoNormal>ok</p><hr><b>From:</b> x<br><b>Sent:</b> y`)
	f.Add(`<ul><li>a<li>b</ul><pre>  x  </pre><script>bad()</script>&nbsp;&amp;`)
	f.Add(`<div>Vi deltager.</div><div>tir. 18. apr. 2017 kl. 13:09 skrev X &lt;x@</div><div>y.z&gt;:</div><blockquote>q</blockquote>`)
	f.Add(`<div>a</div><div>--------</div><div>b</div><blockquote type="cite">q</blockquote><div id="divRplyFwdMsg">De : x</div>`)
	for _, c := range multilangCases()[:40] {
		f.Add(asHTML(c.in))
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := reply.HTMLText(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 output %q", out)
		}
		if trimmed := reply.Trim(out); len(trimmed) > len(out) {
			t.Fatalf("Trim made the text longer: %d > %d", len(trimmed), len(out))
		}
	})
}
