package round

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"consultd/internal/automail"
	"consultd/internal/command"
	"consultd/internal/mimeparse"
	"consultd/internal/store"
	"consultd/internal/token"
)

// class is what a message is, decided in a fixed order: machine mail is
// recognised before anything could answer it, and a reply token is trusted
// before the From: address.
type class int

const (
	classOwn         class = iota // our own mail came back
	classBounce                   // a delivery failure report
	classAutoReply                // an out-of-office or auto-responder
	classMachine                  // other machine-generated mail
	classReply                    // carries a member's valid token
	classUnverified               // claims a coordinator; proven forged, or unproven with confirmations off
	classConfirm                  // answers a confirmation request (confirm.go)
	classCommand                  // a coordinator's command
	classCoordinator              // other coordinator mail (a forwarded invitation?)
	classMember                   // a member's address without a valid token
	classUnknown                  // anyone else
)

// classified is a class with what deciding it found.
type classified struct {
	class      class
	bounce     *automail.Bounce
	why        string             // auto-reply reason, or why a coordinator's mail is not trusted
	confirm    bool               // classCommand/classCoordinator: ask the coordinator to confirm first
	pending    *store.Pending     // classConfirm (nil: CONFIRM without a known token)
	p          *store.Participant // classReply
	cmd        command.Command    // classCommand
	memberID   string             // classMember
	staleToken bool               // carried a token that matches no round
}

// classifyMachine recognises mail no person wrote.
func classifyMachine(m *mimeparse.Message) (classified, bool) {
	switch v := automail.Classify(m); v.Kind {
	case automail.Bounced:
		return classified{class: classBounce, bounce: v.Bounce}, true
	case automail.AutoReplied:
		return classified{class: classAutoReply, why: v.Why}, true
	case automail.Machine:
		return classified{class: classMachine, why: v.Why}, true
	}
	return classified{}, false
}

// classify decides what m is, reading tokens from q (nil: not looked up).
// Both the engine and `consultd inspect` use it, so they cannot disagree.
func (e *Engine) classify(ctx context.Context, q store.Querier, m *mimeparse.Message) (classified, error) {
	from := firstFrom(m)
	if from != "" && strings.EqualFold(from, e.Cfg.Coalition.Address) {
		return classified{class: classOwn}, nil
	}
	if c, ok := classifyMachine(m); ok {
		return c, nil
	}
	var c classified
	if tok := e.findToken(m); tok != "" && q != nil {
		p, err := store.ParticipantByToken(ctx, q, tok)
		if err == nil {
			return classified{class: classReply, p: p}, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return c, err
		}
		pa, err := store.PendingByToken(ctx, q, tok)
		if err == nil {
			return classified{class: classConfirm, pending: pa}, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return c, err
		}
		c.staleToken = true
	}
	// A CONFIRM whose token matches nothing (made up, or mistyped) is a
	// clear "nothing done", not a command or an answer.
	if c.staleToken && command.IsConfirmation(m) {
		c.class = classConfirm
		return c, nil
	}
	switch {
	case e.Cfg.IsCoordinator(from):
		c = e.classifyCoordinator(m, c)
	case e.Cfg.MemberByEmail(from) != nil:
		c.class, c.memberID = classMember, e.Cfg.MemberByEmail(from).ID
	default:
		c.class = classUnknown
	}
	return c, nil
}

// route decides what a message is and applies it.
func (e *Engine) route(ctx context.Context, st *step, m *mimeparse.Message) (outcome, error) {
	c, err := e.classify(ctx, st.tx, m)
	if err != nil {
		return outcome{}, err
	}
	switch c.class {
	case classOwn:
		return e.handleOwn(ctx, st, m)
	case classBounce:
		return e.handleBounce(ctx, st, m, c.bounce)
	case classAutoReply:
		return e.handleAutoReply(ctx, st, m, c.why)
	case classMachine:
		return outcome{kind: "auto_reply", disp: Processed, note: "machine-generated mail; not answered"}, nil
	case classReply:
		return e.handleReply(ctx, st, m, c.p)
	case classUnverified:
		return e.unverifiedCoordinator(ctx, st, m, c.why)
	case classConfirm:
		return e.handleConfirmation(ctx, st, m, c.pending)
	case classCommand:
		if c.confirm {
			return e.confirmCommand(ctx, st, m, c.cmd, c.why)
		}
		return e.handleCommand(ctx, st, m, c.cmd)
	case classCoordinator:
		if c.confirm {
			return e.confirmForward(ctx, st, m, c.why)
		}
		return e.handleCoordinatorMail(ctx, st, m)
	case classMember:
		return e.handleUntokenedMember(ctx, st, m, c.memberID)
	}
	return outcome{kind: "unknown", disp: Review, note: "not from a coordinator and carries no reply token"}, nil
}

// findToken looks for a member's reply token in m (package token); the
// caller checks it in the store.
func (e *Engine) findToken(m *mimeparse.Message) string {
	var addrs []string
	for _, a := range append(append([]mimeparse.Address{}, m.To...), m.Cc...) {
		addrs = append(addrs, a.Address)
	}
	addrs = append(addrs, m.DeliveredTo...)
	return token.Find(e.Cfg.Coalition.Local(), e.Cfg.Domain(), addrs, append(append([]string{}, m.InReplyTo...), m.References...))
}

// unverifiedCoordinator: mail that claims a coordinator's address but that
// the trusted server proved forged (dmarc=fail), or did not prove while
// confirmations are off, opens nothing and runs nothing. It gets no
// confirmation request: a forged From: proven as such would only make the
// real coordinator's inbox noisy. The coordinators are told (once an hour
// per address).
func (e *Engine) unverifiedCoordinator(ctx context.Context, st *step, m *mimeparse.Message, why string) (outcome, error) {
	o := outcome{kind: "unverified", disp: Review, note: "claims a coordinator's address but was not authenticated: " + why}
	from := firstFrom(m)
	if ok, err := e.allow(ctx, st, reaction{kind: "unverified", sender: from, in: m}); err != nil || !ok {
		return o, err
	}
	err := e.notice(ctx, st, "", "Unverified mail in a coordinator's name",
		fmt.Sprintf("A message with the subject \"%s\" claims to come from %s, but the mail server did not authenticate it "+
			"(%s). It may be forged, so it opened no round and ran no command; it is in the review folder. If you sent it, "+
			"check your mail server's SPF/DKIM/DMARC settings, or send it again from your usual account.", m.Subject, from, why), nil, "")
	return o, err
}
