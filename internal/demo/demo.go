package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"consultd/configs"
	"consultd/internal/config"
	"consultd/internal/daemon"
	"consultd/internal/demo/story"
	"consultd/internal/mailserver"
	"consultd/internal/mimeparse"
	"consultd/internal/token"
)

// Password of every demo account.
const Password = "demo"

// Options of a demo run.
type Options struct {
	Keep bool      // leave the servers running until ctx is done
	Dir  string    // working folder for the database and published files ("" = a temporary one)
	Out  io.Writer // where the story is printed
	Log  io.Writer // consultd's own log ("" = discarded)
}

// Run plays the story and returns when it is told (or ctx ends with Keep).
func Run(ctx context.Context, o Options) error {
	out := o.Out
	step := func(format string, args ...any) { fmt.Fprintf(out, "==> "+format+"\n", args...) }
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "consultd-demo-")
		if err != nil {
			return err
		}
		dir = d
		if !o.Keep {
			defer os.RemoveAll(d)
		}
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("demo --dir: %w", err)
	}
	srv, err := mailserver.Start(mailserver.Options{CatchAll: ""})
	if err != nil {
		return fmt.Errorf("start built-in mail servers: %w", err)
	}
	defer srv.Close()
	cfg, err := demoConfig(dir, srv)
	if err != nil {
		return err
	}
	step("Built-in mail servers: IMAP %s, SMTP %s (loopback only)", srv.IMAPAddr(), srv.SMTPAddr())
	users := []string{cfg.Coalition.Address, story.InviterAddress}
	for _, c := range cfg.Coordinators {
		users = append(users, c.Email)
	}
	contact := map[string]string{}
	for _, m := range cfg.Members {
		users = append(users, m.Emails...)
		contact[m.ID] = m.Emails[0]
	}
	for _, u := range users {
		if err := srv.AddUser(u, Password); err != nil {
			return err
		}
	}
	step("%s: %d coordinators, %d member organisations, %d mailboxes", cfg.Coalition.Name, len(cfg.Coordinators), len(cfg.Members), len(users))

	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	d, err := daemon.New(ctx, cfg, slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{ReplaceAttr: token.RedactAttr})))
	if err != nil {
		return err
	}
	d.TickEvery = 200 * time.Millisecond
	dctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(dctx) }()
	defer func() { stop(); <-done }()

	coord := cfg.Coordinators[0]
	step("%s forwards the invitation from %s to %s (a Gmail inline forward)", coord.Name, story.InviterAddress, cfg.Coalition.Address)
	if err := send(srv.SMTPAddr(), coord.Email, cfg.Coalition.Address, story.Forward(coord.Name, coord.Email, cfg.Coalition.Address, time.Now())); err != nil {
		return err
	}
	// No mail server vouches for the forward (the demo configures no
	// authentication), so consultd asks the coordinator herself.
	reqs, err := waitMail(ctx, srv, coord.Email, "Please confirm", 1)
	if err != nil {
		return err
	}
	req := ParseConsultation(reqs[0])
	step("No mail server proves the forward is %s's (a From: line is easy to forge), so consultd asks her first, at her configured address: %q", coord.Name, req.Subject)
	fmt.Fprintln(out, indent(req.Body, "    | "))
	step("%s replies CONFIRM from her mail client (a forger would never see this request)", coord.Name)
	if err := send(srv.SMTPAddr(), coord.Email, req.ReplyTo, story.ConfirmReply(req, coord.Name, coord.Email, time.Now())); err != nil {
		return err
	}
	opened, err := waitMail(ctx, srv, coord.Email, "Round opened", 1)
	if err != nil {
		return err
	}
	m, _ := mimeparse.Parse(opened[0])
	step("consultd opened the round and told the coordinators: %q", m.Subject)
	fmt.Fprintln(out, indent(m.Text, "    | "))

	cons := map[string]story.Consultation{}
	for _, mem := range cfg.Members {
		msgs, err := waitMail(ctx, srv, contact[mem.ID], "[Consultation ", 1)
		if err != nil {
			return err
		}
		c := ParseConsultation(msgs[0])
		cons[mem.ID] = c
		step("%-58s %s  (%s, Reply-To %s)", mem.Name, c.Subject, mem.Language, redact(c.ReplyTo))
	}
	step("Every member organisation has its consultation. An Arabic one reads:")
	fmt.Fprintln(out, indent(firstLines(cons["alkawakibi"].Body, 12), "    | "))

	step("The members answer, each from their own mail client:")
	for _, r := range story.Answers(cons, contact, time.Now()) {
		fmt.Fprintf(out, "    %-11s %s\n", r.Member, r.Says)
		if err := send(srv.SMTPAddr(), r.From, cons[r.Member].ReplyTo, r.Raw); err != nil {
			return err
		}
	}
	step("consultd sends each member a receipt of what it understood, e.g. to %s:", contact["stj"])
	rec, err := waitMail(ctx, srv, contact["stj"], "Re: [Consultation ", 2)
	if err != nil {
		return err
	}
	rm, _ := mimeparse.Parse(rec[len(rec)-1])
	fmt.Fprintln(out, indent(rm.Text, "    | "))

	stmts, err := waitMail(ctx, srv, story.InviterAddress, "Re: "+story.InviteSubject, 1)
	if err != nil {
		return err
	}
	sm, _ := mimeparse.Parse(stmts[0])
	thread := "threaded to the invitation with In-Reply-To <" + strings.Join(sm.InReplyTo, " ") + ">"
	if len(sm.InReplyTo) == 0 {
		thread = "not threaded: an inline forward does not carry the original's Message-ID"
	}
	step("Every member answered, so the round closed early. The inviter received (%s):", thread)
	fmt.Fprintf(out, "    Subject: %s\n    Cc: %d copies (coordinators and members)\n\n", sm.Subject, len(sm.Cc))
	fmt.Fprintln(out, indent(sm.Text, "    "))
	pub, _ := filepath.Glob(filepath.Join(cfg.PublishDir, "*"))
	where := strings.Join(pub, ", ")
	if o.Dir == "" && !o.Keep {
		where += " (a temporary folder, removed when the demo ends; --dir DIR keeps it)"
	}
	step("Published for the website: %s", where)

	if o.Keep {
		host, port, _ := net.SplitHostPort(srv.IMAPAddr())
		_, sport, _ := net.SplitHostPort(srv.SMTPAddr())
		fmt.Fprintf(out, `
The servers keep running (Ctrl-C stops them). Point a mail client at them:
  IMAP  host %s  port %s  no TLS   user %s (or any member, e.g. %s)  password %s
  SMTP  host %s  port %s  no TLS   no authentication needed
Forward another invitation from %s to %s to open a new round (reply CONFIRM to the request it brings).
State is in %s.
`, host, port, cfg.Coalition.Address, contact["tda"], Password, host, sport, coord.Email, cfg.Coalition.Address, dir)
		<-ctx.Done()
	}
	return nil
}

// demoConfig loads the embedded demo configuration with the servers' real ports.
func demoConfig(dir string, srv *mailserver.Server) (*config.Config, error) {
	_, iport, _ := net.SplitHostPort(srv.IMAPAddr())
	_, sport, _ := net.SplitHostPort(srv.SMTPAddr())
	y := string(configs.Demo)
	y = strings.Replace(y, "port: 1143", "port: "+iport, 1)
	y = strings.Replace(y, "port: 1025", "port: "+sport, 1)
	p := filepath.Join(dir, "demo.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		return nil, err
	}
	cfg, err := config.Load(p)
	if err != nil {
		return nil, fmt.Errorf("demo configuration: %w", err)
	}
	cfg.IMAP.PollInterval.Duration = time.Second
	return cfg, nil
}

// ParseConsultation reads what a member's mail client needs from a consultation.
func ParseConsultation(raw []byte) story.Consultation {
	m, _ := mimeparse.Parse(raw)
	if m == nil {
		return story.Consultation{}
	}
	c := story.Consultation{MessageID: m.MessageID, Subject: m.Subject, Body: m.Text, Date: m.Date}
	if len(m.ReplyTo) > 0 {
		c.ReplyTo = m.ReplyTo[0].Address
	}
	return c
}

// waitMail waits until mailbox addr holds at least n messages whose subject
// contains subj, and returns them.
func waitMail(ctx context.Context, srv *mailserver.Server, addr, subj string, n int) ([][]byte, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs, err := srv.Messages(addr, "INBOX")
		if err != nil {
			return nil, err
		}
		var hits [][]byte
		for _, raw := range msgs {
			if m, _ := mimeparse.Parse(raw); m != nil && strings.Contains(m.Subject, subj) {
				hits = append(hits, raw)
			}
		}
		if len(hits) >= n {
			return hits, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waited 30s for %d message(s) %q in %s; found %d", n, subj, addr, len(hits))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// send delivers a raw message over SMTP like a member's mail client.
func send(addr, from, to string, raw []byte) error {
	if err := smtp.SendMail(addr, nil, from, []string{to}, raw); err != nil {
		return fmt.Errorf("send as %s: %w", from, err)
	}
	return nil
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}

// redact hides the token in a plus address: tokens never appear in output.
func redact(a string) string {
	at := strings.LastIndexByte(a, '@')
	plus := strings.IndexByte(a, '+')
	if plus < 0 || at < plus {
		return a
	}
	return a[:plus+1] + strconv.Itoa(len(a[plus+1:at])) + "-char-token" + a[at:]
}
