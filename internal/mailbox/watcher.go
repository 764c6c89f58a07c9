// Package mailbox watches the coalition's IMAP inbox and hands every new
// message to a Handler exactly as it arrived (RFC 5322 bytes), then files it
// away: into the Processed folder, or into the review folder when a human
// should look at it.
//
// It follows RFC 9051 / RFC 3501 (IMAP4rev2 / rev1), RFC 2177 (IDLE),
// RFC 6851 (MOVE) and RFC 4315 (UIDPLUS), and is written around the known
// pitfalls of go-imap v2 beta.8:
//
//   - Only UIDs are used, never sequence numbers, and no command is ever sent
//     with an empty UID set (the library would tear the connection down).
//   - MOVE is used when the server has it. Otherwise the watcher does UID COPY,
//     waits for its result, and only then removes the original — with
//     UID EXPUNGE of that one UID when UIDPLUS exists, and never with a plain
//     EXPUNGE (which would also remove mail other clients flagged \Deleted).
//     Without UIDPLUS the original stays in the inbox, flagged DoneKeyword.
//   - A (UIDVALIDITY, last UID) checkpoint survives restarts. When UIDVALIDITY
//     changes every message still in the inbox is offered again; the Handler
//     deduplicates by Message-ID.
//   - IDLE is only used when advertised, is restarted at least every
//     PollInterval (at most 10 minutes) to notice dead connections, and every
//     command runs under a deadline: the library has no read timeout while it
//     waits, so a silently dead server would otherwise hang the watcher.
//   - Errors never end the watcher: it logs, closes the connection, backs off
//     (1 s doubling to 60 s, with jitter), reconnects and resynchronises.
package mailbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"consultd/internal/serverconf"
	"consultd/internal/store"
)

// Defaults applied by New when a Config field is left zero.
const (
	DefaultInbox          = "INBOX"
	DefaultProcessed      = "Processed"
	DefaultReview         = "Needs-Review"
	DefaultPollInterval   = time.Minute
	DefaultMaxMessageSize = 25 << 20
	DefaultMinBackoff     = time.Second
	DefaultMaxBackoff     = time.Minute
	DefaultCommandTimeout = 2 * time.Minute

	// maxIdlePeriod caps how long one IDLE may run before the watcher stops
	// it and resynchronises, so a silently dead connection is noticed.
	maxIdlePeriod = 10 * time.Minute
)

// DoneKeyword marks a message that was copied to its destination folder but
// could not be removed from the inbox (server without MOVE and UIDPLUS).
// Messages carrying it are never offered again. Some servers lower-case
// keywords; IMAP SEARCH matches them case-insensitively.
const DoneKeyword = "$consultd-done"

// Config says which mailbox to watch and how.
type Config struct {
	Addr               string // host:port
	Security           string // "tls" (default), "starttls" or "none"
	Username, Password string
	// Login, when set, logs each connection in instead of LOGIN with
	// Username/Password (OAuth2: package mailauth). An error that has a
	// TokenRefused() true method makes the watcher reconnect at once and try
	// once more: the token was refused and has been replaced.
	Login              func(ctx context.Context, c *imapclient.Client) error
	InsecureSkipVerify bool
	// AllowInsecureAuth permits LOGIN over security "none" to a host that is
	// not loopback; without it such a Config is refused (the password would
	// travel in clear).
	AllowInsecureAuth bool

	Inbox     string // watched folder; default INBOX
	Processed string // created if missing; default "Processed"
	Review    string // created if missing; default "Needs-Review"
	// Junk, when set, is searched too by Find (a proof copy the provider
	// filed as spam still proves a delivery). Never watched.
	Junk string

	// PollInterval is the polling period when the server lacks IDLE, and the
	// longest a single IDLE runs before a resync (capped at 10 minutes).
	PollInterval time.Duration
	// MaxMessageSize: larger messages are not read but handed over as their
	// header alone (Message.TooLarge), then moved to Review. Default 25 MiB.
	MaxMessageSize int64
	// WholeMessage says, from its header, whether a big message (over 4 MiB)
	// is read in full. Otherwise only its text and the first bytes of each
	// other part are read (Message.Elided counts the rest), which keeps
	// memory low under a flood. nil: every message is read in full.
	WholeMessage func(header []byte) bool
	// Backlog, when set, is told how many messages wait beyond the batch
	// being handled: after each search and before each batch, and 0 when a
	// sync ends (done or failed). The daemon holds the sender back while it
	// is above 0, so that a full inbox is read first. Called on the
	// watcher's goroutine: it must not block.
	Backlog func(waiting int)
	// OwnAddress and OwnCanWait let the coalition's own mail wait: while
	// OwnCanWait says true (the outbox is sending a fan-out), messages whose
	// From contains OwnAddress (the proof copies of what is being sent) stay
	// in the inbox unread, found by a header SEARCH, and everything else is
	// read as it comes, out of UID order. Reading thousands of copies beside
	// the fan-out that sends them takes the mail server's time from the
	// sending; nothing needs them until the sending ends (a proof copy is
	// looked for by Find, in the inbox too). The checkpoint stays below the
	// first copy left waiting, and they are all read, in UID order, by the
	// first sync after OwnCanWait says false (Wake starts it at once).
	// Called on the watcher's goroutine: it must not block.
	OwnAddress string
	OwnCanWait func() bool
	// Blobs, when set, stores each base64 attachment of such a message while
	// it is read (decoded, chunk by chunk), so that neither the message nor
	// the attachment is ever whole in memory; its part then carries only its
	// header and a BlobHeader naming the blob. nil: read into Raw.
	Blobs func() BlobWriter
	// MinBackoff and MaxBackoff bound the reconnect delay (default 1 s, 60 s).
	MinBackoff, MaxBackoff time.Duration
	// CommandTimeout bounds each IMAP command (default 2 minutes); body
	// fetches get at least 10 minutes.
	CommandTimeout time.Duration

	Logger *slog.Logger
}

// Message is one inbox message, as the server stores it.
type Message struct {
	Mailbox      string
	UIDValidity  uint32
	UID          uint32
	Raw          []byte // the full RFC 5322 message (BODY.PEEK[], \Seen untouched)
	InternalDate time.Time
	// Elided counts the bytes of big non-text parts that were not read
	// (see Config.WholeMessage); Raw then holds the rest.
	Elided int64
	// TooLarge: the message is over MaxMessageSize (Size bytes); Raw holds
	// its header only, and it goes to Review whatever the Handler says.
	TooLarge bool
	Size     int64
}

// Disposition says where a handled message goes (the store records it with
// the message): Processed, Review, or Keep, which leaves it in the inbox while
// the checkpoint still moves past it, so this watcher does not offer it again
// (unless UIDVALIDITY changes).
type Disposition = store.Disposition

// The dispositions, as the store names them.
const (
	Processed = store.Processed
	Review    = store.Review
	Keep      = store.Keep
)

// Handler receives each new message once it is fetched.
//
// Handle commits the message's effects (deduplicating by Message-ID is the
// handler's job: after a crash or a UIDVALIDITY change the same message can be
// offered again) and says where the message goes. A returned error means
// "not committed": the message stays in the inbox, later messages wait behind
// it, and it is offered again after a backoff. Unreadable mail should
// therefore get Review, not an error. A panic in Handle is logged and the
// message goes to Review. An unknown Disposition also means Review.
type Handler interface {
	Handle(ctx context.Context, m Message) (Disposition, error)
}

// BatchHandler is a Handler that can also commit several messages at once
// (all of them or none). The watcher then hands it each fetched batch,
// files the batch with one command per destination and saves the
// checkpoint once; if HandleBatch fails, it falls back to Handle, message by
// message.
type BatchHandler interface {
	Handler
	HandleBatch(ctx context.Context, ms []Message) ([]Disposition, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m Message) (Disposition, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, m Message) (Disposition, error) { return f(ctx, m) }

// Checkpoint persists, per mailbox, the UIDVALIDITY and the highest UID whose
// handling is complete. Load returns zeros for a mailbox never saved.
type Checkpoint interface {
	Load(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, err error)
	Save(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error
}

// Status is a snapshot of the watcher for logs and health checks.
type Status struct {
	Connected   bool
	Idle        bool      // an IDLE command is running right now
	LastSync    time.Time // end of the last complete sync
	LastError   string
	LastErrorAt time.Time
	Handled     uint64 // messages handed to the Handler successfully since New
	Reconnects  uint64 // sessions that ended in an error
	// DownSince is when IMAP began failing: the first session error after
	// the last complete sync (zero while syncs succeed, and before the
	// first error). The watchdog reports an outage by it.
	DownSince time.Time
}

// Watcher watches one inbox. Create it with New and start it with Run.
type Watcher struct {
	cfg Config
	h   Handler
	cp  Checkpoint
	log *slog.Logger

	kick chan struct{} // Wake: sync now

	mu     sync.Mutex
	status Status
}

// Wake makes the watcher sync at once, as if the server had reported new
// mail (the daemon calls it when the coalition's own copies may be read).
func (w *Watcher) Wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// New returns a Watcher; zero Config fields get their defaults.
func New(cfg Config, h Handler, cp Checkpoint) *Watcher {
	if cfg.Security == "" {
		cfg.Security = "tls"
	}
	if cfg.Inbox == "" {
		cfg.Inbox = DefaultInbox
	}
	if cfg.Processed == "" {
		cfg.Processed = DefaultProcessed
	}
	if cfg.Review == "" {
		cfg.Review = DefaultReview
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = DefaultCommandTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "imap", "addr", cfg.Addr, "user", cfg.Username, "mailbox", cfg.Inbox)
	return &Watcher{cfg: cfg, h: h, cp: cp, log: log, kick: make(chan struct{}, 1)}
}

func (cfg *Config) validate() error {
	if cfg.Addr == "" {
		return errors.New("imap: no server address")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return fmt.Errorf("imap: server address %q must be host:port: %w", cfg.Addr, err)
	}
	// The same rules as check-config (security, cleartext password).
	if err := cfg.server().Err("imap"); err != nil {
		return err
	}
	if cfg.Processed == cfg.Inbox || cfg.Review == cfg.Inbox {
		return fmt.Errorf("imap: the processed and review folders must differ from the watched folder %q", cfg.Inbox)
	}
	return nil
}

// server is cfg as package serverconf checks it.
func (cfg *Config) server() serverconf.Server {
	host, port, _ := net.SplitHostPort(cfg.Addr)
	p, _ := strconv.Atoi(port)
	return serverconf.Server{Host: host, Port: p, Security: cfg.Security, Credentials: cfg.Username != "" || cfg.Password != "",
		AllowInsecureAuth: cfg.AllowInsecureAuth, InsecureSkipVerify: cfg.InsecureSkipVerify}
}

// Run watches the inbox until ctx is done, reconnecting with backoff after
// every failure, and returns ctx's error. It returns earlier only for a
// configuration error.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.cfg.validate(); err != nil {
		return err
	}
	if w.h == nil || w.cp == nil {
		return errors.New("imap: watcher needs a handler and a checkpoint store")
	}
	attempt := 0
	for {
		synced, err := w.session(ctx)
		w.setConnected(false)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if synced {
			attempt = 0 // the connection worked for a while: start over quickly
		}
		delay := w.backoff(attempt)
		attempt++
		w.recordError(err)
		w.log.Error("imap watcher: session ended, will reconnect", "err", err, "retry_in", delay.Round(time.Millisecond))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// backoff returns MinBackoff·2^attempt capped at MaxBackoff, with "equal
// jitter" (a random point in its upper half) so that several daemons
// restarted together do not reconnect in lockstep.
func (w *Watcher) backoff(attempt int) time.Duration {
	d := w.cfg.MinBackoff
	for i := 0; i < attempt && d < w.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.cfg.MaxBackoff)
	half := d / 2
	return half + rand.N(half+1)
}

// Status returns a snapshot of the watcher's state.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

func (w *Watcher) setConnected(v bool) {
	w.mu.Lock()
	w.status.Connected = v
	if !v {
		w.status.Idle = false
	}
	w.mu.Unlock()
}

func (w *Watcher) setIdle(v bool) {
	w.mu.Lock()
	w.status.Idle = v
	w.mu.Unlock()
}

func (w *Watcher) markSynced() {
	w.mu.Lock()
	w.status.LastSync = time.Now()
	w.status.DownSince = time.Time{}
	w.mu.Unlock()
}

func (w *Watcher) countHandled() {
	w.mu.Lock()
	w.status.Handled++
	w.mu.Unlock()
}

func (w *Watcher) recordError(err error) {
	if err == nil {
		err = errors.New("session ended without error")
	}
	w.mu.Lock()
	w.status.LastError = err.Error()
	w.status.LastErrorAt = time.Now()
	if w.status.DownSince.IsZero() {
		w.status.DownSince = w.status.LastErrorAt
	}
	w.status.Reconnects++
	w.mu.Unlock()
}

// idlePeriod is how long one IDLE may run before the watcher resyncs.
func (w *Watcher) idlePeriod() time.Duration {
	return min(w.cfg.PollInterval, maxIdlePeriod)
}
