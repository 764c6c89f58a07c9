package config

import "consultd/internal/serverconf"

// Server is the IMAP section as package serverconf checks it; passwordGiven
// says whether a password source is configured (the password itself may not
// be resolved yet).
func (m IMAP) Server(passwordGiven bool) serverconf.Server {
	return serverconf.Server{Host: m.Host, Port: m.Port, Security: m.Security,
		Credentials:       m.Username != "" || passwordGiven || m.Secret.IsSet(),
		AllowInsecureAuth: m.AllowInsecureAuth, InsecureSkipVerify: m.InsecureSkipVerify}
}

// Server is the SMTP section as package serverconf checks it.
func (s SMTP) Server(passwordGiven bool) serverconf.Server {
	return serverconf.Server{Host: s.Host, Port: s.Port, Security: s.Security,
		Credentials:       s.Username != "" || passwordGiven || s.Secret.IsSet(),
		AllowInsecureAuth: s.AllowInsecureAuth, InsecureSkipVerify: s.InsecureSkipVerify}
}
