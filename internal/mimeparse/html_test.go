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
