package render

import (
	"time"

	"consultd/internal/store"
)

// Data is what one template is executed with. Each template has its own
// struct, so a template that names a field its data lacks fails when it is
// loaded (New executes every template with Samples) rather than when a mail
// is sent.
type Data interface {
	// Template is the name of the template (templates/LANG/NAME.tmpl).
	Template() string
}

// Consultation asks a member for its position (also resent to a new contact).
type Consultation struct {
	Round       *store.Round
	Member      *store.Participant
	Coalition   string
	Inviter     string   // "Name <address>"
	Attachments []string // file names
	Previous    []Previous
}

// Previous is what the coalition answered the same inviter in an earlier round.
type Previous struct {
	ID    string
	Date  time.Time
	Title string
	// Outcome is one of the Outcome* keys; each template says it in its
	// language (templates/*/consultation.tmpl, block "outcome").
	Outcome         string
	Recommendations []string
}

// The outcomes of an earlier round, as Previous.Outcome.
const (
	OutcomeAccepted  = "accepted"
	OutcomeDeclined  = "declined"
	OutcomeCancelled = "cancelled" // no answer was sent
	OutcomeOpen      = "open"      // the consultation is still open
	OutcomeClosed    = "closed"    // closed, statement not sent
)

// Reminder nudges a member that has not answered.
type Reminder struct {
	Round     *store.Round
	Member    *store.Participant
	Coalition string
}

// Receipt tells a member what was understood of its answer.
type Receipt struct {
	Round     *store.Round
	Member    *store.Participant
	Coalition string
	Replaced  bool   // an earlier answer was replaced
	Sign      string // Sign* below
}

// The sign-on, as Receipt.Sign.
const (
	SignYes     = "yes"
	SignNo      = "no"
	SignNotSaid = "not said"
)

// Unclear asks a member to answer with a clear position.
type Unclear struct {
	Round     *store.Round
	Member    *store.Participant
	Coalition string
	Text      string // what was read of the member's reply
}

// Holding answers a holding reply ("we will discuss it with our board"): we
// wait for the member's answer, until the deadline.
type Holding struct {
	Round     *store.Round
	Member    *store.Participant
	Coalition string
	Text      string // what was read of the member's reply
}

// Statement is the joint text; Outcome picks statement_accept or statement_decline.
type Statement struct {
	Outcome         string // "accept" or "decline"
	Coalition       string
	Invitation      Invitation
	Concerns        []string
	Recommendations []string
	Signatories     []string
	Attendees       []string // accepting signatories (accept only)
}

// Invitation is what a statement says of the invitation it answers.
type Invitation struct {
	InviterName string
	Title       string
	Date        time.Time // when the invitation was sent (zero: unknown)
	Summary     string    // one paragraph on what the invitation is for
	// When, Where and Focus are what the invitation says about the meeting
	// (statement.Describe): dates, place, topics; "" when not found.
	When, Where, Focus string
}

// Opened tells the coordinators that a round is open (English only).
type Opened struct {
	Round          *store.Round
	Inviter        string
	DeadlineSource string
	Attachments    []string
	MembersAsked   int
	Participants   []*store.Participant // the first ones, for a long alliance
	MoreMembers    int                  // asked but not listed
	Sending        string               // when the sending limit spreads the fan-out: until when
	Warnings       []string
}

// Notice is a short message to coordinators (English only).
type Notice struct {
	RoundID   string
	Title     string
	Text      string
	Lines     []string
	Coalition string
}

// Confirmation asks a coordinator to confirm a forward or a command.
type Confirmation struct {
	RoundID   string
	Action    string // for the subject
	Summary   string // what CONFIRM would do
	From      string
	Subject   string
	Received  time.Time
	Expires   time.Time
	Hours     int
	Why       string
	Fix       string
	Coalition string
}

func (Consultation) Template() string { return "consultation" }
func (Reminder) Template() string     { return "reminder" }
func (Receipt) Template() string      { return "receipt" }
func (Unclear) Template() string      { return "unclear" }
func (Holding) Template() string      { return "holding" }
func (Opened) Template() string       { return "opened" }
func (Notice) Template() string       { return "notice" }
func (Confirmation) Template() string { return "confirmation" }
func (s Statement) Template() string {
	if s.Outcome == "accept" {
		return "statement_accept"
	}
	return "statement_decline"
}

// Samples returns data for every template, filled in every field a template
// may show (with the markup and header-injection attempts members send), so
// that executing a template with it proves each field it names exists.
func Samples() map[string]Data {
	deadline := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	yes := true
	r := &store.Round{ID: "2026-07", State: "open", Title: "CSSR meetings in Geneva", Language: "en",
		InviterName: "Office of the Envoy", InviterAddress: "cssr@envoy.example",
		OrigSubject: "Invitation: CSSR meetings\r\nBcc: x@y", OrigMessageID: "cssr-1@envoy.example",
		OrigDate: deadline.AddDate(0, 0, -6), OrigBody: "Dear colleagues,\n\nWe invite you.",
		Note: "Please answer quickly.\nThanks", OpenedBy: "rania@coal.example", SourceMessageID: "fwd-1@coal.example",
		Deadline: deadline, DeadlineSource: "policy", CreatedAt: deadline.AddDate(0, 0, -3)}
	p := &store.Participant{RoundID: r.ID, MemberID: "baytna", Name: "Baytna Syria", Language: "en",
		Emails: []string{"info@baytna.example"}, Position: "decline", Concerns: []string{"Too late", "{{.Round.ID}}"},
		Recommendations: []string{"Consult earlier"}, Sign: &yes}
	const coalition = "Test Coalition"
	inviter := "Office of the Envoy <cssr@envoy.example>"
	st := Statement{Outcome: "decline", Coalition: coalition,
		Invitation: Invitation{InviterName: "Office of the Envoy", Title: "CSSR meetings", Date: deadline, Summary: "We invite you."},
		Concerns:   []string{"Too late"}, Recommendations: []string{"Consult earlier"},
		Signatories: []string{"Baytna Syria", "SJAC"}, Attendees: []string{"SJAC"}}
	accept := st
	accept.Outcome = "accept"
	var prev []Previous
	for i, o := range []string{OutcomeAccepted, OutcomeDeclined, OutcomeCancelled, OutcomeOpen, OutcomeClosed} {
		prev = append(prev, Previous{ID: "2026-0" + string(rune('1'+i)), Date: deadline.AddDate(0, -5, 0),
			Title: "Brussels conference", Outcome: o, Recommendations: []string{"Earlier notice"}})
	}
	ds := []Data{
		Consultation{Round: r, Member: p, Coalition: coalition, Inviter: inviter, Attachments: []string{"agenda.pdf"}, Previous: prev},
		Reminder{Round: r, Member: p, Coalition: coalition},
		Receipt{Round: r, Member: p, Coalition: coalition, Replaced: true, Sign: SignYes},
		Unclear{Round: r, Member: p, Coalition: coalition, Text: "hm"},
		Holding{Round: r, Member: p, Coalition: coalition, Text: "We will discuss it with our board."},
		st, accept,
		Opened{Round: r, Inviter: inviter, DeadlineSource: "the policy's consultation period", Attachments: []string{"agenda.pdf"},
			Participants: []*store.Participant{p}, Warnings: []string{"check"}},
		Notice{RoundID: r.ID, Title: "Status\nBcc: x@y", Text: "Some text", Lines: []string{"a", "b"}, Coalition: coalition},
		Confirmation{Action: "open a round for " + inviter, Summary: "open a consultation round", From: "rania@coal.example",
			Subject: "Fwd: Invitation", Received: deadline, Expires: deadline.Add(72 * time.Hour), Hours: 72,
			Why: "no authentication is configured", Fix: "Set authentication.authserv_id.", Coalition: coalition},
	}
	out := map[string]Data{}
	for _, d := range ds {
		out[d.Template()] = d
	}
	return out
}
