package classify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"consultd/internal/config"
	"consultd/internal/mimeparse"
	"consultd/internal/store"
)

const cfgYAML = `
coalition: {name: "Test Coalition", address: coalition@coal.example}
imap: {host: 127.0.0.1, port: 1143, security: none, username: coalition@coal.example, password: x}
smtp: {host: 127.0.0.1, port: 1025, security: none}
database: ./test.db
coordinators:
  - {name: Rania, email: rania@coal.example}
members:
  - {id: baytna, name: "Baytna Syria", emails: [info@baytna.example], language: en}
authentication: {authserv_id: mx.coal.example}
policy: {coordinator_confirmation: CONFIRMATION}
`

func loadConfig(t *testing.T, confirmation string) *config.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(strings.Replace(cfgYAML, "CONFIRMATION", confirmation, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fakeTokens knows one member token and one confirmation token.
type fakeTokens struct{}

const brokenTok = "dddddddddddddddddddddddddd" // its lookup fails: the database is gone

const memberTok, pendingTok, staleTok = "aaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccccccccc"

func (fakeTokens) ParticipantByToken(_ context.Context, tok string) (*store.Participant, error) {
	if tok == brokenTok {
		return nil, errors.New("sql: database is closed")
	}
	if tok == memberTok {
		return &store.Participant{RoundID: "2026-01", MemberID: "baytna"}, nil
	}
	return nil, store.ErrNotFound
}

func (fakeTokens) PendingByToken(_ context.Context, tok string) (*store.Pending, error) {
	if tok == pendingTok {
		return &store.Pending{Token: tok}, nil
	}
	return nil, store.ErrNotFound
}

func msg(t *testing.T, headers, body string) *mimeparse.Message {
	t.Helper()
	raw := strings.ReplaceAll(headers, "\n", "\r\n") + "Message-ID: <x@y>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
	m, err := mimeparse.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const pass = "Authentication-Results: mx.coal.example; dkim=pass header.d=coal.example; dmarc=pass header.from=coal.example\n"
const fail = "Authentication-Results: mx.coal.example; dmarc=fail header.from=coal.example\n"

func TestWhatAMessageIs(t *testing.T) {
	cases := []struct {
		name, confirmation, headers, body string
		want                              Class
		confirm                           bool
	}{
		{"our own copy", "never", "From: coalition@coal.example\nTo: info@baytna.example\n", "x", Own, false},
		{"an answer by plus address", "never", "From: info@baytna.example\nTo: coalition+" + memberTok + "@coal.example\n", "ACCEPT", Reply, false},
		{"an answer from another address keeps its token", "never", "From: someone@else.example\nTo: coalition+" + memberTok + "@coal.example\n", "ACCEPT", Reply, false},
		{"an out-of-office with a token is not an answer", "never", "From: info@baytna.example\nTo: coalition+" + memberTok + "@coal.example\nAuto-Submitted: auto-replied\nSubject: Out of office\n", "Away", AutoReply, false},
		{"a member without a token", "never", "From: info@baytna.example\nTo: coalition@coal.example\n", "ACCEPT", Member, false},
		{"a stranger", "never", "From: x@stranger.example\nTo: coalition@coal.example\n", "ACCEPT", Unknown, false},
		{"a stranger's CONFIRM with a stale token", "never", "From: x@stranger.example\nTo: coalition+" + staleTok + "@coal.example\n", "CONFIRM", Confirm, false},
		{"a CONFIRM with a pending token", "when_unauthenticated", "From: rania@coal.example\nTo: coalition+" + pendingTok + "@coal.example\n", "CONFIRM", Confirm, false},
		{"a proven coordinator's forward", "when_unauthenticated", pass + "From: rania@coal.example\nTo: coalition@coal.example\nSubject: Fwd: Invitation\n", "see below", Coordinator, false},
		{"an unproven coordinator's forward is confirmed first", "when_unauthenticated", "From: rania@coal.example\nTo: coalition@coal.example\nSubject: Fwd: Invitation\n", "see below", Coordinator, true},
		{"a forged coordinator's forward", "when_unauthenticated", fail + "From: rania@coal.example\nTo: coalition@coal.example\nSubject: Fwd: Invitation\n", "see below", Unverified, false},
		{"STATUS needs no proof", "when_unauthenticated", "From: rania@coal.example\nTo: coalition@coal.example\nSubject: STATUS 2026-01\n", "", Command, false},
		{"an unproven CANCEL is confirmed first", "when_unauthenticated", "From: rania@coal.example\nTo: coalition@coal.example\nSubject: CANCEL 2026-01\n", "", Command, true},
		{"an unproven CANCEL with confirmations off is refused", "never", "From: rania@coal.example\nTo: coalition@coal.example\nSubject: CANCEL 2026-01\n", "", Unverified, false},
	}
	for _, c := range cases {
		cfg := loadConfig(t, c.confirmation)
		got, err := Message(context.Background(), cfg, fakeTokens{}, msg(t, c.headers, c.body))
		if err != nil {
			t.Fatal(err)
		}
		if got.Class != c.want || got.Confirm != c.confirm {
			t.Errorf("%s: %v (confirm %v, why %q), want %v (confirm %v)", c.name, got.Class, got.Confirm, got.Why, c.want, c.confirm)
		}
	}
}

func TestWithoutATokenLookupNoTokenCounts(t *testing.T) {
	cfg := loadConfig(t, "never")
	got, err := Message(context.Background(), cfg, nil, msg(t, "From: info@baytna.example\nTo: coalition+"+memberTok+"@coal.example\n", "ACCEPT"))
	if err != nil || got.Class != Member {
		t.Fatalf("%v, %v; want a member's mail not counted", got.Class, err)
	}
}

// TestAFailedTokenLookupIsAnErrorNotAStranger: when the store cannot be read,
// a member's answer is not classified at all (the watcher leaves it in the
// inbox and tries again), rather than taken for mail without a token.
func TestAFailedTokenLookupIsAnErrorNotAStranger(t *testing.T) {
	cfg := loadConfig(t, "never")
	_, err := Message(context.Background(), cfg, fakeTokens{}, msg(t, "From: info@baytna.example\nTo: coalition+"+brokenTok+"@coal.example\n", "ACCEPT"))
	if err == nil || !strings.Contains(err.Error(), "database is closed") {
		t.Fatalf("err = %v, want the store's error", err)
	}
}
