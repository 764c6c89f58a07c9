package automail

import (
	"fmt"

	"consultd/internal/mimeparse"
)

// Kind is who wrote a message, as far as Classify can tell.
type Kind int

const (
	// Person: nothing says a machine wrote it.
	Person Kind = iota
	// Bounced: a delivery failure report (Verdict.Bounce says which recipients).
	Bounced
	// AutoReplied: an out-of-office or auto-responder (Verdict.Why says how it was recognised).
	AutoReplied
	// Machine: other mail no person wrote (feedback reports, read receipts,
	// delivery notifications, robot senders); never to be answered.
	Machine
)

func (k Kind) String() string {
	switch k {
	case Person:
		return "person"
	case Bounced:
		return "bounce"
	case AutoReplied:
		return "auto_reply"
	case Machine:
		return "machine"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Verdict is what Classify found.
type Verdict struct {
	Kind   Kind
	Bounce *Bounce // Bounced
	Why    string  // AutoReplied: the sign that gave it away; Machine: "machine-generated"
}

// Classify decides in one pass whether m is a bounce, an auto-reply, other
// machine mail, or possibly a person's, in that order: a bounce is never
// taken for an auto-reply, and the bounce parser runs once.
func Classify(m *mimeparse.Message) Verdict {
	if m == nil {
		return Verdict{}
	}
	feedback := IsFeedbackReport(m)
	if !feedback {
		if b := safeParseBounce(m); b != nil {
			return Verdict{Kind: Bounced, Bounce: b}
		}
	}
	report := isReport(m)
	if !feedback && !report {
		if ok, why := autoReplySign(m); ok {
			return Verdict{Kind: AutoReplied, Why: why}
		}
	}
	if feedback || report || len(m.DeliveryStatus) > 0 || looksLikeBounce(m) || isRobotSender(m) {
		return Verdict{Kind: Machine, Why: "machine-generated"}
	}
	return Verdict{}
}
