// Package daemon wires consultd together: the IMAP watcher feeds the round
// engine, a clock ticks reminders and deadlines, and the sender delivers the
// outbox. It is what `consultd run` and the demo start.
package daemon

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"consultd/internal/config"
	"consultd/internal/mailauth"
	"consultd/internal/mailbox"
	"consultd/internal/metrics"
	"consultd/internal/oauth"
	"consultd/internal/outbox"
	"consultd/internal/render"
	"consultd/internal/round"
	"consultd/internal/sdnotify"
	"consultd/internal/sender"
	"consultd/internal/store"
)

// Daemon is a running consultd.
type Daemon struct {
	Cfg    *config.Config
	Store  *store.Store
	Engine *round.Engine
	Log    *slog.Logger

	// TickEvery is how often reminders and deadlines are checked.
	TickEvery time.Duration
	// WatchdogEvery is how often the watchdog looks (default 30 s).
	WatchdogEvery time.Duration
	// Metrics is always kept; it is served when http.listen is set.
	Metrics   *metrics.Metrics
	wake      chan struct{}
	watcher   *mailbox.Watcher
	lock      *os.File
	http      *metrics.Server
	httpReady chan struct{} // closed once Run bound the listener (or has none)
	notifyMu  sync.Mutex
	stopping  bool // STOPPING=1 was sent
	auth      *mailauth.Auth
	intake    *intake     // holds the sender while the watcher reads a backlog
	sending   atomic.Bool // the sender is in a pass of more than one batch
}

// loginRefused runs when the provider refused the OAuth2 grant for good: the
// log says it every time (with the fix), the coordinators are told once.
func (d *Daemon) loginRefused(ge *oauth.GrantError) {
	fix := ge.Fix(d.Cfg.Path)
	d.Log.Error("oauth2: the mail provider refused consultd's sign-in; it cannot log in to IMAP or SMTP until this is fixed",
		"code", ge.Code, "grant", ge.Grant, "fix", fix)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	told, err := d.Engine.TellLoginRefused(ctx, ge.Key, ge.Error(), fix)
	switch {
	case err != nil:
		d.Log.Error("oauth2: could not queue the note to the coordinators", "err", err)
	case told:
		d.Log.Warn("oauth2: the coordinators are told about the refused sign-in (once)")
	}
}

// lockFile takes an exclusive lock beside the database: two daemons on one
// mailbox and database would both send every mail.
func lockFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another consultd is already running with the database %s (lock %s is held)", strings.TrimSuffix(path, ".lock"), path)
	}
	return f, nil
}

// New opens the store and prepares every part; Run starts them.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Daemon, error) {
	r, err := render.New(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	lock, err := lockFile(cfg.Database + ".lock")
	if err != nil {
		return nil, err
	}
	st, err := store.OpenCheckpointing(ctx, cfg.Database)
	if err != nil {
		lock.Close()
		return nil, err
	}
	auth, err := mailauth.New(cfg, nil)
	if err != nil {
		st.Close()
		lock.Close()
		return nil, err
	}
	d := &Daemon{Cfg: cfg, Store: st, Log: log, TickEvery: 30 * time.Second, WatchdogEvery: 30 * time.Second,
		wake: make(chan struct{}, 1), lock: lock, auth: auth, httpReady: make(chan struct{})}
	d.Engine = round.New(cfg, st, r, log)
	d.Engine.Kick = d.Kick
	auth.OnGrantError(d.loginRefused)
	d.Metrics = metrics.New(metrics.Source{DB: st.DB(), IMAP: d.Status, Log: log.With("part", "http")})
	handler := inbox{d: d, maxSize: cfg.IMAP.MaxMessageSize.Bytes}
	wcfg := IMAPConfig(cfg, auth)
	wcfg.Logger, wcfg.WholeMessage = log.With("part", "imap"), d.Engine.WholeMessage
	d.intake = newIntake(log.With("part", "smtp"), d.Kick)
	wcfg.Backlog = d.intake.Backlog
	// While a fan-out is sent, its proof copies wait in the inbox: reading
	// them beside it would only slow it (mailbox.Config.OwnCanWait).
	wcfg.OwnAddress, wcfg.OwnCanWait = cfg.Coalition.Address, d.sending.Load
	wcfg.Blobs = func() mailbox.BlobWriter { return blobSpool{store.NewBlobWriter(context.Background(), st.DB())} }
	d.watcher = mailbox.New(wcfg, handler, store.Checkpoints{S: d.Store})
	warnInsecure(cfg, log)
	return d, nil
}

// blobSpool stores a big forward's attachment while the watcher reads it;
// the round that opens from the message claims it by its handle
// (store.Attachment.Handle), and store.SweepBlobs removes it otherwise.
type blobSpool struct{ *store.BlobWriter }

func (b blobSpool) Close() (string, int64, error) {
	info, err := b.BlobWriter.Close()
	return info.Handle, info.Size, err
}

// IMAPConfig is how consultd reaches the coalition's mailbox: the watcher
// and `consultd doctor` connect and log in with it alike.
func IMAPConfig(cfg *config.Config, auth *mailauth.Auth) mailbox.Config {
	return mailbox.Config{
		Addr: net.JoinHostPort(cfg.IMAP.Host, strconv.Itoa(cfg.IMAP.Port)), Security: cfg.IMAP.Security,
		Username: cfg.IMAP.Username, Password: cfg.IMAP.Pass(), InsecureSkipVerify: cfg.IMAP.InsecureSkipVerify,
		AllowInsecureAuth: cfg.IMAP.AllowInsecureAuth, Login: auth.IMAP,
		Inbox: cfg.IMAP.Inbox, Processed: cfg.IMAP.Processed, Review: cfg.IMAP.Review, Junk: cfg.IMAP.Junk,
		PollInterval: cfg.IMAP.PollInterval.Duration, MaxMessageSize: cfg.IMAP.MaxMessageSize.Bytes,
	}
}

// SMTPConfig is how consultd reaches the submission server (the sender and
// `consultd doctor`), with auth's token when smtp.auth is oauth2.
func SMTPConfig(cfg *config.Config, auth *mailauth.Auth) sender.Config {
	scfg := sender.Config{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Security: cfg.SMTP.Security,
		Username: cfg.SMTP.Username, Password: cfg.SMTP.Pass(), HELO: cfg.SMTP.HELO,
		InsecureSkipVerify: cfg.SMTP.InsecureSkipVerify, AllowInsecureAuth: cfg.SMTP.AllowInsecureAuth, Timeout: 30 * time.Second,
		Connections: cfg.SMTP.Connections}
	if cfg.SMTP.Auth == config.AuthOAuth2 {
		scfg.Auth = auth.SMTP
	}
	return scfg
}

// Kick wakes the sender (never blocks).
func (d *Daemon) Kick() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Status of the IMAP side, for logs and the demo.
func (d *Daemon) Status() mailbox.Status {
	if d.watcher == nil {
		return mailbox.Status{}
	}
	return d.watcher.Status()
}

// Run runs until ctx is cancelled, then stops every part and closes the store.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.lock.Close() // closing the file releases the lock
	defer d.Store.Close()
	cfg := d.Cfg
	snd := sender.New(SMTPConfig(cfg, d.auth))

	if l := cfg.HTTP.Listen; l != "" {
		srv, err := metrics.Listen(l, d.Metrics.Handler(d.readiness()))
		if err != nil {
			close(d.httpReady)
			return err
		}
		d.http = srv
	}
	close(d.httpReady)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	run := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && !errors.Is(err, context.Canceled) {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	run("imap watcher", func() error { return d.watcher.Run(ctx) })
	run("sender", func() error {
		l := &sender.Loop{Transport: snd, Outbox: outbox.Queue{Store: d.Store, ProofCopy: cfg.SMTP.ProofCopy, Log: d.Log.With("part", "smtp"), Undelivered: d.Engine.Undelivered}, Wake: d.wake, Log: d.Log.With("part", "smtp"),
			ProofWait: cfg.SMTP.ProofWait.Duration, Hold: d.intake.Hold, Busy: d.senderBusy, Connections: cmp.Or(cfg.SMTP.Connections, sender.DefaultConnections),
			Rate: sender.Rate{PerMinute: cfg.SMTP.Rate.MessagesPerMinute, PerDay: cfg.SMTP.Rate.MessagesPerDay,
				RecipientsPerDay: cfg.SMTP.Rate.RecipientsPerDay}}
		if cfg.SMTP.ProofCopy {
			l.Finder = d.watcher // the coalition's copies land where the watcher reads
		}
		return l.Run(ctx)
	})
	run("clock", func() error { return d.tick(ctx) })
	run("watchdog", func() error { return d.newWatchdog().Run(ctx, d.WatchdogEvery) })
	if d.http != nil {
		run("http", func() error { return d.http.Serve(ctx) })
		d.Log.Info("monitoring listener", "addr", d.http.Addr(), "paths", "/metrics /healthz /readyz")
	}
	d.Log.Info("consultd running", "coalition", cfg.Coalition.Address, "members", len(cfg.Members),
		"imap", net.JoinHostPort(cfg.IMAP.Host, strconv.Itoa(cfg.IMAP.Port)), "smtp", net.JoinHostPort(cfg.SMTP.Host, strconv.Itoa(cfg.SMTP.Port)))
	coordinatorTrustNote(d.Log, cfg)
	d.Log.Info("mail logins", "how", mailauth.Describe(cfg), "mail_provider", cfg.MailProvider)
	d.Kick() // deliver anything left in the outbox by a previous run
	// The site is rebuilt from the database, so one an earlier run left
	// incomplete (or one written before the index and feed existed) is whole.
	if err := d.Engine.RebuildSite(ctx); err != nil {
		d.Log.Error("rebuilding the published site failed", "dir", cfg.PublishDir, "err", err)
	}
	// Ready once every part runs, not after the first IMAP sync: with IMAP
	// down at boot systemd would otherwise kill and restart consultd in a
	// loop, and the watchdog could never tell anyone.
	d.notify(sdnotify.Ready)
	// Pinged only once ready: a WATCHDOG=1 before READY=1 tells systemd
	// nothing, and would race READY=1 on a busy machine.
	run("systemd watchdog", func() error { return d.systemdWatchdog(ctx) })
	<-ctx.Done()
	d.notify(sdnotify.Stopping)
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	d.Log.Info("consultd stopped")
	return nil
}

// senderBusy is the sender's report (sender.Loop.Busy); when a long pass
// ends, the watcher reads the own copies it left waiting.
func (d *Daemon) senderBusy(busy bool) {
	d.sending.Store(busy)
	if !busy {
		d.watcher.Wake()
	}
}

func (d *Daemon) tick(ctx context.Context) error {
	t := time.NewTicker(d.TickEvery)
	defer t.Stop()
	for {
		if err := d.Engine.Tick(ctx); err != nil {
			d.Log.Error("tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// inbox hands the watcher's messages to the workflow.
type inbox struct {
	d       *Daemon
	maxSize int64
}

// Handle handles one message; one over the size limit goes to Review unread.
func (h inbox) Handle(ctx context.Context, m mailbox.Message) (mailbox.Disposition, error) {
	defer h.d.Metrics.ObserveHandlingSince(time.Now(), 1)
	if ok, err := h.d.handleProbe(ctx, m); err != nil || ok {
		return mailbox.Processed, err
	}
	if m.TooLarge {
		return mailbox.Review, h.d.Engine.HandleTooLarge(ctx, round.TooLarge{Header: m.Raw, Size: m.Size,
			Limit: h.maxSize, Mailbox: m.Mailbox, UIDValidity: m.UIDValidity, UID: m.UID})
	}
	return h.d.Engine.Handle(ctx, incoming(m))
}

// HandleBatch handles a fetched batch in one transaction (the watcher never
// puts an oversized message in a batch).
func (h inbox) HandleBatch(ctx context.Context, ms []mailbox.Message) ([]mailbox.Disposition, error) {
	defer h.d.Metrics.ObserveHandlingSince(time.Now(), len(ms))
	out := make([]mailbox.Disposition, len(ms))
	var ins []round.Incoming
	var at []int // out's index of each of ins
	for i, m := range ms {
		if m.TooLarge {
			return nil, fmt.Errorf("uid %d: an oversized message in a batch", m.UID)
		}
		// doctor's probes are filed here and never reach the workflow.
		ok, err := h.d.handleProbe(ctx, m)
		if err != nil {
			return nil, err
		}
		if ok {
			out[i] = mailbox.Processed
			continue
		}
		ins = append(ins, incoming(m))
		at = append(at, i)
	}
	if h.d.intake != nil {
		h.d.intake.Read(ownCopies(ms, h.d.Cfg.Coalition.Address), len(ms))
	}
	if len(ins) == 0 {
		return out, nil
	}
	disps, err := h.d.Engine.HandleBatch(ctx, ins)
	if err != nil {
		return nil, err
	}
	if len(disps) != len(ins) {
		return nil, fmt.Errorf("workflow returned %d dispositions for %d messages", len(disps), len(ins))
	}
	for k, d := range disps {
		out[at[k]] = d
	}
	return out, nil
}

// ownCopies counts the messages From the coalition's own address, as
// classify.Message tells its own copies, reading the header only. It
// steers the intake-first hold, nothing else: a forged From costs at most a
// hold not taken.
func ownCopies(ms []mailbox.Message, coalition string) int {
	n := 0
	for _, m := range ms {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
		if err != nil {
			continue
		}
		if a, err := mail.ParseAddress(msg.Header.Get("From")); err == nil && strings.EqualFold(a.Address, coalition) {
			n++
		}
	}
	return n
}

func incoming(m mailbox.Message) round.Incoming {
	return round.Incoming{Raw: m.Raw, Mailbox: m.Mailbox, UIDValidity: m.UIDValidity, UID: m.UID}
}
