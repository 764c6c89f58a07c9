package round

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"consultd/internal/automail"
	"consultd/internal/mimeparse"
	"consultd/internal/store"
)

// route decides what a message is and applies it. The order matters: machine
// mail is recognised before anything could answer it, and a reply token is
// trusted before the From: address.
func (e *Engine) route(ctx context.Context, st *step, m *mimeparse.Message) (outcome, error) {
	from := firstFrom(m)
	if strings.EqualFold(from, e.Cfg.Coalition.Address) {
		return outcome{kind: "own", disp: Processed, note: "our own mail came back"}, nil
	}
	if b := automail.ParseBounce(m); b != nil {
		return e.handleBounce(ctx, st, m, b)
	}
	if auto, why := automail.IsAutoReply(m); auto {
		return e.handleAutoReply(ctx, st, m, why)
	}
	if automail.IsMachineGenerated(m) {
		return outcome{kind: "auto_reply", disp: Processed, note: "machine-generated mail; not answered"}, nil
	}
	if tok := e.findToken(m); tok != "" {
		p, err := store.ParticipantByToken(ctx, st.tx, tok)
		if err == nil {
			return e.handleReply(ctx, st, m, p)
		}
		if err != store.ErrNotFound {
			return outcome{}, err
		}
	}
	if e.Cfg.IsCoordinator(from) {
		if id := e.Cfg.Authentication.AuthservID; id != "" && !verifiedSender(m, id) {
			return e.unverifiedCoordinator(ctx, st, m, id)
		}
		if cmd, ok := parseCommand(m); ok {
			return e.handleCommand(ctx, st, m, cmd)
		}
		return e.handleCoordinatorMail(ctx, st, m)
	}
	if mem := e.Cfg.MemberByEmail(from); mem != nil {
		return e.handleUntokenedMember(ctx, st, m, mem.ID)
	}
	return outcome{kind: "unknown", disp: Review, note: "not from a coordinator and carries no reply token"}, nil
}

// The kind may itself contain dashes ("consultation-resend-TOKEN-…").
var tokenInID = regexp.MustCompile(`^[a-z]+(?:-[a-z]+)*-([a-z2-7]{26})-`)

// findToken looks for a member's reply token: in a plus address on our domain
// (To, Cc, Delivered-To), then in In-Reply-To and References pointing at one of
// our messages. It returns a candidate; the caller checks it in the store.
func (e *Engine) findToken(m *mimeparse.Message) string {
	local, domain := strings.ToLower(e.Cfg.Coalition.Local()), e.Cfg.Domain() // addresses are compared lower-cased
	var addrs []string
	for _, a := range append(append([]mimeparse.Address{}, m.To...), m.Cc...) {
		addrs = append(addrs, a.Address)
	}
	addrs = append(addrs, m.DeliveredTo...)
	for _, a := range addrs {
		a = strings.ToLower(strings.Trim(strings.TrimSpace(a), "<>"))
		at := strings.LastIndexByte(a, '@')
		if at < 0 || a[at+1:] != domain {
			continue
		}
		lp := a[:at]
		if strings.HasPrefix(lp, local+"+") {
			if t := lp[len(local)+1:]; len(t) == 26 {
				return t
			}
		}
	}
	ids := append(append([]string{}, m.InReplyTo...), m.References...)
	for i := len(ids) - 1; i >= 0; i-- { // the most recent reference first
		id := strings.ToLower(strings.Trim(ids[i], "<> "))
		if !strings.HasSuffix(id, "@"+domain) {
			continue
		}
		if mm := tokenInID.FindStringSubmatch(id); mm != nil {
			return mm[1]
		}
	}
	return ""
}

// unverifiedCoordinator: mail that claims a coordinator's address but that our
// mail server did not authenticate may be forged; it opens nothing and runs
// nothing. The coordinators are told (once an hour per address).
func (e *Engine) unverifiedCoordinator(ctx context.Context, st *step, m *mimeparse.Message, authserv string) (outcome, error) {
	o := outcome{kind: "unverified", disp: Review, note: "claims a coordinator's address but is not authenticated by " + authserv}
	from := firstFrom(m)
	n, err := store.CountRepliesSince(ctx, st.tx, "", from, "unverified", st.now.Add(-time.Hour))
	if err != nil || n > 0 {
		return o, err
	}
	if err := store.NoteReplySent(ctx, st.tx, "", from, "unverified", st.now); err != nil {
		return o, err
	}
	err = e.notice(ctx, st, "", "Unverified mail in a coordinator's name",
		fmt.Sprintf("A message with the subject \"%s\" claims to come from %s, but %s did not authenticate it "+
			"(no dmarc=pass or dkim=pass for that domain in its Authentication-Results). It may be forged, so it opened "+
			"no round and ran no command; it is in the review folder. If you sent it, check your mail server's SPF/DKIM "+
			"settings, or forward it again from your usual account.", m.Subject, from, authserv), nil, "")
	return o, err
}
