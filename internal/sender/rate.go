package sender

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Rate is a mail provider's sending limit; zero fields are unlimited.
// Microsoft 365 allows 30 messages a minute and 10,000 recipients a day per
// mailbox; Google Workspace about 2,000 messages a day.
type Rate struct {
	PerMinute        int // messages
	PerDay           int // messages
	RecipientsPerDay int // envelope recipients, the proof copy included
}

// Limited reports whether any limit is set.
func (r Rate) Limited() bool { return r.PerMinute > 0 || r.PerDay > 0 || r.RecipientsPerDay > 0 }

// Stamp is one delivery as the rate limit counts it.
type Stamp struct {
	At         time.Time
	Recipients int
}

// SentLog is an Outbox that can say what was delivered since a time, so that
// a restart does not forget what counts against the provider's daily limit.
type SentLog interface {
	SentSince(ctx context.Context, since time.Time) ([]Stamp, error)
}

// Throttle backoff after a provider's "too many" answer: 1m doubling to 30m.
const (
	throttleFirst = time.Minute
	throttleMax   = 30 * time.Minute
)

// rateWait returns how long to wait before it may be sent under l.Rate, and
// which limit holds it back.
func (l *Loop) rateWait(now time.Time, it Item) (time.Duration, string) {
	r := l.Rate
	l.prune(now)
	var wait time.Duration
	var why string
	hold := func(d time.Duration, what string) {
		if d > wait {
			wait, why = d, what
		}
	}
	if r.PerMinute > 0 {
		if n, oldest := l.countSince(now.Add(-time.Minute)); n >= r.PerMinute {
			hold(oldest.Add(time.Minute).Sub(now), fmt.Sprintf("%d messages in the last minute (smtp.rate.messages_per_minute: %d)", n, r.PerMinute))
		}
	}
	if r.PerDay > 0 {
		if n, oldest := l.countSince(now.Add(-24 * time.Hour)); n >= r.PerDay {
			hold(oldest.Add(24*time.Hour).Sub(now), fmt.Sprintf("%d messages in the last 24 hours (smtp.rate.messages_per_day: %d)", n, r.PerDay))
		}
	}
	if r.RecipientsPerDay > 0 {
		need := len(it.Mail.Recipients())
		total := 0
		for _, s := range l.stamps {
			total += s.Recipients
		}
		// Wait until enough old deliveries leave the 24 hours (a message
		// with more recipients than the whole limit goes out alone).
		for i := 0; total+need > r.RecipientsPerDay && total > 0 && i < len(l.stamps); i++ {
			total -= l.stamps[i].Recipients
			hold(l.stamps[i].At.Add(24*time.Hour).Sub(now), fmt.Sprintf("%d recipients in the last 24 hours (smtp.rate.recipients_per_day: %d)", total+l.stamps[i].Recipients, r.RecipientsPerDay))
		}
	}
	if until := l.throttledUntil.Sub(now); until > wait {
		wait, why = until, "the mail server asked to slow down"
	}
	return wait, why
}

func (l *Loop) countSince(since time.Time) (int, time.Time) {
	n := 0
	var oldest time.Time
	for _, s := range l.stamps {
		if s.At.After(since) {
			if n == 0 {
				oldest = s.At
			}
			n++
		}
	}
	return n, oldest
}

// prune forgets deliveries older than a day.
func (l *Loop) prune(now time.Time) {
	i := 0
	for i < len(l.stamps) && !l.stamps[i].At.After(now.Add(-24*time.Hour)) {
		i++
	}
	l.stamps = l.stamps[i:]
}

// stamp counts a delivery (or an attempt the server may have taken).
func (l *Loop) stamp(at time.Time, m Mail) {
	if l.Rate.Limited() {
		l.stamps = append(l.stamps, Stamp{At: at, Recipients: len(m.Recipients())})
	}
}

// loadStamps reads the last day's deliveries once, when the loop starts.
func (l *Loop) loadStamps(ctx context.Context) error {
	if l.stampsLoaded || !l.Rate.Limited() {
		return nil
	}
	if sl, ok := l.Outbox.(SentLog); ok {
		st, err := sl.SentSince(ctx, l.now().Add(-24*time.Hour))
		if err != nil {
			return fmt.Errorf("outbox: deliveries of the last day: %w", err)
		}
		l.stamps = append(st, l.stamps...)
	}
	l.stampsLoaded = true
	return nil
}

// "too much mail" is Postfix's smtpd_client_message_rate_limit answer
// ("450 4.7.1 Error: too much mail from ADDR").
var throttleText = regexp.MustCompile(`(?i)too many|too much mail|rate limit|throttl|exceeded|try again later|slow down|sending limit|quota`)

// IsThrottled reports a temporary refusal that means "you send too much":
// 452 4.5.3 (too many recipients, Postfix and others), Gmail's 4.7.28 (rate
// limited), or a 421/450/451/452 or 4.7.0 answer whose text says so
// (Microsoft 365's "421 4.7.0 … too many", "4.7.0 Too many messages"). A 421
// that only says the service is unavailable is an ordinary failure.
func IsThrottled(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Permanent || e.Uncertain {
		return false
	}
	if e.Enhanced == "4.5.3" || e.Enhanced == "4.7.28" {
		return true
	}
	for _, r := range e.Rejected {
		if r.Enhanced == "4.5.3" || (r.Code == 452 && throttleText.MatchString(r.Text)) {
			return true
		}
	}
	return e.Code >= 400 && e.Code < 500 && throttleText.MatchString(err.Error())
}

// throttled makes the loop wait after a "too many" answer, longer each time
// until a delivery succeeds.
func (l *Loop) throttled(now time.Time) time.Time {
	if l.throttleStep == 0 {
		l.throttleStep = throttleFirst
	} else {
		l.throttleStep = min(2*l.throttleStep, throttleMax)
	}
	l.throttledUntil = now.Add(l.throttleStep)
	return l.throttledUntil
}
