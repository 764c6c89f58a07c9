// Package answer understands a member's reply text (already trimmed by package
// reply): the position (accept / decline / abstain, negation-aware), the
// Concerns and Recommendations sections, and the sign-on, in English and Arabic,
// with other languages added as vocabulary in the configuration.
package answer

// Position is a member's answer to the invitation.
type Position string

const (
	None    Position = ""
	Accept  Position = "accept"
	Decline Position = "decline"
	Abstain Position = "abstain"
)

// Answer is what a reply says.
type Answer struct {
	Position        Position `json:"position"`
	Concerns        []string `json:"concerns"`
	Recommendations []string `json:"recommendations"`
	Sign            *bool    `json:"sign"` // nil when the reply does not say
	Text            string   `json:"text"` // the trimmed text that was read
}
