package config

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// people is the rest of a configuration (coordinators and members).
const people = `coordinators:
  - {name: Rania, email: rania@coalition.example}
members:
  - {id: sjac, name: SJAC, emails: [info@sjac.example]}
`

func TestMicrosoft365PresetNeedsOnlyTheAppRegistration(t *testing.T) {
	t.Setenv("M365_SECRET", "app-secret-value")
	cfg := mustLoad(t, `coalition: {name: C, address: coalition@coalition.example}
mail_provider: Microsoft365
imap: {username: coalition@coalition.example}
oauth2:
  tenant: coalition.example
  client_id: 11111111-2222-3333-4444-555555555555
  client_secret_env: M365_SECRET
`+people)
	want := []any{"outlook.office365.com", 993, "tls", "smtp.office365.com", 587, "starttls", AuthOAuth2, AuthOAuth2,
		"coalition@coalition.example", GrantClientCredentials, OAuth2Microsoft, "Junk Email", ProviderMicrosoft365, true}
	got := []any{cfg.IMAP.Host, cfg.IMAP.Port, cfg.IMAP.Security, cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.Security, cfg.IMAP.Auth,
		cfg.SMTP.Auth, cfg.SMTP.Username, cfg.OAuth2.Grant, cfg.OAuth2.Provider, cfg.IMAP.Junk, cfg.Authentication.Provider,
		cfg.Coalition.PlusAddressing}
	if !slices.Equal(got, want) {
		t.Fatalf("microsoft365 preset\n got %v\nwant %v", got, want)
	}
	if cfg.OAuth2.Secret.Reveal() != "app-secret-value" {
		t.Fatalf("client secret not read from the environment")
	}
}

func TestPresetsFillServersAndExplicitKeysWin(t *testing.T) {
	cases := []struct {
		name, yaml string
		imap       string // host:port/security
		smtp       string
		auth       string // imap auth / smtp auth
		junk       string
	}{
		{"gmail with an app password", "mail_provider: gmail\nimap: {username: c@coalition.example, password: app-pw}\nsmtp: {username: c@coalition.example, password: app-pw}\n",
			"imap.gmail.com:993/tls", "smtp.gmail.com:587/starttls", "password/password", "[Gmail]/Spam"},
		{"fastmail", "mail_provider: fastmail\nimap: {username: c@coalition.example, password: pw}\nsmtp: {username: c@coalition.example, password: pw}\n",
			"imap.fastmail.com:993/tls", "smtp.fastmail.com:465/tls", "password/password", "Spam"},
		{"explicit host and port win", "mail_provider: fastmail\nimap: {host: imap.mirror.example, port: 1993, username: c@coalition.example, password: pw}\nsmtp: {host: relay.example}\n",
			"imap.mirror.example:1993/tls", "relay.example:465/tls", "password/", "Spam"},
		{"an explicit security takes that security's default port", "mail_provider: fastmail\nimap: {security: starttls, username: c@coalition.example, password: pw}\nsmtp: {security: starttls}\n",
			"imap.fastmail.com:143/starttls", "smtp.fastmail.com:587/starttls", "password/", "Spam"},
		{"explicit junk wins", "mail_provider: gmail\nimap: {username: c@coalition.example, password: pw, junk: Spam}\n",
			"imap.gmail.com:993/tls", "smtp.gmail.com:587/starttls", "password/oauth2", "Spam"},
		{"generic fills nothing", "mail_provider: generic\nimap: {host: mail.example, username: c@coalition.example, password: pw}\nsmtp: {host: mail.example}\n",
			"mail.example:993/tls", "mail.example:587/starttls", "password/", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "coalition: {name: C, address: coalition@coalition.example}\n" + c.yaml + people
			if strings.Contains(c.auth, "oauth2") {
				src += "oauth2: {key_file: sa.json}\n"
			}
			path := writeConfig(t, src)
			_ = os.WriteFile(filepath.Join(filepath.Dir(path), "sa.json"), []byte("{}"), 0o600)
			cfg, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			srv := func(h string, p int, s string) string { return h + ":" + strconv.Itoa(p) + "/" + s }
			got := []string{srv(cfg.IMAP.Host, cfg.IMAP.Port, cfg.IMAP.Security), srv(cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.Security),
				cfg.IMAP.Auth + "/" + cfg.SMTP.Auth, cfg.IMAP.Junk}
			want := []string{c.imap, c.smtp, c.auth, c.junk}
			if !slices.Equal(got, want) {
				t.Fatalf("\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestGmailPresetTrustsGooglesHeadersUnlessAuthenticationIsWritten(t *testing.T) {
	src := "coalition: {name: C, address: coalition@coalition.example}\nmail_provider: gmail\nimap: {username: c@coalition.example, password: pw}\n" + people
	if got := mustLoad(t, src).Authentication.AuthservID; got != "mx.google.com" {
		t.Fatalf("gmail authserv_id %q", got)
	}
	if got := mustLoad(t, src+"authentication: {authserv_id: \"\"}\n").Authentication.AuthservID; got != "" {
		t.Fatalf("an explicit empty authserv_id was overridden: %q", got)
	}
}

func TestPlusAddressingOffPutsTheBareAddressInReplyTo(t *testing.T) {
	on := mustLoad(t, base)
	if got := on.PlusAddress("abc"); got != "coalition+abc@coalition.example" {
		t.Fatalf("default: %s", got)
	}
	off := mustLoad(t, edit(base, 3, "  address: coalition@coalition.example\n  plus_addressing: false"))
	if got := off.PlusAddress("abc"); got != "coalition@coalition.example" {
		t.Fatalf("plus_addressing false: %s", got)
	}
}

func TestOAuth2ConfigurationErrorsSayWhatToDo(t *testing.T) {
	head := "coalition: {name: C, address: coalition@coalition.example}\nsmtp: {host: s.example}\n"
	cases := []struct {
		name, src string
		want      []string
	}{
		{"unknown provider", head + "mail_provider: yahoo\nimap: {host: h.example, username: u@x.example, password: p}\n" + people,
			[]string{`3:1: mail_provider: "yahoo" is not allowed (use microsoft365, outlook.com, gmail, fastmail, generic)`}},
		{"microsoft365 with a password", "coalition: {name: C, address: coalition@coalition.example}\nmail_provider: microsoft365\nimap: {username: u@x.example, password: p}\nsmtp: {auth: password, username: u@x.example, password: p}\n" + people,
			[]string{`3:1: imap.auth: microsoft365 refuses password logins for IMAP ("NO Basic authentication is disabled"): set auth: oauth2 and an oauth2 block`}},
		{"microsoft365 without an oauth2 block", "coalition: {name: C, address: coalition@coalition.example}\nmail_provider: microsoft365\nimap: {username: u@x.example}\n" + people,
			[]string{`3:1: imap.auth: oauth2 needs the oauth2 block (grant, client_id, ...): see configs/example.yaml and the README section "Microsoft 365 / Google Workspace"`}},
		{"oauth2 and a password on one server", head + "imap: {host: h.example, auth: oauth2, username: u@x.example, password: p}\noauth2: {grant: service_account, key_file: k.json}\n" + people,
			[]string{"3:25: imap.auth: is oauth2, so the password of imap is not used: remove it"}},
		{"client credentials without tenant or secret", head + "imap: {host: h.example, username: u@x.example}\noauth2: {grant: client_credentials, client_id: abc}\n" + people,
			[]string{"4:1: oauth2: grant client_credentials needs the app's credential: one of client_secret_file, client_secret_env, client_secret or certificate_file",
				"4:1: oauth2.tenant: is required for grant client_credentials: the Directory (tenant) ID, or the organisation's domain"}},
		{"two secrets", head + "imap: {host: h.example, username: u@x.example}\noauth2: {grant: client_credentials, tenant: t, client_id: abc, client_secret: s, client_secret_env: HOME}\n" + people,
			[]string{"4:64: oauth2.client_secret: set only one of client_secret, client_secret_file and client_secret_env"}},
		{"token url over http to a remote host", head + "imap: {host: h.example, username: u@x.example}\noauth2: {grant: refresh_token, client_id: abc, token_url: \"http://login.example/token\"}\n" + people,
			[]string{`4:48: oauth2.token_url: "http://login.example/token" must use https (http only to loopback, for tests)`}},
		{"unknown grant", head + "imap: {host: h.example, username: u@x.example}\noauth2: {grant: password}\n" + people,
			[]string{`4:10: oauth2.grant: "password" is not allowed (use client_credentials, service_account, refresh_token)`}},
		{"client credentials at Google", head + "imap: {host: h.example, username: u@x.example}\noauth2: {grant: client_credentials, provider: google, client_id: a, client_secret: s}\n" + people,
			[]string{"4:10: oauth2.grant: client_credentials is Microsoft's app-only access; for Google Workspace use service_account (domain-wide delegation) or refresh_token"}},
		{"Google sign-in without the client secret", head + "imap: {host: h.example, username: u@x.example}\noauth2: {grant: refresh_token, provider: google, client_id: a}\n" + people,
			[]string{"4:1: oauth2: Google's sign-in needs the OAuth client's secret (a Desktop app client): set client_secret_file, client_secret_env or client_secret"}},
		{"oauth2 block nobody uses", "coalition: {name: C, address: coalition@coalition.example}\nsmtp: {host: s.example, username: u@x.example, password: p}\nimap: {host: h.example, username: u@x.example, password: p}\noauth2: {grant: refresh_token, client_id: a}\n" + people,
			[]string{"4:1: oauth2: is set but neither imap.auth nor smtp.auth is oauth2: remove it, or set auth: oauth2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := loadErrs(t, c.src)
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("errors\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestRefreshTokenFileDefaultsBesideTheDatabase(t *testing.T) {
	cfg := mustLoad(t, "coalition: {name: C, address: coalition@coalition.example}\nimap: {host: h.example, username: u@x.example}\n"+
		"smtp: {host: s.example, username: u@x.example, password: p}\ndatabase: state/consultd.db\noauth2: {grant: refresh_token, provider: google, client_id: a, client_secret: s}\n"+people)
	if want := filepath.Join(filepath.Dir(cfg.Database), "oauth2-token.json"); cfg.OAuth2.TokenFile != want {
		t.Fatalf("token_file %q, want %q", cfg.OAuth2.TokenFile, want)
	}
	if cfg.OAuth2.Secret.Reveal() != "s" || cfg.OAuth2.ClientSecret != "" {
		t.Fatalf("the inline client secret must move into Secret")
	}
	if cfg.SMTP.Auth != AuthPassword || cfg.IMAP.Auth != AuthOAuth2 {
		t.Fatalf("imap without a password and smtp with one got auth %q and %q", cfg.IMAP.Auth, cfg.SMTP.Auth)
	}
}
