package classify

import (
	"context"
	"time"

	"consultd/internal/answer"
	"consultd/internal/automail"
	"consultd/internal/command"
	"consultd/internal/config"
	"consultd/internal/forward"
	"consultd/internal/mimeparse"
	"consultd/internal/store"
)

// Understanding is how consultd reads one message, without acting on it
// (what `consultd inspect` prints).
type Understanding struct {
	Kind            string             `json:"kind"` // invitation | reply | command | auto_reply | bounce | unknown
	From            string             `json:"from"`
	Inviter         *mimeparse.Address `json:"inviter,omitempty"`
	Subject         string             `json:"subject"`
	Text            string             `json:"text"`
	Position        string             `json:"position,omitempty"`
	Concerns        []string           `json:"concerns,omitempty"`
	Recommendations []string           `json:"recommendations,omitempty"`
	Sign            *bool              `json:"sign,omitempty"`
	Holding         bool               `json:"holding,omitempty"` // a reply without a position that says the answer comes later
	Round           string             `json:"round,omitempty"`
	Member          string             `json:"member,omitempty"`
	Invitation      *InvitationInfo    `json:"invitation,omitempty"`
	Command         *command.Command   `json:"command,omitempty"`
	Bounce          *automail.Bounce   `json:"bounce,omitempty"`
	AutoReply       string             `json:"auto_reply_reason,omitempty"`
	Notes           []string           `json:"notes,omitempty"`
	Warnings        []string           `json:"warnings,omitempty"`
}

// InvitationInfo is what the forward parser recovered.
type InvitationInfo struct {
	Form       string    `json:"form"`
	Date       time.Time `json:"date,omitempty"`
	MessageID  string    `json:"message_id,omitempty"`
	ReplyBy    time.Time `json:"reply_by,omitempty"`
	Deadline   time.Time `json:"deadline_directive,omitempty"`
	Title      string    `json:"title_directive,omitempty"`
	Language   string    `json:"language_directive,omitempty"`
	Attachment []string  `json:"attachments,omitempty"`
	Note       string    `json:"coordinator_note,omitempty"`
	Errors     []string  `json:"directive_errors,omitempty"`
	Cc         []string  `json:"cc,omitempty"`
	Uncertain  []string  `json:"uncertain,omitempty"` // what was guessed; the "round opened" note lists it
}

// Understand classifies m the way the engine would. cfg and q may be nil: then
// nothing is known about coordinators, members and tokens, and the message is
// read on its own.
func Understand(ctx context.Context, m *mimeparse.Message, cfg *config.Config, q store.Querier, vocab []answer.Vocabulary, now time.Time) Understanding {
	u := Understanding{Kind: "unknown", From: firstFrom(m), Subject: m.Subject, Text: m.Text, Warnings: m.Warnings}
	reader := answer.NewReader(vocab...)
	var c Result
	if cfg == nil {
		// Without a configuration anyone might be a coordinator: commands count.
		var machine bool
		if c, machine = MachineMail(m); !machine {
			c = Result{Class: Coordinator}
			if cmd, ok := command.Parse(m); ok {
				c = Result{Class: Command, Command: cmd}
			}
		}
	} else {
		var tokens Tokens
		if q != nil {
			tokens = StoreTokens(q)
		}
		var err error
		if c, err = Message(ctx, cfg, tokens, m); err != nil {
			u.Notes = append(u.Notes, "token lookup failed: "+err.Error())
		}
	}
	if c.StaleToken {
		u.Notes = append(u.Notes, "carries a reply token that matches no round")
	}
	switch c.Class {
	case Own:
		u.Notes = append(u.Notes, "consultd's own mail: ignored")
		return u
	case Bounce:
		u.Kind, u.Bounce = "bounce", c.Bounce
		return u
	case AutoReply, Machine:
		u.Kind, u.AutoReply = "auto_reply", c.Why
		return u
	case Reply:
		u.Round, u.Member = c.Participant.RoundID, c.Participant.MemberID
		return readReply(u, reader.Read(m))
	case Command:
		u.Kind, u.Command = "command", &c.Command
		if c.Confirm {
			u.Notes = append(u.Notes, "would be confirmed by email first ("+c.Why+"): the coordinator's configured address is asked to reply CONFIRM")
		}
		return u
	case Coordinator:
		if c.Confirm {
			u.Notes = append(u.Notes, "a forward would be confirmed by email first ("+c.Why+"): the coordinator's configured address is asked to reply CONFIRM")
		}
	case Unverified:
		u.Notes = append(u.Notes, "claims a coordinator's address but the mail server did not authenticate it ("+c.Why+"): would open nothing and run nothing (Needs-Review)")
	case Confirm:
		u.Kind = "confirmation"
		if c.Pending == nil {
			u.Notes = append(u.Notes, "says CONFIRM but carries no token of a pending confirmation request: would do nothing (Needs-Review)")
		} else {
			u.Round = c.Pending.RoundID
			u.Notes = append(u.Notes, "answers the confirmation request to "+c.Pending.Coordinator+" ("+c.Pending.State+"): "+c.Pending.Summary)
		}
		return u
	case Member:
		u.Member = c.MemberID
		u.Notes = append(u.Notes, "from a member address but without a valid reply token: would not be counted (Needs-Review)")
	case Unknown:
		u.Notes = append(u.Notes, "not from a coordinator: would never open a round or run a command (Needs-Review)")
	}
	// What the text says, for a person to see, even where it would not count.
	if res := forward.Parse(m, now); res.Invitation != nil {
		inv := res.Invitation
		u.Kind = "invitation"
		in := inv.Inviter
		if res.Directives.Inviter != nil {
			in = *res.Directives.Inviter
		}
		u.Inviter, u.Subject, u.Text = &in, inv.Subject, inv.Body
		info := &InvitationInfo{Form: inv.Form, Date: inv.Date, MessageID: inv.MessageID, ReplyBy: inv.ReplyBy,
			Deadline: res.Directives.Deadline, Title: res.Directives.Title, Language: res.Directives.Language,
			Note: res.Note, Errors: res.Directives.Errors}
		for _, a := range inv.Attachments {
			info.Attachment = append(info.Attachment, a.Filename)
		}
		for _, a := range inv.Cc {
			if a.Name == "" {
				info.Cc = append(info.Cc, a.Address)
			} else {
				info.Cc = append(info.Cc, a.Name+" <"+a.Address+">")
			}
		}
		info.Uncertain = inv.Uncertain
		u.Invitation = info
		return u
	}
	a := reader.Read(m)
	if a.Position != answer.None || a.Holding {
		return readReply(u, a)
	}
	u.Text = a.Text
	return u
}

func readReply(u Understanding, a answer.Answer) Understanding {
	u.Kind = "reply"
	u.Position, u.Concerns, u.Recommendations, u.Sign, u.Text = string(a.Position), a.Concerns, a.Recommendations, a.Sign, a.Text
	if u.Holding = a.Holding; a.Holding {
		u.Notes = append(u.Notes, "a holding reply (the answer comes later): not counted; the member is told we wait for the answer")
	}
	return u
}

// Vocabulary converts the configuration's extra languages for package answer.
func Vocabulary(cfg *config.Config) []answer.Vocabulary {
	var vs []answer.Vocabulary
	for _, v := range cfg.Vocabulary {
		vs = append(vs, answer.Vocabulary{Language: v.Language, Accept: v.Accept, Decline: v.Decline, Abstain: v.Abstain,
			Negations: v.Negations, Concerns: v.Concerns, Recommendations: v.Recommendations, Sign: v.Sign, Yes: v.Yes, No: v.No,
			NotPosition: v.NotPosition, NoPoints: v.NoPoints, Holding: v.Holding})
	}
	return vs
}
