package authres

import (
	"strings"
	"testing"
)

// Real shapes, as the providers write them (domains, IPs and signatures
// changed).
var (
	gmail = "mx.google.com;\r\n       dkim=pass header.i=@coal.example header.s=google header.b=AbCd1234;\r\n" +
		"       arc=pass (i=1 spf=pass spfdomain=coal.example dkim=pass dkdomain=coal.example dmarc=pass fromdomain=coal.example);\r\n" +
		"       spf=pass (google.com: domain of rania@coal.example designates 209.85.220.41 as permitted sender) smtp.mailfrom=rania@coal.example;\r\n" +
		"       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=coal.example"
	gmailFail = "mx.google.com; spf=pass (google.com: domain of x@gmail.com designates 209.85.220.41 as permitted sender) " +
		"smtp.mailfrom=x@gmail.com; dmarc=fail (p=QUARANTINE sp=NONE dis=QUARANTINE) header.from=coal.example"
	m365 = "spf=pass (sender IP is 209.85.128.41)\r\n smtp.mailfrom=coal.example; dkim=pass (signature was verified)\r\n" +
		" header.d=coal.example;dmarc=pass action=none header.from=coal.example;compauth=pass\r\n reason=100"
	m365Doc = "spf=none (sender IP is 10.2.3.4)\r\n  smtp.mailfrom=fabrikam.com; contoso.com; dkim=none\r\n" +
		"  (message not signed) header.d=none; contoso.com; dmarc=none\r\n  action=none header.from=fabrikam.com; compauth=fail reason=001"
	fastmail = "mx3.messagingengine.com;\r\n    dkim=pass (2048-bit rsa key sha256) header.d=coal.example header.i=@coal.example header.b=Iaa4ntRW header.a=rsa-sha256 header.s=fm1 x-bits=2048;\r\n" +
		"    dmarc=pass policy.published-domain-policy=none policy.published-subdomain-policy=quarantine policy.applied-disposition=none policy.evaluated-disposition=none (p=none,sp=quarantine,d=none,d.eval=none) policy.policy-from=p header.from=coal.example;\r\n" +
		"    iprev=pass smtp.remote-ip=209.85.128.172 (mail-yw1-f172.google.com);\r\n    spf=pass smtp.mailfrom=rania@coal.example smtp.helo=mail-yw1-f172.google.com"
	rspamd = "mail.coal.example;\r\n\tdkim=pass header.d=coal.example header.s=dkim header.b=abc123;\r\n" +
		"\tspf=pass (mail.coal.example: domain of rania@coal.example designates 192.0.2.7 as permitted sender) smtp.mailfrom=rania@coal.example;\r\n" +
		"\tdmarc=pass (policy=reject) header.from=coal.example"
	rspamdFail = "mail.coal.example;\r\n\tdkim=none;\r\n\tspf=fail (mail.coal.example: domain of rania@coal.example does not designate 203.0.113.9 as permitted sender) smtp.mailfrom=rania@coal.example;\r\n" +
		"\tdmarc=fail reason=\"SPF not aligned (relaxed), No valid DKIM\" header.from=coal.example (policy=reject)"
	opendkim  = "mail.coal.example;\r\n\tdkim=pass (2048-bit key; unprotected) header.d=coal.example header.i=@coal.example header.b=\"AbCdEfGh\";\r\n\tdkim-atps=neutral"
	opendmarc = "mail.coal.example; dmarc=pass (p=none dis=none) header.from=coal.example"
)

func TestParseRealHeaders(t *testing.T) {
	type want struct {
		id      string
		results string // "method=value" joined with " "
		props   map[string]string
	}
	cases := []struct {
		name, in string
		want     want
	}{
		{"gmail", gmail, want{"mx.google.com", "dkim=pass arc=pass spf=pass dmarc=pass",
			map[string]string{"dkim header.i": "@coal.example", "dmarc header.from": "coal.example", "spf smtp.mailfrom": "rania@coal.example"}}},
		{"gmail dmarc fail", gmailFail, want{"mx.google.com", "spf=pass dmarc=fail", map[string]string{"dmarc header.from": "coal.example"}}},
		{"microsoft 365 (no authserv-id)", m365, want{"", "spf=pass dkim=pass dmarc=pass compauth=pass",
			map[string]string{"dkim header.d": "coal.example", "dmarc header.from": "coal.example", "dmarc action": "none"}}},
		{"microsoft 365 documentation shape, stray domain segments", m365Doc, want{"", "spf=none dkim=none dmarc=none compauth=fail",
			map[string]string{"dkim header.d": "none", "dmarc header.from": "fabrikam.com"}}},
		{"fastmail", fastmail, want{"mx3.messagingengine.com", "dkim=pass dmarc=pass iprev=pass spf=pass",
			map[string]string{"dkim header.d": "coal.example", "dkim x-bits": "2048", "dmarc policy.published-domain-policy": "none", "iprev smtp.remote-ip": "209.85.128.172"}}},
		{"rspamd", rspamd, want{"mail.coal.example", "dkim=pass spf=pass dmarc=pass", map[string]string{"dmarc header.from": "coal.example"}}},
		{"rspamd fail with reason", rspamdFail, want{"mail.coal.example", "dkim=none spf=fail dmarc=fail", map[string]string{"dmarc header.from": "coal.example"}}},
		{"opendkim, quoted header.b", opendkim, want{"mail.coal.example", "dkim=pass dkim-atps=neutral", map[string]string{"dkim header.b": "AbCdEfGh"}}},
		{"opendmarc", opendmarc, want{"mail.coal.example", "dmarc=pass", map[string]string{"dmarc header.from": "coal.example"}}},
		{"version and method version", "mx.example.org 1; dkim/1=pass header.d=example.org", want{"mx.example.org", "dkim=pass", map[string]string{"dkim header.d": "example.org"}}},
		{"none", "mx.example.org; none", want{"mx.example.org", "", nil}},
		{"comment in the authserv-id part", "mx.example.org (Postfix); spf=pass smtp.mailfrom=example.org", want{"mx.example.org", "spf=pass", nil}},
		{"yahoo: no space before the comment", "mta4.mail.bf1.yahoo.com; dkim=pass header.i=@example.org header.s=s1; dmarc=pass(p=REJECT) header.from=example.org;",
			want{"mta4.mail.bf1.yahoo.com", "dkim=pass dmarc=pass", map[string]string{"dmarc header.from": "example.org"}}},
		{"quoted authserv-id", `"mx.example.org"; spf=pass smtp.mailfrom=example.org`, want{"mx.example.org", "spf=pass", nil}},
		{"upper case method and result", "MX.Example.Org; DMARC=PASS header.from=example.org", want{"MX.Example.Org", "dmarc=pass", nil}},
	}
	for _, c := range cases {
		h, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if h.AuthservID != c.want.id {
			t.Errorf("%s: authserv-id %q, want %q", c.name, h.AuthservID, c.want.id)
		}
		var got []string
		for _, r := range h.Results {
			got = append(got, r.Method+"="+r.Value)
		}
		if g := strings.Join(got, " "); g != c.want.results {
			t.Errorf("%s: results %q, want %q", c.name, g, c.want.results)
		}
		for k, v := range c.want.props {
			method, prop, _ := strings.Cut(k, " ")
			rs := h.ByMethod(method)
			if len(rs) == 0 || rs[0].Prop(prop) != v {
				t.Errorf("%s: %s %s = %q, want %q", c.name, method, prop, func() string {
					if len(rs) == 0 {
						return "(no result)"
					}
					return rs[0].Prop(prop)
				}(), v)
			}
		}
	}
}

func TestParseKeepsReasonsAndComments(t *testing.T) {
	h, err := Parse(rspamdFail)
	if err != nil {
		t.Fatal(err)
	}
	d := h.ByMethod("dmarc")[0]
	if d.Reason != "SPF not aligned (relaxed), No valid DKIM" || d.Comment != "policy=reject" {
		t.Errorf("dmarc reason %q comment %q", d.Reason, d.Comment)
	}
	h, _ = Parse(m365)
	if c := h.ByMethod("compauth")[0]; c.Reason != "100" {
		t.Errorf("compauth reason %q, want 100", c.Reason)
	}
	h, _ = Parse("mx.example.org; dkim=pass (nested (comment) here) header.d=example.org")
	if c := h.Results[0].Comment; c != "nested (comment) here" {
		t.Errorf("nested comment read as %q", c)
	}
}

func TestParseRejectsWhatCannotBeRead(t *testing.T) {
	for _, in := range []string{
		"",
		"   ",
		"mx.example.org; dmarc=pass header.from=\"example.org",
		"mx.example.org; dmarc=pass (p=none header.from=example.org",
		"mx.example.org; dmarc=pass ) header.from=example.org",
		"mx.example.org; =pass header.from=example.org",
		"mx.example.org extra words; spf=pass",
		strings.Repeat("a", maxFieldLen+1),
	} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%.60q) accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{gmail, gmailFail, m365, m365Doc, fastmail, rspamd, rspamdFail, opendkim, opendmarc,
		"mx; none", "a; b=c (d) e.f=\"g\\\"h\"; ;;", "(((", "\"", "x 1; y/2=z reason=\"r\" p.q=@d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			return
		}
		for _, r := range h.Results {
			if r.Method == "" || r.Method != strings.ToLower(r.Method) || r.Value != strings.ToLower(r.Value) {
				t.Fatalf("result %+v: method/value not lower case or empty", r)
			}
		}
		// Whatever is parsed, Check must not panic and must not pass a
		// header that does not name the trusted server.
		e := Check(Trust{AuthservID: "trusted.invalid"}, Message{From: "a@example.org", AuthenticationResults: []string{s}})
		if e.Verdict == Pass && !strings.EqualFold(h.AuthservID, "trusted.invalid") {
			t.Fatalf("passed a header by %q", h.AuthservID)
		}
	})
}
