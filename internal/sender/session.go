package sender

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	gosmtp "github.com/wneessen/go-mail/smtp"
)

// Connection reuse. A fan-out to thousands of members is thousands of
// transactions to one server; a connection each (TCP, greeting, EHLO,
// STARTTLS, AUTH) costs more than the transaction itself, so the Sender
// keeps one connection open between Mails, as mail clients and MTAs do:
//
//   - one transaction per Mail (MAIL, RCPT…, BeforeData, DATA, Accepted), and
//     RSET after a refused one;
//   - a connection the server closed meanwhile (an idle timeout, EOF, 421,
//     "too many messages on this connection" before MAIL FROM is accepted)
//     is replaced at once, without failing the Mail: nothing of it had
//     reached the server;
//   - anything else that leaves the session in doubt (no answer, a broken
//     connection during a transaction, a cancelled ctx, a 421) closes it, and
//     the Mail's error is what it would have been on a connection of its own
//     (Uncertain after the final dot, never resent blindly);
//   - a connection ends after MaxMessagesPerConn transactions, MaxConnAge, or
//     IdleTimeout without a Mail, and at Close.
const (
	// 100 transactions: the connect cost is then ≤1% of the fan-out, and it
	// stays at or below the per-session caps servers commonly set (qmail and
	// many appliances stop at 100 MAIL FROMs a session; Exchange's receive
	// connectors default to 20 and answer 4xx, which costs one reconnect, not
	// a failure). A bound also keeps a long fan-out from riding one session
	// a server or an OAuth2 token may have stopped trusting.
	defaultMaxMessagesPerConn = 100
	// Postfix's own client stops reusing a connection after 300 s
	// (smtp_connection_reuse_time_limit); servers drop idle clients after
	// their own timeout (Postfix smtpd 300 s, RFC 5321 §4.5.3.2 asks ≥5 min).
	defaultMaxConnAge = 5 * time.Minute
	// Long enough to span the passes of a fan-out and the receipts of a
	// drain, short enough not to hold a server's slot (Microsoft 365 allows 3
	// concurrent connections a mailbox) when nothing is being sent.
	defaultIdleTimeout = 30 * time.Second
)

func (c Config) maxMessagesPerConn() int {
	if c.MaxMessagesPerConn != 0 {
		return c.MaxMessagesPerConn
	}
	return defaultMaxMessagesPerConn
}

// DefaultConnections is how many SMTP connections the outbox uses at once
// when smtp.connections is not set. Each transaction waits on the server
// (its queue file written and synced before the 250) far longer than on
// the network; a second connection overlaps those waits and nearly doubles
// a fan-out's speed, and stays below what providers allow a mailbox at once
// (Microsoft 365: 3).
const DefaultConnections = 2

func (c Config) connections() int {
	if c.Connections > 0 {
		return c.Connections
	}
	return DefaultConnections
}

func (c Config) maxConnAge() time.Duration {
	if c.MaxConnAge > 0 {
		return c.MaxConnAge
	}
	return defaultMaxConnAge
}

func (c Config) idleTimeout() time.Duration {
	if c.IdleTimeout > 0 {
		return c.IdleTimeout
	}
	return defaultIdleTimeout
}

// session is one open SMTP connection, after EHLO, TLS and AUTH.
type session struct {
	c      *gosmtp.Client
	conn   *cancelConn
	stop   func() bool // ends the current caller's ctx watch; false: it fired
	opened time.Time
	until  time.Time // its login's expiry (an OAuth2 token); zero: none
	msgs   int       // transactions started on it

	idleTimer *time.Timer // while kept: closes it after IdleTimeout
}

// release stops watching the current caller's ctx. It returns false if ctx
// was cancelled meanwhile: the connection is then unusable.
func (sc *session) release() bool {
	fired := !sc.stop()
	sc.stop = func() bool { return false }
	return !fired && !sc.conn.isCanceled()
}

// take returns a kept connection (reused) or a new one. fresh skips the
// kept ones. The connection watches ctx until release.
func (s *Sender) take(ctx context.Context, fresh bool) (sc *session, reused bool, err error) {
	for !fresh {
		s.mu.Lock()
		if n := len(s.idle); n > 0 {
			sc, s.idle = s.idle[n-1], s.idle[:n-1] // the most recent: the least likely to have timed out
		}
		s.mu.Unlock()
		if sc == nil {
			break
		}
		sc.idleTimer.Stop()
		if time.Since(sc.opened) < s.cfg.maxConnAge() && (sc.until.IsZero() || time.Now().Before(sc.until)) {
			sc.stop = context.AfterFunc(ctx, sc.conn.cancel)
			return sc, true, nil
		}
		s.quit(sc)
		sc = nil
	}
	c, conn, stop, until, err := s.dialAuth(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	return &session{c: c, conn: conn, stop: stop, opened: time.Now(), until: until}, false, nil
}

// put keeps sc for the next Mail, or closes it when it has done its share
// or as many connections as Connections are kept already.
func (s *Sender) put(sc *session) {
	if max := s.cfg.maxMessagesPerConn(); max > 0 && sc.msgs >= max {
		s.quit(sc)
		return
	}
	s.mu.Lock()
	if len(s.idle) >= s.cfg.connections() {
		s.mu.Unlock()
		s.quit(sc)
		return
	}
	s.idle = append(s.idle, sc)
	sc.idleTimer = time.AfterFunc(s.cfg.idleTimeout(), func() {
		s.mu.Lock()
		i := slices.Index(s.idle, sc)
		if i >= 0 {
			s.idle = slices.Delete(s.idle, i, i+1)
		}
		s.mu.Unlock()
		if i >= 0 {
			s.quit(sc)
		}
	})
	s.mu.Unlock()
}

// quit ends a connection politely; its answer changes nothing, so a
// silent server holds up neither shutdown nor the next Mail for long.
func (s *Sender) quit(sc *session) {
	_ = sc.c.UpdateDeadline(min(s.cfg.timeout(), 5*time.Second))
	_ = sc.c.Quit()
	_ = sc.c.Close()
}

// discard closes a connection whose state is in doubt, without a word.
func (s *Sender) discard(sc *session) {
	_ = sc.conn.Close()
	_ = sc.c.Close()
}

// Close ends the connections kept between Mails (QUIT). The Sender stays
// usable: the next Mail connects again.
func (s *Sender) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle = nil
	s.mu.Unlock()
	for _, sc := range idle {
		sc.idleTimer.Stop()
		s.quit(sc)
	}
	return nil
}

// perConnLimit is a server's "this connection has carried enough" answer.
var perConnLimit = regexp.MustCompile(`(?i)too many (messages|mails|transactions)|per (connection|session)|(connection|session) (limit|closing)|closing (connection|transmission channel)`)

// staleSession reports whether err means a reused connection was closed by
// the server before the Mail's MAIL FROM was accepted: no answer at all
// (EOF, reset), a 421, or a 4xx saying the connection has carried enough.
func staleSession(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Stage != StageMail {
		return false
	}
	return e.Code == 0 || e.Code == 421 || (e.Code >= 400 && e.Code < 500 && perConnLimit.MatchString(e.Err.Error()))
}
