// Package watchdog notices when consultd cannot do its work — IMAP failing,
// mail that will not go out, a mailbox gone silent while members are
// expected to answer — and tells the coordinators once per incident, and
// once more when it is over.
//
// Incidents are rows in the store, opened and resolved in the same
// transaction as the notice that announces them (queued in the outbox like
// every mail, so an IMAP outage is still reported over SMTP). A restart
// therefore neither forgets an incident nor announces it twice.
package watchdog

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"consultd/internal/store"
)

// Incident kinds.
const (
	IMAPDown    = "imap_down"
	OutboxStuck = "outbox_stuck"
	Silence     = "silence"
)

// IMAPHealth is the IMAP watcher's view the watchdog needs.
type IMAPHealth struct {
	DownSince time.Time // zero: not failing
	LastSync  time.Time // zero: no sync yet in this process
	LastError string
}

// Teller queues a notice to the coordinators inside tx (round.Engine).
type Teller interface {
	TellCoordinators(ctx context.Context, tx *sql.Tx, kind store.MailKind, title, text string, lines []string) error
}

// Config: after how long each condition is an incident; 0 turns it off.
type Config struct {
	IMAPDown, OutboxStuck, Silence time.Duration
	// Mailbox and SMTP name the servers in the notices (host:port).
	Mailbox, IMAPAddr, SMTPAddr string
}

// Watchdog checks the conditions; Check is one pass, Run repeats it.
type Watchdog struct {
	Cfg   Config
	Store *store.Store
	IMAP  func() IMAPHealth
	Tell  Teller
	Kick  func() // wakes the sender after a notice was queued
	Now   func() time.Time
	Log   *slog.Logger
}

// Run checks every interval until ctx is done. A failed check is logged
// and tried again at the next interval.
func (w *Watchdog) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("watchdog: check failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// state is one condition as seen now: down opens an incident, up resolves
// it, neither (not known yet, or a check that is off) changes nothing.
type state struct {
	down, up bool
	since    time.Time
	detail   string // one line, for /readyz and the log
	title    string
	text     string
	lines    []string
	// recovered is the notice when an open incident ends.
	recTitle, recText string
}

// Check evaluates every condition once and opens or resolves incidents.
func (w *Watchdog) Check(ctx context.Context) error {
	now := w.Now().UTC()
	open, err := store.OpenIncidents(ctx, w.Store.DB())
	if err != nil {
		return err
	}
	opened := map[string]store.Incident{}
	for _, in := range open {
		opened[in.Kind] = in
	}
	imap := w.IMAP()
	states := map[string]state{}
	states[IMAPDown] = w.imapState(now, imap, opened[IMAPDown])
	if s, err := w.outboxState(ctx, now, opened[OutboxStuck]); err != nil {
		return err
	} else {
		states[OutboxStuck] = s
	}
	if s, err := w.silenceState(ctx, now, imap, opened[Silence]); err != nil {
		return err
	} else {
		states[Silence] = s
	}
	queued := false
	for _, kind := range []string{IMAPDown, OutboxStuck, Silence} {
		s := states[kind]
		_, isOpen := opened[kind]
		switch {
		case s.down && !isOpen:
			err = w.Store.Tx(ctx, func(tx *sql.Tx) error {
				ok, err := store.OpenIncident(ctx, tx, kind, now, s.since, s.detail)
				if err != nil || !ok {
					return err
				}
				queued = true
				return w.Tell.TellCoordinators(ctx, tx, store.MailWatchdog, s.title, s.text, s.lines)
			})
			if err != nil {
				return err
			}
			w.Log.Warn("watchdog: incident opened, coordinators told", "incident", kind, "since", s.since, "detail", s.detail)
		case s.up && isOpen:
			err = w.Store.Tx(ctx, func(tx *sql.Tx) error {
				ok, err := store.ResolveIncident(ctx, tx, kind, now)
				if err != nil || !ok {
					return err
				}
				queued = true
				return w.Tell.TellCoordinators(ctx, tx, store.MailWatchdog, s.recTitle, s.recText, nil)
			})
			if err != nil {
				return err
			}
			w.Log.Info("watchdog: incident over, coordinators told", "incident", kind, "lasted", now.Sub(opened[kind].Since).Round(time.Second))
		}
	}
	if queued && w.Kick != nil {
		w.Kick()
	}
	return nil
}

// unwatched is the state of a check turned off: never down, and an incident
// it had opened is over (or /readyz would stay unready until it is turned
// on again).
func unwatched(key string, open store.Incident) state {
	return state{up: true, recTitle: "consultd no longer watches this: " + key + " is 0",
		recText: fmt.Sprintf("The incident open since %s is closed: the administrator turned its check off (watchdog.%s: 0).",
			when(open.Since), key)}
}

func (w *Watchdog) imapState(now time.Time, h IMAPHealth, open store.Incident) state {
	if w.Cfg.IMAPDown <= 0 {
		return unwatched("imap_down", open)
	}
	var s state
	// Up only once a sync succeeded in this process: right after a restart
	// nothing is known yet, and an open incident must not end on that.
	s.up = h.DownSince.IsZero() && !h.LastSync.IsZero()
	if h.DownSince.IsZero() || now.Sub(h.DownSince) < w.Cfg.IMAPDown {
		s.recTitle = "consultd reads the coalition's mailbox again"
		s.recText = fmt.Sprintf("consultd reads the coalition's mailbox %s again (IMAP, %s) since %s; it had failed since %s (%s). "+
			"Mail that arrived meanwhile is being handled now; nothing was lost.",
			w.Cfg.Mailbox, w.Cfg.IMAPAddr, when(h.LastSync), when(open.Since), dur(h.LastSync.Sub(open.Since)))
		return s
	}
	s.down = true
	s.since = h.DownSince
	s.detail = fmt.Sprintf("IMAP %s failing since %s: %s", w.Cfg.IMAPAddr, when(h.DownSince), oneLine(h.LastError))
	s.title = "consultd cannot read the coalition's mailbox"
	s.text = fmt.Sprintf("Since %s (for %s now) consultd cannot read the coalition's mailbox %s over IMAP (%s). "+
		"Replies, forwarded invitations and commands sent meanwhile wait in the mailbox unread: nothing is lost, and they "+
		"will be handled when the connection works again. Mail that consultd sends (reminders, statements) still goes out.\n\n"+
		"An administrator should check the mail server and consultd's credentials; `consultd doctor --config FILE` "+
		"shows which step fails. You will get one more message when it works again. The last error was:",
		when(h.DownSince), dur(now.Sub(h.DownSince)), w.Cfg.Mailbox, w.Cfg.IMAPAddr)
	s.lines = []string{oneLine(h.LastError)}
	return s
}

func (w *Watchdog) outboxState(ctx context.Context, now time.Time, open store.Incident) (state, error) {
	var s state
	if w.Cfg.OutboxStuck <= 0 {
		return unwatched("outbox_stuck", open), nil
	}
	h, err := store.ReadOutboxHealth(ctx, w.Store.DB())
	if err != nil {
		return s, err
	}
	if h.FailingSince.IsZero() || now.Sub(h.FailingSince) < w.Cfg.OutboxStuck {
		s.up = true
		s.recTitle = "consultd's mail goes out again"
		s.recText = fmt.Sprintf("No outgoing message has been failing for more than %s any more (since %s it had: %s). "+
			"Messages that could not be delivered at all were reported to you one by one.",
			dur(w.Cfg.OutboxStuck), when(open.Since), dur(now.Sub(open.Since)))
		return s, nil
	}
	s.down = true
	s.since = h.FailingSince
	s.detail = fmt.Sprintf("a %s message waits since %s: %s", h.FailingKind, when(h.FailingSince), oneLine(h.FailingError))
	s.title = "consultd cannot send some mail"
	s.text = fmt.Sprintf("A %s message queued at %s has still not gone out (%s): the SMTP server %s did not take it, and consultd "+
		"keeps trying. %d messages wait in the outbox in all. An administrator should check the SMTP server and consultd's "+
		"credentials; `consultd doctor --config FILE` shows which step fails. You will get one more message when mail goes "+
		"out again. The last error was:", h.FailingKind, when(h.FailingSince), dur(now.Sub(h.FailingSince)), w.Cfg.SMTPAddr, h.Depth)
	s.lines = []string{oneLine(h.FailingError)}
	return s, nil
}

func (w *Watchdog) silenceState(ctx context.Context, now time.Time, imap IMAPHealth, open store.Incident) (state, error) {
	var s state
	if w.Cfg.Silence <= 0 {
		return unwatched("silence", open), nil
	}
	db := w.Store.DB()
	awaited, err := store.AwaitedRounds(ctx, db, now)
	if err != nil {
		return s, err
	}
	last, err := store.LastReceived(ctx, db)
	if err != nil {
		return s, err
	}
	since := last
	if len(awaited) > 0 && awaited[0].OpenedAt.After(since) {
		since = awaited[0].OpenedAt
	}
	silent := len(awaited) > 0 && now.Sub(since) >= w.Cfg.Silence
	if !silent {
		s.up = true
		s.recTitle = "Mail reaches the coalition's mailbox again"
		s.recText = fmt.Sprintf("The coalition's mailbox %s was silent from %s; mail arrives again (or no round awaits answers any more).",
			w.Cfg.Mailbox, when(open.Since))
		return s, nil
	}
	// While IMAP fails, nothing is read: that is the imap_down incident, not silence.
	if !imap.DownSince.IsZero() || imap.LastSync.IsZero() {
		return state{}, nil
	}
	var ids []string
	waiting := 0
	for _, a := range awaited {
		ids = append(ids, a.RoundID)
		waiting += a.Unanswered
	}
	s.down = true
	s.since = since
	s.detail = fmt.Sprintf("no mail received since %s; rounds %s await %d answers", when(since), strings.Join(ids, ", "), waiting)
	s.title = "No mail has reached the coalition's mailbox for " + dur(now.Sub(since))
	s.text = fmt.Sprintf("No mail has reached the coalition's mailbox %s since %s (%s), while %d members have yet to answer in "+
		"round %s. If members did answer, their mail is not arriving: check the domain's MX records, that the provider "+
		"delivers plus addresses (coalition+TOKEN@domain) to this mailbox, and its spam filter. `consultd doctor --config FILE` "+
		"sends a test message to a plus address and shows whether it arrives.",
		w.Cfg.Mailbox, when(since), dur(now.Sub(since)), waiting, strings.Join(ids, ", "))
	return s, nil
}

func when(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// dur is a duration as people say it: 2h15m, 45m, 30s.
func dur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d >= time.Hour {
		d = d.Round(time.Minute)
	} else {
		d = d.Round(time.Second)
	}
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
