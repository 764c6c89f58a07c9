package daemon

import (
	"log/slog"

	"consultd/internal/config"
	"consultd/internal/serverconf"
)

// warnInsecure says at start what the administrator allowed that weakens a
// connection, so that it is not forgotten: a password without TLS, or a
// certificate that is not checked.
func warnInsecure(cfg *config.Config, log *slog.Logger) {
	for _, s := range []struct {
		name string
		srv  serverconf.Server
	}{{"imap", cfg.IMAP.Server(false)}, {"smtp", cfg.SMTP.Server(false)}} {
		if s.srv.Security == "none" && s.srv.Credentials && !serverconf.IsLoopback(s.srv.Host) {
			log.Warn("the password is sent without TLS (allow_insecure_auth: true)", "server", s.name, "host", s.srv.Host)
		}
		if s.srv.Security != "none" && s.srv.InsecureSkipVerify {
			log.Warn("the server's TLS certificate is not verified (insecure_skip_verify: true)", "server", s.name, "host", s.srv.Host)
		}
	}
}
