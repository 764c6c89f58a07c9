// Package answer understands a member's reply text (already trimmed by package
// reply): the position (accept / decline / abstain, negation-aware), the
// Concerns and Recommendations sections, and the sign-on, in English and Arabic,
// with other languages added as vocabulary in the configuration.
package answer

import "consultd/internal/mimeparse"

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

// Vocabulary is the words of one language. The built-in English and Arabic
// vocabularies can be extended from the configuration without code.
type Vocabulary struct {
	Language        string
	Accept          []string // e.g. "accept", "we will attend", "نوافق"
	Decline         []string // e.g. "decline", "نعتذر"
	Abstain         []string // e.g. "abstain", "نمتنع"
	Negations       []string // words that turn an accept into a decline: "cannot", "not", "عدم", "لا"
	Concerns        []string // section headings: "Concerns", "المخاوف"
	Recommendations []string // section headings: "Recommendations", "التوصيات"
	Sign            []string // "Sign", "التوقيع"
	Yes             []string
	No              []string
}

// Reader understands replies with the built-in vocabularies plus extra ones.
type Reader struct {
	vocab []Vocabulary
}

// NewReader returns a Reader with English, Arabic and the given vocabularies.
func NewReader(extra ...Vocabulary) *Reader {
	return &Reader{vocab: extra}
}

// Parse reads an already-trimmed reply text.
func (r *Reader) Parse(text string) Answer { return Answer{Text: text} }

// Read picks the body of a reply message (the plain part, or the HTML converted
// without its quoted history), trims it with package reply and parses it.
func (r *Reader) Read(m *mimeparse.Message) Answer { return r.Parse(m.Text) }
