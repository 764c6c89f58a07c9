package automail

import (
	"consultd/internal/mimeparse"
)

// parseRaw parses a raw message the way the daemon does.
func parseRaw(raw []byte) *mimeparse.Message {
	m, err := mimeparse.Parse(raw)
	if err != nil || m == nil {
		return &mimeparse.Message{}
	}
	return m
}
