package itest

import (
	"bufio"
	"bytes"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"consultd/internal/command"
	"consultd/internal/demo"
	"consultd/internal/demo/story"
	"consultd/internal/inert"
	"consultd/internal/mailstack"
	"consultd/internal/mdcheck"
	"consultd/internal/mimeparse"
)

// hostilePoints are what the members write as concerns and recommendations:
// each must reach the statement, the published page and the mail as text.
var hostilePoints = map[string][]string{
	"m1": {
		"The agenda is [decided elsewhere](javascript:alert(1)) every time.",
		"Our input was ignored: <script>alert(2)</script> and <img src=x onerror=alert(3)>.",
		"Read [the report][r] before the meeting.",
	},
	"m2": {
		"Invitations arrive late &#106;avascript:alert(4) and <javascript:alert(5)> too.",
		"Publish \u202Etxt.exe\u202C the minutes | within | a week |.",
	},
	"m3": {
		"إشراك النساء في [كل](javascript:alert(6)) المراحل.",
		"Agendas ~~must~~ be *shared* `early` with __all__ of us.",
	},
}

// TestAbuseInjectionThroughEveryMemberField: an inviter's name and subject
// carrying RFC 2047 encoded line breaks and a bidi override, organisation
// names and members' points carrying Markdown, HTML and header injection. The
// round closes; the statement in the inviter's real mailbox, the mail to the
// members and the published .md and .html must all be inert, and the whole
// consultd log must hold neither the IMAP password nor any member's token.
func TestAbuseInjectionThroughEveryMemberField(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{
		"Amal [NGO](javascript:alert(7)) <b>bold</b>",
		"Nour \u202Eevil\u202C Foundation",
		"منظمة *النور* | للحقوق",
	}, []string{"en", "en", "ar"}, "")
	evil := "evil@" + w.prefix + ".evil.test"
	ms.AddUser(t, evil, pass)
	w.trustCoordinator() // proven by the server's header: this test is about members
	w.Start()

	// The forward, with the original attached: the inviter's display name
	// and the subject hide a line break and a header in encoded words.
	inviterName := "=?utf-8?q?Office_of_the_Envoy=0D=0ABcc:_" + strings.Replace(evil, "@", "=40", 1) + "?="
	subject := "=?utf-8?q?Geneva_talks=0D=0AX-Evil:_1?= =?utf-8?q?_=E2=80=AEgnp.exe_[x](javascript:alert(8))?="
	sent := time.Now()
	inner := "From: " + inviterName + " <" + w.inviter + ">\r\nTo: <" + w.coord + ">\r\nSubject: " + subject +
		"\r\nDate: " + sent.Add(-26*time.Hour).Format(time.RFC1123Z) + "\r\nMessage-ID: <abuse-invite-" + w.prefix +
		"@envoy.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		strings.ReplaceAll(story.InvitationBody(sent.Add(-26*time.Hour)), "\n", "\r\n") + "\r\n"
	fwd := "From: Rania <" + w.coord + ">\r\nTo: <" + w.coalition + ">\r\nSubject: FW: Geneva talks\r\nDate: " +
		sent.Format(time.RFC1123Z) + "\r\nMessage-ID: <abuse-fwd-" + w.prefix + "@outlook.test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nDeadline: " +
		sent.Add(72*time.Hour).UTC().Format("2006-01-02 15:04 -07:00") + "\r\n\r\nPlease see the attached invitation.\r\n\r\n" +
		"--b1\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "\r\n--b1--\r\n"
	w.send(w.coord, []string{w.coalition}, w.vouch([]byte(fwd)))
	w.inbox(w.coord, "INBOX", "Round opened", 1)
	roundID := w.rounds()[0].ID

	// Every consultation arrives with its headers intact.
	for _, m := range w.members {
		raw := rawOf(t, w, m.emails[0])
		checkHeaders(t, "consultation to "+m.id, raw)
		c := demo.ParseConsultation(raw)

		// The member answers with an encoded line break in its display name
		// and subject, and markup in every point.
		pts := hostilePoints[m.id]
		body := "DECLINE\n\nConcerns:\n1. " + pts[0] + "\n"
		if len(pts) > 2 {
			body += "2. " + pts[1] + "\n\nRecommendations:\n1. " + pts[2] + "\n"
		} else {
			body += "\nRecommendations:\n1. " + pts[1] + "\n"
		}
		body += "\n[r]: javascript:alert(9)\n\nSign: yes\n"
		reply := "From: =?utf-8?q?" + m.id + "=0D=0ABcc:_" + strings.Replace(evil, "@", "=40", 1) + "?= <" + m.emails[0] + ">\r\n" +
			"To: <" + c.ReplyTo + ">\r\nSubject: Re: " + c.Subject + " =?utf-8?q?=0D=0AX-Evil:_2?=\r\n" +
			"Date: " + time.Now().Format(time.RFC1123Z) + "\r\nMessage-ID: <abuse-" + m.id + "-" + w.prefix + "@mail.test>\r\n" +
			"In-Reply-To: <" + c.MessageID + ">\r\nReferences: <" + c.MessageID + ">\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
			strings.ReplaceAll(body, "\n", "\r\n")
		w.send(m.emails[0], []string{c.ReplyTo}, []byte(reply))
	}

	// Everyone answered: the round closes. An Arabic point in the English
	// statement sends the draft to the coordinator first; she sends it as it
	// is (APPROVE above the text between the markers), vouched for.
	d := w.inbox(w.coord, "INBOX", "Draft statement for approval", 1)[0]
	_, rest, _ := strings.Cut(d.Text, command.BeginMarker+"\n")
	text, _, _ := strings.Cut(rest, "\n"+command.EndMarker)
	approve := "From: Rania <" + w.coord + ">\r\nTo: <" + w.coalition + ">\r\nSubject: Re: draft\r\nMessage-ID: <abuse-approve-" + w.prefix +
		"@outlook.test>\r\nIn-Reply-To: <" + d.MessageID + ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + strings.ReplaceAll("APPROVE\n\n"+command.BeginMarker+"\n"+text+"\n"+command.EndMarker+"\n", "\n", "\r\n")
	w.send(w.coord, []string{w.coalition}, w.vouch([]byte(approve)))
	stmt := w.inbox(w.inviter, "INBOX", "Geneva talks", 1)[0]
	w.waitFor("the published statement", func() bool {
		_, err := os.Stat(filepath.Join(w.dir, "published", roundID+".html"))
		return err == nil
	})
	users := []string{w.inviter, w.coord, evil}
	for _, m := range w.members {
		users = append(users, m.emails[0])
	}
	w.settle(roundID, users...)

	// Each point was understood as the member wrote it, so the checks below
	// look for real member text.
	for _, p := range w.participants(roundID) {
		got := strings.Join(append(append([]string{}, p.Concerns...), p.Recommendations...), "\n")
		for _, want := range hostilePoints[p.MemberID] {
			if !strings.Contains(got, strings.TrimSuffix(want, ".")) {
				t.Errorf("%s: point %q not recorded as written; recorded %q", p.MemberID, want, got)
			}
		}
	}

	// The statement in the inviter's mailbox.
	raw := rawFor(t, w, w.inviter, stmt.MessageID)
	checkHeaders(t, "statement", raw)
	if strings.ContainsAny(stmt.Subject, "\r\n\u202E") {
		t.Errorf("statement subject %q keeps a line break or a bidi override", stmt.Subject)
	}
	checkPlain(t, "statement", stmt.Text)
	for _, m := range w.members {
		for _, p := range hostilePoints[m.id] {
			if !strings.Contains(words(stmt.Text), words(inert.Text(p))) {
				t.Errorf("statement lacks %s's point %q:\n%s", m.id, p, stmt.Text)
			}
		}
	}
	// Copies to the members and the coordinator: headers intact too.
	for _, u := range append([]string{w.coord}, w.members[0].emails[0]) {
		checkHeaders(t, "statement copy to "+u, rawFor(t, w, u, stmt.MessageID))
	}
	// Nothing reached the address hidden in the encoded words.
	if n := len(ms.Messages(t, evil, pass, "INBOX")); n != 1 { // the settle marker only
		t.Errorf("the injected Bcc address received %d messages besides the marker", n-1)
	}

	// The published Markdown, through the renderers a website uses.
	md, err := os.ReadFile(filepath.Join(w.dir, "published", roundID+".md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, render := range map[string]func(testing.TB, string) string{"goldmark": mdcheck.Goldmark, "marked": mdcheck.Marked} {
		t.Run("published markdown/"+name, func(t *testing.T) {
			out := render(t, string(md))
			visible, bad := mdcheck.Inspect(out, "h1")
			if len(bad) > 0 {
				t.Errorf("member text became markup: %q\n%s", bad, md)
			}
			if n := strings.Count(out, "<h1"); n != 1 {
				t.Errorf("%d headings, want only the title", n)
			}
			checkShown(t, name, visible, w)
		})
	}
	page, err := os.ReadFile(filepath.Join(w.dir, "published", roundID+".html"))
	if err != nil {
		t.Fatal(err)
	}
	visible, bad := mdcheck.InspectPage(string(page))
	for _, b := range bad {
		t.Errorf("published HTML has markup from member text: %s", b)
	}
	checkShown(t, "published HTML", visible, w)
	if bytes.ContainsRune(page, '\u202E') || bytes.ContainsRune(md, '\u202E') {
		t.Errorf("a bidi override reached the published files")
	}

	// The whole log: no password, no token.
	logs := w.logs.String()
	if !strings.Contains(logs, w.coalition) {
		t.Fatalf("consultd's log was not captured (%d bytes): the scan below would prove nothing", len(logs))
	}
	if strings.Contains(logs, pass) {
		t.Errorf("the IMAP password is in consultd's log")
	}
	ps := w.participants(roundID)
	for _, p := range ps {
		if len(p.Token) < 8 {
			t.Fatalf("%s has token %q: the scan below would prove nothing", p.MemberID, p.Token)
		}
		if strings.Contains(logs, p.Token) {
			t.Errorf("%s's token is in consultd's log", p.MemberID)
		}
	}
	t.Logf("abuse/inject: %d members, %d points, statement and %d copies inert; log of %d bytes scanned for the password and %d tokens",
		len(w.members), countPoints(), len(users)-2, len(logs), len(ps))
}

// checkHeaders fails when a message's header block has a field that the
// encoded words above tried to add, or a control character.
func checkHeaders(t *testing.T, what string, raw []byte) {
	t.Helper()
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(head, "\r\n\r\n"...)))).ReadMIMEHeader()
	if err != nil {
		t.Errorf("%s: header block does not parse: %v", what, err)
		return
	}
	for _, k := range []string{"Bcc", "X-Evil"} {
		if v, ok := h[k]; ok {
			t.Errorf("%s: header %s: %q was added", what, k, v)
		}
	}
	for _, l := range strings.Split(string(head), "\r\n") {
		for _, r := range l {
			if r != '\t' && (unicode.IsControl(r) || r == '\u202E') {
				t.Errorf("%s: control character %U in header line %q", what, r, l)
			}
		}
	}
}

// checkPlain fails on control characters (other than newline and tab) or
// bidi overrides in a plain-text body.
func checkPlain(t *testing.T, what, text string) {
	t.Helper()
	for _, r := range text {
		if (unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r') || (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') {
			t.Errorf("%s: character %U in the text", what, r)
			return
		}
	}
}

// checkShown fails unless a rendered page shows every point and
// organisation name as written (after inert.Text).
func checkShown(t *testing.T, what, visible string, w *world) {
	t.Helper()
	shown := words(visible)
	for _, pts := range hostilePoints {
		for _, p := range pts {
			if !strings.Contains(shown, words(inert.Text(p))) {
				t.Errorf("%s does not show %q:\n%s", what, p, shown)
			}
		}
	}
	for _, m := range w.members {
		if !strings.Contains(shown, words(inert.Text(m.name))) {
			t.Errorf("%s does not show the signatory %q", what, m.name)
		}
	}
}

// rawFor is the raw message with Message-ID id in user's INBOX.
func rawFor(t *testing.T, w *world, user, id string) []byte {
	t.Helper()
	w.inbox(user, "INBOX", "Geneva talks", 1)
	for _, raw := range w.ms.Messages(t, user, pass, "INBOX") {
		if m, _ := mimeparse.Parse(raw); m != nil && m.MessageID == id {
			return raw
		}
	}
	t.Fatalf("no message <%s> in %s", id, user)
	return nil
}

func words(s string) string { return mdcheck.Words(s) }

func countPoints() int {
	n := 0
	for _, p := range hostilePoints {
		n += len(p)
	}
	return n
}
