package mimeparse

// Parse reads a raw message. It returns an error only when nothing usable could
// be read at all; otherwise problems are recorded in Message.Warnings.
func Parse(raw []byte) (*Message, error) {
	panic("not implemented")
}

func decodeHeader(s string) string { return s }
