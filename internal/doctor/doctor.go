// Package doctor is `consultd doctor`: it connects to the coalition's IMAP
// and SMTP servers with the configured credentials, exactly as the daemon
// does, checks TLS, the capabilities and folders consultd relies on, then
// sends a probe to the coalition's plus address and waits for it in the
// inbox. Each check is one line of a checklist, with a concrete fix for
// every failure.
package doctor

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"consultd/internal/config"
	"consultd/internal/daemon"
	"consultd/internal/mailauth"
	"consultd/internal/mailbox"
	"consultd/internal/probe"
	"consultd/internal/sender"
	"consultd/internal/store"
)

// Mark is a check's result.
type Mark int

const (
	Pass Mark = iota
	Warn      // works, with a limitation worth knowing
	Fail
)

func (m Mark) String() string { return [...]string{"✓", "!", "✗"}[m] }

// Check is one line of the checklist.
type Check struct {
	Section string // IMAP, SMTP, Delivery
	Mark    Mark
	Text    string
	Fix     string // what to do; set for Fail, sometimes for Warn
}

// Report is the whole checklist.
type Report struct {
	Checks []Check
}

// OK is true when nothing failed (warnings allowed).
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if c.Mark == Fail {
			return false
		}
	}
	return true
}

func (r *Report) add(section string, m Mark, fix, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Section: section, Mark: m, Text: fmt.Sprintf(format, args...), Fix: fix})
}

// Print writes the checklist as people read it.
func (r *Report) Print(w io.Writer) {
	section := ""
	failed, warned := 0, 0
	for _, c := range r.Checks {
		if c.Section != section {
			section = c.Section
			fmt.Fprintln(w, section)
		}
		fmt.Fprintf(w, "  %s %s\n", c.Mark, c.Text)
		if c.Fix != "" {
			fmt.Fprintf(w, "      fix: %s\n", c.Fix)
		}
		switch c.Mark {
		case Fail:
			failed++
		case Warn:
			warned++
		}
	}
	switch {
	case failed > 0:
		fmt.Fprintf(w, "%d of %d checks failed.\n", failed, len(r.Checks))
	case warned > 0:
		fmt.Fprintf(w, "All %d checks passed (%d with a note).\n", len(r.Checks), warned)
	default:
		fmt.Fprintf(w, "All %d checks passed.\n", len(r.Checks))
	}
}

// Options for Run.
type Options struct {
	Cfg *config.Config
	// Wait bounds how long the probe may take to arrive (default 2 minutes).
	Wait time.Duration
	// Every is how often the inbox is searched for the probe (default 1 s).
	Every time.Duration
	// Progress, if set, gets a line when a slow step starts.
	Progress io.Writer
	Now      func() time.Time

	auth *mailauth.Auth
}

// connectIMAP connects and logs in as the watcher does; the one place the
// doctor authenticates to IMAP.
var connectIMAP = func(ctx context.Context, cfg *config.Config, auth *mailauth.Auth) (*mailbox.Conn, error) {
	mc := daemon.IMAPConfig(cfg, auth)
	mc.CommandTimeout = 30 * time.Second // a person is waiting
	return mailbox.Dial(ctx, mc)
}

// smtpSender is the sender the daemon would use.
var smtpSender = func(cfg *config.Config, auth *mailauth.Auth) *sender.Sender {
	return sender.New(daemon.SMTPConfig(cfg, auth))
}

// Run performs every check and returns the checklist.
func Run(ctx context.Context, o Options) *Report {
	if o.Wait <= 0 {
		o.Wait = 2 * time.Minute
	}
	if o.Every <= 0 {
		o.Every = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Report{}
	cfg := o.Cfg
	// The logins the daemon would make: a password, or an OAuth2 token.
	auth, err := mailauth.New(cfg, nil)
	if err != nil {
		r.add("IMAP", Fail, "correct the imap/smtp login settings (consultd check-config shows the same)", "login setup: %v", err)
		return r
	}
	o.auth = auth
	conn := checkIMAP(ctx, r, o)
	if conn != nil {
		defer conn.Close()
	}
	smtpOK := checkSMTP(ctx, r, o)
	switch {
	case conn != nil && smtpOK:
		checkDelivery(ctx, r, o, conn)
	default:
		r.add("Delivery", Fail, "fix the failures above, then run consultd doctor again",
			"probe to %s not sent: IMAP and SMTP must both work first", cfg.PlusAddress("doctor-…"))
	}
	return r
}

func addr(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

func checkIMAP(ctx context.Context, r *Report, o Options) *mailbox.Conn {
	cfg := o.Cfg
	const sec = "IMAP"
	where := addr(cfg.IMAP.Host, cfg.IMAP.Port)
	// ctx, not a shorter one: the connection lives on for the probe.
	conn, err := connectIMAP(ctx, cfg, o.auth)
	if err != nil {
		d := diagnose(err, "imap", cfg.IMAP.Host, where, cfg.IMAP.Security, cfg.IMAP.Auth == config.AuthOAuth2)
		if d.stage != stageLogin {
			r.add(sec, Fail, d.fix, "connect to %s (%s): %s", where, cfg.IMAP.Security, d.what)
			return nil
		}
		r.add(sec, Pass, "", "connected to %s (%s)", where, cfg.IMAP.Security)
		r.add(sec, Fail, d.fix, "login as %s refused: %s", cfg.IMAP.Username, d.what)
		return nil
	}
	r.add(sec, Pass, "", "connected to %s (%s%s)", where, cfg.IMAP.Security, tlsVersion(conn.TLS()))
	certLine(r, sec, "imap", cfg.IMAP.Host, cfg.IMAP.Security, cfg.IMAP.InsecureSkipVerify, conn.TLS(), o.Now())
	r.add(sec, Pass, "", "logged in as %s", cfg.IMAP.Username)

	caps, err := conn.Caps()
	if err != nil {
		r.add(sec, Fail, "the server dropped the connection after login; look at its logs", "capabilities: %v", err)
		return nil
	}
	poll := cfg.IMAP.PollInterval.Duration
	if caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2) {
		r.add(sec, Pass, "", "IDLE: new mail is seen as it arrives")
	} else {
		r.add(sec, Warn, "", "IDLE not offered: consultd polls every %s (imap.poll_interval), so new mail is seen up to that late", poll)
	}
	hasMove, hasUIDPlus := caps.Has(imap.CapMove) || caps.Has(imap.CapIMAP4rev2), caps.Has(imap.CapUIDPlus) || caps.Has(imap.CapIMAP4rev2)
	switch {
	case hasMove:
		r.add(sec, Pass, "", "MOVE: handled mail is moved to %s in one step", cfg.IMAP.Processed)
	case hasUIDPlus:
		r.add(sec, Warn, "", "MOVE not offered: consultd copies handled mail, then removes that one original (UID EXPUNGE, UIDPLUS)")
	default:
		r.add(sec, Warn, "ask the provider for MOVE or UIDPLUS, or clean the inbox by hand now and then",
			"neither MOVE nor UIDPLUS: handled mail is copied to %s and the original stays in the inbox, flagged %s (consultd never expunges the whole inbox)",
			cfg.IMAP.Processed, mailbox.DoneKeyword)
	}
	switch {
	case hasUIDPlus:
		r.add(sec, Pass, "", "UIDPLUS: messages are removed from the inbox one by one, never by a plain EXPUNGE")
	case hasMove:
		r.add(sec, Pass, "", "UIDPLUS not offered: not needed while MOVE is")
	}

	for _, f := range []struct{ name, key string }{{cfg.IMAP.Processed, "imap.processed"}, {cfg.IMAP.Review, "imap.review"}} {
		created, err := conn.EnsureFolder(f.name)
		switch {
		case err != nil:
			r.add(sec, Fail, fmt.Sprintf("create the folder %q with a mail client, or set %s to a folder that exists", f.name, f.key),
				"folder %s cannot be created: %v", f.name, err)
		case created:
			r.add(sec, Pass, "", "folder %s created", f.name)
		default:
			r.add(sec, Pass, "", "folder %s exists", f.name)
		}
	}
	return conn
}

func checkSMTP(ctx context.Context, r *Report, o Options) bool {
	cfg := o.Cfg
	const sec = "SMTP"
	where := addr(cfg.SMTP.Host, cfg.SMTP.Port)
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	got, err := smtpSender(cfg, o.auth).Check(dctx)
	if err != nil {
		d := diagnose(err, "smtp", cfg.SMTP.Host, where, cfg.SMTP.Security, cfg.SMTP.Auth == config.AuthOAuth2)
		if d.stage != stageLogin {
			r.add(sec, Fail, d.fix, "connect to %s (%s): %s", where, cfg.SMTP.Security, d.what)
			return false
		}
		r.add(sec, Pass, "", "connected to %s (%s)", where, cfg.SMTP.Security)
		r.add(sec, Fail, d.fix, "login as %s refused: %s", cfg.SMTP.Username, d.what)
		return false
	}
	r.add(sec, Pass, "", "connected to %s (%s%s)", where, cfg.SMTP.Security, tlsVersion(got.TLS))
	certLine(r, sec, "smtp", cfg.SMTP.Host, cfg.SMTP.Security, cfg.SMTP.InsecureSkipVerify, got.TLS, o.Now())
	if cfg.SMTP.Username != "" {
		r.add(sec, Pass, "", "logged in as %s", cfg.SMTP.Username)
	} else {
		r.add(sec, Pass, "", "no login configured (smtp.username empty): the server accepts mail from this host")
	}
	return true
}

func tlsVersion(cs *tls.ConnectionState) string {
	if cs == nil {
		return ""
	}
	return ", " + tls.VersionName(cs.Version)
}

// certLine reports the server certificate: whom it names and until when.
func certLine(r *Report, sec, key, host, security string, skip bool, cs *tls.ConnectionState, now time.Time) {
	if security == "none" {
		r.add(sec, Warn, "", "no TLS (%s.security: none): only safe on loopback or a trusted link", key)
		return
	}
	if cs == nil || len(cs.PeerCertificates) == 0 {
		r.add(sec, Warn, "", "TLS certificate not seen")
		return
	}
	leaf := cs.PeerCertificates[0]
	names := strings.Join(certNames(leaf), ", ")
	left := leaf.NotAfter.Sub(now)
	until := leaf.NotAfter.UTC().Format("2006-01-02")
	if skip {
		r.add(sec, Warn, fmt.Sprintf("install a certificate for %s from a public CA and remove %s.insecure_skip_verify", host, key),
			"certificate NOT verified (%s.insecure_skip_verify: true); it names %s, valid until %s", key, names, until)
		return
	}
	if left < 21*24*time.Hour {
		r.add(sec, Warn, "renew the server's certificate (or check that its automatic renewal runs)",
			"certificate for %s valid until %s: only %d days left", names, until, int(left.Hours()/24))
		return
	}
	r.add(sec, Pass, "", "certificate for %s, valid until %s (%d days)", names, until, int(left.Hours()/24))
}

// checkDelivery sends a probe to the coalition's plus address and waits for
// it in the inbox (or in Processed, where a running consultd files it).
func checkDelivery(ctx context.Context, r *Report, o Options, conn *mailbox.Conn) {
	cfg := o.Cfg
	const sec = "Delivery"
	id := probe.NewID()
	to := cfg.PlusAddress("doctor-" + id)
	msgID := "doctor-" + id + "@" + cfg.Domain()
	now := o.Now()

	// Recording the probe lets a running daemon file it quietly, and only
	// it. A database that does not exist yet is not created: no consultd
	// runs on it, and one created by another user (root) would lock the
	// daemon out.
	if _, err := os.Stat(cfg.Database); err == nil {
		recorded := false
		if st, err := store.Open(ctx, cfg.Database); err == nil {
			recorded = store.AddProbe(ctx, st.DB(), id, now) == nil
			st.Close()
		}
		if !recorded {
			r.add(sec, Warn, "", "the database %s cannot be written: a running consultd will file the probe as its own mail", cfg.Database)
		}
	}
	m := sender.Mail{
		MessageID: msgID, Date: now,
		From:    sender.Address{Name: cfg.Coalition.Name, Addr: cfg.Coalition.Address},
		To:      []sender.Address{{Addr: to}},
		Subject: "consultd doctor: delivery test " + id,
		Text: "This message tests that mail to the coalition's plus addresses reaches its mailbox.\n" +
			"consultd files it in " + cfg.IMAP.Processed + "; nothing needs to be done.\n",
		Headers: map[string]string{probe.Header: id},
	}
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	_, err := smtpSender(cfg, o.auth).Send(sctx, m)
	cancel()
	if err != nil {
		d := diagnose(err, "smtp", cfg.SMTP.Host, addr(cfg.SMTP.Host, cfg.SMTP.Port), cfg.SMTP.Security, cfg.SMTP.Auth == config.AuthOAuth2)
		r.add(sec, Fail, d.fix, "probe to %s refused: %s", to, d.what)
		return
	}
	r.add(sec, Pass, "", "probe sent to %s", to)
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "waiting up to %s for the probe to arrive…\n", o.Wait)
	}
	start := time.Now()
	deadline := start.Add(o.Wait)
	for {
		where, err := conn.FileByMessageID(msgID, cfg.IMAP.Processed)
		if err != nil {
			r.add(sec, Fail, "run consultd doctor again; if it fails the same way, look at the IMAP server's logs",
				"looking for the probe failed: %v", err)
			return
		}
		took := time.Since(start).Round(100 * time.Millisecond)
		switch where {
		case cfg.IMAP.Inbox:
			r.add(sec, Pass, "", "probe arrived in %s after %s (plus addressing and delivery work); filed in %s", where, took, cfg.IMAP.Processed)
			return
		case cfg.IMAP.Processed:
			r.add(sec, Pass, "", "probe arrived after %s and the running consultd filed it in %s (plus addressing and delivery work)", took, where)
			return
		}
		if time.Now().After(deadline) {
			if junk, err := conn.FindInJunk(msgID); err == nil && junk != "" {
				r.add(sec, Fail, "the provider's spam filter files the coalition's own mail as junk: add a rule (or a safe-sender "+
					"entry for "+cfg.Coalition.Address+") that keeps mail to "+cfg.Coalition.Local()+"+…@"+cfg.Domain()+" out of "+junk+
					"; consultd only reads "+cfg.IMAP.Inbox,
					"probe to %s was delivered, but to %s, not %s", to, junk, cfg.IMAP.Inbox)
				return
			}
			r.add(sec, Fail, "check that the provider delivers plus addresses (coalition+TAG@domain) to this mailbox "+
				"(Microsoft 365: enable plus addressing for the organisation; Postfix/Dovecot: recipient_delimiter = +), "+
				"and look in the junk folder; a slow provider may need a longer --wait",
				"probe to %s did not reach %s within %s", to, cfg.IMAP.Inbox, o.Wait)
			return
		}
		t := time.NewTimer(o.Every)
		select {
		case <-ctx.Done():
			t.Stop()
			r.add(sec, Fail, "", "interrupted while waiting for the probe")
			return
		case <-t.C:
		}
	}
}
