package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"consultd/internal/config"
	"consultd/internal/demo"
	"consultd/internal/demo/story"
	"consultd/internal/mailserver"
	"consultd/internal/render"
	"consultd/internal/round"
	"consultd/internal/sender"
	"consultd/internal/store"
	"consultd/internal/testutil"
)

// result is what a user sees after one command.
type result struct {
	code           int
	stdout, stderr string
}

// consultd runs the command line exactly as main does.
func consultd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelpAndUnknownCommand(t *testing.T) {
	r := consultd(t, "", "help")
	if r.code != 0 || !strings.Contains(r.stdout, "consultd check-config --config FILE") || !strings.Contains(r.stdout, "consultd demo") {
		t.Errorf("help: code %d, stdout %q", r.code, r.stdout)
	}
	r = consultd(t, "")
	if r.code != 2 || !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("no arguments: code %d, stderr %q", r.code, r.stderr)
	}
	r = consultd(t, "", "chek-config")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "chek-config"`) {
		t.Errorf("misspelt command: code %d, stderr %q", r.code, r.stderr)
	}
}

func TestFlagsHelpAndMistakes(t *testing.T) {
	for _, cmd := range []string{"run", "check-config", "rounds", "round", "inspect", "demo"} {
		r := consultd(t, "", cmd, "-h")
		if r.code != 0 || !strings.Contains(r.stderr, "usage: consultd "+cmd) {
			t.Errorf("%s -h: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
		r = consultd(t, "", cmd, "--colour")
		if r.code != 2 || !strings.Contains(r.stderr, "-colour") || !strings.Contains(r.stderr, "usage: consultd "+cmd) {
			t.Errorf("%s --colour: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
	}
	r := consultd(t, "", "check-config", "a.yaml", "b.yaml")
	if r.code != 2 || !strings.Contains(r.stderr, `unexpected argument "b.yaml"`) {
		t.Errorf("two files: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestCheckConfig(t *testing.T) {
	t.Run("example.yaml", func(t *testing.T) {
		t.Setenv("CONSULTD_IMAP_PASSWORD", "imap-secret")
		t.Setenv("CONSULTD_SMTP_PASSWORD", "smtp-secret")
		r := consultd(t, "", "check-config", "--config", "../../configs/example.yaml")
		if r.code != 0 || !strings.Contains(r.stdout, "example.yaml: OK (2 coordinators, 4 members)") {
			t.Fatalf("code %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, "secret") {
			t.Error("a password was printed")
		}
	})
	t.Run("example.yaml without its password variables", func(t *testing.T) {
		t.Setenv("CONSULTD_IMAP_PASSWORD", "")
		os.Unsetenv("CONSULTD_IMAP_PASSWORD")
		t.Setenv("CONSULTD_SMTP_PASSWORD", "x")
		r := consultd(t, "", "check-config", "-c", "../../configs/example.yaml")
		if r.code != 1 || !regexp.MustCompile(`example\.yaml:\d+:\d+: .*CONSULTD_IMAP_PASSWORD`).MatchString(r.stderr) {
			t.Errorf("code %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("three errors", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "bad.yaml", `coalition: {name: "Test Coalition", address: coalition@coal.example}
imap: {host: 127.0.0.1, port: 1143, security: none, username: coalition@coal.example, password: x}
smtp: {host: 127.0.0.1, port: 1025, security: none}
database: ./test.db
colour: blue
coordinators:
  - {name: Rania, email: rania-at-coal.example}
members:
  - {id: baytna, name: "Baytna Syria", emails: [info@baytna.example], language: en}
policy:
  consultation_period: 72
`)
		r := consultd(t, "", "check-config", "--config", p)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1; stderr %s", r.code, r.stderr)
		}
		for _, want := range []string{
			p + `:5:1: unknown key "colour"`,
			p + `:7:19: `, // the bad email's value
			p + `:11:24: `,
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		if !strings.Contains(r.stderr, "rania-at-coal.example") || !strings.Contains(r.stderr, `"72"`) {
			t.Errorf("errors do not name the bad values:\n%s", r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("stdout on failure: %q", r.stdout)
		}
	})
	t.Run("missing --config", func(t *testing.T) {
		r := consultd(t, "", "check-config")
		if r.code != 2 || !strings.Contains(r.stderr, "--config FILE is required") {
			t.Errorf("code %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("file does not exist", func(t *testing.T) {
		r := consultd(t, "", "check-config", "--config", filepath.Join(t.TempDir(), "nope.yaml"))
		if r.code != 1 || !strings.Contains(r.stderr, "nope.yaml") || !strings.Contains(r.stderr, "no such file") {
			t.Errorf("code %d, stderr %q", r.code, r.stderr)
		}
	})
}

// muttInline answers inline under the quoted HOW TO ANSWER part, as mutt
// quotes it.
const muttInline = "From: Member <m@x.example>\r\nSubject: Re: [Consultation 2026-01] Meeting\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
	"On Tue, Dec 01, 2026 at 10:04:12AM +0200, Coalition wrote:\r\n> HOW TO ANSWER\r\n" +
	">   ABSTAIN  - your organisation takes no position\r\n\r\nABSTAIN\r\n\r\n> Then, if you wish, add:\r\n>\r\n" +
	">   Concerns:\r\n>   1. ...\r\n\r\n1. Victims' associations were not consulted.\r\n\r\n" +
	">   Sign: yes    (or \"Sign: no\")\r\n\r\nyes\r\n\r\n> You will receive a confirmation.\r\n"

// understanding is the part of inspect's JSON the tests look at.
type understanding struct {
	Kind    string `json:"kind"`
	From    string `json:"from"`
	Inviter *struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"inviter"`
	Subject         string         `json:"subject"`
	Text            string         `json:"text"`
	Position        string         `json:"position"`
	Concerns        []string       `json:"concerns"`
	Recommendations []string       `json:"recommendations"`
	Sign            *bool          `json:"sign"`
	Holding         bool           `json:"holding"`
	Round           string         `json:"round"`
	Member          string         `json:"member"`
	Command         map[string]any `json:"command"`
	Bounce          *struct {
		Recipients []struct {
			Address string `json:"address"`
			Hard    bool   `json:"hard"`
		} `json:"recipients"`
	} `json:"bounce"`
	Notes []string `json:"notes"`
}

func inspect(t *testing.T, stdin string, args ...string) understanding {
	t.Helper()
	r := consultd(t, stdin, append([]string{"inspect"}, args...)...)
	if r.code != 0 {
		t.Fatalf("inspect %v: exit %d\n%s", args, r.code, r.stderr)
	}
	var u understanding
	if err := json.Unmarshal([]byte(r.stdout), &u); err != nil {
		t.Fatalf("inspect printed no JSON: %v\n%s", err, r.stdout)
	}
	return u
}

func readFixture(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A member's Gmail reply, top-posted above the quoted consultation.
const gmailDecline = "From: Baytna Syria <info@baytna.example>\r\n" +
	"To: Test Coalition <coalition@coal.example>\r\n" +
	"Subject: Re: [Consultation 2026-01] Invitation: consultation in Geneva\r\n" +
	"Date: Tue, 24 Nov 2026 14:02:11 +0200\r\n" +
	"Message-ID: <CAGmail-decline-1@mail.gmail.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=\"UTF-8\"\r\n\r\n" +
	"DECLINE\r\nConcerns:\r\n1. x\r\nRecommendations:\r\n1. y\r\nSign: no\r\n\r\n" +
	"On Mon, Nov 23, 2026 at 9:00 AM Test Coalition <coalition@coal.example> wrote:\r\n" +
	"> Dear colleagues at Baytna Syria,\r\n" +
	"> The coalition received an invitation. ACCEPT, DECLINE or ABSTAIN?\r\n" +
	"> Concerns: please list them.\r\n"

func TestInspectMessages(t *testing.T) {
	dir := t.TempDir()
	forward := writeFile(t, dir, "gmail-forward.eml", readFixture(t, "../forward/testdata/gmail_en.eml"))
	reply := writeFile(t, dir, "reply.eml", gmailDecline)
	oof := writeFile(t, dir, "oof.eml", readFixture(t, "../automail/testdata/outlook-oof-en.eml"))
	bounce := writeFile(t, dir, "bounce.eml", readFixture(t, "../automail/testdata/postfix-bounce-511.eml"))

	t.Run("Gmail forward is an invitation", func(t *testing.T) {
		u := inspect(t, "", forward)
		if u.Kind != "invitation" {
			t.Fatalf("kind %q", u.Kind)
		}
		if u.Inviter == nil || u.Inviter.Name != "Office of the Special Envoy" || u.Inviter.Address != "office@envoy.example" {
			t.Errorf("inviter %+v", u.Inviter)
		}
		if u.Subject != "Invitation to a consultation with civil society" {
			t.Errorf("subject %q, want the original subject without Fwd:", u.Subject)
		}
		if !strings.Contains(u.Text, "pleased to invite your") || strings.Contains(u.Text, "Forwarded message") {
			t.Errorf("text is not the invitation's: %q", u.Text)
		}
	})
	t.Run("Gmail decline with quoted history", func(t *testing.T) {
		u := inspect(t, "", reply)
		if u.Kind != "reply" || u.Position != "decline" {
			t.Fatalf("kind %q position %q", u.Kind, u.Position)
		}
		if len(u.Concerns) != 1 || u.Concerns[0] != "x" || len(u.Recommendations) != 1 || u.Recommendations[0] != "y" {
			t.Errorf("concerns %q recommendations %q", u.Concerns, u.Recommendations)
		}
		if u.Sign == nil || *u.Sign {
			t.Errorf("sign %v, want false", u.Sign)
		}
		if strings.Contains(u.Text, "wrote:") || strings.Contains(u.Text, "Dear colleagues") {
			t.Errorf("text keeps the quoted history: %q", u.Text)
		}
	})
	t.Run("Outlook out-of-office", func(t *testing.T) {
		if u := inspect(t, "", oof); u.Kind != "auto_reply" {
			t.Errorf("kind %q", u.Kind)
		}
	})
	t.Run("Postfix DSN bounce", func(t *testing.T) {
		u := inspect(t, "", bounce)
		if u.Kind != "bounce" || u.Bounce == nil || len(u.Bounce.Recipients) != 1 {
			t.Fatalf("kind %q bounce %+v", u.Kind, u.Bounce)
		}
		if rcpt := u.Bounce.Recipients[0]; rcpt.Address != "k.mansour@rights-ngo.example" || !rcpt.Hard {
			t.Errorf("failed recipient %+v", rcpt)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		if u := inspect(t, gmailDecline, "-"); u.Kind != "reply" || u.Position != "decline" {
			t.Errorf("kind %q position %q", u.Kind, u.Position)
		}
	})
	t.Run("mutt inline answer under the quoted Concerns heading", func(t *testing.T) {
		u := inspect(t, muttInline, "-")
		if u.Kind != "reply" || u.Position != "abstain" || u.Sign == nil || !*u.Sign {
			t.Fatalf("kind %q position %q sign %v", u.Kind, u.Position, u.Sign)
		}
		if len(u.Concerns) != 1 || u.Concerns[0] != "Victims' associations were not consulted." {
			t.Errorf("concerns %q, want the line written under the quoted heading", u.Concerns)
		}
	})
	t.Run("holding reply", func(t *testing.T) {
		u := inspect(t, "From: m@x.example\r\nSubject: Re: x\r\n\r\nشكراً، سنعود إليكم بعد التشاور.\r\n", "-")
		if u.Kind != "reply" || u.Position != "" || !u.Holding {
			t.Errorf("kind %q position %q holding %v, want a reply without a position that holds", u.Kind, u.Position, u.Holding)
		}
	})
	t.Run("-c after the file name", func(t *testing.T) {
		cfg := writeConfig(t, t.TempDir())
		u := inspect(t, "", forward, "-c", cfg)
		if u.Kind != "invitation" {
			t.Errorf("kind %q", u.Kind)
		}
		if !strings.Contains(strings.Join(u.Notes, " "), "no database yet") {
			t.Errorf("notes %q do not say that tokens were not looked up", u.Notes)
		}
	})
}

// Every client's forward, English and Arabic, names the envoy's office as
// the inviter; automatic mail is never a reply.
func TestInspectClientShapes(t *testing.T) {
	const envoy = "office@envoy.example"
	cases := []struct {
		file, kind, inviter, subject, bounced string
	}{
		{"../forward/testdata/gmail_ar.eml", "invitation", envoy, "دعوة إلى مشاورة مع المجتمع المدني", ""},
		{"../forward/testdata/gmail_android_ar_html.eml", "invitation", envoy, "دعوة إلى مشاورة مع المجتمع المدني", ""},
		{"../forward/testdata/outlook_desktop_en.eml", "invitation", envoy, "Invitation to a consultation with civil society", ""},
		{"../forward/testdata/outlook_desktop_ar.eml", "invitation", envoy, "دعوة إلى مشاورة مع المجتمع المدني", ""},
		{"../forward/testdata/outlook_web_en.eml", "invitation", envoy, "Invitation to a consultation with civil society", ""},
		{"../forward/testdata/apple_mail_en.eml", "invitation", envoy, "Invitation to a consultation with civil society", ""},
		{"../forward/testdata/apple_mail_ar.eml", "invitation", envoy, "دعوة إلى مشاورة مع المجتمع المدني", ""},
		{"../forward/testdata/thunderbird_en.eml", "invitation", envoy, "Invitation to a consultation with civil society", ""},
		{"../forward/testdata/thunderbird_ar.eml", "invitation", envoy, "دعوة إلى مشاورة مع المجتمع المدني", ""},
		{"../forward/testdata/iphone_en.eml", "invitation", envoy, "Invitation to a consultation with civil society", ""},
		{"../forward/testdata/rfc822_attached.eml", "invitation", envoy, "Invitation to a consultation with civil society", ""},
		{"../automail/testdata/apple-autoreply.eml", "auto_reply", "", "", ""},
		{"../automail/testdata/gmail-vacation-ar.eml", "auto_reply", "", "", ""},
		{"../automail/testdata/gmail-vacation-en.eml", "auto_reply", "", "", ""},
		{"../automail/testdata/outlook-oof-ar.eml", "auto_reply", "", "", ""},
		{"../automail/testdata/exchange-online-ndr.eml", "bounce", "", "", "h.saleh@partner-ngo.org"},
		{"../automail/testdata/gmail-mailbox-full.eml", "bounce", "", "", "rania.organisation@gmail.com"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			u := inspect(t, readFixture(t, c.file), "-")
			if u.Kind != c.kind {
				t.Fatalf("kind %q, want %q", u.Kind, c.kind)
			}
			if c.inviter != "" && (u.Inviter == nil || u.Inviter.Address != c.inviter) {
				t.Errorf("inviter %+v, want %s", u.Inviter, c.inviter)
			}
			if c.subject != "" && u.Subject != c.subject {
				t.Errorf("subject %q, want %q", u.Subject, c.subject)
			}
			if c.bounced != "" && (u.Bounce == nil || len(u.Bounce.Recipients) == 0 || u.Bounce.Recipients[0].Address != c.bounced) {
				t.Errorf("bounce %+v, want %s", u.Bounce, c.bounced)
			}
		})
	}
}

func TestInspectRefusesWhatIsNotMail(t *testing.T) {
	dir := t.TempDir()
	png := string([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1, 0})
	cases := []struct{ name, content, want string }{
		{"plain text notes", "Meeting notes\nbring the concept note\n", "not an email message"},
		{"PNG image", png, "not an email message"},
		{"empty file", "", "empty"},
		{"YAML config given by mistake", readFixture(t, "../../configs/example.yaml"), "not an email message"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "_"), c.content)
			r := consultd(t, "", "inspect", p)
			if r.code != 1 || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
				t.Errorf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
			}
		})
	}
	r := consultd(t, "", "inspect", filepath.Join(dir, "missing.eml"))
	if r.code != 1 || !strings.Contains(r.stderr, "missing.eml") {
		t.Errorf("missing file: exit %d, stderr %q", r.code, r.stderr)
	}
	r = consultd(t, "", "inspect")
	if r.code != 2 || !strings.Contains(r.stderr, "usage: consultd inspect") {
		t.Errorf("no file: exit %d, stderr %q", r.code, r.stderr)
	}
}

const testConfig = `
coalition: {name: "Test Coalition", address: coalition@coal.example}
imap: {host: 127.0.0.1, port: IMAPPORT, security: none, username: coalition@coal.example, password: PASSWORD}
smtp: {host: 127.0.0.1, port: SMTPPORT, security: none, username: coalition@coal.example, password: PASSWORD}
database: ./test.db
publish_dir: ./published
coordinators:
  - {name: Rania, email: rania@coal.example}
members:
  - {id: baytna, name: "Baytna Syria", emails: [info@baytna.example], language: en}
  - {id: sjac, name: "Syria Justice and Accountability Center (SJAC)", emails: [info@sjac.example], language: en}
  - {id: kawakibi, name: "AlKawakbi Center", emails: [info@kawakibi.example], language: ar}
`

const testPassword = "hunter2-imap-Secret"

// writeConfig writes a valid configuration into dir; its mail servers are on
// ports nothing listens on.
func writeConfig(t *testing.T, dir string) string {
	t.Helper()
	port := closedPort(t)
	y := strings.NewReplacer("IMAPPORT", port, "SMTPPORT", port, "PASSWORD", testPassword).Replace(testConfig)
	return writeFile(t, dir, "consultd.yaml", y)
}

// closedPort returns a loopback port that was just free: connecting to it is refused.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

// consultation is one member's consultation mail as the round engine queued it.
type consultation struct {
	to, replyTo, messageID, subject string
}

// deliver hands one message to the round engine, as the daemon does when it
// arrives in the mailbox, and closes the database again.
func deliver(t *testing.T, cfgPath string, uid uint32, raw []byte) store.Disposition {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rd, err := render.New("")
	if err != nil {
		t.Fatal(err)
	}
	e := round.New(cfg, st, rd, slog.New(slog.NewTextHandler(io.Discard, nil)))
	d, err := e.Handle(ctx, round.Incoming{Raw: raw, Mailbox: "INBOX", UIDValidity: 1, UID: uid})
	if err != nil {
		t.Fatalf("handle: %v", err)
	}
	return d
}

// openRound builds a database holding one round opened the way the daemon
// opens it: the round engine handles the coordinator's Gmail forward.
func openRound(t *testing.T, cfgPath string) (roundID string, cons map[string]consultation) {
	t.Helper()
	fwd := story.Forward("Rania", "rania@coal.example", "coalition@coal.example", time.Now().UTC())
	if d := deliver(t, cfgPath, 1, fwd); d != store.Processed {
		t.Fatalf("forward: disposition %v", d)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Nothing authenticates the forward: Rania confirms it, as she would.
	if err := confirmFromOutbox(t, st, func(raw []byte) { deliver(t, cfgPath, 1000, raw) }); err != nil {
		t.Fatal(err)
	}
	rounds, err := store.ListRounds(ctx, st.DB())
	if err != nil || len(rounds) != 1 {
		t.Fatalf("rounds %v err %v", rounds, err)
	}
	rows, err := store.OutboxByRound(ctx, st.DB(), rounds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	cons = map[string]consultation{}
	for _, row := range rows {
		if row.Kind != "consultation" {
			continue
		}
		var m sender.Mail
		if err := json.Unmarshal(row.Payload, &m); err != nil {
			t.Fatal(err)
		}
		for _, a := range m.To {
			cons[a.Addr] = consultation{to: a.Addr, replyTo: m.ReplyTo.Addr, messageID: m.MessageID, subject: m.Subject}
		}
	}
	if len(cons) != 3 {
		t.Fatalf("want 3 consultations, got %d", len(cons))
	}
	return rounds[0].ID, cons
}

// replyTo is a member's Gmail reply to its consultation: to the Reply-To
// plus address, threaded to the consultation.
func replyTo(c consultation, from, text string) string {
	return "From: Member <" + from + ">\r\n" +
		"To: <" + c.replyTo + ">\r\n" +
		"Subject: Re: " + c.subject + "\r\n" +
		"Date: Tue, 24 Nov 2026 14:02:11 +0200\r\n" +
		"Message-ID: <CAGmail-" + from + "@mail.gmail.com>\r\n" +
		"In-Reply-To: <" + c.messageID + ">\r\n" +
		"References: <" + c.messageID + ">\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n" +
		strings.ReplaceAll(text, "\n", "\r\n") +
		"\r\n\r\nOn Mon, Nov 23, 2026 at 9:00 AM Test Coalition <" + c.replyTo + "> wrote:\r\n> Dear colleagues,\r\n> ACCEPT, DECLINE or ABSTAIN?\r\n"
}

func TestWithADatabase(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	id, cons := openRound(t, cfg)

	t.Run("inspect a member's reply names the round and member", func(t *testing.T) {
		p := writeFile(t, dir, "reply.eml", replyTo(cons["info@sjac.example"], "info@sjac.example",
			"DECLINE\nConcerns:\n1. x\nRecommendations:\n1. y\nSign: no"))
		u := inspect(t, "", "--config", cfg, p)
		if u.Kind != "reply" || u.Round != id || u.Member != "sjac" || u.Position != "decline" {
			t.Errorf("kind %q round %q (want %s) member %q position %q", u.Kind, u.Round, id, u.Member, u.Position)
		}
	})
	t.Run("inspect a reply from a member address without a token", func(t *testing.T) {
		u := inspect(t, gmailDecline, "--config", cfg, "-")
		if u.Round != "" || u.Member != "baytna" || !strings.Contains(strings.Join(u.Notes, " "), "token") {
			t.Errorf("round %q member %q notes %q", u.Round, u.Member, u.Notes)
		}
	})
	t.Run("inspect STATUS from a coordinator", func(t *testing.T) {
		msg := "From: Rania <rania@coal.example>\r\nTo: coalition@coal.example\r\nSubject: STATUS " + id +
			"\r\nDate: Tue, 24 Nov 2026 08:00:00 +0000\r\nMessage-ID: <status-1@mail.gmail.com>\r\n\r\n\r\n"
		u := inspect(t, msg, "--config", cfg, "-")
		// Key names are the round package's; the user reads the values.
		vals := fmt.Sprint(u.Command)
		if u.Kind != "command" || !strings.Contains(vals, "STATUS") || !strings.Contains(vals, id) {
			t.Fatalf("kind %q command %v, want STATUS %s", u.Kind, u.Command, id)
		}
	})
	t.Run("inspect STATUS from someone else", func(t *testing.T) {
		msg := "From: Someone <someone@elsewhere.example>\r\nTo: coalition@coal.example\r\nSubject: STATUS " + id +
			"\r\nDate: Tue, 24 Nov 2026 08:00:00 +0000\r\nMessage-ID: <status-2@mail.example>\r\n\r\n\r\n"
		if u := inspect(t, msg, "--config", cfg, "-"); u.Kind == "command" {
			t.Errorf("a stranger's STATUS is read as a command")
		}
	})

	t.Run("rounds lists the round", func(t *testing.T) {
		r := consultd(t, "", "rounds", "--config", cfg)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(id) + `\s+open\s+0/3\s`).MatchString(r.stdout) {
			t.Errorf("listing lacks %q open 0/3:\n%s", id, r.stdout)
		}
	})
	t.Run("round ID shows members, outbox and history", func(t *testing.T) {
		r := consultd(t, "", "round", id, "--config", cfg)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		for _, want := range []string{"Round " + id, "Members:", "baytna", "sjac", "kawakibi", "info@kawakibi.example",
			"Outbox:", "consultation", "History:", "Office of the UN Special Envoy"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("round %s output lacks %q:\n%s", id, want, r.stdout)
			}
		}
	})
	t.Run("an answer shows in rounds and round", func(t *testing.T) {
		raw := replyTo(cons["info@baytna.example"], "info@baytna.example",
			"Decline.\nConcerns:\n1. The agenda was set without us.\nRecommendations:\n1. Consult members on topics.\nSign: yes")
		if d := deliver(t, cfg, 2, []byte(raw)); d != store.Processed {
			t.Fatalf("reply went to %v", d)
		}
		r := consultd(t, "", "rounds", "-c", cfg)
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(id) + `\s+open\s+1/3\s`).MatchString(r.stdout) {
			t.Errorf("listing does not count the answer:\n%s", r.stdout)
		}
		r = consultd(t, "", "round", "-c", cfg, id)
		if !regexp.MustCompile(`(?m)^\s+baytna\s+decline\s+yes\s+1\s+1\s`).MatchString(r.stdout) {
			t.Errorf("round does not show baytna's answer:\n%s", r.stdout)
		}
		if !regexp.MustCompile(`(?m)^\s+kawakibi\s+-\s+-\s+0\s+0\s+-\s`).MatchString(r.stdout) {
			t.Errorf("round does not show kawakibi as not answered:\n%s", r.stdout)
		}
		if !strings.Contains(r.stdout, "receipt") {
			t.Errorf("outbox lacks the receipt to baytna:\n%s", r.stdout)
		}
	})
	t.Run("round with an unknown id", func(t *testing.T) {
		r := consultd(t, "", "round", "--config", cfg, "2019-99")
		if r.code != 1 || !strings.Contains(r.stderr, `no round "2019-99"`) || r.stdout != "" {
			t.Errorf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("round without an id", func(t *testing.T) {
		r := consultd(t, "", "round", "--config", cfg)
		if r.code != 2 || !strings.Contains(r.stderr, "usage: consultd round") {
			t.Errorf("exit %d stderr %q", r.code, r.stderr)
		}
	})
	t.Run("rounds without --config", func(t *testing.T) {
		r := consultd(t, "", "rounds")
		if r.code != 2 || !strings.Contains(r.stderr, "--config FILE is required") {
			t.Errorf("exit %d stderr %q", r.code, r.stderr)
		}
	})
}

func TestRoundsBeforeAnyRun(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	r := consultd(t, "", "rounds", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "no rounds yet") {
		t.Errorf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "test.db")); err == nil {
		t.Error("rounds created a database")
	}
	r = consultd(t, "", "round", "--config", cfg, "2026-01")
	if r.code != 1 || !strings.Contains(r.stderr, "no database yet") {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
}

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo plays the whole story on built-in servers")
	}
	dir := filepath.Join(t.TempDir(), "kept") // --dir creates a folder that does not exist yet
	r := consultd(t, "", "demo", "--dir", dir)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"Please confirm: open a round for", "replies CONFIRM", "Round opened",
		"– Baytna Syria", "– Syria Justice and Accountability Center (SJAC)", "– Violations Documentation Center (VDC)",
		"– AlKawakbi Center For Transitional Justice and Human Rights", "Published for the website"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	pub, _ := filepath.Glob(filepath.Join(dir, "*", "*.md"))
	if len(pub) == 0 {
		t.Errorf("--dir %s holds no published statement", dir)
	}
}

func TestRunKeepsGoingWhenTheMailServerIsDown(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testutil.LogBuffer
	done := make(chan int, 1)
	go func() { done <- runContext(ctx, []string{"--config", cfg}, strings.NewReader(""), &stdout, &stderr) }()

	logged := testutil.WaitFor(10*time.Second, func() bool {
		select {
		case code := <-done:
			t.Fatalf("run stopped by itself with exit %d while the server was down:\n%s", code, stderr.String())
		default:
		}
		return strings.Contains(stderr.String(), "connection refused")
	})
	if !logged {
		t.Fatalf("no connection failure logged within 10s:\n%s", stderr.String())
	}
	// The failure line itself must say which server (the start-up line names it too).
	var failure string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, "connection refused") {
			failure = l
			break
		}
	}
	if !strings.Contains(failure, "imap") || !strings.Contains(failure, "127.0.0.1:") {
		t.Errorf("the failure does not say which server: %s", failure)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after stop, want 0:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop within 15s of the stop")
	}
	if log := stderr.String(); strings.Contains(log, testPassword) {
		t.Errorf("the password is in the log:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(dir, "test.db")); err != nil {
		t.Errorf("run created no database next to its config: %v", err)
	}
}

func TestRunUsageErrors(t *testing.T) {
	r := consultd(t, "", "run")
	if r.code != 2 || !strings.Contains(r.stderr, "--config FILE is required") {
		t.Errorf("no --config: exit %d stderr %q", r.code, r.stderr)
	}
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "coalition: {name: X}\n")
	r = consultd(t, "", "run", "--config", bad)
	if r.code != 1 || !strings.Contains(r.stderr, bad+":") {
		t.Errorf("invalid config: exit %d stderr %q", r.code, r.stderr)
	}
}

// FuzzInspect: whatever arrives on stdin, inspect answers with JSON (exit 0)
// or a one-line refusal (exit 1), never a panic or a usage error.
func FuzzInspect(f *testing.F) {
	for _, glob := range []string{"../forward/testdata/*.eml", "../automail/testdata/*.eml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(gmailDecline))
	f.Add([]byte("Subject: STATUS 2026-01\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var out, errb bytes.Buffer
		code := Main([]string{"inspect", "-"}, bytes.NewReader(raw), &out, &errb)
		switch code {
		case 0:
			if !json.Valid(out.Bytes()) {
				t.Fatalf("exit 0 without valid JSON: %q", out.String())
			}
		case 1:
			if errb.Len() == 0 || out.Len() != 0 {
				t.Fatalf("exit 1: stdout %q stderr %q", out.String(), errb.String())
			}
		default:
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	})
}

// startRun runs `consultd run --config cfg` until the returned stop is called;
// stop returns the exit code.
func startRun(t *testing.T, cfg string, log *testutil.LogBuffer) (stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- runContext(ctx, []string{"--config", cfg}, strings.NewReader(""), io.Discard, log) }()
	var code *int
	stop = func() int {
		if code != nil {
			return *code
		}
		cancel()
		select {
		case c := <-done:
			code = &c
			return c
		case <-time.After(15 * time.Second):
			t.Fatal("run did not stop within 15s")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitLog waits until the log contains want, failing after 10s.
func waitLog(t *testing.T, log *testutil.LogBuffer, want string) {
	t.Helper()
	if !testutil.WaitFor(10*time.Second, func() bool { return log.Contains(want) }) {
		t.Fatalf("log lacks %q after 10s:\n%s", want, log.String())
	}
}

// serverConfig points a configuration at the built-in mail servers.
func serverConfig(t *testing.T, dir string, srv *mailserver.Server, password string) string {
	t.Helper()
	_, iport, _ := net.SplitHostPort(srv.IMAPAddr())
	_, sport, _ := net.SplitHostPort(srv.SMTPAddr())
	y := strings.NewReplacer("port: IMAPPORT", "port: "+iport, "port: SMTPPORT", "port: "+sport, "PASSWORD", password).Replace(testConfig)
	return writeFile(t, dir, "consultd.yaml", y)
}

func TestRunWithAWrongPassword(t *testing.T) {
	srv, err := mailserver.Start(mailserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.AddUser("coalition@coal.example", "the-right-one"); err != nil {
		t.Fatal(err)
	}
	cfg := serverConfig(t, t.TempDir(), srv, testPassword)
	var log testutil.LogBuffer
	stop := startRun(t, cfg, &log)
	waitLog(t, &log, "level=ERROR")
	if code := stop(); code != 0 {
		t.Errorf("exit %d after stop, want 0", code)
	}
	out := log.String()
	if !strings.Contains(out, "login") || !strings.Contains(out, "Authentication failed") {
		t.Errorf("the log does not say the login failed:\n%s", out)
	}
	if strings.Contains(out, testPassword) {
		t.Errorf("the password is in the log:\n%s", out)
	}
}

func TestRunOpensARound(t *testing.T) {
	srv, err := mailserver.Start(mailserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, a := range []string{"coalition@coal.example", "rania@coal.example", "info@baytna.example", "info@sjac.example", "info@kawakibi.example"} {
		if err := srv.AddUser(a, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	cfg := serverConfig(t, t.TempDir(), srv, testPassword)
	var log testutil.LogBuffer
	stop := startRun(t, cfg, &log)
	fwd := story.Forward("Rania", "rania@coal.example", "coalition@coal.example", time.Now().UTC())
	if err := srv.Deliver("coalition@coal.example", fwd); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Nothing authenticates the forward, so Rania is asked to confirm it
	// and replies CONFIRM.
	reqs, err := srv.WaitMessages(ctx, "rania@coal.example", "INBOX", 1)
	if err != nil {
		t.Fatalf("no confirmation request reached the coordinator: %v\n%s", err, log.String())
	}
	if err := srv.Deliver("coalition@coal.example", story.ConfirmReply(demo.ParseConsultation(reqs[0]), "Rania", "rania@coal.example", time.Now())); err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.WaitMessages(ctx, "info@kawakibi.example", "INBOX", 1)
	if err != nil {
		t.Fatalf("no consultation reached a member: %v\n%s", err, log.String())
	}
	if !strings.Contains(string(msgs[0]), "Consultation") {
		t.Errorf("kawakibi received:\n%s", msgs[0])
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d after stop, want 0:\n%s", code, log.String())
	}
	r := consultd(t, "", "rounds", "--config", cfg)
	if r.code != 0 || !regexp.MustCompile(`(?m)\sopen\s+0/3\s`).MatchString(r.stdout) {
		t.Errorf("rounds after run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(log.String(), testPassword) {
		t.Error("the password is in the log")
	}
}

// confirmFromOutbox finds the one confirmation request queued and hands
// the coordinator's CONFIRM reply to it to deliver.
func confirmFromOutbox(t *testing.T, st *store.Store, deliver func([]byte)) error {
	t.Helper()
	rows, err := store.DueOutbox(context.Background(), st.DB(), time.Now().Add(1000*time.Hour), 1000)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Kind != "confirmation" {
			continue
		}
		var m sender.Mail
		if err := json.Unmarshal(r.Payload, &m); err != nil {
			return err
		}
		c := story.Consultation{MessageID: m.MessageID, Subject: m.Subject, Body: m.Text, Date: m.Date, ReplyTo: m.ReplyTo.Addr}
		deliver(story.ConfirmReply(c, "Rania", m.To[0].Addr, time.Now()))
		return nil
	}
	return fmt.Errorf("no confirmation request in the outbox")
}

func TestRoundsListsAForwardAwaitingConfirmation(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	fwd := story.Forward("Rania", "rania@coal.example", "coalition@coal.example", time.Now().UTC())
	if d := deliver(t, cfg, 1, fwd); d != store.Processed {
		t.Fatalf("forward: disposition %v", d)
	}
	r := consultd(t, "", "rounds", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "forward by rania@coal.example: open a consultation round") ||
		!strings.Contains(r.stdout, "awaiting confirmation until") || !strings.Contains(r.stdout, "no rounds yet") {
		t.Fatalf("exit %d, stdout:\n%s", r.code, r.stdout)
	}
}

// TestRoundOfALargeRoundCountsTheOutbox: `consultd round` on a round with
// thousands of outgoing messages prints them counted by kind and state and
// lists only those not delivered yet; --outbox lists every one.
func TestRoundOfALargeRoundCountsTheOutbox(t *testing.T) {
	cfg := writeConfig(t, t.TempDir())
	id, _ := openRound(t, cfg)
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, c.Database)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = st.Tx(ctx, func(tx *sql.Tx) error {
		for i := range 100 {
			m := store.Mail{MessageID: fmt.Sprintf("rem-%d@coal.example", i), Subject: fmt.Sprintf("Reminder number %d", i),
				To: []store.MailAddress{{Addr: fmt.Sprintf("m%d@member.example", i)}}}
			payload, err := m.Encode()
			if err != nil {
				return err
			}
			if err := store.Enqueue(ctx, tx, &store.OutboxRow{MessageID: m.MessageID, RoundID: id, Kind: store.MailReminder,
				Recipients: []string{m.To[0].Addr}, Payload: payload, DueAt: now, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = store.OutboxOfRound(ctx, st.DB(), id, false, func(o *store.OutboxRow) error {
		switch {
		case o.MessageID == "rem-7@coal.example":
			return store.MarkFailed(ctx, st.DB(), o.ID, "550 5.1.1 no such user")
		case o.MessageID == "rem-9@coal.example":
			return nil // still pending
		}
		return store.MarkSent(ctx, st.DB(), o.ID, now, sender.ProofSMTP, "")
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	r := consultd(t, "", "round", "--config", cfg, id)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`(?m)^\s+reminder\s+98 sent, 1 failed, 1 pending$|^\s+reminder\s+98 sent, 1 pending, 1 failed$`).MatchString(r.stdout) {
		t.Errorf("the outbox is not counted by kind and state:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "Reminder number 7") || !strings.Contains(r.stdout, "550 5.1.1 no such user") || !strings.Contains(r.stdout, "Reminder number 9") {
		t.Errorf("the messages not delivered are not listed:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "Reminder number 8\t") || strings.Contains(r.stdout, "Reminder number 8 ") {
		t.Errorf("a delivered message is listed without --outbox:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "consultd round --outbox "+id) {
		t.Errorf("the output does not say how to list every message:\n%s", r.stdout)
	}
	r = consultd(t, "", "round", "--outbox", "--config", cfg, id)
	if r.code != 0 || !strings.Contains(r.stdout, "Reminder number 8 ") || !strings.Contains(r.stdout, "Reminder number 99 ") {
		t.Errorf("--outbox does not list every message (exit %d):\n%s", r.code, r.stdout)
	}
}
