package mimeparse

import "testing"

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"entities and nbsp", `<p>Caf&eacute; &amp; friends&nbsp;&mdash; RSVP</p>`, "Café & friends — RSVP"},
		{"script style head dropped", `<html><head><title>T</title><style>p{color:red}</style></head><body><script>x()</script>Hello</body></html>`, "Hello"},
		{"br and divs (Gmail)", `<div dir="ltr">Yes, we accept.<div><br></div><div>Regards,</div><div>Huda</div></div>`, "Yes, we accept.\n\nRegards,\nHuda"},
		{"Outlook paragraphs", `<p class=MsoNormal>Line one<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Line two</p>`, "Line one\n\nLine two"},
		{"lists", `<p>Points:</p><ul><li>first</li><li>second <b>bold</b></li></ul><ol><li>one</li></ol>`, "Points:\n\n- first\n- second bold\n- one"},
		{"whitespace collapsed", "<p>  many \n\t spaces   here </p>", "many spaces here"},
		{"pre kept", "<pre>a  b\n  c</pre>", "a  b\n  c"},
		{"table cells", `<table><tr><td>Org</td><td>Answer</td></tr><tr><td>A</td><td>yes</td></tr></table>`, "Org Answer\nA yes"},
		{"Arabic with RLM kept", `<div dir="rtl">&#x200F;نوافق على البيان.<br>مع التحية</div>`, "\u200fنوافق على البيان.\nمع التحية"},
		{"hidden preheader dropped", `<div style="display: none">preview text</div><p>Body</p>`, "Body"},
		{"links keep their text", `See <a href="https://example.org/x">the draft</a>.`, "See the draft."},
		{"empty", ``, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HTMLToText(tc.in); got != tc.want {
				t.Errorf("HTMLToText = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHTMLReplyText(t *testing.T) {
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
			if got := HTMLReplyText(tc.in); got != tc.want {
				t.Errorf("HTMLReplyText = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHTMLReplyTextArabic(t *testing.T) {
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
			if got := HTMLReplyText(tc.in); got != tc.want {
				t.Errorf("HTMLReplyText = %q, want %q", got, tc.want)
			}
		})
	}
}
