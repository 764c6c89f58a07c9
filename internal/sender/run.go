package sender

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Item is one due outbox entry.
type Item struct {
	ID       int64
	Attempts int       // failed attempts so far
	Queued   time.Time // when it was enqueued; zero => unknown (only MaxAttempts applies)
	// InFlight is set when an earlier attempt reached DATA and its outcome was
	// never recorded (a crash, a lost connection): the server may have it.
	InFlight bool
	Mail     Mail
}

// Outbox is the store's side of delivery. Each method records one outcome;
// the store tells the coordinators about failures and rejected recipients.
type Outbox interface {
	// Due returns up to limit items whose next attempt (or, InFlight, whose
	// check for proof) is at or before now.
	Due(ctx context.Context, now time.Time, limit int) ([]Item, error)
	// Sending records, before DATA, that the server may take the message
	// from now on; check is when to look for proof if nothing else is
	// recorded. It must be durable when it returns.
	Sending(ctx context.Context, id int64, at, check time.Time) error
	// Sent records a delivery and how it is known (store.ProofSMTP…).
	// rejected lists recipients the server refused permanently while
	// accepting the others (usually empty).
	Sent(ctx context.Context, id int64, at time.Time, proof string, rejected []Rejection) error
	// Unknown records that the server may or may not have the message, and
	// when to look for proof again.
	Unknown(ctx context.Context, id int64, check time.Time, reason string) error
	// Retry records a temporary failure and when to try again.
	Retry(ctx context.Context, id int64, attempts int, next time.Time, reason string) error
	// Failed records that the item will never be delivered. rejected lists
	// the refused recipients when that is the cause.
	Failed(ctx context.Context, id int64, reason string, rejected []Rejection) error
	// NextDue returns when the earliest item not yet due will be (zero: none).
	NextDue(ctx context.Context) (time.Time, error)
}

// Finder looks for the coalition's own copy of a message (sent to it as a
// Bcc) in its mailbox; *mailbox.Watcher is the real one.
type Finder interface {
	Find(ctx context.Context, messageID string) (bool, error)
}

// How a delivery is known, as recorded by Outbox.Sent.
const (
	ProofSMTP = "smtp"     // the server answered 250 to the message
	ProofCopy = "copy"     // the coalition's copy is in its mailbox
	ProofNone = "unproven" // recorded without an answer or a copy
)

// Transport sends one Mail, calling the hooks at each step; *Sender is the
// real one. A Transport that keeps a connection between Mails also has a
// Close() error method, which Run calls when it returns.
type Transport interface {
	SendWith(ctx context.Context, m Mail, h Hooks) (Report, error)
}

// Loop delivers the outbox. The zero values of the optional fields are
// sensible defaults; tests set Now and Backoff.
type Loop struct {
	Transport Transport
	Outbox    Outbox
	Wake      <-chan struct{} // a send here starts a pass at once (new mail enqueued)
	Log       *slog.Logger
	// Finder looks for proof of an interrupted delivery; nil => none: such
	// an item is sent again after ProofWait (its recipients may get it twice).
	Finder Finder
	// ProofWait is how long the coalition's copy of a message may take to
	// reach its mailbox; an interrupted delivery is looked for (and, if not
	// found, sent again) only after it. 0 => 10m.
	ProofWait time.Duration

	Poll        time.Duration                    // pass interval without wake-ups; 0 => 30s
	Batch       int                              // items per Due call; 0 => 20
	MaxAttempts int                              // give up after this many failures; 0 => 30
	MaxAge      time.Duration                    // give up this long after Queued; 0 => 24h
	Now         func() time.Time                 // nil => time.Now
	Backoff     func(attempts int) time.Duration // delay after the n-th failure; nil => DefaultBackoff

	// Rate is the provider's sending limit (smtp.rate); the zero value is none.
	Rate Rate

	// Connections is how many deliveries run at once, each on a connection
	// of its own (the Transport keeps as many: Config.Connections); 0 or 1
	// => one at a time. Under a Rate, and for a batch with an interrupted
	// delivery to look into, it is one at a time: every count stays exact.
	Connections int

	// Hold, when set, is asked before each batch of due items; while it
	// says true nothing is sent and the items keep their place. The daemon
	// holds mail while the watcher reads a backlog (intake first), bounds
	// the hold, and wakes the loop when it ends.
	Hold func() bool

	// Busy, when set, is told true when a pass finds a whole batch due (a
	// fan-out, or the receipts of a drained backlog: more may wait behind
	// it), and false when that pass ends. The daemon lets the watcher leave the coalition's own
	// copies unread meanwhile (mailbox.Config.OwnCanWait).
	Busy func(busy bool)

	mu         sync.Mutex
	unrecorded map[int64]sentRecord // delivered, but the outbox failed to record it

	// Guarded by rmu: the deliveries of one batch run at once (rate.go).
	rmu            sync.Mutex
	stamps         []Stamp // deliveries of the last 24 hours, oldest first
	stampsLoaded   bool
	throttledUntil time.Time
	throttleStep   time.Duration
	heldUntil      time.Time // the rate limit holds the next item back until then
	heldWhy        string
}

type sentRecord struct {
	at       time.Time
	proof    string
	rejected []Rejection
}

// DefaultBackoff is 1m, 2m, 4m … capped at 1h, minus up to 20% jitter so
// that items failed together do not retry together.
func DefaultBackoff(attempts int) time.Duration {
	d := time.Hour
	if attempts < 7 {
		d = time.Minute << max(attempts-1, 0)
	}
	return d - time.Duration(rand.Int64N(int64(d/5)+1))
}

// Run makes a pass at once, then on every wake-up and every Poll interval,
// until ctx is done; it returns ctx's error.
func (l *Loop) Run(ctx context.Context) error {
	log := l.logger()
	poll := l.Poll
	if poll <= 0 {
		poll = 30 * time.Second
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	if c, ok := l.Transport.(interface{ Close() error }); ok {
		defer c.Close() // the connection kept between passes: QUIT at shutdown
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.Wake:
		case <-timer.C:
		}
		if err := l.Pass(ctx); err != nil && ctx.Err() == nil {
			log.Error("outbox pass failed", "err", err)
		}
		timer.Reset(l.untilNext(ctx, poll))
	}
}

// Pass delivers every item due now, batch after batch.
func (l *Loop) Pass(ctx context.Context) error {
	batch := l.Batch
	if batch <= 0 {
		batch = 20
	}
	if err := l.flushUnrecorded(ctx); err != nil {
		return err
	}
	if err := l.loadStamps(ctx); err != nil {
		return err
	}
	busy := false
	defer func() {
		if busy {
			l.Busy(false)
		}
	}()
	for ctx.Err() == nil {
		if l.Hold != nil && l.Hold() {
			return nil // held, not failed: whoever holds wakes the loop
		}
		items, err := l.Outbox.Due(ctx, l.now(), batch)
		if err != nil {
			return fmt.Errorf("outbox: list due items: %w", err)
		}
		if len(items) == batch && !busy && l.Busy != nil {
			busy = true
			l.Busy(true)
		}
		if held, err := l.deliverAll(ctx, items); held || err != nil {
			return err
		}
		if len(items) < batch {
			return nil
		}
	}
	return ctx.Err()
}

// deliverAll delivers items, Connections at a time. held says a sending
// limit or a server's "slow down" stopped it before the end: the rest keep
// their place and their attempts.
func (l *Loop) deliverAll(ctx context.Context, items []Item) (held bool, err error) {
	workers := max(l.Connections, 1)
	if l.Rate.Limited() || slices.ContainsFunc(items, func(it Item) bool { return it.InFlight }) {
		workers = 1
	}
	if workers == 1 {
		for _, it := range items {
			if l.holdBack(it) {
				return true, nil
			}
			if err := l.deliver(ctx, it); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	jobs := make(chan Item)
	stop := make(chan struct{}) // a failed record or a "slow down": hand out no more
	var (
		wg       sync.WaitGroup
		once     sync.Once
		mu       sync.Mutex
		firstErr error
	)
	halt := func() { once.Do(func() { close(stop) }) }
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range jobs {
				// Another connection was told to slow down since the item
				// was handed out: it keeps its place, untouched.
				if l.paused() {
					halt()
					continue
				}
				if err := l.deliver(ctx, it); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
					halt()
				}
			}
		}()
	}
feed:
	for _, it := range items {
		if l.holdBack(it) {
			held = true
			break
		}
		select {
		case jobs <- it:
		case <-stop:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return held || l.paused(), firstErr
}

// paused reports a server's "slow down" pause in force.
func (l *Loop) paused() bool {
	l.rmu.Lock()
	defer l.rmu.Unlock()
	return l.throttledUntil.After(l.now())
}

// holdBack reports whether it must wait for the sending limit or for the
// end of a server's "slow down" pause, and logs the wait once.
func (l *Loop) holdBack(it Item) bool {
	l.rmu.Lock()
	defer l.rmu.Unlock()
	wait, why := l.rateWait(l.now(), it)
	if wait <= 0 || it.InFlight {
		return false
	}
	// Held back, not failed: it keeps its place and its attempts.
	until := l.now().Add(wait)
	if why != l.heldWhy || until.Sub(l.heldUntil) > time.Minute {
		l.logger().Info("sending limit reached; the outbox waits", "limit", why, "next_at", until)
	}
	l.heldUntil, l.heldWhy = until, why
	return true
}

// deliver sends one item and records the outcome. Outcomes are recorded
// even if ctx was cancelled meanwhile, because a message the server has
// accepted must never be sent again. The steps are recorded as they happen:
// 'sending' before DATA, 'sent' the moment the server answers 250, so that a
// crash leaves either a pending item (never reached DATA) or an in-flight one,
// whose fate is found out from the coalition's copy before anything is resent.
func (l *Loop) deliver(ctx context.Context, it Item) error {
	log := l.logger()
	log = log.With("outbox_id", it.ID) // not the Message-ID: it may carry a reply token
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if done, ok := l.takeUnrecorded(it.ID); ok {
		// Delivered on an earlier pass: record it, never send it again.
		return l.recordSent(rec, log, it.ID, done)
	}
	if it.InFlight {
		again, err := l.resolveInFlight(ctx, rec, log, it)
		if !again || err != nil {
			return err
		}
	}

	accepted := false
	var recErr error
	hooks := Hooks{
		BeforeData: func() error {
			now := l.now()
			return l.Outbox.Sending(rec, it.ID, now, now.Add(l.proofWait()))
		},
		Accepted: func(rep Report) {
			accepted = true
			// Recorded before QUIT and before any log line: the window in
			// which a crash forgets an accepted message is one commit.
			recErr = l.recordSent(rec, log, it.ID, sentRecord{at: l.now(), proof: ProofSMTP, rejected: rep.Rejected})
		},
	}
	rep, err := l.Transport.SendWith(ctx, it.Mail, hooks)
	now := l.now()
	l.rmu.Lock()
	if err == nil || IsUncertain(err) {
		l.stamp(now, it.Mail)
	}
	if err == nil {
		l.throttleStep = 0
	}
	l.rmu.Unlock()

	switch {
	case err == nil:
		if len(rep.Rejected) > 0 {
			log.Warn("sent, but some recipients were refused", "accepted", len(rep.Accepted), "refused", Rejections(rep.Rejected))
		} else {
			log.Info("sent", "recipients", len(rep.Accepted))
		}
		if !accepted { // a Transport that does not call the hook
			return l.recordSent(rec, log, it.ID, sentRecord{at: now, proof: ProofSMTP, rejected: rep.Rejected})
		}
		return recErr

	case IsUncertain(err):
		check := now.Add(l.proofWait())
		log.Warn("the server may have taken the message but did not answer; looking for the coalition's copy before sending it again",
			"err", err, "check_at", check)
		return wrapRecord("unknown", it.ID, l.Outbox.Unknown(rec, it.ID, check, err.Error()))

	case ctx.Err() != nil:
		// Shutting down before the message was complete: nothing was taken.
		return errors.Join(ctx.Err(), wrapRecord("retry", it.ID, l.Outbox.Retry(rec, it.ID, it.Attempts, now, "interrupted by shutdown")))

	case IsPermanent(err):
		log.Warn("delivery failed permanently", "err", err)
		return wrapRecord("failed", it.ID, l.Outbox.Failed(rec, it.ID, err.Error(), rejectedOf(err)))
	}

	if IsThrottled(err) {
		// The provider's limit, not this message's fault: nothing is sent
		// until the pause is over, and no attempt is counted, until the
		// pause is at its longest. A message still refused then (4.5.3 is
		// also "too many recipients in this one message") counts its
		// attempts like any other, so it is given up in the end.
		l.rmu.Lock()
		until := l.throttled(now)
		pausing := l.throttleStep < throttleMax
		l.rmu.Unlock()
		log.Warn("the mail server asked to slow down; pausing the outbox", "err", err, "until", until)
		if pausing {
			return wrapRecord("retry", it.ID, l.Outbox.Retry(rec, it.ID, it.Attempts, until, err.Error()))
		}
	}
	attempts := it.Attempts + 1
	if l.givenUp(it, attempts, now) {
		reason := fmt.Sprintf("gave up after %d attempts: %v", attempts, err)
		log.Error("delivery abandoned", "attempts", attempts, "err", err)
		return wrapRecord("failed", it.ID, l.Outbox.Failed(rec, it.ID, reason, rejectedOf(err)))
	}
	next := now.Add(l.backoff(attempts))
	if IsAuthFailure(err) {
		log.Error("SMTP login or settings rejected; check the smtp section of the configuration", "err", err, "retry_at", next)
	} else {
		log.Warn("delivery failed, will retry", "attempts", attempts, "err", err, "retry_at", next)
	}
	return wrapRecord("retry", it.ID, l.Outbox.Retry(rec, it.ID, attempts, next, err.Error()))
}

// resolveInFlight finds out whether an interrupted delivery arrived. It
// returns again=true when the item must be sent (no copy after ProofWait);
// otherwise the outcome is recorded.
func (l *Loop) resolveInFlight(ctx, rec context.Context, log *slog.Logger, it Item) (again bool, err error) {
	if l.Finder == nil {
		log.Warn("an interrupted delivery cannot be checked (no mailbox to look in); sending it again, so its recipients may get it twice")
		return true, nil
	}
	found, err := l.Finder.Find(ctx, it.Mail.MessageID)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		check := l.now().Add(l.backoff(it.Attempts + 1))
		log.Warn("cannot look for the copy of an interrupted delivery; will look again before sending", "err", err, "check_at", check)
		return false, wrapRecord("unknown", it.ID, l.Outbox.Unknown(rec, it.ID, check, "looking for the coalition's copy: "+err.Error()))
	}
	if found {
		log.Info("an interrupted delivery had arrived (the coalition's copy is in its mailbox); not sending it again")
		return false, l.recordSent(rec, log, it.ID, sentRecord{at: l.now(), proof: ProofCopy})
	}
	log.Warn("an interrupted delivery did not arrive (no copy in the coalition's mailbox); sending it again")
	return true, nil
}

// recordSent records a delivery; if the outbox fails, the delivery is kept
// in memory so that the next pass records it instead of sending again.
func (l *Loop) recordSent(ctx context.Context, log *slog.Logger, id int64, r sentRecord) error {
	err := l.Outbox.Sent(ctx, id, r.at, r.proof, r.rejected)
	if err != nil {
		log.Error("delivered but not recorded; will record again instead of resending", "err", err)
		l.mu.Lock()
		if l.unrecorded == nil {
			l.unrecorded = map[int64]sentRecord{}
		}
		l.unrecorded[id] = r
		l.mu.Unlock()
	}
	return wrapRecord("sent", id, err)
}

// flushUnrecorded records the deliveries an earlier pass could not record.
func (l *Loop) flushUnrecorded(ctx context.Context) error {
	l.mu.Lock()
	ids := make([]int64, 0, len(l.unrecorded))
	for id := range l.unrecorded {
		ids = append(ids, id)
	}
	l.mu.Unlock()
	log := l.logger()
	for _, id := range ids {
		if r, ok := l.takeUnrecorded(id); ok {
			if err := l.recordSent(context.WithoutCancel(ctx), log.With("outbox_id", id), id, r); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *Loop) takeUnrecorded(id int64) (sentRecord, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.unrecorded[id]
	delete(l.unrecorded, id)
	return r, ok
}

func (l *Loop) givenUp(it Item, attempts int, now time.Time) bool {
	maxAttempts := l.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 30
	}
	maxAge := l.MaxAge
	if maxAge <= 0 {
		maxAge = 24 * time.Hour
	}
	// Under a sending limit an item may wait days for its turn (15,000
	// members at 2,000 a day): its age then says nothing about its failures,
	// and only the attempts count.
	tooOld := !it.Queued.IsZero() && now.Sub(it.Queued) >= maxAge && !l.Rate.Limited()
	return attempts >= maxAttempts || tooOld
}

// untilNext is how long to wait for the next pass: until the earliest item
// comes due (a retry, a look for proof), but at most poll.
func (l *Loop) untilNext(ctx context.Context, poll time.Duration) time.Duration {
	l.rmu.Lock()
	held := l.heldUntil.Sub(l.now())
	l.rmu.Unlock()
	if held > 0 {
		return min(max(held, time.Second), poll)
	}
	next, err := l.Outbox.NextDue(ctx)
	if err != nil || next.IsZero() {
		return poll
	}
	return min(max(next.Sub(l.now()), time.Second), poll) // a floor: never spin on an item that keeps failing
}

// logger is Log, or a logger that discards when none was set.
func (l *Loop) logger() *slog.Logger {
	if l.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.Log
}

func (l *Loop) proofWait() time.Duration {
	if l.ProofWait > 0 {
		return l.ProofWait
	}
	return 10 * time.Minute
}

func (l *Loop) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Loop) backoff(attempts int) time.Duration {
	if l.Backoff != nil {
		return l.Backoff(attempts)
	}
	return DefaultBackoff(attempts)
}

func rejectedOf(err error) []Rejection {
	var e *Error
	if errors.As(err, &e) {
		return e.Rejected
	}
	return nil
}

func wrapRecord(what string, id int64, err error) error {
	if err != nil {
		return fmt.Errorf("outbox: record %s for item %d: %w", what, id, err)
	}
	return nil
}
