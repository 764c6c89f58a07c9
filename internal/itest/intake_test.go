package itest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/internal/demo/story"
	"consultd/internal/mailstack"
)

// TestForwardInEachClientFormOpensARoundAndReachesEveryMember sends the
// invitation the way each mail client forwards it, through Postfix, into the
// coalition's Dovecot mailbox, and checks every member's mailbox.
func TestForwardInEachClientFormOpensARoundAndReachesEveryMember(t *testing.T) {
	ms := mailstack.Start(t)
	fixtures, _ := filepath.Glob(filepath.Join("..", "forward", "testdata", "*.eml"))
	var forms []string
	for _, f := range fixtures {
		if !strings.HasPrefix(filepath.Base(f), "not_") {
			forms = append(forms, f)
		}
	}
	if len(forms) < 8 {
		t.Fatalf("expected the forward fixtures of at least 8 client forms, found %d", len(forms))
	}
	for _, f := range forms {
		f := f
		t.Run(strings.TrimSuffix(filepath.Base(f), ".eml"), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, ms, []string{"Baytna Syria", "The Day After (TDA)"}, []string{"en", "ar"}, "")
			w.Start()
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			w.send(w.coord, []string{w.coalition}, readdress(raw, w.coord, w.coalition))
			w.confirm(1) // nothing authenticates it: Rania confirms by replying
			w.inbox(w.coord, "INBOX", "Round opened", 1)
			for _, m := range w.members {
				got := w.inbox(m.emails[0], "INBOX", "[Consultation ", 1)
				c := got[0]
				if len(c.ReplyTo) != 1 || !strings.HasPrefix(c.ReplyTo[0].Address, "coalition+") {
					t.Fatalf("%s: consultation Reply-To %v is not a plus address", m.id, c.ReplyTo)
				}
			}
			// The Reply-To works: a reply through Postfix reaches consultd and is counted.
			m := w.members[0]
			c := w.inbox(m.emails[0], "INBOX", "[Consultation ", 1)[0]
			reply := "From: <" + m.emails[0] + ">\r\nTo: <" + c.ReplyTo[0].Address + ">\r\nSubject: Re: " + c.Subject +
				"\r\nMessage-ID: <r1." + m.emails[0] + ">\r\nIn-Reply-To: <" + c.MessageID + ">\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDECLINE\r\n"
			w.send(m.emails[0], []string{c.ReplyTo[0].Address}, []byte(reply))
			w.inbox(m.emails[0], "INBOX", "Re: [Consultation ", 1)
			rs := w.rounds()
			if len(rs) != 1 {
				t.Fatalf("want 1 round, got %d", len(rs))
			}
			if p := w.participants(rs[0].ID)[0]; p.Position != "decline" {
				t.Fatalf("the reply through the Reply-To was not counted: %+v", p)
			}
			// The forward itself is out of the inbox, in Processed.
			w.waitFor("the forward, the confirmation and the reply to be moved to Processed", func() bool { return w.count(w.coalition, "Processed", "") >= 3 })
			// consultd's own copies of what it sent (proof of delivery) keep
			// arriving for a moment; they too must be filed.
			w.waitFor("the coalition's INBOX to be empty", func() bool { return w.count(w.coalition, "INBOX", "") == 0 })
		})
	}
}

func TestForwardFromAStrangerGoesToNeedsReview(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria"}, nil, "")
	w.Start()
	stranger := "someone@" + w.prefix + ".other.test"
	w.send(stranger, []string{w.coalition}, story.Forward("Someone", stranger, w.coalition, time.Now()))
	w.inbox(w.coalition, "Needs-Review", "Fwd:", 1)
	if rs := w.rounds(); len(rs) != 0 {
		t.Fatalf("a stranger's forward opened %d round(s)", len(rs))
	}
	if n := w.count(w.members[0].emails[0], "INBOX", ""); n != 0 {
		t.Fatalf("a member received %d message(s) after a stranger's forward", n)
	}
}

// TestRestartInTheMiddleSendsNothingTwice stops consultd while it is opening
// a round and starts it again: every mail arrives exactly once.
func TestRestartInTheMiddleSendsNothingTwice(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"A", "B", "C", "D", "E"}, nil, "")
	w.Start()
	w.send(w.coord, []string{w.coalition}, story.Forward("Rania", w.coord, w.coalition, time.Now()))
	w.confirm(1)
	// Stop as soon as the round is committed, while its mail is still being delivered.
	w.waitFor("the round to be opened", func() bool { return len(w.rounds()) == 1 })
	w.Stop()
	w.Start()
	for _, m := range w.members {
		w.inbox(m.emails[0], "INBOX", "[Consultation ", 1)
	}
	w.inbox(w.coord, "INBOX", "Round opened", 1)
	// Give a duplicate every chance to show up: restart once more and wait for a full sync.
	w.Stop()
	restarted := time.Now()
	w.Start()
	w.waitFor("a full IMAP sync after the restart", func() bool { return w.d.Status().LastSync.After(restarted) })
	users := []string{w.coord}
	for _, m := range w.members {
		users = append(users, m.emails[0])
	}
	w.settle(w.rounds()[0].ID, users...)
	for _, m := range w.members {
		if n := w.count(m.emails[0], "INBOX", "[Consultation "); n != 1 {
			t.Fatalf("%s has %d consultations, want exactly 1", m.id, n)
		}
	}
	if n := w.count(w.coord, "INBOX", "Round opened"); n != 1 {
		t.Fatalf("coordinator told %d times that the round opened", n)
	}
	if n := w.count(w.coord, "INBOX", "Please confirm"); n != 1 {
		t.Fatalf("coordinator asked %d times to confirm, want exactly 1", n)
	}
	if rs := w.rounds(); len(rs) != 1 {
		t.Fatalf("%d rounds after restarts", len(rs))
	}
}

func TestDovecotRestartedUnderARunningConsultdIsReconnected(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria"}, nil, "")
	w.Start()
	w.waitFor("the first IMAP sync", func() bool { return !w.d.Status().LastSync.IsZero() })
	ms.RestartDovecot(t)
	w.send(w.coord, []string{w.coalition}, story.Forward("Rania", w.coord, w.coalition, time.Now()))
	w.confirm(1)
	w.inbox(w.members[0].emails[0], "INBOX", "[Consultation ", 1)
	if w.d.Status().Reconnects == 0 {
		t.Errorf("consultd reports no reconnect after Dovecot restarted")
	}
}
