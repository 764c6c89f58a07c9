// Package config loads and validates consultd's single YAML configuration file.
// Errors are reported as "file:line:col: message" so administrators can fix them
// without guessing.
package config

import "time"

// Config is the whole configuration file. Field names are the YAML keys users'
// scripts rely on; see configs/example.yaml for every key documented.
type Config struct {
	Coalition Coalition `yaml:"coalition"`
	// MailProvider fills the server settings of a known provider
	// (provider.go); explicit keys win.
	MailProvider string `yaml:"mail_provider"`
	IMAP         IMAP   `yaml:"imap"`
	SMTP         SMTP   `yaml:"smtp"`
	// OAuth2 is how tokens are obtained for imap.auth / smtp.auth: oauth2.
	OAuth2     OAuth2 `yaml:"oauth2"`
	Database   string `yaml:"database"`
	PublishDir string `yaml:"publish_dir"`
	// StatementLanguages are the languages the joint statement is drafted and
	// published in (empty: the invitation's language only). The inviter
	// receives the one in the invitation's language.
	StatementLanguages []string `yaml:"statement_languages"`
	// PublishURL is where publish_dir is served (https://coalition.example/statements):
	// the Atom feed's links are absolute under it; empty, they are relative.
	PublishURL   string       `yaml:"publish_url"`
	TemplatesDir string       `yaml:"templates_dir"` // optional: overrides the built-in templates
	Coordinators []Person     `yaml:"coordinators"`
	Members      []Member     `yaml:"members"`
	Policy       Policy       `yaml:"policy"`
	Vocabulary   []Vocabulary `yaml:"vocabulary"` // extra languages for understanding replies
	Log          Log          `yaml:"log"`
	HTTP         HTTP         `yaml:"http"`
	Watchdog     Watchdog     `yaml:"watchdog"`
	// MemoryLimit is the Go runtime's soft memory limit for `run`
	// (0: none; the GOMEMLIMIT environment variable wins).
	MemoryLimit Size `yaml:"memory_limit"`

	// Authentication says how mail from coordinators is verified.
	Authentication Authentication `yaml:"authentication"`

	// Path is the file the configuration was read from (not a YAML key).
	Path string `yaml:"-"`
}

type Coalition struct {
	Name    string `yaml:"name"`
	Address string `yaml:"address"` // e.g. coalition@example.org; replies go to coalition+TOKEN@example.org
	// PlusAddressing: replies go to coalition+TOKEN@…; false when the
	// provider does not deliver those, and the token then travels in the
	// Message-ID (replies are matched by In-Reply-To/References).
	PlusAddressing bool `yaml:"plus_addressing"`
}

type IMAP struct {
	Host         string `yaml:"host"`
	Port         int    `yaml:"port"`
	Security     string `yaml:"security"` // tls | starttls | none
	Username     string `yaml:"username"`
	Auth         string `yaml:"auth"` // password | oauth2
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	Inbox        string `yaml:"inbox"`     // default INBOX
	Processed    string `yaml:"processed"` // default Processed
	Review       string `yaml:"review"`    // default Needs-Review
	// Junk is the provider's spam folder: proof copies are looked for there
	// too. Never watched.
	Junk               string   `yaml:"junk"`
	PollInterval       Duration `yaml:"poll_interval"`
	InsecureSkipVerify bool     `yaml:"insecure_skip_verify"`
	// AllowInsecureAuth permits the password over security: none to a host
	// that is not loopback; without it that is a configuration error.
	AllowInsecureAuth bool `yaml:"allow_insecure_auth"`
	// MaxMessageSize: larger inbound mail is moved to the review folder
	// unread, and the coordinators are told.
	MaxMessageSize Size `yaml:"max_message_size"`

	// Secret is the password resolved by Load from password, password_file or
	// password_env; read it with Pass. It prints as [redacted].
	Secret Secret `yaml:"-"`
}

type SMTP struct {
	Host               string `yaml:"host"`
	Port               int    `yaml:"port"`
	Security           string `yaml:"security"` // tls | starttls | none
	Username           string `yaml:"username"`
	Auth               string `yaml:"auth"` // "" (no AUTH) | password | oauth2
	Password           string `yaml:"password"`
	PasswordFile       string `yaml:"password_file"`
	PasswordEnv        string `yaml:"password_env"`
	HELO               string `yaml:"helo"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	// ProofCopy sends every message also to the coalition's own address
	// (envelope only, no header), so that after a crash consultd can tell by
	// the copy in its mailbox whether an interrupted delivery arrived.
	ProofCopy bool `yaml:"proof_copy"`
	// ProofWait is how long such a copy may take to arrive before an
	// interrupted delivery counts as lost and is sent again.
	ProofWait Duration `yaml:"proof_wait"`
	// AllowInsecureAuth: as for IMAP.
	AllowInsecureAuth bool `yaml:"allow_insecure_auth"`
	// Rate is the provider's sending limit: the outbox waits rather than
	// exceed it (mail_provider fills the known ones).
	Rate SMTPRate `yaml:"rate"`
	// Connections is how many messages the outbox sends at once, each on a
	// connection of its own (0: sender.DefaultConnections). Under a rate
	// limit it sends one at a time.
	Connections int `yaml:"connections"`

	// Secret is the password resolved by Load; read it with Pass.
	Secret Secret `yaml:"-"`
}

// SMTPRate is a mail provider's sending limit; 0 is no limit.
type SMTPRate struct {
	MessagesPerMinute int `yaml:"messages_per_minute"`
	MessagesPerDay    int `yaml:"messages_per_day"`
	RecipientsPerDay  int `yaml:"recipients_per_day"`
}

type Person struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
}

type Member struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Emails   []string `yaml:"emails"`
	Language string   `yaml:"language"` // en | ar | a language from vocabulary
}

type Policy struct {
	ConsultationPeriod   Duration   `yaml:"consultation_period"`
	RemindersBefore      []Duration `yaml:"reminders_before"`
	Quorum               float64    `yaml:"quorum"`
	Decision             string     `yaml:"decision"`     // majority | consensus
	OnNoQuorum           string     `yaml:"on_no_quorum"` // decline | accept | ask
	CloseWhenAllAnswered bool       `yaml:"close_when_all_answered"`
	RequireApproval      bool       `yaml:"require_approval"`
	MinimumNotice        Duration   `yaml:"minimum_notice"` // a reply-by date closer than this is ignored
	// CoordinatorConfirmation: when a coordinator's forward or destructive
	// command must first be confirmed by a reply to a mail sent to that
	// coordinator's configured address (see round/confirm.go).
	CoordinatorConfirmation string `yaml:"coordinator_confirmation"` // when_unauthenticated | always | never
}

// Vocabulary adds words for understanding replies in another language.
type Vocabulary struct {
	Language        string   `yaml:"language"`
	Accept          []string `yaml:"accept"`
	Decline         []string `yaml:"decline"`
	Abstain         []string `yaml:"abstain"`
	Negations       []string `yaml:"negations"`
	Concerns        []string `yaml:"concerns"`
	Recommendations []string `yaml:"recommendations"`
	Sign            []string `yaml:"sign"`
	Yes             []string `yaml:"yes"`
	No              []string `yaml:"no"`
	NotPosition     []string `yaml:"not_position"` // phrases that look like a position but are not ("accept our apologies")
	NoPoints        []string `yaml:"no_points"`    // what people write for "nothing to add" ("none")
	Holding         []string `yaml:"holding"`      // "we will answer later" ("nous reviendrons vers vous")
}

type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error
	Format string `yaml:"format"` // text | json
}

// HTTP is the optional monitoring listener (/metrics, /healthz, /readyz).
type HTTP struct {
	// Listen is host:port, e.g. 127.0.0.1:9465; empty: no listener.
	Listen string `yaml:"listen"`
}

// Watchdog says after how long a failure is reported to the coordinators;
// 0 turns that check off.
type Watchdog struct {
	IMAPDown    Duration `yaml:"imap_down"`    // IMAP failing this long
	OutboxStuck Duration `yaml:"outbox_stuck"` // a message failing to go out this long
	// Silence: no mail received this long while an open round still awaits
	// members' answers. Default 0 (off): members may well be slow.
	Silence Duration `yaml:"silence"`
}

// Duration is a time.Duration that parses from YAML strings like "72h" or "30m"
// and reports bad values with their position.
type Duration struct{ time.Duration }

// Authentication: coordinators have no reply token, so their mail (forwards
// that open rounds, commands) is trusted only when the coalition's own mail
// server vouches for it in an Authentication-Results header (RFC 8601).
type Authentication struct {
	// AuthservID is the authserv-id your mail server writes first in its
	// Authentication-Results headers (e.g. mx.google.com, or the host name of
	// your MX). Empty: coordinators are recognised by From: alone.
	AuthservID string `yaml:"authserv_id"`
	// Provider: "microsoft365" trusts Exchange Online's Authentication-Results
	// (written without an authserv-id) and X-MS-Exchange-Organization-AuthAs;
	// authserv_id must then be empty.
	Provider string `yaml:"provider"`
}
