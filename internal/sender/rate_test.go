package sender

import (
	"context"
	"errors"
	"testing"
	"time"
)

// sentLogOutbox is a fakeOutbox that remembers deliveries from before a
// restart.
type sentLogOutbox struct {
	*fakeOutbox
	before []Stamp
}

func (o sentLogOutbox) SentSince(_ context.Context, since time.Time) ([]Stamp, error) {
	var out []Stamp
	for _, s := range o.before {
		if s.At.After(since) {
			out = append(out, s)
		}
	}
	return out, nil
}

func items(n int) []Item {
	var out []Item
	for i := int64(1); i <= int64(n); i++ {
		out = append(out, Item{ID: i, Mail: Mail{To: []Address{{Addr: "m@x.example"}}, Bcc: []Address{{Addr: "coalition@coal.example"}}}})
	}
	return out
}

func states(ob *fakeOutbox, n int) (sent, pending int) {
	for i := int64(1); i <= int64(n); i++ {
		switch it := ob.get(i); {
		case it.state == "sent":
			sent++
		case it.state == "pending" && it.Attempts == 0:
			pending++
		}
	}
	return
}

// TestTheProvidersMinuteLimitPacesTheOutbox: with 5 messages a minute, a
// fan-out of 12 goes out over three minutes; what waits keeps its place and
// is never counted as a failed attempt.
func TestTheProvidersMinuteLimitPacesTheOutbox(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	ob := newFakeOutbox(items(12)...)
	tr := &scriptedTransport{}
	l := &Loop{Transport: tr, Outbox: ob, Now: clock.Now, Rate: Rate{PerMinute: 5}}
	for minute, want := range []int{5, 10, 12} {
		if err := l.Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
		if sent, pending := states(ob, 12); sent != want || pending != 12-want {
			t.Fatalf("minute %d: %d sent, %d waiting untouched; want %d sent", minute, sent, pending, want)
		}
		if want < 12 {
			if wait := l.untilNext(context.Background(), time.Hour); wait <= 0 || wait > time.Minute {
				t.Fatalf("next pass in %v, want within the minute", wait)
			}
		}
		clock.Advance(time.Minute + time.Second)
	}
	if tr.calls != 12 {
		t.Fatalf("%d SMTP sends for 12 messages", tr.calls)
	}
}

// TestTheDailyRecipientLimitSurvivesARestart: the recipients sent before a
// restart still count against the day, the coalition's proof copy included.
func TestTheDailyRecipientLimitSurvivesARestart(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	ob := sentLogOutbox{fakeOutbox: newFakeOutbox(items(5)...), before: []Stamp{
		{At: now.Add(-25 * time.Hour), Recipients: 100}, // yesterday: no longer counts
		{At: now.Add(-time.Hour), Recipients: 6},
	}}
	l := &Loop{Transport: &scriptedTransport{}, Outbox: ob, Now: func() time.Time { return now }, Rate: Rate{RecipientsPerDay: 10}}
	if err := l.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	// 6 already today; each message has 2 recipients (member + proof copy).
	if sent, pending := states(ob.fakeOutbox, 5); sent != 2 || pending != 3 {
		t.Fatalf("%d sent, %d waiting; want 2 sent under 10 recipients a day", sent, pending)
	}
	if wait := l.untilNext(context.Background(), time.Hour); wait <= 0 {
		t.Fatal("no wait after the daily limit")
	}
}

// TestTooManyAnswersPauseInsteadOfBurningRetries: a 452 4.5.3 or a 4.7.0
// "too many" answer pauses the outbox without counting an attempt; an
// ordinary 421 is an ordinary failure.
func TestTooManyAnswersPauseInsteadOfBurningRetries(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name      string
		err       error
		throttled bool
	}{
		{"Postfix 452 4.5.3", &Error{Stage: StageRcpt, Code: 452, Enhanced: "4.5.3", Err: errors.New("452 4.5.3 Error: too many recipients")}, true},
		{"Microsoft 365 4.7.0", &Error{Stage: StageData, Code: 432, Enhanced: "4.7.0", Err: errors.New("432 4.7.0 Too many messages sent. Please try again later")}, true},
		{"Gmail 4.7.28", &Error{Stage: StageData, Code: 421, Enhanced: "4.7.28", Err: errors.New("421-4.7.28 Our system has detected an unusual rate of unsolicited mail")}, true},
		{"Postfix smtpd_client_message_rate_limit", &Error{Stage: StageMail, Code: 450, Enhanced: "4.7.1", Err: errors.New("450 4.7.1 Error: too much mail from 127.0.0.1")}, true},
		{"421 service not available", &Error{Stage: StageMail, Code: 421, Enhanced: "4.3.2", Err: errors.New("421 4.3.2 service not available")}, false},
		{"550 permanent", &Error{Stage: StageRcpt, Code: 550, Enhanced: "5.1.1", Permanent: true, Err: errors.New("550 5.1.1 unknown user")}, false},
	} {
		if got := IsThrottled(c.err); got != c.throttled {
			t.Errorf("%s: IsThrottled = %v, want %v", c.name, got, c.throttled)
		}
	}
	ob := newFakeOutbox(items(3)...)
	tr := &scriptedTransport{errs: []error{&Error{Stage: StageRcpt, Code: 452, Enhanced: "4.5.3", Err: errors.New("452 4.5.3 too many recipients")}}}
	l := &Loop{Transport: tr, Outbox: ob, Now: func() time.Time { return now }}
	if err := l.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := ob.get(1)
	if first.state != "pending" || first.Attempts != 0 || !first.next.After(now) {
		t.Fatalf("throttled item: %s, %d attempts, next %v; want pending, no attempt counted, later", first.state, first.Attempts, first.next)
	}
	if tr.calls != 1 {
		t.Fatalf("%d sends after the server asked to slow down, want 1", tr.calls)
	}
}

// TestAnItemHeldBackForDaysIsNotGivenUpForItsAge: under a daily limit a
// consultation may be queued for days before its first attempt; a temporary
// failure then is retried, not abandoned as too old.
func TestAnItemHeldBackForDaysIsNotGivenUpForItsAge(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	it := items(1)[0]
	it.Queued = now.Add(-72 * time.Hour)
	ob := newFakeOutbox(it)
	temp := &Error{Stage: StageMail, Code: 451, Enhanced: "4.3.0", Err: errors.New("451 4.3.0 temporary local problem")}
	l := &Loop{Transport: &scriptedTransport{errs: []error{temp}}, Outbox: ob, Now: func() time.Time { return now },
		Rate: Rate{PerDay: 2000}}
	if err := l.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := ob.get(1); got.state != "pending" || got.Attempts != 1 {
		t.Fatalf("state %s after %d attempts (%s); want a retry", got.state, got.Attempts, got.reason)
	}
}

// TestAMessageRefusedAsTooManyEvenAfterTheLongestPauseIsGivenUp: a message
// the server never takes (too many recipients for one message also answers
// 452 4.5.3) is not retried forever: once the pause is at its longest, its
// attempts count.
func TestAMessageRefusedAsTooManyEvenAfterTheLongestPauseIsGivenUp(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	tooMany := &Error{Stage: StageRcpt, Code: 452, Enhanced: "4.5.3", Err: errors.New("452 4.5.3 too many recipients")}
	var errs []error
	for range 40 {
		errs = append(errs, tooMany)
	}
	ob := newFakeOutbox(items(1)...)
	l := &Loop{Transport: &scriptedTransport{errs: errs}, Outbox: ob, Now: clock.Now, MaxAttempts: 3,
		Backoff: func(int) time.Duration { return time.Minute }}
	for pass := 0; pass < 20 && ob.get(1).state != "failed"; pass++ {
		if err := l.Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(throttleMax + time.Minute)
	}
	if got := ob.get(1); got.state != "failed" {
		t.Fatalf("after 20 passes the message is %s with %d attempts; want it given up", got.state, got.Attempts)
	}
}
