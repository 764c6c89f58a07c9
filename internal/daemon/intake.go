package daemon

import (
	"log/slog"
	"sync"
	"time"
)

// maxIntakeHold bounds how long the sender is held in a row: a mailbox
// flooded without end must not stop all sending.
const maxIntakeHold = 3 * time.Minute

// minBacklog is the number of messages waiting behind the batch being read
// that makes a backlog (once one is, it lasts until none waits). Fewer are
// no backlog: the proof copies of a fan-out arrive at the sender's pace
// and are read as they come, and holding the sender for them would only
// slow the fan-out (and fill the log with holds).
const minBacklog = 100

// intake holds the sender back while the watcher reads a backlog (intake
// first): receipts delivered beside a drain cost the drain more than they
// gain (Postfix and Dovecot delivering them and their proof copies, the
// sender's commits contending for SQLite's write lock, the watcher woken by
// every copy). Nothing is lost by the wait: the mail stays queued in the
// outbox, in order, and goes out the moment the backlog is handled. A single
// message in a quiet inbox is no backlog (nor are a few dozen, minBacklog),
// so its receipt is not delayed.
type intake struct {
	log     *slog.Logger
	kick    func() // wakes the sender
	now     func() time.Time
	maxHold time.Duration

	mu        sync.Mutex
	ownCopies bool      // the last batch read was mostly the coalition's own copies
	waiting   int       // messages beyond the batch being handled
	since     time.Time // when the current backlog began
	held      bool      // the sender was held (and it was logged)
	freeUntil time.Time // after a hold of maxHold, no new hold until then
}

func newIntake(log *slog.Logger, kick func()) *intake {
	return &intake{log: log, kick: kick, now: time.Now, maxHold: maxIntakeHold}
}

// Backlog is the watcher's report (mailbox.Config.Backlog).
func (g *intake) Backlog(waiting int) {
	g.mu.Lock()
	if waiting >= minBacklog || (waiting > 0 && g.waiting > 0) {
		if g.waiting == 0 {
			g.since = g.now()
		}
		g.waiting = waiting
		g.mu.Unlock()
		return
	}
	wasHeld, since := g.held, g.since
	g.waiting, g.held = 0, false
	g.mu.Unlock()
	if wasHeld {
		g.log.Info("sending resumes: the inbox backlog is read", "held_for", g.now().Sub(since).Round(time.Millisecond))
		g.kick()
	}
}

// Read is told what the batch just read was: own of its total messages
// were the coalition's own copies (From the coalition's address). A backlog
// of those is a fan-out's proof copies arriving faster than they are read:
// holding the sender for them would only stop the fan-out, so a backlog
// whose last batch was mostly such copies holds nothing back.
func (g *intake) Read(own, total int) {
	g.mu.Lock()
	was := g.ownCopies
	g.ownCopies = total > 0 && 2*own > total
	resume := g.ownCopies && !was && g.held
	if resume {
		g.held = false
	}
	since := g.since
	g.mu.Unlock()
	if resume {
		g.log.Info("sending resumes: the inbox backlog is the coalition's own copies", "held_for", g.now().Sub(since).Round(time.Millisecond))
		g.kick()
	}
}

// Hold is the sender's hook (sender.Loop.Hold): true while a backlog is
// read, for at most maxHold in a row.
func (g *intake) Hold() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if g.waiting == 0 || g.ownCopies || now.Before(g.freeUntil) {
		return false
	}
	if now.Sub(g.since) >= g.maxHold {
		// As long again of free sending before the next hold.
		g.freeUntil = now.Add(g.maxHold)
		if g.held {
			g.held = false
			g.log.Warn("sending resumes although the inbox backlog is not read yet: held as long as allowed",
				"held_for", now.Sub(g.since).Round(time.Millisecond), "waiting", g.waiting)
		}
		g.since = g.freeUntil // a hold after the free period counts from its end
		return false
	}
	if !g.held {
		g.held = true
		g.log.Info("sending held while the inbox backlog is read", "waiting", g.waiting, "at_most", g.maxHold)
	}
	return true
}
