package round

import (
	"fmt"
	"strings"
	"time"

	"consultd/internal/store"
)

// maxListedMembers bounds the members named in the "round opened" note: an
// alliance of 15,000 would make it a book.
const maxListedMembers = 100

// fanOutTime says, when the provider's sending limit (smtp.rate) makes the
// consultations take a while to go out, until about when; "" when they go at
// once. Mail already waiting in the outbox is not counted: the estimate is a
// lower bound.
func (e *Engine) fanOutTime(now time.Time, ps []*store.Participant) string {
	r := e.Cfg.SMTP.Rate
	if r.MessagesPerMinute <= 0 && r.MessagesPerDay <= 0 && r.RecipientsPerDay <= 0 {
		return ""
	}
	msgs, rcpts := 1, len(e.Cfg.Coordinators) // the coordinators' note
	for _, p := range ps {
		if n := len(p.Deliverable()); n > 0 {
			msgs++
			rcpts += n
		}
	}
	if e.Cfg.SMTP.ProofCopy {
		rcpts += msgs
	}
	var took time.Duration
	var limits []string
	if r.MessagesPerMinute > 0 {
		took = max(took, time.Duration((msgs-1)/r.MessagesPerMinute)*time.Minute)
		limits = append(limits, fmt.Sprintf("%d messages a minute", r.MessagesPerMinute))
	}
	if r.MessagesPerDay > 0 {
		took = max(took, time.Duration((msgs-1)/r.MessagesPerDay)*24*time.Hour)
		limits = append(limits, fmt.Sprintf("%d messages a day", r.MessagesPerDay))
	}
	if r.RecipientsPerDay > 0 {
		took = max(took, time.Duration((rcpts-1)/r.RecipientsPerDay)*24*time.Hour)
		limits = append(limits, fmt.Sprintf("%d recipients a day", r.RecipientsPerDay))
	}
	if took < 10*time.Minute {
		return ""
	}
	return fmt.Sprintf("Sending: the mail provider's limit (%s, smtp.rate) spreads the %d consultations out; "+
		"the last should have gone out by about %s. Members answer as their consultation arrives; "+
		"consider the deadline.", strings.Join(limits, ", "), msgs-1, now.Add(took).UTC().Format("Mon 2 Jan 2006 15:04 MST"))
}
