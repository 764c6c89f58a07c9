// Package mailauth says how consultd logs in to the coalition's IMAP and SMTP
// servers, from the configuration: with the password (IMAP LOGIN, SMTP
// PLAIN/LOGIN) or with an OAuth2 access token (SASL OAUTHBEARER, RFC 7628,
// when the server offers it, else XOAUTH2), from the grant in the oauth2
// block (package oauth). The daemon, `consultd login` and `consultd doctor`
// all go through it, so they log in the same way.
package mailauth

import (
	"context"
	"fmt"
	"net/http"

	"github.com/emersion/go-imap/v2/imapclient"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"consultd/internal/config"
	"consultd/internal/oauth"
	"consultd/internal/sender"
	"consultd/internal/serverconf"
)

// Auth logs in to the configured servers. One Auth shares one token cache
// between IMAP and SMTP. It is safe for concurrent use.
type Auth struct {
	cfg *config.Config
	src *oauth.Source // nil unless imap.auth or smtp.auth is oauth2
}

// New prepares the logins of cfg; hc (nil: a default client) makes the
// token requests. It fails when a key, certificate or token file cannot be
// read (e.g. `consultd login` has not been run yet).
func New(cfg *config.Config, hc *http.Client) (*Auth, error) {
	a := &Auth{cfg: cfg}
	if !cfg.UsesOAuth2() {
		return a, nil
	}
	src, err := oauth.New(Settings(cfg, hc))
	if err != nil {
		return nil, err
	}
	a.src = src
	return a, nil
}

// Settings is the oauth2 block of cfg as package oauth takes it.
func Settings(cfg *config.Config, hc *http.Client) oauth.Settings {
	o := cfg.OAuth2
	return oauth.Settings{Grant: o.Grant, Provider: o.Provider, Tenant: o.Tenant, ClientID: o.ClientID,
		ClientSecret: o.Secret.Reveal(), CertificateFile: o.CertificateFile, KeyFile: o.KeyFile, Subject: o.Subject,
		Scopes: o.Scopes, TokenURL: o.TokenURL, DeviceAuthURL: o.DeviceAuthURL, AuthURL: o.AuthURL,
		TokenFile: o.TokenFile, HTTPClient: hc}
}

// OnGrantError registers f to be called each time the token endpoint
// refuses the grant for good (a revoked sign-in, an expired secret).
func (a *Auth) OnGrantError(f func(*oauth.GrantError)) {
	if a.src != nil {
		a.src.OnGrantError = f
	}
}

// Source is the token source, nil without OAuth2.
func (a *Auth) Source() *oauth.Source { return a.src }

// IMAP logs c in (after its greeting). With OAuth2, a refused token is
// forgotten and the error has TokenRefused() true: the connection is then
// unusable, and a new connection gets a fresh token.
func (a *Auth) IMAP(ctx context.Context, c *imapclient.Client) error {
	m := a.cfg.IMAP
	if m.Auth != config.AuthOAuth2 {
		return c.Login(m.Username, m.Pass()).Wait()
	}
	return oauth.LoginIMAP(ctx, c, a.src, m.Username, m.Host, m.Port)
}

// SMTP returns the authentication for one SMTP connection, nil when SMTP
// sends without AUTH. An OAuth2 one has Invalidate() bool, to call after the
// server refused it (the sender does, then connects once more).
func (a *Auth) SMTP(ctx context.Context) gosmtp.Auth {
	s := a.cfg.SMTP
	switch {
	case s.Auth == config.AuthOAuth2:
		return oauth.NewSMTPAuth(ctx, a.src, s.Username, s.Port)
	case s.Auth == config.AuthNone || s.Username == "":
		return nil
	}
	srv := serverconf.Server{Host: s.Host, Port: s.Port, Security: s.Security, Credentials: true,
		AllowInsecureAuth: s.AllowInsecureAuth}
	return sender.PasswordAuth(s.Username, s.Pass(), s.Host, srv.PlainAuthAllowed())
}

// Describe says how each server logs in, for the start-up log line (no
// secret).
func Describe(cfg *config.Config) string {
	smtp := cfg.SMTP.Auth
	if smtp == "" || smtp == config.AuthNone {
		if cfg.SMTP.Username == "" {
			smtp = "none"
		} else {
			smtp = config.AuthPassword
		}
	}
	s := fmt.Sprintf("imap %s, smtp %s", cfg.IMAP.Auth, smtp)
	if cfg.UsesOAuth2() {
		s += fmt.Sprintf(" (oauth2 grant %s, provider %s)", cfg.OAuth2.Grant, cfg.OAuth2.Provider)
	}
	return s
}
