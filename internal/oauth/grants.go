package oauth

import (
	"consultd/internal/atomicfile"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is defined as the SHA-1 thumbprint (RFC 7515 §4.1.7)
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/google"
)

// maxFile bounds what is read from key, certificate and token files.
const maxFile = 256 << 10

func readSmall(path, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("oauth2 %s: %w", what, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("oauth2 %s: %w", what, err)
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("oauth2 %s %s is larger than %d bytes", what, path, maxFile)
	}
	return data, nil
}

func (s Settings) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, s.httpClient())
}

// clientCredentials is Microsoft 365 app-only access: the app's own token,
// with a secret or a certificate-signed assertion.
func clientCredentials(s Settings) (func(context.Context) (*oauth2.Token, error), error) {
	e := s.Endpoint()
	cc := clientcredentials.Config{ClientID: s.ClientID, ClientSecret: s.ClientSecret, TokenURL: e.TokenURL,
		Scopes: s.scopes(), AuthStyle: oauth2.AuthStyleInParams}
	if s.CertificateFile == "" {
		return func(ctx context.Context) (*oauth2.Token, error) { return cc.Token(s.ctx(ctx)) }, nil
	}
	key, cert, err := loadCertificate(s.CertificateFile)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) (*oauth2.Token, error) {
		// The assertion is short-lived, so each request gets a new one.
		a, err := clientAssertion(key, cert, s.ClientID, e.TokenURL, time.Now())
		if err != nil {
			return nil, err
		}
		c := cc
		c.ClientSecret = ""
		c.EndpointParams = url.Values{
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {a},
		}
		return c.Token(s.ctx(ctx))
	}, nil
}

// loadCertificate reads a PEM file holding the certificate and its RSA key
// (as Entra's "upload certificate" expects: the public part is uploaded).
func loadCertificate(path string) (*rsa.PrivateKey, *x509.Certificate, error) {
	data, err := readSmall(path, "certificate_file")
	if err != nil {
		return nil, nil, err
	}
	var key *rsa.PrivateKey
	var cert *x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			if cert == nil {
				cert, err = x509.ParseCertificate(b.Bytes)
			}
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "PRIVATE KEY":
			var k any
			if k, err = x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
				var ok bool
				if key, ok = k.(*rsa.PrivateKey); !ok {
					err = errors.New("the private key is not RSA (Entra signs assertions with RS256)")
				}
			}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("oauth2 certificate_file %s: %v", path, err)
		}
	}
	if key == nil || cert == nil {
		return nil, nil, fmt.Errorf("oauth2 certificate_file %s must hold a CERTIFICATE and its RSA PRIVATE KEY in PEM", path)
	}
	return key, cert, nil
}

// clientAssertion is the RS256 JWT Entra accepts in place of a secret: the
// certificate's SHA-1 thumbprint (x5t) names the key.
func clientAssertion(key *rsa.PrivateKey, cert *x509.Certificate, clientID, aud string, now time.Time) (string, error) {
	thumb := sha1.Sum(cert.Raw) //nolint:gosec // see import
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "x5t": enc.EncodeToString(thumb[:])})
	c, _ := json.Marshal(map[string]any{"aud": aud, "iss": clientID, "sub": clientID, "jti": enc.EncodeToString(jti),
		"nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()})
	signing := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// serviceAccount is Google Workspace domain-wide delegation: a JWT signed
// with the service account's key, acting as Subject (the mailbox).
func serviceAccount(s Settings) (func(context.Context) (*oauth2.Token, error), error) {
	data, err := readSmall(s.KeyFile, "key_file")
	if err != nil {
		return nil, err
	}
	jc, err := google.JWTConfigFromJSON(data, s.scopes()...)
	if err != nil {
		// The parse error may quote the file; say only what is wrong.
		return nil, fmt.Errorf("oauth2 key_file %s is not a Google service account JSON key", s.KeyFile)
	}
	jc.Subject = s.Subject
	if s.TokenURL != "" {
		jc.TokenURL = s.TokenURL
	}
	return func(ctx context.Context) (*oauth2.Token, error) {
		return jc.TokenSource(s.ctx(ctx)).Token()
	}, nil
}

// refreshToken uses the token `consultd login` stored, and stores the new
// refresh token whenever the provider rotates it (Microsoft does).
func refreshToken(s Settings) (func(context.Context) (*oauth2.Token, error), func() string, error) {
	stored, err := LoadToken(s.TokenFile)
	if err != nil {
		return nil, nil, err
	}
	cfg := s.oauth2Config("")
	var mu sync.Mutex
	current := stored.RefreshToken
	key := func() string {
		mu.Lock()
		defer mu.Unlock()
		return Fingerprint(current)
	}
	return func(ctx context.Context) (*oauth2.Token, error) {
		mu.Lock()
		defer mu.Unlock()
		t, err := cfg.TokenSource(s.ctx(ctx), &oauth2.Token{RefreshToken: current}).Token()
		if err != nil {
			return nil, err
		}
		if t.RefreshToken != "" && t.RefreshToken != current {
			if err := SaveToken(s.TokenFile, &StoredToken{Provider: s.Provider, RefreshToken: t.RefreshToken}); err != nil {
				return nil, err
			}
			current = t.RefreshToken
		}
		return t, nil
	}, key, nil
}

func (s Settings) oauth2Config(redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: s.ClientID, ClientSecret: s.ClientSecret, Endpoint: s.Endpoint(),
		Scopes: s.scopes(), RedirectURL: redirect}
}

// StoredToken is what the token file holds.
type StoredToken struct {
	Provider     string    `json:"provider"`
	RefreshToken string    `json:"refresh_token"`
	SavedAt      time.Time `json:"saved_at"`
}

// LoadToken reads the token file `consultd login` wrote.
func LoadToken(path string) (*StoredToken, error) {
	if path == "" {
		return nil, errors.New("oauth2: no token_file")
	}
	data, err := readSmall(path, "token_file")
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("oauth2 token_file %s does not exist yet: run  consultd login --config FILE  once", path)
	}
	if err != nil {
		return nil, err
	}
	var t StoredToken
	if err := json.Unmarshal(data, &t); err != nil || strings.TrimSpace(t.RefreshToken) == "" {
		return nil, fmt.Errorf("oauth2 token_file %s holds no refresh token: run  consultd login --config FILE  again", path)
	}
	return &t, nil
}

// SaveToken writes the token file atomically, readable by its owner only.
func SaveToken(path string, t *StoredToken) error {
	if t.SavedAt.IsZero() {
		t.SavedAt = time.Now().UTC()
	}
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteMode(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("oauth2: save token: %w", err)
	}
	return nil
}
