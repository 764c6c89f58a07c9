package mailbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
)

// errConnClosed reports that the server (or the network) ended the connection.
var errConnClosed = errors.New("connection closed by the server or the network")

// session is one IMAP connection, from dial to close.
type session struct {
	w    *Watcher
	c    *imapclient.Client
	wake chan struct{} // new-mail signal from the reader goroutine

	canIdle    bool
	hasMove    bool
	hasUIDPlus bool

	uidValidity uint32
	lastUID     uint32
	left        int // messages of the current sync not yet handled

	// While own copies wait (Config.OwnCanWait): every UID in
	// (lastUID, searchedTo] not yet filed is an own copy left in the inbox,
	// the lowest being firstWaiting (0: none waits).
	searchedTo   uint32
	firstWaiting uint32
	waiting      int
	noFromSearch bool // the server refused the search: nothing waits

	// filing is the handled batch still being moved while the next one is
	// handled (nil: none); settle waits for it.
	filing chan error

	// tlsState is the server's TLS handshake, once verified (nil without TLS).
	tlsState *tls.ConnectionState
}

// session connects, logs in, prepares the folders, selects the inbox and
// then alternates sync and wait until something fails or ctx is done.
// synced reports whether at least one sync completed.
func (w *Watcher) session(ctx context.Context) (synced bool, err error) {
	s, closeSession, err := w.connectLoggedIn(ctx)
	if err != nil {
		return false, err
	}
	defer closeSession()

	if err := s.open(ctx); err != nil {
		return false, err
	}
	w.setConnected(true)
	w.log.Info("imap watcher: connected", "idle", s.canIdle, "move", s.hasMove, "uidplus", s.hasUIDPlus,
		"uidvalidity", s.uidValidity, "last_uid", s.lastUID)

	for {
		if err := s.sync(ctx); err != nil {
			return synced, err
		}
		synced = true
		w.markSynced()
		if err := s.wait(ctx); err != nil {
			return synced, err
		}
	}
}

// dial connects and, for "tls" and "starttls", secures the connection.
// The whole exchange is bounded by CommandTimeout and by ctx.
func (s *session) dial(ctx context.Context) error {
	cfg := s.w.cfg
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return fmt.Errorf("imap server address %q: %w", cfg.Addr, err)
	}
	tlsConf := cfg.server().TLSConfig()
	// Keep the handshake for `consultd doctor` (certificate expiry, names);
	// imapclient does not expose it after STARTTLS.
	tlsConf.VerifyConnection = func(cs tls.ConnectionState) error {
		s.tlsState = &cs
		return nil
	}
	opts := &imapclient.Options{
		TLSConfig:   tlsConf,
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// Runs on the client's reader goroutine: signal, never block.
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case s.wake <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	// Keepalive probes notice a dead peer while IDLE sits silent.
	dialer := &net.Dialer{
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: time.Minute, Interval: 15 * time.Second, Count: 4},
	}

	dctx, cancel := context.WithTimeout(ctx, s.w.cfg.CommandTimeout)
	defer cancel()
	conn, err := dialer.DialContext(dctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", cfg.Addr, err)
	}
	// Until the client is ready, closing the socket is how to give up.
	stop := context.AfterFunc(dctx, func() { conn.Close() })
	var c *imapclient.Client
	switch cfg.Security {
	case "tls":
		tc := opts.TLSConfig.Clone()
		tc.NextProtos = []string{"imap"}
		tlsConn := tls.Client(conn, tc)
		if err = tlsConn.HandshakeContext(dctx); err == nil {
			c = imapclient.New(tlsConn, opts)
		}
	case "starttls":
		c, err = imapclient.NewStartTLS(conn, opts)
	default:
		c = imapclient.New(conn, opts)
	}
	if !stop() {
		err = errors.Join(fmt.Errorf("no answer within %s", s.w.cfg.CommandTimeout), ctx.Err(), err)
		if c != nil {
			c.Close()
		}
	}
	if err != nil {
		conn.Close()
		return fmt.Errorf("connect to %s (%s): %w", cfg.Addr, cfg.Security, err)
	}
	s.c = c
	return nil
}

// connect dials a new session; closing it (the returned func) also ends it
// when ctx is done, the only way to interrupt a blocked command.
func (w *Watcher) connect(ctx context.Context) (*session, func(), error) {
	s := &session{w: w, wake: make(chan struct{}, 1)}
	if err := s.dial(ctx); err != nil {
		return nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() { s.c.Close() })
	return s, func() { stop(); s.c.Close() }, nil
}

// connectLoggedIn connects and logs in. When the server refused an OAuth2
// token (which the Login function has already replaced), it connects once
// more at once: the refused attempt leaves the connection unusable.
func (w *Watcher) connectLoggedIn(ctx context.Context) (*session, func(), error) {
	for attempt := 0; ; attempt++ {
		s, closeSession, err := w.connect(ctx)
		if err != nil {
			return nil, nil, err
		}
		err = s.login(ctx)
		if err == nil {
			return s, closeSession, nil
		}
		closeSession()
		var r interface{ TokenRefused() bool }
		if attempt > 0 || !errors.As(err, &r) || !r.TokenRefused() {
			return nil, nil, err
		}
		w.log.Warn("imap watcher: the server refused the access token; trying once more with a new one", "err", err)
	}
}

// login waits for the greeting and logs in: the one place that
// authenticates (the watcher, Find and Dial all come here).
func (s *session) login(ctx context.Context) error {
	cfg := s.w.cfg
	if err := s.do("greeting", func() error { return s.c.WaitGreeting() }); err != nil {
		return err
	}
	if cfg.Login != nil {
		return s.do("authenticate", func() error { return cfg.Login(ctx, s.c) })
	}
	return s.do("login", func() error { return s.c.Login(cfg.Username, cfg.Password).Wait() })
}

// open creates the destination folders, selects the inbox and reconciles
// the checkpoint with the inbox's UIDVALIDITY.
func (s *session) open(ctx context.Context) error {
	cfg := s.w.cfg
	// Capabilities are read once here: Caps() may send a command, which
	// would block while IDLE runs.
	var caps imap.CapSet
	if err := s.do("capability", func() error {
		if caps = s.c.Caps(); caps == nil {
			return errConnClosed
		}
		return nil
	}); err != nil {
		return err
	}
	s.canIdle = caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2)
	s.hasMove = caps.Has(imap.CapMove)
	s.hasUIDPlus = caps.Has(imap.CapUIDPlus)

	for _, name := range []string{cfg.Processed, cfg.Review} {
		if err := s.ensureFolder(name); err != nil {
			return err
		}
	}

	var sel *imap.SelectData
	if err := s.do("select "+cfg.Inbox, func() (err error) {
		sel, err = s.c.Select(cfg.Inbox, nil).Wait()
		return err
	}); err != nil {
		return err
	}
	return s.loadCheckpoint(ctx, sel.UIDValidity)
}

// ensureFolder creates a folder unless it exists. Servers differ in how they
// say "exists" (ALREADYEXISTS, a bare NO), so a failed CREATE is checked
// with LIST before it counts as an error.
func (s *session) ensureFolder(name string) error {
	err := s.do("create "+name, func() error { return s.c.Create(name, nil).Wait() })
	if err == nil {
		s.w.log.Info("imap watcher: created folder", "folder", name)
		return nil
	}
	var imapErr *imap.Error
	if errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeAlreadyExists {
		return nil
	}
	if !errors.As(err, &imapErr) {
		return err // the connection failed, not the command
	}
	var found bool
	if lerr := s.do("list "+name, func() error {
		list, err := s.c.List("", name, nil).Collect()
		found = len(list) > 0
		return err
	}); lerr != nil {
		return lerr
	}
	if !found {
		return err
	}
	return nil
}

func (s *session) loadCheckpoint(ctx context.Context, uidValidity uint32) error {
	inbox := s.w.cfg.Inbox
	savedValidity, lastUID, err := s.w.cp.Load(ctx, inbox)
	if err != nil {
		return fmt.Errorf("load checkpoint for %s: %w", inbox, err)
	}
	s.uidValidity, s.lastUID = uidValidity, lastUID
	if savedValidity == uidValidity {
		return nil
	}
	if savedValidity == 0 {
		s.w.log.Info("imap watcher: no checkpoint yet, every message in the inbox is new", "uidvalidity", uidValidity)
	} else {
		s.w.log.Warn("imap watcher: inbox UIDVALIDITY changed; offering every message in it again (the handler deduplicates by Message-ID)",
			"old_uidvalidity", savedValidity, "new_uidvalidity", uidValidity, "old_last_uid", lastUID)
	}
	s.lastUID = 0
	if err := s.w.cp.Save(ctx, inbox, uidValidity, 0); err != nil {
		return fmt.Errorf("save checkpoint for %s: %w", inbox, err)
	}
	return nil
}

// do runs one IMAP exchange under CommandTimeout. The library waits for
// answers without a read deadline, so on timeout the connection is closed,
// which fails the command.
func (s *session) do(what string, f func() error) error {
	return s.doWithin(what, s.w.cfg.CommandTimeout, f)
}

func (s *session) doWithin(what string, timeout time.Duration, f func() error) error {
	timer := time.AfterFunc(timeout, func() { s.c.Close() })
	err := f()
	if !timer.Stop() {
		return fmt.Errorf("%s: no answer from the server within %s", what, timeout)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// wait returns when there may be new mail: after IDLE reports it or its
// period ends, or after one poll interval without IDLE.
func (s *session) wait(ctx context.Context) error {
	if s.canIdle {
		return s.idle(ctx)
	}
	t := time.NewTimer(s.w.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.c.Closed():
		return errConnClosed
	case <-s.w.kick:
	case <-t.C:
	}
	// NOOP proves the connection is alive and makes the server report news.
	return s.do("noop", func() error { return s.c.Noop().Wait() })
}

func (s *session) idle(ctx context.Context) error {
	var cmd *imapclient.IdleCommand
	if err := s.do("idle", func() (err error) {
		cmd, err = s.c.Idle()
		return err
	}); err != nil {
		var imapErr *imap.Error
		if errors.As(err, &imapErr) {
			// Advertised but refused: poll on this connection instead.
			s.w.log.Warn("imap watcher: server refused IDLE, polling instead", "err", err, "every", s.w.cfg.PollInterval)
			s.canIdle = false
			return nil
		}
		return err
	}
	s.w.setIdle(true)
	t := time.NewTimer(s.w.idlePeriod())
	defer t.Stop()
	var closed bool
	select {
	case <-s.wake:
	case <-s.w.kick:
	case <-t.C: // watchdog: prove the connection still answers
	case <-ctx.Done():
	case <-s.c.Closed():
		closed = true
	}
	s.w.setIdle(false)
	if closed {
		return errConnClosed
	}
	if err := s.do("stop idle", func() error {
		if err := cmd.Close(); err != nil {
			return err
		}
		return cmd.Wait()
	}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return ctx.Err()
}
