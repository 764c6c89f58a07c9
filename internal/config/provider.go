package config

import (
	"slices"
	"strings"
)

// Values of mail_provider: the coalition mailbox's provider, whose known
// settings fill the keys left out (an explicit key always wins).
const (
	MailProviderMicrosoft365 = "microsoft365"
	MailProviderOutlookCom   = "outlook.com"
	MailProviderGmail        = "gmail"
	MailProviderFastmail     = "fastmail"
	MailProviderGeneric      = "generic"
)

// Values of imap.auth and smtp.auth.
const (
	AuthPassword = "password"
	AuthOAuth2   = "oauth2"
	AuthNone     = "none" // smtp only: send without AUTH (a relay that trusts this host)
)

var (
	mailProviders = []string{MailProviderMicrosoft365, MailProviderOutlookCom, MailProviderGmail, MailProviderFastmail, MailProviderGeneric}
	authKinds     = []string{AuthPassword, AuthOAuth2}
)

// Preset is what consultd knows of a mail provider.
type Preset struct {
	IMAPHost     string
	IMAPPort     int
	IMAPSecurity string
	SMTPHost     string
	SMTPPort     int
	SMTPSecurity string
	// Auth is how the provider lets a daemon log in: oauth2 where it refuses
	// passwords (Microsoft), password where app passwords are the way.
	Auth string
	// PasswordRefused: the provider refuses password logins for IMAP, so
	// auth: password is an error, not a guess.
	PasswordRefused bool
	// OAuth2Provider and OAuth2Grant are the defaults of the oauth2 block.
	OAuth2Provider, OAuth2Grant, OAuth2Tenant string
	// Junk is the provider's spam folder (proof copies are looked for there
	// too; consultd never reads mail from it).
	Junk string
	// AuthservID / TrustMicrosoft365: whose Authentication-Results prove a
	// coordinator's mail (see authentication).
	AuthservID        string
	TrustMicrosoft365 bool
	// Rate is the provider's published sending limit for one mailbox.
	Rate SMTPRate
}

// Presets by mail_provider. Facts from the providers' documentation
// (shared/notes/providers.md): Microsoft documents only XOAUTH2 and
// app-only access for daemons; Gmail's labels appear as folders, its system
// folders under [Gmail]/; all four deliver plus addresses to the mailbox.
var Presets = map[string]Preset{
	MailProviderMicrosoft365: {IMAPHost: "outlook.office365.com", IMAPPort: 993, IMAPSecurity: "tls",
		SMTPHost: "smtp.office365.com", SMTPPort: 587, SMTPSecurity: "starttls",
		Auth: AuthOAuth2, PasswordRefused: true, OAuth2Provider: "microsoft", OAuth2Grant: "client_credentials",
		Junk: "Junk Email", TrustMicrosoft365: true,
		// Exchange Online limits: 30 messages a minute, 10,000 recipients a day.
		Rate: SMTPRate{MessagesPerMinute: 30, RecipientsPerDay: 10000}},
	MailProviderOutlookCom: {IMAPHost: "outlook.office365.com", IMAPPort: 993, IMAPSecurity: "tls",
		SMTPHost: "smtp-mail.outlook.com", SMTPPort: 587, SMTPSecurity: "starttls",
		Auth: AuthOAuth2, PasswordRefused: true, OAuth2Provider: "microsoft", OAuth2Grant: "refresh_token", OAuth2Tenant: "consumers",
		Junk: "Junk"},
	MailProviderGmail: {IMAPHost: "imap.gmail.com", IMAPPort: 993, IMAPSecurity: "tls",
		SMTPHost: "smtp.gmail.com", SMTPPort: 587, SMTPSecurity: "starttls",
		Auth: AuthOAuth2, OAuth2Provider: "google", OAuth2Grant: "service_account",
		Junk: "[Gmail]/Spam", AuthservID: "mx.google.com",
		// Google Workspace: about 2,000 messages and 10,000 recipients a day.
		Rate: SMTPRate{MessagesPerDay: 2000, RecipientsPerDay: 10000}},
	MailProviderFastmail: {IMAPHost: "imap.fastmail.com", IMAPPort: 993, IMAPSecurity: "tls",
		SMTPHost: "smtp.fastmail.com", SMTPPort: 465, SMTPSecurity: "tls",
		Auth: AuthPassword, Junk: "Spam"},
	MailProviderGeneric: {Auth: AuthPassword},
}

// preset is the chosen provider's, or the generic one.
func (c *Config) preset() Preset {
	if p, ok := Presets[c.MailProvider]; ok {
		return p
	}
	return Presets[MailProviderGeneric]
}

// providerDefaults fills what the preset knows into the keys not written.
// It runs before the other defaults, so the port default by security sees
// the preset's security.
func (v *validator) providerDefaults() {
	c := v.c
	c.MailProvider = strings.ToLower(strings.TrimSpace(c.MailProvider))
	p := c.preset()
	str := func(key string, dst *string, val string) {
		if !v.present(key) && *dst == "" && val != "" {
			*dst = val
		}
	}
	num := func(key string, dst *int, val int) {
		if !v.present(key) && *dst == 0 && val != 0 {
			*dst = val
		}
	}
	str("imap.host", &c.IMAP.Host, p.IMAPHost)
	str("imap.security", &c.IMAP.Security, p.IMAPSecurity)
	if !v.present("imap.security") || c.IMAP.Security == p.IMAPSecurity {
		num("imap.port", &c.IMAP.Port, p.IMAPPort)
	}
	str("smtp.host", &c.SMTP.Host, p.SMTPHost)
	str("smtp.security", &c.SMTP.Security, p.SMTPSecurity)
	if !v.present("smtp.security") || c.SMTP.Security == p.SMTPSecurity {
		num("smtp.port", &c.SMTP.Port, p.SMTPPort)
	}
	str("imap.junk", &c.IMAP.Junk, p.Junk)
	num("smtp.rate.messages_per_minute", &c.SMTP.Rate.MessagesPerMinute, p.Rate.MessagesPerMinute)
	num("smtp.rate.messages_per_day", &c.SMTP.Rate.MessagesPerDay, p.Rate.MessagesPerDay)
	num("smtp.rate.recipients_per_day", &c.SMTP.Rate.RecipientsPerDay, p.Rate.RecipientsPerDay)
	if !v.present("authentication.authserv_id") && !v.present("authentication.provider") {
		c.Authentication.AuthservID = p.AuthservID
		if p.TrustMicrosoft365 {
			c.Authentication.Provider = ProviderMicrosoft365
		}
	}
	if !v.present("coalition.plus_addressing") {
		c.Coalition.PlusAddressing = true
	}
	v.authKindDefaults(p)
}

// authKindDefaults decides imap.auth and smtp.auth when they are not
// written: a password given means password; else an oauth2 block means
// oauth2; else the provider's way.
func (v *validator) authKindDefaults(p Preset) {
	c := v.c
	oauth := v.present("oauth2")
	pick := func(section string, dst *string) {
		*dst = strings.ToLower(strings.TrimSpace(*dst))
		if *dst != "" {
			return
		}
		switch {
		case v.anySource(section):
			*dst = AuthPassword
		case oauth:
			*dst = AuthOAuth2
		default:
			*dst = p.Auth
		}
	}
	pick("imap", &c.IMAP.Auth)
	if c.SMTP.Username == "" && !v.anySource("smtp") && !v.present("smtp.auth") && !oauth {
		// No SMTP login configured: send without AUTH, as before presets.
		c.SMTP.Auth = ""
		return
	}
	pick("smtp", &c.SMTP.Auth)
	if c.SMTP.Auth == AuthOAuth2 && c.SMTP.Username == "" {
		c.SMTP.Username = c.IMAP.Username // the same mailbox sends
	}
}

func (v *validator) validateProvider() {
	c := v.c
	if c.MailProvider != "" {
		v.oneOf("mail_provider", c.MailProvider, mailProviders)
	}
	p := c.preset()
	for _, s := range []struct {
		section, auth string
	}{{"imap", c.IMAP.Auth}, {"smtp", c.SMTP.Auth}} {
		if s.auth == "" {
			continue
		}
		if s.section == "smtp" && s.auth == AuthNone {
			if c.SMTP.Username != "" || v.anySource("smtp") {
				v.errf("smtp.auth", "is none (no AUTH), so remove smtp.username and the password")
			}
			continue
		}
		if !slices.Contains(authKinds, s.auth) {
			v.errf(s.section+".auth", "%q is not allowed (use %s)", s.auth, strings.Join(authKinds, ", "))
			continue
		}
		switch {
		case s.auth == AuthOAuth2 && !v.present("oauth2"):
			v.errf(s.section+".auth", "oauth2 needs the oauth2 block (grant, client_id, ...): see configs/example.yaml and "+
				"the README section \"Microsoft 365 / Google Workspace\"")
		case s.auth == AuthOAuth2 && v.anySource(s.section):
			v.errf(s.section+".auth", "is oauth2, so the password of %s is not used: remove it", s.section)
		case s.auth == AuthPassword && p.PasswordRefused && s.section == "imap":
			v.errf(s.section+".auth", "%s refuses password logins for IMAP (\"NO Basic authentication is disabled\"): "+
				"set auth: oauth2 and an oauth2 block", c.MailProvider)
		}
	}
	if c.UsesOAuth2() && v.present("oauth2") {
		v.validateOAuth2()
	} else if v.present("oauth2") {
		v.errf("oauth2", "is set but neither imap.auth nor smtp.auth is oauth2: remove it, or set auth: oauth2")
	}
}
