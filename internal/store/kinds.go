package store

// The named values the store persists and the rest of consultd agrees on.
// Each is a string type so that the database keeps readable text, and the
// compiler keeps one kind of value from being passed for another.

// RoundState is where a round is in its life.
type RoundState string

// Round states.
const (
	StateOpen      RoundState = "open"      // consultation running
	StateDraft     RoundState = "draft"     // closed; statement waiting for coordinators' approval
	StateUndecided RoundState = "undecided" // closed without quorum; coordinators decide (on_no_quorum: ask)
	StateSent      RoundState = "sent"      // statement queued to the inviter
	StateCancelled RoundState = "cancelled"
)

func (s RoundState) String() string { return string(s) }

// Outcome is the coalition's answer to an invitation.
type Outcome string

// Outcomes; Undecided while nobody has decided.
const (
	Undecided Outcome = ""
	Accept    Outcome = "accept"
	Decline   Outcome = "decline"
)

func (o Outcome) String() string { return string(o) }

// Disposition is where a handled message goes: the folder it is moved to.
type Disposition string

// Dispositions.
const (
	Processed Disposition = "processed" // handled: moved to the Processed folder
	Review    Disposition = "review"    // a person should look at it: moved to Needs-Review
	// Keep leaves the message in the inbox (used by tests of the watcher).
	Keep Disposition = "keep"
)

func (d Disposition) String() string { return string(d) }

// MailKind is what an outgoing mail is. It names the mail in the outbox, the
// logs and `consultd round`, and prefixes its Message-ID.
type MailKind string

// Mail kinds.
const (
	MailConsultation       MailKind = "consultation"
	MailConsultationResend MailKind = "consultation-resend" // to a member's new contact after a bounce
	MailReminder           MailKind = "reminder"
	MailReceipt            MailKind = "receipt"
	MailUnclear            MailKind = "unclear" // "please answer clearly"
	MailHolding            MailKind = "holding" // after a holding reply: "we wait for your answer", and the deadline
	MailOpened             MailKind = "opened"  // to coordinators: a round was opened
	MailDraft              MailKind = "draft"   // to coordinators: the statement for approval
	MailStatement          MailKind = "statement"
	MailNotice             MailKind = "notice"
	MailCommandReply       MailKind = "command-reply"
	MailHelp               MailKind = "help"
	MailStatus             MailKind = "status"
	MailConfirmation       MailKind = "confirmation"
	MailDeliveryFailure    MailKind = "delivery-failure"
	MailDigest             MailKind = "digest"
	MailWatchdog           MailKind = "watchdog" // to coordinators: an incident, or its end (internal/watchdog)
)

func (k MailKind) String() string { return string(k) }

// OutboxState is where an outbox row is in its delivery.
type OutboxState string

// Outbox states.
const (
	OutboxPending OutboxState = "pending"
	OutboxSending OutboxState = "sending" // DATA begun; the outcome is not yet known
	OutboxSent    OutboxState = "sent"
	OutboxFailed  OutboxState = "failed"
)

func (s OutboxState) String() string { return string(s) }
