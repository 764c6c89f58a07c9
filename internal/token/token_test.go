package token

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestLogsNeverShowATokenWhoeverLogsIt(t *testing.T) {
	tok, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: RedactAttr}))
	log.Info("sent "+"x", "message_id", "c-"+tok+"-0a1b2c@coal.example", "to", "coalition+"+tok+"@coal.example")
	log.Error("failed", "err", errors.New("rcpt coalition+"+tok+"@coal.example refused"))
	if strings.Contains(buf.String(), tok) {
		t.Fatalf("token in log:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "coalition+[token]@coal.example") {
		t.Fatalf("redaction lost the rest of the address:\n%s", buf.String())
	}
}

func TestATokenIsFoundWhereverConsultdPutIt(t *testing.T) {
	tok, _ := New()
	id, err := MessageID("c", tok, "coal.example")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		addrs, ids []string
		want       string
	}{
		{"plus address", []string{"Coalition+" + strings.ToUpper(tok) + "@Coal.Example"}, nil, tok},
		{"plus address in angle brackets", []string{"<coalition+" + tok + "@coal.example>"}, nil, tok},
		{"plus address on another domain", []string{"coalition+" + tok + "@other.example"}, nil, ""},
		{"another local part", []string{"someone+" + tok + "@coal.example"}, nil, ""},
		{"References only (plus address lost)", []string{"coalition@coal.example"}, []string{"<x@y>", "<" + id + ">"}, tok},
		{"a foreign Message-ID", nil, []string{"<c-" + tok + "-aa@evil.example>"}, ""},
		{"nothing", []string{"coalition@coal.example"}, nil, ""},
	}
	for _, c := range cases {
		if got := Find("coalition", "coal.example", c.addrs, c.ids); got != c.want {
			t.Errorf("%s: Find = %q, want %q", c.name, got, c.want)
		}
	}
	other, _ := New()
	if other == tok || len(tok) != Len {
		t.Fatalf("tokens %q %q", tok, other)
	}
}

// OAuth2 credentials in the shapes a library error could quote never reach
// a log either.
func TestLogsNeverShowAnOAuth2Credential(t *testing.T) {
	secret := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.payload.sig-_~+/="
	shapes := []string{
		"Authorization: Bearer " + secret,
		"user=coalition@coal.example\x01auth=Bearer " + secret + "\x01\x01",
		`{"access_token":"` + secret + `","token_type":"Bearer","expires_in":3599}`,
		`{"refresh_token": "` + secret + `"}`,
		"grant_type=refresh_token&refresh_token=" + secret + "&client_id=abc",
		"client_id=abc&client_secret=" + secret + "&scope=x",
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: RedactAttr}))
	for _, s := range shapes {
		log.Error("token request failed", "err", errors.New(s), "body", s)
		log.Info(s)
	}
	if strings.Contains(buf.String(), "payload.sig") {
		t.Fatalf("a credential in the log:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "client_id=abc") || !strings.Contains(buf.String(), "token_type") {
		t.Fatalf("redaction took more than the credential:\n%s", buf.String())
	}
}
