package round

import "consultd/internal/forward"

// forwardGuesses turns what the forward parser had to guess into lines of
// the coordinators' "round opened" note, with how to correct a wrong guess:
// a round is never opened on a guess nobody was told about.
func forwardGuesses(inv *forward.Invitation, roundID string) []string {
	if len(inv.Uncertain) == 0 {
		return nil
	}
	out := append([]string(nil), inv.Uncertain...)
	return append(out, "if the inviter, subject or text read from your forward is wrong, send CANCEL "+roundID+
		" and forward the invitation again as an attachment, or with lines such as \"Inviter: Name <address>\" and \"Title: …\" above the forwarded part")
}
