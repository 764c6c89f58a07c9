// Package serverconf holds the rules for reaching the coalition's mail
// servers (IMAP and SMTP) in one place: the configuration loader reports
// them with file positions (check-config and run print the same lines), and
// the IMAP watcher and the SMTP sender apply the same rules and the same TLS
// settings when they connect.
package serverconf

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
)

// Securities are the connection security settings, in the order they are
// offered to administrators.
var Securities = []string{"tls", "starttls", "none"}

// Server is how consultd reaches one mail server.
type Server struct {
	Host     string
	Port     int    // checked only when CheckPort is set (a default may still be applied)
	Security string // tls | starttls | none
	// Credentials is true when consultd logs in (a username, a password or,
	// later, an OAuth2 token).
	Credentials bool
	// AllowInsecureAuth permits credentials over security: none to a host
	// that is not loopback (a trusted private link, a local relay).
	AllowInsecureAuth bool
	// InsecureSkipVerify turns certificate verification off for this server.
	InsecureSkipVerify bool
}

// Problem is one rule a Server breaks, at its configuration key ("host",
// "port", "security", "allow_insecure_auth").
type Problem struct {
	Key string
	Msg string
}

// Problems lists every rule s breaks; checkPort also checks the port range
// (the loader skips it when the security is wrong, as the default port is
// then unknown).
func (s Server) Problems(checkPort bool) []Problem {
	var ps []Problem
	host := strings.TrimSpace(s.Host)
	if host == "" {
		ps = append(ps, Problem{"host", "is required"})
	}
	known := false
	for _, k := range Securities {
		known = known || s.Security == k
	}
	if !known {
		ps = append(ps, Problem{"security", fmt.Sprintf("%q is not allowed (use %s)", s.Security, strings.Join(Securities, ", "))})
	}
	if checkPort && (s.Port < 1 || s.Port > 65535) {
		ps = append(ps, Problem{"port", fmt.Sprintf("port %d must be between 1 and 65535", s.Port)})
	}
	if s.Security == "none" && s.Credentials && host != "" && !IsLoopback(host) && !s.AllowInsecureAuth {
		// The password would cross the network readable by anyone on the path;
		// and go-mail refuses it anyway, so SMTP would retry for a day.
		ps = append(ps, Problem{"security", fmt.Sprintf("none would send the password to %s in clear text: "+
			"use tls or starttls, or set allow_insecure_auth: true if the network to it is trusted", host)})
	}
	return ps
}

// Err joins Problems into one error for callers without file positions
// (the watcher and the sender), each prefixed by section ("imap", "smtp").
func (s Server) Err(section string) error {
	ps := s.Problems(s.Port != 0)
	if len(ps) == 0 {
		return nil
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s.%s: %s", section, p.Key, p.Msg)
	}
	return fmt.Errorf("%s", strings.Join(parts, "; "))
}

// PlainAuthAllowed reports whether a password may be sent on a connection
// without TLS: to loopback, or where the administrator allowed it.
func (s Server) PlainAuthAllowed() bool { return s.AllowInsecureAuth || IsLoopback(s.Host) }

// TLSConfig is the TLS client configuration for s: the certificate is
// verified against Host unless InsecureSkipVerify is set for this server.
func (s Server) TLSConfig() *tls.Config {
	return &tls.Config{
		ServerName:         strings.TrimSpace(s.Host),
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: s.InsecureSkipVerify, //nolint:gosec // opt-in per server, documented as unsafe
	}
}

// IsLoopback reports whether host names this machine without DNS: a name is
// not resolved, since what it points to can change after the check.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimSpace(host), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
