package authres

import "testing"

func TestCheck(t *testing.T) {
	mx := Trust{AuthservID: "mail.coal.example"}
	google := Trust{AuthservID: "mx.google.com"}
	ms := Trust{Microsoft365: true}
	cases := []struct {
		name   string
		trust  Trust
		from   string
		ar     []string
		authAs []string
		want   Verdict
	}{
		{"nothing configured", Trust{}, "rania@coal.example", []string{rspamd}, nil, Unproven},
		{"rspamd pass", mx, "rania@coal.example", []string{rspamd}, nil, Pass},
		{"rspamd pass, From: in capitals", mx, "Rania@COAL.example", []string{rspamd}, nil, Pass},
		{"rspamd fail", mx, "rania@coal.example", []string{rspamdFail}, nil, Fail},
		{"no header", mx, "rania@coal.example", nil, nil, Unproven},
		{"OpenDKIM + OpenDMARC, two fields", mx, "rania@coal.example", []string{opendmarc, opendkim}, nil, Pass},
		{"DKIM only (no DMARC checked), aligned", mx, "rania@coal.example", []string{opendkim}, nil, Pass},
		{"DKIM of a subdomain is relaxed-aligned", mx, "rania@coal.example",
			[]string{"mail.coal.example; dkim=pass header.d=news.coal.example"}, nil, Pass},
		{"DKIM of a sibling under a public suffix is not aligned", mx, "rania@coal.co.uk",
			[]string{"mail.coal.example; dkim=pass header.d=evil.co.uk"}, nil, Unproven},
		{"planted pass below our fail", mx, "rania@coal.example",
			[]string{rspamdFail, "mail.coal.example; dmarc=pass header.from=coal.example"}, nil, Fail},
		{"planted dkim pass below our dmarc fail", mx, "rania@coal.example",
			[]string{"mail.coal.example; dmarc=fail (p=reject dis=none) header.from=coal.example",
				"mail.coal.example; dkim=pass header.d=coal.example"}, nil, Fail},
		{"planted dkim pass below our dkim fail", mx, "rania@coal.example",
			[]string{"mail.coal.example; dkim=fail (bad signature) header.d=coal.example", "mail.coal.example; dkim=pass header.d=coal.example"}, nil, Unproven},
		{"plant below a stranger's header", mx, "rania@coal.example",
			[]string{"mx.relay.example; spf=pass smtp.mailfrom=coal.example", rspamd}, nil, Unproven},
		{"sender's own header with our id below another server's", mx, "rania@coal.example",
			[]string{"mx.evil.example; dmarc=pass header.from=coal.example"}, nil, Unproven},
		{"dmarc pass for another domain", mx, "rania@coal.example",
			[]string{"mail.coal.example; dmarc=pass header.from=evil.example"}, nil, Unproven},
		{"dkim pass for another domain", mx, "rania@coal.example",
			[]string{"mail.coal.example; dkim=pass header.d=evil.example; dmarc=none header.from=coal.example"}, nil, Unproven},
		{"dmarc fail for another domain is not about this mail", mx, "rania@coal.example",
			[]string{"mail.coal.example; dmarc=fail header.from=evil.example"}, nil, Unproven},
		{"unparsable topmost field", mx, "rania@coal.example", []string{"mail.coal.example; dmarc=pass (", rspamd}, nil, Unproven},
		{"gmail pass", google, "rania@coal.example", []string{gmail}, nil, Pass},
		{"gmail fail", google, "rania@coal.example", []string{gmailFail}, nil, Fail},
		{"gmail header when another id is trusted", mx, "rania@coal.example", []string{gmail}, nil, Unproven},
		{"fastmail pass", Trust{AuthservID: "mx3.messagingengine.com"}, "rania@coal.example", []string{fastmail}, nil, Pass},
		{"microsoft 365 pass", ms, "rania@coal.example", []string{m365}, nil, Pass},
		{"microsoft 365 internal", ms, "rania@coal.example", nil, []string{"Internal"}, Pass},
		{"microsoft 365 anonymous, no header", ms, "rania@coal.example", nil, []string{"Anonymous"}, Unproven},
		{"microsoft 365 compauth fail", ms, "chris@fabrikam.com", []string{m365Doc}, nil, Unproven},
		{"microsoft 365 dmarc fail", ms, "rania@coal.example",
			[]string{"spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=coal.example; dkim=none (message not signed) header.d=none;dmarc=fail action=oreject header.from=coal.example;compauth=fail reason=000"}, nil, Fail},
		{"microsoft 365 does not trust a header with an authserv-id", ms, "rania@coal.example", []string{rspamd}, nil, Unproven},
		{"AuthAs: Internal is ignored unless Microsoft 365 is configured", mx, "rania@coal.example", nil, []string{"Internal"}, Unproven},
		{"no From:", mx, "", []string{rspamd}, nil, Unproven},
	}
	for _, c := range cases {
		e := Check(c.trust, Message{From: c.from, AuthenticationResults: c.ar, AuthAs: c.authAs})
		if e.Verdict != c.want {
			t.Errorf("%s: %s (%s), want %s", c.name, e.Verdict, e.Reason, c.want)
		}
		if e.Reason == "" {
			t.Errorf("%s: no reason given", c.name)
		}
	}
}

func TestAligned(t *testing.T) {
	cases := []struct {
		d, from string
		want    bool
	}{
		{"coal.example", "coal.example", true},
		{"COAL.example.", "coal.example", true},
		{"mail.coal.example", "coal.example", true},
		{"coal.example", "lists.coal.example", true},
		{"evil.example", "coal.example", false},
		{"co.uk", "coal.co.uk", false},
		{"a.co.uk", "b.co.uk", false},
		{"", "coal.example", false},
	}
	for _, c := range cases {
		if got := Aligned(c.d, c.from); got != c.want {
			t.Errorf("Aligned(%q, %q) = %v, want %v", c.d, c.from, got, c.want)
		}
	}
}
