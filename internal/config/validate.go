package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"consultd/internal/lang"
	"consultd/internal/serverconf"
)

// Defaults, kept together so configs/example.yaml can be checked against them.
const (
	DefaultIMAPSecurity       = "tls"
	DefaultSMTPSecurity       = "starttls"
	DefaultInbox              = "INBOX"
	DefaultProcessed          = "Processed"
	DefaultReview             = "Needs-Review"
	DefaultPollInterval       = time.Minute
	DefaultProofWait          = 10 * time.Minute
	DefaultDatabase           = "./consultd.db"
	DefaultPublishDir         = "./published"
	DefaultConsultationPeriod = 72 * time.Hour
	DefaultReminder           = 24 * time.Hour
	DefaultQuorum             = 0.5
	DefaultDecision           = "majority"
	DefaultOnNoQuorum         = "decline"
	DefaultMinimumNotice      = 12 * time.Hour
	DefaultLogLevel           = "info"
	DefaultLogFormat          = "text"
	DefaultLanguage           = "en"
	DefaultWatchdogIMAPDown   = 15 * time.Minute
	DefaultWatchdogOutbox     = 30 * time.Minute
)

var (
	decisions   = []string{"majority", "consensus"}
	noQuorum    = []string{"decline", "accept", "ask"}
	logLevels   = []string{"debug", "info", "warn", "error"}
	logFormats  = []string{"text", "json"}
	memberIDPat = regexp.MustCompile(`^[a-z0-9_-]+$`)
)

type validator struct {
	d     *decoder
	c     *Config
	dir   string         // directory of the configuration file
	langs *lang.Registry // languages with templates: built in, and added in templates_dir
	// langsBroken: templates_dir's languages could not be loaded (reported).
	langsBroken bool
}

func (v *validator) errf(path, format string, args ...any) {
	if v.d.isBad(path) {
		return
	}
	p := v.d.at(path)
	v.d.errs = append(v.d.errs, Error{Line: p.line, Col: p.col, Msg: path + ": " + fmt.Sprintf(format, args...)})
}

func (v *validator) present(path string) bool { return v.d.present[path] }

// normalise lower-cases the enumerated settings so "TLS" or "Arabic"-style
// capitalisation mistakes are not errors for the keywords themselves.
func (v *validator) normalise() {
	c := v.c
	low := func(s *string) { *s = strings.ToLower(strings.TrimSpace(*s)) }
	low(&c.IMAP.Security)
	low(&c.SMTP.Security)
	low(&c.Policy.Decision)
	low(&c.Policy.OnNoQuorum)
	low(&c.Log.Level)
	low(&c.Log.Format)
	for i := range c.Members {
		low(&c.Members[i].Language)
	}
	for i := range c.Vocabulary {
		low(&c.Vocabulary[i].Language)
	}
	for i := range c.StatementLanguages {
		low(&c.StatementLanguages[i])
	}
}

func (v *validator) defaults() {
	c := v.c
	setStr := func(s *string, def string) {
		if *s == "" {
			*s = def
		}
	}
	setDur := func(d *Duration, path string, def time.Duration) {
		if !v.present(path) && d.Duration == 0 {
			d.Duration = def
		}
	}
	v.providerDefaults()
	v.oauth2Defaults(c.preset())
	setStr(&c.IMAP.Security, DefaultIMAPSecurity)
	if c.IMAP.Port == 0 && !v.present("imap.port") {
		c.IMAP.Port = map[string]int{"tls": 993, "starttls": 143, "none": 143}[c.IMAP.Security]
	}
	setStr(&c.IMAP.Inbox, DefaultInbox)
	setStr(&c.IMAP.Processed, DefaultProcessed)
	setStr(&c.IMAP.Review, DefaultReview)
	setDur(&c.IMAP.PollInterval, "imap.poll_interval", DefaultPollInterval)

	setStr(&c.SMTP.Security, DefaultSMTPSecurity)
	if c.SMTP.Port == 0 && !v.present("smtp.port") {
		c.SMTP.Port = map[string]int{"starttls": 587, "tls": 465, "none": 25}[c.SMTP.Security]
	}

	if !v.present("smtp.proof_copy") {
		c.SMTP.ProofCopy = true
	}
	setDur(&c.SMTP.ProofWait, "smtp.proof_wait", DefaultProofWait)

	setStr(&c.Database, DefaultDatabase)
	setStr(&c.PublishDir, DefaultPublishDir)

	p := &c.Policy
	setDur(&p.ConsultationPeriod, "policy.consultation_period", DefaultConsultationPeriod)
	if !v.present("policy.reminders_before") {
		p.RemindersBefore = []Duration{{DefaultReminder}}
	}
	if !v.present("policy.quorum") {
		p.Quorum = DefaultQuorum
	}
	setStr(&p.Decision, DefaultDecision)
	setStr(&p.OnNoQuorum, DefaultOnNoQuorum)
	if !v.present("policy.close_when_all_answered") {
		p.CloseWhenAllAnswered = true
	}
	setDur(&p.MinimumNotice, "policy.minimum_notice", DefaultMinimumNotice)

	v.authDefaults()
	setStr(&c.Log.Level, DefaultLogLevel)
	setStr(&c.Log.Format, DefaultLogFormat)
	setDur(&c.Watchdog.IMAPDown, "watchdog.imap_down", DefaultWatchdogIMAPDown)
	setDur(&c.Watchdog.OutboxStuck, "watchdog.outbox_stuck", DefaultWatchdogOutbox)
	for i := range c.Members {
		setStr(&c.Members[i].Language, DefaultLanguage)
	}
	v.sizeDefaults()
}

func (v *validator) validate() {
	v.langs = v.loadLanguages()
	v.validateCoalition()
	v.validateIMAP()
	v.validateSMTP()
	v.validatePeople()
	v.validateVocabulary()
	v.validateStatementLanguages()
	v.validatePolicy()
	v.validateAuthentication()
	v.validateProvider()
	v.oneOf("log.level", v.c.Log.Level, logLevels)
	v.oneOf("log.format", v.c.Log.Format, logFormats)
	v.validateSizes()
	v.validateOps()
	v.validatePublishURL()
}

// validateOps checks the monitoring listener and the watchdog.
func (v *validator) validateOps() {
	if l := strings.TrimSpace(v.c.HTTP.Listen); l != "" {
		if _, port, err := net.SplitHostPort(l); err != nil || port == "" {
			v.errf("http.listen", "%q must be host:port, e.g. 127.0.0.1:9465", l)
		}
	}
	for _, d := range []struct {
		key string
		d   Duration
	}{{"watchdog.imap_down", v.c.Watchdog.IMAPDown}, {"watchdog.outbox_stuck", v.c.Watchdog.OutboxStuck}, {"watchdog.silence", v.c.Watchdog.Silence}} {
		if d.d.Duration < 0 {
			v.errf(d.key, "must not be negative (0 turns this check off)")
		}
	}
}

// validatePublishURL: the feed's links are built under publish_url, so it
// must be an absolute http(s) URL; a trailing slash is dropped.
func (v *validator) validatePublishURL() {
	c := v.c
	if c.PublishURL == "" {
		return
	}
	u, err := url.Parse(c.PublishURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		v.errf("publish_url", "%q is not an absolute http(s) URL without ?query or #fragment, e.g. https://coalition.example/statements", c.PublishURL)
		return
	}
	c.PublishURL = strings.TrimRight(c.PublishURL, "/")
}

func (v *validator) validateCoalition() {
	c := v.c.Coalition
	v.required("coalition.name", c.Name)
	if v.required("coalition.address", c.Address) && v.email("coalition.address", c.Address) {
		if strings.Contains(c.Local(), "+") {
			v.errf("coalition.address", "%q must not contain \"+\": replies go to %s+TOKEN@%s", c.Address,
				strings.SplitN(c.Local(), "+", 2)[0], v.c.Domain())
		}
	}
}

func (v *validator) validateIMAP() {
	m := v.c.IMAP
	v.server("imap", m.Server(v.anySource("imap")))
	v.required("imap.username", m.Username)
	folders := map[string]string{}
	for _, f := range []struct{ key, name string }{{"imap.inbox", m.Inbox}, {"imap.processed", m.Processed}, {"imap.review", m.Review}} {
		// INBOX is case-insensitive in IMAP; treat all names that way to be safe.
		k := strings.ToLower(f.name)
		if other, dup := folders[k]; dup {
			v.errf(f.key, "folder %q is also %s; inbox, processed and review must be different folders", f.name, other)
		}
		folders[k] = f.key
	}
	v.positive("imap.poll_interval", m.PollInterval)
}

func (v *validator) validateSMTP() {
	v.server("smtp", v.c.SMTP.Server(v.anySource("smtp")))
	v.positive("smtp.proof_wait", v.c.SMTP.ProofWait)
	r := v.c.SMTP.Rate
	for _, f := range []struct {
		key string
		n   int
	}{{"smtp.rate.messages_per_minute", r.MessagesPerMinute}, {"smtp.rate.messages_per_day", r.MessagesPerDay},
		{"smtp.rate.recipients_per_day", r.RecipientsPerDay}} {
		if f.n < 0 {
			v.errf(f.key, "must be 0 (no limit) or more, not %d", f.n)
		}
	}
	if n := v.c.SMTP.Connections; n < 0 || n > maxSMTPConnections {
		v.errf("smtp.connections", "must be from 1 to %d (0 or absent: 2), not %d; providers allow a mailbox few at once (Microsoft 365: 3)", maxSMTPConnections, n)
	}
}

// maxSMTPConnections bounds smtp.connections: more connections than this
// gain nothing against one server and look like abuse to providers.
const maxSMTPConnections = 8

// server reports the rules of package serverconf (the same ones the watcher
// and the sender apply) at the keys of section.
func (v *validator) server(section string, s serverconf.Server) {
	// Without a valid security the default port is unknown; one error is enough.
	checkPort := slices.Contains(serverconf.Securities, s.Security) || v.present(section+".port")
	for _, p := range s.Problems(checkPort) {
		v.errf(section+"."+p.Key, "%s", p.Msg)
	}
}

func (v *validator) validatePeople() {
	c := v.c
	coalition := strings.ToLower(c.Coalition.Address)
	if len(c.Coordinators) == 0 && !v.d.isBad("coordinators") {
		v.errf("coordinators", "at least one coordinator is required")
	}
	seenCoord := map[string]int{}
	for i, p := range c.Coordinators {
		path := fmt.Sprintf("coordinators[%d].email", i)
		if !v.required(path, p.Email) || !v.email(path, p.Email) {
			continue
		}
		e := strings.ToLower(p.Email)
		if j, dup := seenCoord[e]; dup {
			v.errf(path, "%s is already coordinators[%d]", p.Email, j)
		}
		seenCoord[e] = i
		if e == coalition {
			v.errf(path, "a coordinator cannot be the coalition's own address %s", c.Coalition.Address)
		}
	}

	if len(c.Members) == 0 && !v.d.isBad("members") {
		v.errf("members", "at least one member organisation is required")
	}
	ids := map[string]int{}
	owner := map[string]string{} // lower-cased email -> member id
	for i, m := range c.Members {
		base := fmt.Sprintf("members[%d]", i)
		if v.required(base+".id", m.ID) {
			if !memberIDPat.MatchString(m.ID) {
				v.errf(base+".id", "member id %q may only contain a-z, 0-9, - and _", m.ID)
			} else if j, dup := ids[m.ID]; dup {
				v.errf(base+".id", "member id %q is already used by members[%d]", m.ID, j)
			}
			ids[m.ID] = i
		}
		v.required(base+".name", m.Name)
		if len(m.Emails) == 0 && !v.d.isBad(base+".emails") {
			v.errf(base+".emails", "member %q needs at least one email address", m.ID)
		}
		for k, addr := range m.Emails {
			path := fmt.Sprintf("%s.emails[%d]", base, k)
			if !v.required(path, addr) || !v.email(path, addr) {
				continue
			}
			e := strings.ToLower(addr)
			if prev, dup := owner[e]; dup {
				if prev == m.ID {
					v.errf(path, "%s is listed twice for member %q", addr, m.ID)
				} else {
					v.errf(path, "%s already belongs to member %q; an address can belong to only one member", addr, prev)
				}
			}
			owner[e] = m.ID
			if e == coalition {
				v.errf(path, "a member cannot use the coalition's own address %s", c.Coalition.Address)
			}
		}
		if !v.languageKnown(m.Language) && !v.langFolderBroken(m.Language) {
			v.errf(base+".language", "unknown language %q (use %s; add its words under vocabulary, or its templates in templates_dir/%s/)",
				m.Language, strings.Join(v.languages(), ", "), m.Language)
		}
	}
}

// validateStatementLanguages: a statement is written from templates, which
// exist for the built-in languages and those templates_dir adds.
func (v *validator) validateStatementLanguages() {
	seen := map[string]bool{}
	for i, l := range v.c.StatementLanguages {
		path := fmt.Sprintf("statement_languages[%d]", i)
		switch {
		case !slices.Contains(v.langs.Codes(), l):
			v.errf(path, "no statement templates for language %q (use %s)", l, strings.Join(v.langs.Codes(), ", "))
		case seen[l]:
			v.errf(path, "language %q is listed twice", l)
		}
		seen[l] = true
	}
}

func (v *validator) validateVocabulary() {
	seen := map[string]int{}
	for i, voc := range v.c.Vocabulary {
		path := fmt.Sprintf("vocabulary[%d].language", i)
		if !v.required(path, voc.Language) {
			continue
		}
		if j, dup := seen[voc.Language]; dup {
			v.errf(path, "language %q is already defined in vocabulary[%d]", voc.Language, j)
		}
		seen[voc.Language] = i
	}
}

func (v *validator) validatePolicy() {
	p := v.c.Policy
	if p.Quorum < 0 || p.Quorum > 1 {
		v.errf("policy.quorum", "quorum %g must be between 0 and 1 (e.g. 0.5 for half the members)", p.Quorum)
	}
	v.oneOf("policy.decision", p.Decision, decisions)
	v.oneOf("policy.on_no_quorum", p.OnNoQuorum, noQuorum)
	periodOK := v.positive("policy.consultation_period", p.ConsultationPeriod)
	for i, r := range p.RemindersBefore {
		path := fmt.Sprintf("policy.reminders_before[%d]", i)
		if v.positive(path, r) && periodOK && r.Duration >= p.ConsultationPeriod.Duration {
			v.errf(path, "reminder %s before the deadline must be shorter than consultation_period %s", r, p.ConsultationPeriod)
		}
	}
	v.positive("policy.minimum_notice", p.MinimumNotice)
}

// loadLanguages reads the languages templates_dir adds (package lang);
// each problem (a folder lacking a template, a bad language.yaml) is an
// error at templates_dir naming the folder and files.
func (v *validator) loadLanguages() *lang.Registry {
	r, err := lang.Load(v.abs(v.c.TemplatesDir))
	if err == nil {
		return r
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		v.errf("templates_dir", "%v", e)
	}
	v.langsBroken = true
	return lang.Builtin()
}

// langFolderBroken reports whether templates_dir has a folder for code while
// the languages there could not be loaded: the templates_dir error already
// says what is wrong, a second one at the member would only confuse.
func (v *validator) langFolderBroken(code string) bool {
	if !v.langsBroken || code == "" {
		return false
	}
	fi, err := os.Stat(filepath.Join(v.abs(v.c.TemplatesDir), code))
	return err == nil && fi.IsDir()
}

// languages lists the languages members may use: those with templates
// (built in or added in templates_dir) plus those with a vocabulary, whose
// members are understood but written to in English.
func (v *validator) languages() []string {
	out := v.langs.Codes()
	for _, voc := range v.c.Vocabulary {
		if voc.Language != "" && !slices.Contains(out, voc.Language) {
			out = append(out, voc.Language)
		}
	}
	return out
}

func (v *validator) languageKnown(lang string) bool { return slices.Contains(v.languages(), lang) }

func (v *validator) required(path, value string) bool {
	if strings.TrimSpace(value) == "" {
		v.errf(path, "is required")
		return false
	}
	return true
}

func (v *validator) oneOf(path, value string, allowed []string) bool {
	if !slices.Contains(allowed, value) {
		v.errf(path, "%q is not allowed (use %s)", value, strings.Join(allowed, ", "))
		return false
	}
	return true
}

func (v *validator) positive(path string, d Duration) bool {
	if d.Duration <= 0 {
		if !v.d.isBad(path) {
			v.errf(path, "must be longer than zero, got %s", d)
		}
		return false
	}
	return true
}

// email accepts only a bare address (ali@example.org): a display name here
// would be ambiguous, and comparisons are made on the bare address.
func (v *validator) email(path, s string) bool {
	a, err := mail.ParseAddress(s)
	switch {
	case err != nil:
		v.errf(path, "%q is not a valid email address", s)
		return false
	case a.Name != "" || a.Address != strings.TrimSpace(s):
		v.errf(path, "write the bare address %s, not %q", a.Address, s)
		return false
	}
	return true
}

// resolvePaths anchors relative paths at the configuration file's directory,
// so the daemon behaves the same whatever directory it is started from.
func (v *validator) resolvePaths() {
	c := v.c
	c.Database = v.abs(c.Database)
	c.PublishDir = v.abs(c.PublishDir)
	c.TemplatesDir = v.abs(c.TemplatesDir)
	c.IMAP.PasswordFile = v.abs(c.IMAP.PasswordFile)
	c.SMTP.PasswordFile = v.abs(c.SMTP.PasswordFile)
}

func (v *validator) abs(p string) string {
	// SQLite's in-memory and URI forms are not file paths.
	if p == "" || p == ":memory:" || strings.HasPrefix(p, "file:") || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(v.dir, p)
}

func (v *validator) resolveSecrets() {
	c := v.c
	c.IMAP.Secret = v.secret("imap", c.IMAP.Password, c.IMAP.PasswordFile, c.IMAP.PasswordEnv)
	c.SMTP.Secret = v.secret("smtp", c.SMTP.Password, c.SMTP.PasswordFile, c.SMTP.PasswordEnv)
	// The password now lives only in Secret, which never prints.
	c.IMAP.Password, c.SMTP.Password = "", ""

	v.resolveOAuth2()
	if c.IMAP.Username != "" && c.IMAP.Auth != AuthOAuth2 && !c.IMAP.Secret.IsSet() && !v.anySource("imap") {
		v.errf("imap", "no password for %q: set one of password, password_file or password_env", c.IMAP.Username)
	}
	if c.SMTP.Username == "" && v.anySource("smtp") {
		v.errf("smtp.username", "is required when a password is given")
	}
	if c.SMTP.Username != "" && c.SMTP.Auth != AuthOAuth2 && !c.SMTP.Secret.IsSet() && !v.anySource("smtp") {
		v.errf("smtp", "no password for %q: set one of password, password_file or password_env", c.SMTP.Username)
	}
}

func (v *validator) anySource(server string) bool {
	return v.present(server+".password") || v.present(server+".password_file") || v.present(server+".password_env")
}

func (v *validator) secret(server, inline, file, env string) Secret {
	return v.secretAt(server, "password", inline, file, env)
}

// secretAt resolves a secret given inline (key base), in a file (base_file)
// or in an environment variable (base_env) under section.
func (v *validator) secretAt(section, base, inline, file, env string) Secret {
	set := 0
	for _, s := range []string{inline, file, env} {
		if s != "" {
			set++
		}
	}
	words := strings.ReplaceAll(base, "_", " ")
	if set > 1 {
		// Point at the last of them: the one most likely added by mistake.
		last := ""
		for _, k := range []string{base, base + "_file", base + "_env"} {
			k = section + "." + k
			if v.present(k) && (last == "" || v.d.at(k).line > v.d.at(last).line) {
				last = k
			}
		}
		v.errf(last, "set only one of %s, %s_file and %s_env", base, base, base)
		return Secret{}
	}
	switch {
	case inline != "":
		return Secret{inline}
	case file != "":
		data, err := readLimited(file, maxPasswordSize)
		if err != nil {
			v.errf(section+"."+base+"_file", "cannot read %s file: %v", words, err)
			return Secret{}
		}
		pw := strings.TrimRight(string(data), "\r\n")
		if pw == "" {
			v.errf(section+"."+base+"_file", "%s file %s is empty", words, file)
		}
		return Secret{pw}
	case env != "":
		pw, ok := os.LookupEnv(env)
		if !ok {
			v.errf(section+"."+base+"_env", "environment variable %q is not set", env)
		} else if pw == "" {
			v.errf(section+"."+base+"_env", "environment variable %q is empty", env)
		}
		return Secret{pw}
	}
	return Secret{}
}
