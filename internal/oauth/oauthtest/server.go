// Package oauthtest is a small OAuth2 authorization server for tests: a
// token endpoint (client credentials, refresh token, JWT bearer and device
// code grants) and an RFC 7662 introspection endpoint, which is what
// Dovecot's passdb oauth2 (introspection_mode = post) asks. It issues
// short-lived random tokens and answers "active": false once they expire,
// as Dovecot itself never checks exp.
package oauthtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Server is a running token server. Set its fields before use; they are
// read under its lock.
type Server struct {
	URL string // http://127.0.0.1:PORT

	mu sync.Mutex
	// User is the mailbox every access token belongs to (introspection's
	// "username").
	User string
	// ClientID and ClientSecret are the accepted client credentials; an
	// empty secret accepts any client assertion too.
	ClientID, ClientSecret string
	// Lifetime of each access token (expires_in).
	Lifetime time.Duration
	// RotateRefresh: each refresh_token grant returns a new refresh token
	// and retires the old one, as Microsoft does.
	RotateRefresh bool
	lastForm      url.Values

	refresh map[string]bool // refresh token → still valid
	access  map[string]time.Time
	devices map[string]int // device code → polls left before approval

	issued, introspected, activeAnswers, inactiveAnswers int
	grants                                               map[string]int
	srv                                                  *http.Server
	ln                                                   net.Listener
}

// Start listens on addr ("127.0.0.1:0" for any port) until Close.
func Start(addr, user string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), User: user, ClientID: "consultd-test", ClientSecret: "s3cret-client",
		Lifetime: time.Hour, refresh: map[string]bool{}, access: map[string]time.Time{}, devices: map[string]int{},
		grants: map[string]int{}, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /introspect", s.introspect)
	mux.HandleFunc("POST /devicecode", s.deviceCode)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { _ = s.srv.Close() }

// Set changes settings under the lock.
func (s *Server) Set(f func(s *Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// AddRefreshToken makes rt valid and returns it.
func (s *Server) AddRefreshToken(rt string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh[rt] = true
	return rt
}

// RevokeRefreshTokens makes every refresh token invalid (invalid_grant).
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.refresh {
		s.refresh[k] = false
	}
}

// RevokeAccessTokens makes every access token issued so far inactive.
func (s *Server) RevokeAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.access {
		s.access[k] = time.Time{}
	}
}

// Stats are counts since Start.
type Stats struct {
	Issued       int            // access tokens issued
	Grants       map[string]int // by grant_type
	Introspected int            // introspection requests
	Active       int            // answered active: true
	Inactive     int            // answered active: false (expired, revoked, unknown)
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := map[string]int{}
	for k, v := range s.grants {
		g[k] = v
	}
	return Stats{Issued: s.issued, Grants: g, Introspected: s.introspected, Active: s.activeAnswers, Inactive: s.inactiveAnswers}
}

// Issued lists every access token issued so far (tests check that none
// reached a log).
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.access))
	for k := range s.access {
		out = append(out, k)
	}
	return out
}

// LastForm is the body of the last token request (tests read assertions).
func (s *Server) LastForm() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastForm
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthErr(w http.ResponseWriter, status int, code string) {
	answer(w, status, map[string]string{"error": code, "error_description": "refused by the test server"})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthErr(w, 400, "invalid_request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	grant := r.PostForm.Get("grant_type")
	s.grants[grant]++
	s.lastForm = r.PostForm
	var newRefresh string
	switch grant {
	case "client_credentials":
		assertion := r.PostForm.Get("client_assertion") != ""
		if id != s.ClientID || (secret != s.ClientSecret && !(assertion && secret == "")) {
			oauthErr(w, 401, "invalid_client")
			return
		}
	case "refresh_token":
		if !s.refresh[r.PostForm.Get("refresh_token")] {
			oauthErr(w, 400, "invalid_grant")
			return
		}
		if s.RotateRefresh {
			s.refresh[r.PostForm.Get("refresh_token")] = false
			newRefresh = "rt-" + random()
			s.refresh[newRefresh] = true
		}
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if r.PostForm.Get("assertion") == "" {
			oauthErr(w, 400, "invalid_grant")
			return
		}
	case "authorization_code":
		// The loopback flow (RFC 8252): the code the browser brought back,
		// with the PKCE verifier (RFC 7636) of the challenge in the sign-in URL.
		if r.PostForm.Get("code") != "good-code" || r.PostForm.Get("code_verifier") == "" || r.PostForm.Get("redirect_uri") == "" {
			oauthErr(w, 400, "invalid_grant")
			return
		}
		newRefresh = "rt-" + random()
		s.refresh[newRefresh] = true
	case "urn:ietf:params:oauth:grant-type:device_code":
		code := r.PostForm.Get("device_code")
		left, ok := s.devices[code]
		switch {
		case !ok:
			oauthErr(w, 400, "expired_token")
			return
		case left > 0:
			s.devices[code] = left - 1
			oauthErr(w, 400, "authorization_pending")
			return
		}
		delete(s.devices, code)
		newRefresh = "rt-" + random()
		s.refresh[newRefresh] = true
	default:
		oauthErr(w, 400, "unsupported_grant_type")
		return
	}
	tok := "at-" + random()
	s.access[tok] = time.Now().Add(s.Lifetime)
	s.issued++
	out := map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(s.Lifetime.Seconds())}
	if newRefresh != "" {
		out["refresh_token"] = newRefresh
	}
	answer(w, 200, out)
}

func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := random()
	s.devices[code] = 1 // one "authorization_pending" first, as a real sign-in takes a moment
	answer(w, 200, map[string]any{"device_code": code, "user_code": "ABCD-EFGH", "verification_uri": s.URL + "/device",
		"expires_in": 900, "interval": 1})
}

// introspect answers 200 with active false for anything not valid: Dovecot
// takes a 4xx as a temporary failure, not a refusal.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.introspected++
	exp, ok := s.access[r.PostForm.Get("token")]
	if !ok || time.Now().After(exp) {
		s.inactiveAnswers++
		answer(w, 200, map[string]any{"active": false})
		return
	}
	s.activeAnswers++
	answer(w, 200, map[string]any{"active": true, "username": s.User, "exp": exp.Unix()})
}
