package oauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // checks x5t
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/internal/oauth/oauthtest"
)

func startServer(t *testing.T) *oauthtest.Server {
	t.Helper()
	s, err := oauthtest.Start("127.0.0.1:0", "coalition@example.test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func appSettings(s *oauthtest.Server) Settings {
	return Settings{Grant: GrantClientCredentials, Provider: ProviderMicrosoft, Tenant: "contoso.example",
		ClientID: "consultd-test", ClientSecret: "s3cret-client", TokenURL: s.URL + "/token"}
}

// clock is a settable time for the Source's cache.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestTokenIsReusedUntilShortlyBeforeItExpiresThenRefreshed(t *testing.T) {
	srv := startServer(t)
	srv.Set(func(s *oauthtest.Server) { s.Lifetime = 40 * time.Second })
	c := &clock{t: time.Now()}
	st := appSettings(srv)
	st.Now = c.now
	src, err := New(st)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(25 * time.Second) // 15 s left: more than a quarter of 40 s
	if b, _ := src.Token(ctx); b != a {
		t.Fatalf("a token with 15 s of 40 left was replaced")
	}
	c.t = c.t.Add(6 * time.Second) // 9 s left: inside the margin
	b, err := src.Token(ctx)
	if err != nil || b == a {
		t.Fatalf("a token 9 s before expiry was not refreshed (err %v)", err)
	}
	if n := srv.Stats().Issued; n != 2 {
		t.Fatalf("token endpoint issued %d tokens, want 2", n)
	}
	if f := srv.LastForm(); f.Get("scope") != ScopeMicrosoftApp || f.Get("client_secret") != "s3cret-client" {
		t.Fatalf("client credentials request: scope %q, secret sent in the body: %v", f.Get("scope"), f.Get("client_secret") != "")
	}
}

func TestInvalidateFetchesAFreshTokenButKeepsANewerOne(t *testing.T) {
	srv := startServer(t)
	src, err := New(appSettings(srv))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, _ := src.Token(ctx)
	src.Invalidate(a)
	b, _ := src.Token(ctx)
	if b == a {
		t.Fatal("a refused token was handed out again")
	}
	src.Invalidate(a) // a late report about the old token
	if c, _ := src.Token(ctx); c != b {
		t.Fatal("invalidating an old token dropped the current one")
	}
}

func TestRevokedRefreshTokenIsAGrantErrorWithTheFixAndNoSecret(t *testing.T) {
	srv := startServer(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "oauth2-token.json")
	rt := srv.AddRefreshToken("rt-very-secret-refresh")
	if err := SaveToken(file, &StoredToken{Provider: ProviderMicrosoft, RefreshToken: rt}); err != nil {
		t.Fatal(err)
	}
	src, err := New(Settings{Grant: GrantRefreshToken, Provider: ProviderMicrosoft, ClientID: "consultd-test",
		TokenURL: srv.URL + "/token", TokenFile: file})
	if err != nil {
		t.Fatal(err)
	}
	var reported []*GrantError
	src.OnGrantError = func(e *GrantError) { reported = append(reported, e) }
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatalf("a valid refresh token: %v", err)
	}
	srv.RevokeRefreshTokens()
	src.Invalidate(mustToken(t, src))
	_, err = src.Token(context.Background())
	var ge *GrantError
	if !errors.As(err, &ge) || ge.Code != "invalid_grant" {
		t.Fatalf("revoked refresh token gave %v, want a GrantError invalid_grant", err)
	}
	if len(reported) != 1 {
		t.Fatalf("OnGrantError called %d times, want 1", len(reported))
	}
	if strings.Contains(err.Error(), rt) {
		t.Fatalf("the error shows the refresh token: %v", err)
	}
	if fix := ge.Fix("/etc/consultd/config.yaml"); !strings.Contains(fix, "consultd login --config /etc/consultd/config.yaml") {
		t.Fatalf("the fix does not name the command: %q", fix)
	}
}

func mustToken(t *testing.T, src *Source) string {
	t.Helper()
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestWrongClientSecretIsReportedWithoutIt(t *testing.T) {
	srv := startServer(t)
	st := appSettings(srv)
	st.ClientSecret = "wrong-secret-value"
	src, _ := New(st)
	_, err := src.Token(context.Background())
	var ge *GrantError
	if !errors.As(err, &ge) || ge.Code != "invalid_client" {
		t.Fatalf("got %v, want invalid_client", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") {
		t.Fatalf("the error shows the secret: %v", err)
	}
	if !strings.Contains(ge.Fix("x.yaml"), "renew") {
		t.Fatalf("fix for an app secret: %q", ge.Fix("x.yaml"))
	}
}

func TestTokenEndpointDownIsATemporaryError(t *testing.T) {
	srv := startServer(t)
	st := appSettings(srv)
	srv.Close()
	src, _ := New(st)
	_, err := src.Token(context.Background())
	var ge *GrantError
	if err == nil || errors.As(err, &ge) {
		t.Fatalf("endpoint down gave %v, want a plain (retryable) error", err)
	}
}

func TestRotatedRefreshTokenIsSavedOwnerOnly(t *testing.T) {
	srv := startServer(t)
	srv.Set(func(s *oauthtest.Server) { s.RotateRefresh = true })
	file := filepath.Join(t.TempDir(), "tok.json")
	rt := srv.AddRefreshToken("rt-first")
	if err := SaveToken(file, &StoredToken{Provider: ProviderMicrosoft, RefreshToken: rt}); err != nil {
		t.Fatal(err)
	}
	src, err := New(Settings{Grant: GrantRefreshToken, ClientID: "consultd-test", TokenURL: srv.URL + "/token", TokenFile: file})
	if err != nil {
		t.Fatal(err)
	}
	a := mustToken(t, src)
	src.Invalidate(a)
	mustToken(t, src) // the second refresh needs the rotated token: the first was retired
	got, err := LoadToken(file)
	if err != nil || got.RefreshToken == rt {
		t.Fatalf("rotated refresh token not saved: %+v %v", got, err)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestMissingTokenFileSaysToLogIn(t *testing.T) {
	_, err := New(Settings{Grant: GrantRefreshToken, TokenFile: filepath.Join(t.TempDir(), "none.json")})
	if err == nil || !strings.Contains(err.Error(), "consultd login") {
		t.Fatalf("got %v", err)
	}
}

func testKey(t *testing.T) (*rsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "consultd"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	var b bytes.Buffer
	_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	k8, _ := x509.MarshalPKCS8PrivateKey(key)
	_ = pem.Encode(&b, &pem.Block{Type: "PRIVATE KEY", Bytes: k8})
	return key, cert, b.Bytes()
}

func TestCertificateCredentialSendsASignedAssertionNotASecret(t *testing.T) {
	srv := startServer(t)
	key, cert, pemData := testKey(t)
	file := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(file, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	st := appSettings(srv)
	st.ClientSecret, st.CertificateFile = "", file
	src, err := New(st)
	if err != nil {
		t.Fatal(err)
	}
	mustToken(t, src)
	f := srv.LastForm()
	if f.Get("client_secret") != "" || f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		t.Fatalf("request form: %v", f)
	}
	parts := strings.Split(f.Get("client_assertion"), ".")
	if len(parts) != 3 {
		t.Fatalf("assertion is not a JWT")
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("assertion signature: %v", err)
	}
	var h map[string]string
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	_ = json.Unmarshal(hb, &h)
	thumb := sha1.Sum(cert.Raw) //nolint:gosec
	if h["alg"] != "RS256" || h["x5t"] != base64.RawURLEncoding.EncodeToString(thumb[:]) {
		t.Fatalf("assertion header %v", h)
	}
	var c map[string]any
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(cb, &c)
	if c["aud"] != srv.URL+"/token" || c["iss"] != "consultd-test" || c["sub"] != "consultd-test" {
		t.Fatalf("assertion claims %v", c)
	}
}

func TestServiceAccountActsAsTheMailbox(t *testing.T) {
	srv := startServer(t)
	key, _, _ := testKey(t)
	k8, _ := x509.MarshalPKCS8PrivateKey(key)
	keyJSON, _ := json.Marshal(map[string]string{"type": "service_account", "client_email": "consultd@proj.iam.gserviceaccount.com",
		"private_key_id": "k1", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k8})),
		"token_uri": "https://oauth2.googleapis.com/token"})
	file := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(file, keyJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := New(Settings{Grant: GrantServiceAccount, Provider: ProviderGoogle, KeyFile: file,
		Subject: "coalition@example.org", TokenURL: srv.URL + "/token"})
	if err != nil {
		t.Fatal(err)
	}
	mustToken(t, src)
	f := srv.LastForm()
	if f.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		t.Fatalf("grant %q", f.Get("grant_type"))
	}
	parts := strings.Split(f.Get("assertion"), ".")
	if len(parts) != 3 {
		t.Fatal("assertion is not a JWT")
	}
	var cs struct{ Iss, Scope, Sub string }
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if err := json.Unmarshal(cb, &cs); err != nil {
		t.Fatal(err)
	}
	if cs.Sub != "coalition@example.org" || cs.Scope != ScopeGoogleMail || cs.Iss != "consultd@proj.iam.gserviceaccount.com" {
		t.Fatalf("claims %+v", cs)
	}
}

func TestServiceAccountKeyFileThatIsNotOneIsRefusedWithoutItsContent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sa.json")
	_ = os.WriteFile(file, []byte(`{"type":"authorized_user","refresh_token":"rt-hidden"}`), 0o600)
	_, err := New(Settings{Grant: GrantServiceAccount, KeyFile: file})
	if err == nil || strings.Contains(err.Error(), "rt-hidden") {
		t.Fatalf("got %v", err)
	}
}

func TestDeviceCodeLoginStoresTheRefreshToken(t *testing.T) {
	srv := startServer(t)
	file := filepath.Join(t.TempDir(), "tok.json")
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := Login(ctx, Settings{Grant: GrantRefreshToken, Provider: ProviderMicrosoft, ClientID: "consultd-test",
		TokenURL: srv.URL + "/token", DeviceAuthURL: srv.URL + "/devicecode", TokenFile: file}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ABCD-EFGH") || !strings.Contains(out.String(), srv.URL+"/device") {
		t.Fatalf("instructions do not show the code and page:\n%s", out.String())
	}
	tok, err := LoadToken(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), tok.RefreshToken) {
		t.Fatal("the refresh token was printed")
	}
	// The stored token works.
	src, err := New(Settings{Grant: GrantRefreshToken, ClientID: "consultd-test", TokenURL: srv.URL + "/token", TokenFile: file})
	if err != nil {
		t.Fatal(err)
	}
	mustToken(t, src)
}

func TestSASLInitialResponsesMatchWhatDovecotAccepted(t *testing.T) {
	// Base64 strings from a recorded exchange with Dovecot 2.3.19
	// (shared/notes/providers.md §2.4).
	cases := []struct {
		name, mech, user, token, host string
		port                          int
		want                          string
	}{
		{"xoauth2", XOAuth2, "alice@example.test", "good-alice", "", 0, "dXNlcj1hbGljZUBleGFtcGxlLnRlc3QBYXV0aD1CZWFyZXIgZ29vZC1hbGljZQEB"},
		{"oauthbearer with host and port", OAuthBearer, "alice@example.test", "bogus", "127.0.0.1", 29143,
			"bixhPWFsaWNlQGV4YW1wbGUudGVzdCwBaG9zdD0xMjcuMC4wLjEBcG9ydD0yOTE0MwFhdXRoPUJlYXJlciBib2d1cwEB"},
	}
	for _, c := range cases {
		got := base64.StdEncoding.EncodeToString(initial(c.mech, c.user, c.token, c.host, c.port))
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	// RFC 7628 §3.1: "," and "=" in the authzid are escaped.
	if got := string(initial(OAuthBearer, "a,b=c@x", "t", "", 0)); !strings.HasPrefix(got, "n,a=a=2Cb=3Dc@x,\x01") {
		t.Errorf("authzid not escaped: %q", got)
	}
}

func TestMechanismIsChosenFromWhatTheServerOffers(t *testing.T) {
	cases := []struct {
		offered []string
		want    string
	}{
		{[]string{"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"}, OAuthBearer}, // Gmail, Dovecot
		{[]string{"LOGIN", "XOAUTH2"}, XOAuth2},                             // Microsoft 365
		{[]string{"xoauth2"}, XOAuth2},
		{[]string{"PLAIN", "LOGIN"}, ""},
	}
	for _, c := range cases {
		got, err := ChooseSMTP(c.offered)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("%v: got %q, %v; want %q", c.offered, got, err, c.want)
		}
	}
}

func TestErrorChallengeStatus(t *testing.T) {
	cases := map[string]string{
		`{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}`: "401", // Google
		`{"status":"invalid_token"}`: "invalid_token", // Dovecot OAUTHBEARER
		``:                           "",
		`not json`:                   "",
	}
	for in, want := range cases {
		if got := challengeStatus([]byte(in)); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func FuzzChallengeStatus(f *testing.F) {
	f.Add([]byte(`{"status":"401","schemes":"bearer","scope":"mail"}`))
	f.Add([]byte(`{"status":`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s := challengeStatus(b); len(s) > 44 {
			t.Fatalf("status not cut short: %d bytes", len(s))
		}
	})
}

// urlWriter passes on the first http(s) address written to it.
type urlWriter struct {
	bytes.Buffer
	urls chan string
}

func (w *urlWriter) Write(p []byte) (int, error) {
	for _, f := range strings.Fields(string(p)) {
		if strings.HasPrefix(f, "http://") || strings.HasPrefix(f, "https://") {
			select {
			case w.urls <- f:
			default:
			}
		}
	}
	return w.Buffer.Write(p)
}

// Google's way for an installed app: consultd prints a sign-in address
// with a PKCE challenge; the browser comes back to consultd's loopback
// listener with a code, which is exchanged for the refresh token.
func TestLoopbackLoginExchangesTheCodeTheBrowserBringsBack(t *testing.T) {
	srv := startServer(t)
	file := filepath.Join(t.TempDir(), "tok.json")
	out := &urlWriter{urls: make(chan string, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Login(ctx, Settings{Grant: GrantRefreshToken, Provider: ProviderGoogle, ClientID: "desktop-client",
			ClientSecret: "desktop-secret", TokenURL: srv.URL + "/token", AuthURL: "https://accounts.example/auth", TokenFile: file}, out)
	}()
	var signIn string
	select {
	case signIn = <-out.urls:
	case err := <-done:
		t.Fatalf("Login ended before printing the address: %v", err)
	case <-ctx.Done():
		t.Fatal("no sign-in address printed")
	}
	u, err := url.Parse(signIn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("access_type") != "offline" ||
		q.Get("scope") != ScopeGoogleMail || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
		t.Fatalf("sign-in address lacks PKCE, offline access, the scope or a loopback redirect: %s", signIn)
	}
	// A forged callback (wrong state) is refused; the real one completes.
	bad, err := http.Get(q.Get("redirect_uri") + "?code=good-code&state=forged")
	if err != nil {
		t.Fatal(err)
	}
	bad.Body.Close()
	if bad.StatusCode != http.StatusBadRequest {
		t.Fatalf("a callback with the wrong state got HTTP %d", bad.StatusCode)
	}
	resp, err := http.Get(q.Get("redirect_uri") + "?code=good-code&state=" + url.QueryEscape(q.Get("state")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-done; err != nil {
		t.Fatalf("Login: %v", err)
	}
	if f := srv.LastForm(); f.Get("grant_type") != "authorization_code" || f.Get("code_verifier") == "" {
		t.Fatalf("token request %v", f)
	}
	if tok, err := LoadToken(file); err != nil || !strings.HasPrefix(tok.RefreshToken, "rt-") || tok.Provider != ProviderGoogle {
		t.Fatalf("stored %+v, %v", tok, err)
	}
}
