package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"consultd/internal/config"
	"consultd/internal/mailauth"
	"consultd/internal/oauth"
)

// loginCmd is `consultd login`: sign the coalition's mailbox in once and
// store the refresh token consultd then uses (oauth2.grant: refresh_token).
func loginCmd(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("login", stderr)
	path := configFlag(fs, "configuration file")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagsFailed(err)
	}
	if !noArgs("login", pos, stderr) {
		return 2
	}
	if !requireConfig("login", *path, stderr) {
		return 2
	}
	cfg, ok := loadConfig(*path, stderr)
	if !ok {
		return 1
	}
	if !cfg.UsesOAuth2() || cfg.OAuth2.Grant != config.GrantRefreshToken {
		fmt.Fprintf(stderr, "consultd login: %s does not sign in with a stored refresh token (oauth2.grant: refresh_token), "+
			"so there is nothing to log in: client_credentials and service_account need no sign-in.\n", *path)
		return 1
	}
	s := mailauth.Settings(cfg, nil)
	if err := os.MkdirAll(filepath.Dir(s.TokenFile), 0o750); err != nil {
		fmt.Fprintf(stderr, "consultd login: %v\n", err)
		return 1
	}
	// The provider gives the administrator 15 minutes; so do we.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 15*time.Minute)
	defer cancelT()
	fmt.Fprintf(stdout, "Signing in the mailbox %s (%s).\n", cfg.IMAP.Username, cfg.OAuth2.Provider)
	if err := oauth.Login(ctx, s, stdout); err != nil {
		fmt.Fprintf(stderr, "consultd login: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Now start (or restart) consultd: consultd run --config %s\n", *path)
	return 0
}
