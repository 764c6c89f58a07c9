// Package oauth gets the OAuth2 access tokens consultd logs in to IMAP and
// SMTP with (SASL XOAUTH2, and OAUTHBEARER of RFC 7628), from one of three
// kinds of grant:
//
//   - client_credentials: Microsoft 365 app-only access (RFC 6749 §4.4), with
//     a client secret or a certificate (a signed client assertion, RFC 7523);
//   - service_account: a Google Workspace service account with domain-wide
//     delegation (a JWT bearer grant, RFC 7523, acting as the mailbox);
//   - refresh_token: a refresh token obtained once by `consultd login`
//     (device code, RFC 8628, for Microsoft; a loopback redirect with PKCE,
//     RFC 8252, for Google), kept in a 0600 file beside the database.
//
// A Source caches its token and fetches a new one shortly before it expires,
// or at once after a server refused it (Invalidate). Tokens and secrets are
// never part of an error or log line: errors from the token endpoint are
// reduced to its status and OAuth error code.
package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Grants.
const (
	GrantClientCredentials = "client_credentials"
	GrantServiceAccount    = "service_account"
	GrantRefreshToken      = "refresh_token"
)

// Providers (whose endpoints and login flow a refresh_token grant uses).
const (
	ProviderMicrosoft = "microsoft"
	ProviderGoogle    = "google"
)

// Scopes consultd asks for by default.
const (
	ScopeMicrosoftApp = "https://outlook.office365.com/.default"
	ScopeGoogleMail   = "https://mail.google.com/"
)

// ScopesMicrosoftUser are the delegated scopes for a signed-in Microsoft user
// (Outlook.com, or Microsoft 365 without app-only access).
var ScopesMicrosoftUser = []string{"https://outlook.office.com/IMAP.AccessAsUser.All",
	"https://outlook.office.com/SMTP.Send", "offline_access"}

// Settings say where and how to get tokens. Config fills them from the
// oauth2 block; zero URLs get the provider's real endpoints.
type Settings struct {
	Grant    string // GrantClientCredentials | GrantServiceAccount | GrantRefreshToken
	Provider string // ProviderMicrosoft | ProviderGoogle
	Tenant   string // Microsoft: the directory (GUID or domain)
	ClientID string
	// ClientSecret: Microsoft app secret, or the Google desktop client's secret.
	ClientSecret string
	// CertificateFile: PEM with the app's certificate and its RSA private key
	// (Microsoft, instead of a secret).
	CertificateFile string
	// KeyFile: the Google service account's JSON key.
	KeyFile string
	// Subject is the mailbox a service account acts as.
	Subject string
	Scopes  []string
	// TokenURL, DeviceAuthURL, AuthURL override the provider's endpoints
	// (tests point them at loopback).
	TokenURL, DeviceAuthURL, AuthURL string
	// TokenFile keeps the refresh token (0600).
	TokenFile string

	HTTPClient *http.Client     // nil: a client with a 30 s timeout
	Now        func() time.Time // nil: time.Now
}

// Endpoint returns the provider's endpoints with the overrides applied.
func (s Settings) Endpoint() oauth2.Endpoint {
	var e oauth2.Endpoint
	switch s.Provider {
	case ProviderGoogle:
		e = oauth2.Endpoint{AuthURL: "https://accounts.google.com/o/oauth2/auth",
			TokenURL: "https://oauth2.googleapis.com/token", DeviceAuthURL: "https://oauth2.googleapis.com/device/code"}
	default:
		tenant := s.Tenant
		if tenant == "" {
			tenant = "common"
		}
		base := "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/"
		e = oauth2.Endpoint{AuthURL: base + "authorize", TokenURL: base + "token", DeviceAuthURL: base + "devicecode"}
	}
	if s.TokenURL != "" {
		e.TokenURL = s.TokenURL
	}
	if s.DeviceAuthURL != "" {
		e.DeviceAuthURL = s.DeviceAuthURL
	}
	if s.AuthURL != "" {
		e.AuthURL = s.AuthURL
	}
	e.AuthStyle = oauth2.AuthStyleInParams // where Microsoft's and Google's examples put the secret
	return e
}

// DefaultScopes are the scopes for grant and provider when none are configured.
func DefaultScopes(grant, provider string) []string {
	switch {
	case provider == ProviderGoogle || grant == GrantServiceAccount:
		return []string{ScopeGoogleMail}
	case grant == GrantRefreshToken:
		return ScopesMicrosoftUser
	}
	return []string{ScopeMicrosoftApp}
}

func (s Settings) scopes() []string {
	if len(s.Scopes) > 0 {
		return s.Scopes
	}
	return DefaultScopes(s.Grant, s.Provider)
}

func (s Settings) httpClient() *http.Client {
	if s.HTTPClient != nil {
		return s.HTTPClient
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// GrantError is a refusal by the token endpoint that will not go away by
// itself (invalid_grant: the refresh token was revoked or expired;
// invalid_client: the secret expired), so a person must act.
type GrantError struct {
	Grant string
	Code  string // the OAuth error code
	Desc  string // the endpoint's description, cut short
	// Key identifies the refused credential (a Fingerprint), so that one
	// refusal is reported once and a new sign-in's refusal again.
	Key string
}

func (e *GrantError) Error() string {
	s := fmt.Sprintf("oauth2 token endpoint refused the %s grant: %s", e.Grant, e.Code)
	if e.Desc != "" {
		s += " (" + e.Desc + ")"
	}
	return s
}

// Fix says in plain words what makes the grant work again.
func (e *GrantError) Fix(configPath string) string {
	if e.Grant == GrantRefreshToken {
		return fmt.Sprintf("The sign-in that consultd uses to reach the mailbox was revoked or has expired. "+
			"An administrator fixes it by running:  consultd login --config %s  and then restarting consultd.", configPath)
	}
	return "The mail provider no longer accepts consultd's application credentials (an expired client secret or " +
		"certificate, or a removed permission). An administrator must renew them in the provider's admin console " +
		"and update the oauth2 block of the configuration."
}

// permanentCodes are OAuth error codes (RFC 6749 §5.2) a retry cannot cure.
var permanentCodes = map[string]bool{"invalid_grant": true, "invalid_client": true, "unauthorized_client": true}

// cleanErr reduces a token endpoint failure to its status and error code:
// x/oauth2's RetrieveError prints the whole response body.
func cleanErr(grant string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("oauth2 token request: %w", err)
		}
		return fmt.Errorf("oauth2 token request failed: %s", shorten(err.Error(), 200))
	}
	if permanentCodes[re.ErrorCode] {
		return &GrantError{Grant: grant, Code: re.ErrorCode, Desc: shorten(firstLine(re.ErrorDescription), 160)}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	code := re.ErrorCode
	if code == "" {
		code = "no error code"
	}
	return fmt.Errorf("oauth2 token endpoint answered HTTP %d (%s)", status, code)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Source hands out access tokens, cached until shortly before they expire.
// It is safe for concurrent use.
type Source struct {
	grant string
	fetch func(ctx context.Context) (*oauth2.Token, error)
	now   func() time.Time
	key   func() string // Fingerprint of the credential in use

	mu      sync.Mutex
	tok     *oauth2.Token
	fetched time.Time
	// OnGrantError is called (outside the lock) each time a fetch fails with
	// a GrantError, so the daemon can tell the coordinators.
	OnGrantError func(*GrantError)
}

// New returns a Source for s. It reads key and token files now, so a
// missing file is reported at start.
func New(s Settings) (*Source, error) {
	src := &Source{grant: s.Grant, now: s.Now}
	if src.now == nil {
		src.now = time.Now
	}
	var err error
	switch s.Grant {
	case GrantClientCredentials:
		src.fetch, err = clientCredentials(s)
		src.key = func() string { return Fingerprint(s.ClientID + "\x00" + s.ClientSecret + "\x00" + s.CertificateFile) }
	case GrantServiceAccount:
		src.fetch, err = serviceAccount(s)
		src.key = func() string { return Fingerprint(s.KeyFile + "\x00" + s.Subject) }
	case GrantRefreshToken:
		src.fetch, src.key, err = refreshToken(s)
	default:
		err = fmt.Errorf("oauth2: unknown grant %q", s.Grant)
	}
	if err != nil {
		return nil, err
	}
	return src, nil
}

// NewFunc returns a Source around any token function (tests, other grants).
func NewFunc(grant string, fetch func(ctx context.Context) (*oauth2.Token, error)) *Source {
	return &Source{grant: grant, fetch: fetch, now: time.Now}
}

// refreshMargin is how long before expiry a token is replaced: a quarter of
// its lifetime, at most five minutes, so that a login never starts with a
// token about to lapse (and short-lived test tokens are exercised too).
func refreshMargin(lifetime time.Duration) time.Duration {
	return min(5*time.Minute, lifetime/4)
}

// Token returns a valid access token, fetching one when needed.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if t := s.tok; t != nil && (t.Expiry.IsZero() || s.now().Before(t.Expiry.Add(-refreshMargin(t.Expiry.Sub(s.fetched))))) {
		s.mu.Unlock()
		return t.AccessToken, nil
	}
	s.mu.Unlock()

	now := s.now()
	t, err := s.fetch(ctx)
	if err == nil && (t == nil || t.AccessToken == "") {
		err = errors.New("oauth2 token endpoint answered without an access token")
	}
	if err != nil {
		err = cleanErr(s.grant, err)
		var ge *GrantError
		if errors.As(err, &ge) {
			if s.key != nil {
				ge.Key = s.key()
			}
			if s.OnGrantError != nil {
				s.OnGrantError(ge)
			}
		}
		return "", err
	}
	s.mu.Lock()
	s.tok, s.fetched = t, now
	s.mu.Unlock()
	return t.AccessToken, nil
}

// Invalidate forgets access (a token a server just refused), so the next
// Token fetches a new one. A token already replaced is left alone.
func (s *Source) Invalidate(access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == access {
		s.tok = nil
	}
}

// Expiry is when access expires, if it is the token the Source holds (zero
// otherwise, or when the provider did not say).
func (s *Source) Expiry(access string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == access {
		return s.tok.Expiry
	}
	return time.Time{}
}

// Fingerprint identifies a secret in records without revealing it (the
// first 12 hex digits of its SHA-256).
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:6])
}
