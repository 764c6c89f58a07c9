// Package classify decides what an inbound message is — consultd's own mail
// come back, a bounce, an auto-reply, a member's answer, a coordinator's
// command or forward (trusted, to be confirmed, or forged), or anyone else's
// mail — as a function of the configuration and a token lookup, without
// acting on it. The workflow (internal/round) acts on the result; `consultd
// inspect` prints it (Understand), so the two cannot disagree.
package classify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"consultd/internal/authres"
	"consultd/internal/automail"
	"consultd/internal/command"
	"consultd/internal/config"
	"consultd/internal/mimeparse"
	"consultd/internal/store"
	"consultd/internal/token"
)

// Class is what a message is, decided in a fixed order: machine mail is
// recognised before anything could answer it, and a reply token is trusted
// before the From: address.
type Class int

const (
	Own         Class = iota // our own mail came back (a proof copy)
	Bounce                   // a delivery failure report
	AutoReply                // an out-of-office or auto-responder
	Machine                  // other machine-generated mail
	Reply                    // carries a member's valid token
	Unverified               // claims a coordinator; proven forged, or unproven with confirmations off
	Confirm                  // answers a confirmation request
	Command                  // a coordinator's command
	Coordinator              // other coordinator mail (a forwarded invitation?)
	Member                   // a member's address without a valid token
	Unknown                  // anyone else
)

var classNames = [...]string{"own", "bounce", "auto_reply", "machine", "reply", "unverified", "confirm", "command",
	"coordinator", "member", "unknown"}

func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Result is a Class with what deciding it found.
type Result struct {
	Class       Class
	Bounce      *automail.Bounce   // Bounce
	Why         string             // auto-reply reason, or why a coordinator's mail is not trusted
	Confirm     bool               // Command/Coordinator: ask the coordinator to confirm first
	Pending     *store.Pending     // Confirm (nil: CONFIRM without a known token)
	Participant *store.Participant // Reply
	Command     command.Command    // Command
	MemberID    string             // Member
	StaleToken  bool               // carried a token that matches no round
}

// Tokens looks reply and confirmation tokens up; store.ErrNotFound means
// none.
type Tokens interface {
	ParticipantByToken(ctx context.Context, tok string) (*store.Participant, error)
	PendingByToken(ctx context.Context, tok string) (*store.Pending, error)
}

// StoreTokens looks tokens up in the store (in q's transaction, if a tx).
func StoreTokens(q store.Querier) Tokens { return storeTokens{q} }

type storeTokens struct{ q store.Querier }

func (s storeTokens) ParticipantByToken(ctx context.Context, tok string) (*store.Participant, error) {
	return store.ParticipantByToken(ctx, s.q, tok)
}

func (s storeTokens) PendingByToken(ctx context.Context, tok string) (*store.Pending, error) {
	return store.PendingByToken(ctx, s.q, tok)
}

// MachineMail recognises mail no person wrote.
func MachineMail(m *mimeparse.Message) (Result, bool) {
	switch v := automail.Classify(m); v.Kind {
	case automail.Bounced:
		return Result{Class: Bounce, Bounce: v.Bounce}, true
	case automail.AutoReplied:
		return Result{Class: AutoReply, Why: v.Why}, true
	case automail.Machine:
		return Result{Class: Machine, Why: v.Why}, true
	}
	return Result{}, false
}

// Message decides what m is. tokens may be nil: then tokens are not looked
// up.
func Message(ctx context.Context, cfg *config.Config, tokens Tokens, m *mimeparse.Message) (Result, error) {
	from := firstFrom(m)
	if from != "" && strings.EqualFold(from, cfg.Coalition.Address) {
		return Result{Class: Own}, nil
	}
	if c, ok := MachineMail(m); ok {
		return c, nil
	}
	var c Result
	if tok := FindToken(cfg, m); tok != "" && tokens != nil {
		p, err := tokens.ParticipantByToken(ctx, tok)
		if err == nil {
			return Result{Class: Reply, Participant: p}, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return c, err
		}
		pa, err := tokens.PendingByToken(ctx, tok)
		if err == nil {
			return Result{Class: Confirm, Pending: pa}, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return c, err
		}
		c.StaleToken = true
	}
	// A CONFIRM whose token matches nothing (made up, or mistyped) is a
	// clear "nothing done", not a command or an answer.
	if c.StaleToken && command.IsConfirmation(m) {
		c.Class = Confirm
		return c, nil
	}
	switch {
	case cfg.IsCoordinator(from):
		c = coordinator(cfg, m, c)
	case cfg.MemberByEmail(from) != nil:
		c.Class, c.MemberID = Member, cfg.MemberByEmail(from).ID
	default:
		c.Class = Unknown
	}
	return c, nil
}

// FindToken looks for a member's reply token in m (package token); the caller
// checks it.
func FindToken(cfg *config.Config, m *mimeparse.Message) string {
	var addrs []string
	for _, a := range append(append([]mimeparse.Address{}, m.To...), m.Cc...) {
		addrs = append(addrs, a.Address)
	}
	addrs = append(addrs, m.DeliveredTo...)
	return token.Find(cfg.Coalition.Local(), cfg.Domain(), addrs, append(append([]string{}, m.References...), m.InReplyTo...))
}

// Authenticate asks the trusted server's headers whether m's From: is proven.
func Authenticate(cfg *config.Config, m *mimeparse.Message) authres.Evidence {
	return authres.Check(cfg.Authentication.Trust(), authres.Message{From: firstFrom(m),
		AuthenticationResults: m.Header["Authentication-Results"],
		AuthAs:                m.Header["X-Ms-Exchange-Organization-Authas"]})
}

// coordinator decides what a coordinator's mail is: forged (proven by
// dmarc=fail), refused (unproven, with confirmations off), to be confirmed,
// or trusted.
func coordinator(cfg *config.Config, m *mimeparse.Message, c Result) Result {
	ev := Authenticate(cfg, m)
	cmd, isCmd := command.Parse(m)
	mode := cfg.Policy.CoordinatorConfirmation
	trustSet := cfg.Authentication.Trust().Configured()
	switch {
	case ev.Verdict == authres.Fail:
		c.Class, c.Why = Unverified, ev.Reason
		return c
	case isCmd && !cmd.Verb.Destructive():
		c.Class, c.Command = Command, cmd
		return c
	case mode == config.ConfirmAlways || (mode != config.ConfirmNever && ev.Verdict != authres.Pass):
		c.Confirm, c.Why = true, ev.Reason
		if mode == config.ConfirmAlways {
			c.Why = "policy.coordinator_confirmation is set to always"
		}
	case mode == config.ConfirmNever && trustSet && ev.Verdict != authres.Pass:
		c.Class, c.Why = Unverified, ev.Reason
		return c
	}
	if isCmd {
		c.Class, c.Command = Command, cmd
	} else {
		c.Class = Coordinator
	}
	return c
}

func firstFrom(m *mimeparse.Message) string {
	if m == nil || len(m.From) == 0 {
		return ""
	}
	return m.From[0].Address
}
