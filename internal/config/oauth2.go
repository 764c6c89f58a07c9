package config

import (
	"net/url"
	"path/filepath"
	"strings"

	"consultd/internal/serverconf"
)

// OAuth2 is how consultd gets the access tokens it logs in with when
// imap.auth or smtp.auth is oauth2 (package oauth does the work).
type OAuth2 struct {
	// Grant: client_credentials (Microsoft 365 app-only), service_account
	// (Google Workspace domain-wide delegation) or refresh_token (a sign-in
	// stored by `consultd login`).
	Grant string `yaml:"grant"`
	// Provider: microsoft | google; whose endpoints and login flow.
	Provider string `yaml:"provider"`
	Tenant   string `yaml:"tenant"` // Microsoft directory: GUID or domain
	ClientID string `yaml:"client_id"`
	// The client secret: at most one of the three.
	ClientSecret     string `yaml:"client_secret"`
	ClientSecretFile string `yaml:"client_secret_file"`
	ClientSecretEnv  string `yaml:"client_secret_env"`
	// CertificateFile: PEM certificate and RSA key, instead of a secret.
	CertificateFile string `yaml:"certificate_file"`
	// KeyFile: a Google service account's JSON key.
	KeyFile string `yaml:"key_file"`
	// Subject: the mailbox a service account acts as; default imap.username.
	Subject string   `yaml:"subject"`
	Scopes  []string `yaml:"scopes"`
	// Endpoint overrides; default the provider's real ones.
	TokenURL      string `yaml:"token_url"`
	DeviceAuthURL string `yaml:"device_auth_url"`
	AuthURL       string `yaml:"auth_url"`
	// TokenFile keeps the refresh token; default oauth2-token.json beside
	// the database.
	TokenFile string `yaml:"token_file"`

	// Secret is the client secret resolved by Load. It prints as [redacted].
	Secret Secret `yaml:"-"`
}

// Values of oauth2.grant and oauth2.provider.
const (
	GrantClientCredentials = "client_credentials"
	GrantServiceAccount    = "service_account"
	GrantRefreshToken      = "refresh_token"
	OAuth2Microsoft        = "microsoft"
	OAuth2Google           = "google"
)

var (
	grants          = []string{GrantClientCredentials, GrantServiceAccount, GrantRefreshToken}
	oauth2Providers = []string{OAuth2Microsoft, OAuth2Google}
)

// UsesOAuth2 reports whether any server logs in with a token.
func (c *Config) UsesOAuth2() bool { return c.IMAP.Auth == AuthOAuth2 || c.SMTP.Auth == AuthOAuth2 }

func (v *validator) oauth2Defaults(p Preset) {
	o := &v.c.OAuth2
	low := func(s *string) { *s = strings.ToLower(strings.TrimSpace(*s)) }
	low(&o.Grant)
	low(&o.Provider)
	if o.Grant == "" && v.present("oauth2") {
		o.Grant = p.OAuth2Grant
	}
	if o.Provider == "" {
		switch {
		case p.OAuth2Provider != "":
			o.Provider = p.OAuth2Provider
		case o.Grant == GrantServiceAccount:
			o.Provider = OAuth2Google
		case o.Grant != "":
			o.Provider = OAuth2Microsoft
		}
	}
	if o.Tenant == "" && !v.present("oauth2.tenant") {
		o.Tenant = p.OAuth2Tenant
	}
	if o.Subject == "" {
		o.Subject = v.c.IMAP.Username
	}
}

func (v *validator) validateOAuth2() {
	o := v.c.OAuth2
	if o.Grant == "" {
		v.errf("oauth2.grant", "is required (use %s)", strings.Join(grants, ", "))
		return
	}
	if !v.oneOf("oauth2.grant", o.Grant, grants) {
		return
	}
	v.oneOf("oauth2.provider", o.Provider, oauth2Providers)
	need := func(key, val, why string) {
		if strings.TrimSpace(val) == "" {
			v.errf("oauth2."+key, "is required for grant %s: %s", o.Grant, why)
		}
	}
	secrets := 0
	for _, k := range []string{"client_secret", "client_secret_file", "client_secret_env"} {
		if v.present("oauth2." + k) {
			secrets++
		}
	}
	switch {
	case o.Grant == GrantClientCredentials && o.Provider == OAuth2Google:
		v.errf("oauth2.grant", "client_credentials is Microsoft's app-only access; for Google Workspace use "+
			"service_account (domain-wide delegation) or refresh_token")
	case o.Grant == GrantServiceAccount && o.Provider == OAuth2Microsoft:
		v.errf("oauth2.grant", "service_account is Google's; for Microsoft 365 use client_credentials (app-only access) or refresh_token")
	case o.Grant == GrantRefreshToken && o.Provider == OAuth2Google && secrets == 0:
		v.errf("oauth2", "Google's sign-in needs the OAuth client's secret (a Desktop app client): set client_secret_file, "+
			"client_secret_env or client_secret")
	}
	switch o.Grant {
	case GrantClientCredentials:
		need("client_id", o.ClientID, "the Application (client) ID of the app registration")
		if o.Provider == OAuth2Microsoft && o.TokenURL == "" {
			need("tenant", o.Tenant, "the Directory (tenant) ID, or the organisation's domain")
		}
		switch {
		case secrets == 0 && o.CertificateFile == "":
			v.errf("oauth2", "grant client_credentials needs the app's credential: one of client_secret_file, "+
				"client_secret_env, client_secret or certificate_file")
		case secrets > 0 && o.CertificateFile != "":
			v.errf("oauth2.certificate_file", "set either a client secret or certificate_file, not both")
		}
	case GrantServiceAccount:
		need("key_file", o.KeyFile, "the service account's JSON key, downloaded from the Google Cloud console")
		need("subject", o.Subject, "the mailbox to act as (default imap.username)")
	case GrantRefreshToken:
		need("client_id", o.ClientID, "the client ID of the app `consultd login` signs in with")
	}
	for _, u := range []struct{ key, val string }{{"token_url", o.TokenURL}, {"device_auth_url", o.DeviceAuthURL}, {"auth_url", o.AuthURL}} {
		if u.val == "" {
			continue
		}
		pu, err := url.Parse(u.val)
		switch {
		case err != nil || pu.Host == "" || (pu.Scheme != "https" && pu.Scheme != "http"):
			v.errf("oauth2."+u.key, "%q is not an http(s) URL", u.val)
		case pu.Scheme == "http" && !serverconf.IsLoopback(pu.Hostname()):
			// The client secret or the refresh token would cross the network in clear.
			v.errf("oauth2."+u.key, "%q must use https (http only to loopback, for tests)", u.val)
		}
	}
	for i, s := range o.Scopes {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t") {
			v.errf("oauth2.scopes", "scope %d %q must be one non-empty word", i+1, s)
		}
	}
}

// resolveOAuth2 anchors its files and reads the client secret.
func (v *validator) resolveOAuth2() {
	o := &v.c.OAuth2
	o.ClientSecretFile = v.abs(o.ClientSecretFile)
	o.CertificateFile = v.abs(o.CertificateFile)
	o.KeyFile = v.abs(o.KeyFile)
	if o.TokenFile == "" && o.Grant == GrantRefreshToken {
		db := v.c.Database
		if db == ":memory:" || strings.HasPrefix(db, "file:") {
			db = v.abs("consultd.db")
		}
		o.TokenFile = filepath.Join(filepath.Dir(db), "oauth2-token.json")
	}
	o.TokenFile = v.abs(o.TokenFile)
	if !v.c.UsesOAuth2() || o.Grant == GrantServiceAccount {
		return
	}
	o.Secret = v.secretAt("oauth2", "client_secret", o.ClientSecret, o.ClientSecretFile, o.ClientSecretEnv)
	o.ClientSecret = ""
}
