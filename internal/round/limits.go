package round

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"consultd/internal/mimeparse"
	"consultd/internal/store"
)

// Bounded reactions. Every automatic mail consultd sends because some mail
// arrived (a receipt, a "please answer clearly", a reply to a command, a
// notice to the coordinators about someone's mail, a confirmation request) is
// first put to allow, which counts what was sent in the last hour, per sender
// (and kind), per round and overall, in the store, so a restart does not
// reset it. What the limits stop is still recorded: the incoming message goes
// to Processed or Needs-Review as always, with a note, and the coordinators
// get one digest an hour listing what was not answered, instead of N notices.
// Mail that is not a reaction (consultations, reminders, the round-opened
// note, drafts, statements) is not limited here.
const (
	reactionWindow = time.Hour

	maxReceiptsPerHour = 10 // receipts per sender: enough to correct an answer a few times
	maxUnclearPerHour  = 1  // "please answer ACCEPT/DECLINE/ABSTAIN" per sender
	maxHoldingPerHour  = 1  // "we wait for your answer" per sender, like the unclear note

	maxPerSenderPerHour = 20 // every kind together, per sender

	// Per round: every member may answer and correct a couple of times.
	maxPerRoundBase      = 20
	maxPerRoundPerMember = 2

	// Overall, and for notices to the coordinators (which every sender can cause).
	maxAllBase              = 50
	maxAllPerMember         = 3
	maxCoordinatorNotices   = 20
	digestEvery             = reactionWindow
	digestKind              = "digest"
	maxDigestLines          = 40
	reactionHistoryKeptFor  = 2 * reactionWindow
	answersADigestIsIgnored = "it answers a digest"
)

// reactionKind is what the limiter knows of each kind of reaction.
type reactionKind struct {
	perSender    int  // per sender per hour
	coordinators bool // a notice to the coordinators, not an answer to the sender
	// deliberate: answers what a person asked for (a command), so even a
	// reply to a digest gets it; an auto-responder's reply is never a command.
	deliberate bool
	// describe says, for the digest, what was not sent (%[1]s sender, %[2]s round).
	describe string
}

var reactionKinds = map[string]reactionKind{
	"receipt":       {maxReceiptsPerHour, false, false, "receipts for answers from %[1]s in round %[2]s (the answers were recorded)"},
	"unclear":       {maxUnclearPerHour, false, false, "requests to answer clearly, to %[1]s in round %[2]s"},
	"holding":       {maxHoldingPerHour, false, false, "notes that we wait for the answer of %[1]s in round %[2]s"},
	"command":       {10, false, true, "replies to commands from %[1]s"},
	"confirmation":  {5, false, true, "confirmation requests to %[1]s"},
	"untokened":     {1, true, false, "notices about mail from %[1]s without a reply token (in Needs-Review)"},
	"late":          {1, true, false, "notices about late answers from %[1]s to round %[2]s (in Needs-Review)"},
	"unverified":    {1, true, false, "notices about unverified mail in the name of %[1]s (in Needs-Review)"},
	"no-invitation": {1, true, false, "notices about mail from %[1]s without a forwarded invitation (in Needs-Review)"},
	"intake":        {3, true, false, "notices about forwards from %[1]s that opened no round"},
	"bounce":        {1, true, false, "notices about delivery failures for %[1]s"},
	"too_large":     {1, true, false, "notices about messages too large to read from %[1]s (in Needs-Review)"},
}

// reaction is one automatic mail about to be sent in reaction to in.
type reaction struct {
	kind    string // a key of reactionKinds
	sender  string // whose mail caused it; for a bounce, the failed address
	roundID string
	in      *mimeparse.Message // the mail being answered; nil when there is none
}

// limits are the hourly caps for the configured number of members.
type limits struct{ perRound, all int }

func (e *Engine) limits() limits {
	n := len(e.Cfg.Members)
	return limits{perRound: maxPerRoundBase + maxPerRoundPerMember*n, all: maxAllBase + maxAllPerMember*n}
}

// allow records the reaction and says whether to send it. When it says no,
// the step's note and the round's history say why; the caller sends nothing
// and handles the incoming message as it would otherwise.
func (e *Engine) allow(ctx context.Context, st *step, r reaction) (bool, error) {
	k, ok := reactionKinds[r.kind]
	if !ok {
		return false, fmt.Errorf("reaction kind %q has no limit", r.kind)
	}
	sender := strings.ToLower(strings.TrimSpace(r.sender))
	label := sender
	if label == "" {
		label = "(no sender)"
	}
	rec := store.Reaction{At: st.now, Kind: r.kind, Sender: sender, RoundID: r.roundID, Coordinators: k.coordinators,
		What: fmt.Sprintf(k.describe, label, r.roundID)}
	var why string
	if r.in != nil && !k.deliberate && e.answersDigest(r.in) {
		// Answering a reply to the digest is how a digest would feed itself.
		why, rec.Digested = answersADigestIsIgnored, true
	} else {
		c, err := store.CountReactions(ctx, st.tx, rec, st.now.Add(-reactionWindow))
		if err != nil {
			return false, err
		}
		why = e.limits().exceeded(k, c, r.roundID != "", label)
	}
	rec.Sent = why == ""
	if err := store.RecordReaction(ctx, st.tx, rec); err != nil {
		return false, err
	}
	if rec.Sent {
		return true, nil
	}
	msg := fmt.Sprintf("no %s sent: %s", r.kind, why)
	if !rec.Digested {
		msg += " (in the next digest to the coordinators)"
	}
	st.notes = append(st.notes, msg)
	if r.roundID != "" {
		return false, event(ctx, st, r.roundID, "limit: %s", msg)
	}
	return false, nil
}

// exceeded names the first limit c has reached, or "".
func (l limits) exceeded(k reactionKind, c store.ReactionCounts, inRound bool, sender string) string {
	switch {
	case c.SenderKind >= k.perSender:
		return fmt.Sprintf("already %d of this kind for %s in the last hour", c.SenderKind, sender)
	case c.Sender >= maxPerSenderPerHour:
		return fmt.Sprintf("already %d automatic mails for %s in the last hour", c.Sender, sender)
	case inRound && c.Round >= l.perRound:
		return fmt.Sprintf("already %d automatic mails in this round in the last hour", c.Round)
	case k.coordinators && c.Coordinators >= maxCoordinatorNotices:
		return fmt.Sprintf("already %d notices to the coordinators in the last hour", c.Coordinators)
	case c.All >= l.all:
		return fmt.Sprintf("already %d automatic mails in the last hour", c.All)
	}
	return ""
}

// answersDigest: m replies to one of our digests.
func (e *Engine) answersDigest(m *mimeparse.Message) bool {
	domain := "@" + e.Cfg.Domain()
	for _, id := range append(append([]string{}, m.InReplyTo...), m.References...) {
		id = strings.ToLower(strings.Trim(id, "<> "))
		if strings.HasPrefix(id, digestKind+"-") && strings.HasSuffix(id, domain) {
			return true
		}
	}
	return false
}

// digest tells the coordinators, at most once an hour, what the limits kept
// from being answered since the last digest. It runs from the clock, never
// from incoming mail, so no mail can make it go out more often.
func (e *Engine) digest(ctx context.Context) error {
	return e.commit(ctx, e.Now(), func(st *step) error {
		tx := st.tx.Tx
		if err := store.PruneReactions(ctx, tx, st.now.Add(-reactionHistoryKeptFor)); err != nil {
			return err
		}
		last, err := store.LastReaction(ctx, tx, digestKind)
		if err != nil {
			return err
		}
		if !last.IsZero() && st.now.Sub(last) < digestEvery {
			return nil
		}
		groups, upTo, err := store.Undigested(ctx, tx)
		if err != nil || len(groups) == 0 {
			return err
		}
		total := 0
		var lines []string
		var rounds []string
		for i, g := range groups {
			total += g.Count
			if g.RoundID != "" && !slices.Contains(rounds, g.RoundID) {
				rounds = append(rounds, g.RoundID)
			}
			if i < maxDigestLines {
				lines = append(lines, fmt.Sprintf("%d × %s", g.Count, g.What))
			}
		}
		if len(groups) > maxDigestLines {
			lines = append(lines, fmt.Sprintf("… and %d more kinds or senders", len(groups)-maxDigestLines))
		}
		see := "the Needs-Review folder"
		if len(rounds) > 0 {
			sort.Strings(rounds)
			var cmds []string
			for _, id := range rounds {
				cmds = append(cmds, "`consultd round "+id+"`")
			}
			see += ", and " + strings.Join(cmds, ", ") + " for a round's history"
		}
		text := fmt.Sprintf("To keep a flood of mail (forged, or from an auto-responder) from becoming a flood of mail from "+
			"consultd, it answers only a few messages an hour per sender, per round and in all. %d more messages like this "+
			"were handled and recorded but not answered in the last hour; nothing was lost. See %s. "+
			"You get at most one such summary an hour.", total, see)
		if err := e.tell(ctx, st, note{kind: digestKind, title: fmt.Sprintf("%d more messages like this were not answered", total),
			text: text, lines: lines}); err != nil {
			return err
		}
		if err := store.MarkDigested(ctx, tx, upTo); err != nil {
			return err
		}
		e.Log.Warn("reaction limits: digest to the coordinators", "not_answered", total, "groups", len(groups))
		return store.RecordReaction(ctx, tx, store.Reaction{At: st.now, Kind: digestKind, Sent: true})
	})
}
