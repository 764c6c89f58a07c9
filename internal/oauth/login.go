package oauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// Login obtains a refresh token interactively and stores it in TokenFile:
// Microsoft by the device code flow (RFC 8628: the administrator opens a
// page on any device and types a code), Google by a loopback redirect with
// PKCE (RFC 8252/7636: a browser on this machine, or a tunnel to it). out
// gets the instructions for the administrator; nothing secret is written
// there.
func Login(ctx context.Context, s Settings, out io.Writer) error {
	if s.TokenFile == "" {
		return errors.New("oauth2: no token_file to store the sign-in in")
	}
	var tok *oauth2.Token
	var err error
	if s.Provider == ProviderGoogle {
		tok, err = loginLoopback(ctx, s, out)
	} else {
		tok, err = loginDevice(ctx, s, out)
	}
	if err != nil {
		return cleanErr(GrantRefreshToken, err)
	}
	if tok.RefreshToken == "" {
		return errors.New("oauth2: the provider returned no refresh token (Microsoft: include offline_access in scopes; " +
			"Google: revoke consultd's access at myaccount.google.com/permissions and log in again)")
	}
	if err := SaveToken(s.TokenFile, &StoredToken{Provider: s.Provider, RefreshToken: tok.RefreshToken}); err != nil {
		return err
	}
	fmt.Fprintf(out, "Signed in. The refresh token is stored in %s (readable by this user only).\n", s.TokenFile)
	return nil
}

func loginDevice(ctx context.Context, s Settings, out io.Writer) (*oauth2.Token, error) {
	cfg := s.oauth2Config("")
	ctx = s.ctx(ctx)
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		return nil, err
	}
	uri := da.VerificationURIComplete
	if uri == "" {
		uri = da.VerificationURI
	}
	fmt.Fprintf(out, "To let consultd use the mailbox, open %s in a browser and enter the code %s\n"+
		"(sign in as the coalition's mailbox; the code is valid until %s).\n", uri, da.UserCode, da.Expiry.Format(time.Kitchen))
	return cfg.DeviceAccessToken(ctx, da)
}

func loginLoopback(ctx context.Context, s Settings, out io.Writer) (*oauth2.Token, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	redirect := fmt.Sprintf("http://127.0.0.1:%d/", ln.Addr().(*net.TCPAddr).Port)
	cfg := s.oauth2Config(redirect)
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	state := hex.EncodeToString(b)
	verifier := oauth2.GenerateVerifier()

	type result struct {
		code string
		err  error
	}
	got := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("state") != state {
			http.Error(w, "This is not the sign-in consultd started.", http.StatusBadRequest)
			return
		}
		res := result{code: q.Get("code")}
		if e := q.Get("error"); e != "" || res.code == "" {
			res = result{err: fmt.Errorf("sign-in was not completed: %s", shorten(e, 80))}
			fmt.Fprintf(w, "<p>consultd: sign-in was not completed (%s). You can close this page.</p>", html.EscapeString(shorten(e, 80)))
		} else {
			fmt.Fprint(w, "<p>consultd is signed in. You can close this page.</p>")
		}
		select {
		case got <- res:
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		// Shutdown, not Close: the browser must still get the page that
		// says it is done, which the handler may not have flushed yet.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	url := cfg.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.ApprovalForce, oauth2.S256ChallengeOption(verifier))
	fmt.Fprintf(out, "To let consultd use the mailbox, open this address in a browser on this machine and sign in as the "+
		"coalition's mailbox:\n\n  %s\n\n(On a server without a browser: ssh -L %d:127.0.0.1:%d to it first.)\n",
		url, ln.Addr().(*net.TCPAddr).Port, ln.Addr().(*net.TCPAddr).Port)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-got:
		if r.err != nil {
			return nil, r.err
		}
		return cfg.Exchange(s.ctx(ctx), r.code, oauth2.VerifierOption(verifier))
	}
}
