package round

import (
	"context"
	"fmt"

	"consultd/internal/classify"
	"consultd/internal/mimeparse"
	"consultd/internal/store"
)

// route decides what a message is and applies it.
func (e *Engine) route(ctx context.Context, st *step, m *mimeparse.Message) (outcome, error) {
	c, err := classify.Message(ctx, e.Cfg, classify.StoreTokens(st.tx), m)
	if err != nil {
		return outcome{}, err
	}
	switch c.Class {
	case classify.Own:
		return e.handleOwn(ctx, st, m)
	case classify.Bounce:
		return e.handleBounce(ctx, st, m, c.Bounce)
	case classify.AutoReply:
		return e.handleAutoReply(ctx, st, m, c.Why)
	case classify.Machine:
		return outcome{kind: "auto_reply", disp: store.Processed, note: "machine-generated mail; not answered"}, nil
	case classify.Reply:
		return e.handleReply(ctx, st, m, c.Participant)
	case classify.Unverified:
		return e.unverifiedCoordinator(ctx, st, m, c.Why)
	case classify.Confirm:
		return e.handleConfirmation(ctx, st, m, c.Pending)
	case classify.Command:
		if c.Confirm {
			return e.confirmCommand(ctx, st, m, c.Command, c.Why)
		}
		return e.handleCommand(ctx, st, m, c.Command)
	case classify.Coordinator:
		if c.Confirm {
			return e.confirmForward(ctx, st, m, c.Why)
		}
		return e.handleCoordinatorMail(ctx, st, m)
	case classify.Member:
		return e.handleUntokenedMember(ctx, st, m, c.MemberID)
	}
	return outcome{kind: "unknown", disp: store.Review, note: "not from a coordinator and carries no reply token"}, nil
}

// findToken looks for a member's reply token in m; the caller checks it.
func (e *Engine) findToken(m *mimeparse.Message) string { return classify.FindToken(e.Cfg, m) }

// unverifiedCoordinator: mail that claims a coordinator's address but that
// the trusted server proved forged (dmarc=fail), or did not prove while
// confirmations are off, opens nothing and runs nothing. It gets no
// confirmation request: a forged From: proven as such would only make the
// real coordinator's inbox noisy. The coordinators are told (once an hour
// per address).
func (e *Engine) unverifiedCoordinator(ctx context.Context, st *step, m *mimeparse.Message, why string) (outcome, error) {
	o := outcome{kind: "unverified", disp: store.Review, note: "claims a coordinator's address but was not authenticated: " + why}
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
