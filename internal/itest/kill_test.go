package itest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"consultd/internal/demo"
	"consultd/internal/demo/story"
	"consultd/internal/mailstack"
	"consultd/internal/store"
)

// TestKillInsideTheSMTPExchange kills consultd (SIGKILL) while the SMTP
// server holds a message: once after Postfix has taken it, before consultd
// heard the 250 (the window in which a naive sender sends it again), and
// once before Postfix got it (a naive "record first" would lose it). After a
// restart every mail is in its mailbox exactly once.
func TestKillInsideTheSMTPExchange(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Alpha", "Beta", "Gamma"}, nil, "")
	rl := newRelay(t, ms.SMTPAddr)
	w.setSMTP(rl.Addr, ", proof_wait: 3s")
	users := []string{w.inviter, w.coord}
	for _, m := range w.members {
		users = append(users, m.emails[0])
	}
	defer func() {
		if t.Failed() {
			t.Logf("consultd log:\n%s", w.procLog())
		}
	}()
	isConsultation := func(id string) bool { return strings.HasPrefix(id, "c-") }
	isStatement := func(id string) bool { return strings.HasPrefix(id, "statement-") }

	// 1. The first consultation is held after Postfix took it; consultd dies.
	held := rl.holdNext(true, isConsultation)
	p := w.startProc()
	w.send(w.coord, []string{w.coalition}, story.ForwardAttached("Rania", w.coord, w.coalition, w.inviter, time.Now()))
	w.confirm(1) // no Authentication-Results here: the coordinator confirms by email
	heldID := waitHeld(t, held, p)
	p.kill()
	rl.releaseHeld()

	// 2. Restarted, the second consultation is held before Postfix got it.
	held = rl.holdNext(false, isConsultation)
	p = w.startProc()
	lostID := waitHeld(t, held, p)
	p.kill()
	rl.releaseHeld()

	p = w.startProc()
	defer func() { p.kill() }()
	roundID := waitRound(t, w)
	cons := map[string]string{}
	for _, m := range w.members {
		w.inbox(m.emails[0], "INBOX", "[Consultation ", 1)
		cons[m.id] = rawReplyTo(t, w, m.emails[0])
	}
	w.settle(roundID, users...)
	exactlyOnce(t, w, "consultation", "[Consultation ", memberAddrs(w)...)
	if _, _, twice := deliveries(t, w, roundID); twice > 0 {
		t.Errorf("%d message(s) delivered twice", twice)
	}
	assertProof(t, w, roundID, heldID, "copy")
	assertProof(t, w, roundID, lostID, "smtp")

	// 3. Every member accepts; the statement is held after Postfix took it.
	held = rl.holdNext(true, isStatement)
	for _, m := range w.members {
		w.send(m.emails[0], []string{cons[m.id]}, []byte("From: <"+m.emails[0]+">\r\nTo: <"+cons[m.id]+">\r\nSubject: Re: consultation\r\n"+
			"Message-ID: <answer-"+m.id+"@"+w.prefix+".org.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nACCEPT\r\nSign: yes\r\n"))
	}
	stmtID := waitHeld(t, held, p)
	p.kill()
	rl.releaseHeld()
	p = w.startProc()
	w.inbox(w.inviter, "INBOX", "Re: "+story.InviteSubject, 1)
	w.settle(roundID, users...)
	exactlyOnce(t, w, "statement", "Re: "+story.InviteSubject, append([]string{w.inviter, w.coord}, memberAddrs(w)...)...)
	assertProof(t, w, roundID, stmtID, "copy")
	if _, lost, twice := deliveries(t, w, roundID); lost > 0 || twice > 0 {
		t.Errorf("%d message(s) lost, %d delivered twice", lost, twice)
	}
}

// deliveries compares the round's outbox with the recipients' mailboxes:
// every recorded message must be in each recipient's mailbox exactly once.
// It returns the kinds seen, and how many copies were lost and doubled.
func deliveries(t *testing.T, w *world, roundID string) (kinds map[store.MailKind][2]int, lost, twice int) {
	t.Helper()
	kinds = map[store.MailKind][2]int{}
	boxes := map[string]map[string]int{}
	for _, o := range w.outbox(roundID) {
		k := kinds[o.Kind]
		for _, r := range o.Recipients {
			r = strings.ToLower(r)
			if boxes[r] == nil {
				ids, err := w.messageIDs(r, "INBOX", "")
				if err != nil {
					t.Fatal(err)
				}
				boxes[r] = ids
			}
			switch n := boxes[r][o.MessageID]; {
			case o.State == "failed":
			case n == 0:
				k[0]++
				t.Errorf("%s %s to %s: in the outbox as %s, not in the mailbox", o.Kind, o.MessageID, r, o.State)
			case n > 1:
				k[1] += n - 1
				t.Errorf("%s %s: %s holds it %d times", o.Kind, o.MessageID, r, n)
			}
		}
		kinds[o.Kind] = k
		lost, twice = lost+k[0], twice+k[1]
	}
	return kinds, lost, twice
}

// TestKillsAtRandomMomentsSendNothingTwice is the crash loop: consultd is
// SIGKILLed at random moments, at least 50 times, while it opens a round for
// 30 members, reads their answers and sends the statement; Dovecot is
// restarted and Postfix stopped for a while in between. It prints what was
// lost, counted twice and delivered twice, by kind of mail.
func TestKillsAtRandomMomentsSendNothingTwice(t *testing.T) {
	// CONSULTD_KILL_MEMBERS sets a bigger coalition for a longer run.
	members, minKills := 30, 50
	if n, err := strconv.Atoi(os.Getenv("CONSULTD_KILL_MEMBERS")); err == nil && n > 0 {
		members = n
	}
	ms := mailstack.Start(t)
	var names []string
	for i := range members {
		names = append(names, fmt.Sprintf("Organisation %02d", i+1))
	}
	w := newWorld(t, ms, names, nil, "")
	rl := newRelay(t, ms.SMTPAddr)
	// Answers a little late, so kills land between Postfix's 250 and consultd's record.
	rl.setDelay(func() time.Duration { return time.Duration(rand.IntN(40)) * time.Millisecond })
	w.setSMTP(rl.Addr, ", proof_wait: 3s")
	defer func() {
		if t.Failed() {
			t.Logf("consultd log (tail):\n%s", tailLines(w.procLog(), 200))
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var kills atomic.Int32
	var confirmed atomic.Bool
	dovecotRestarted, postfixStopped := false, false
	var p *proc
	stopKilling := make(chan struct{})
	killerDone := make(chan struct{})
	// The killer: start consultd, let it run 0.2–2 s, SIGKILL it, again.
	go func() {
		defer close(killerDone)
		for {
			p = w.startProc()
			select {
			case <-stopKilling:
				return // leave the last one running
			case <-time.After(time.Duration(200+rand.IntN(1800)) * time.Millisecond):
			}
			p.kill()
			n := kills.Add(1)
			// Once the coordinator has confirmed (the test's own mail must get through).
			switch {
			case n >= 15 && confirmed.Load() && !dovecotRestarted:
				dovecotRestarted = true
				ms.RestartDovecot(t)
			case n >= 30 && dovecotRestarted && !postfixStopped:
				postfixStopped = true
				ms.StopPostfix(t)
				time.Sleep(3 * time.Second) // the outage, while consultd keeps being killed and restarted
				ms.StartPostfix(t)
			}
		}
	}()

	w.send(w.coord, []string{w.coalition}, story.ForwardAttached("Rania", w.coord, w.coalition, w.inviter, time.Now()))
	w.confirm(1)
	confirmed.Store(true)
	// Each member answers once its consultation arrives.
	answered := map[string]bool{}
	err := waitCtx(ctx, func() bool {
		for _, m := range w.members {
			if answered[m.id] {
				continue
			}
			raws, err := w.ms.TryMessages(m.emails[0], pass, "INBOX")
			if err != nil || len(raws) == 0 {
				continue
			}
			c := demo.ParseConsultation(raws[0])
			if c.ReplyTo == "" {
				continue
			}
			raw := []byte("From: <" + m.emails[0] + ">\r\nTo: <" + c.ReplyTo + ">\r\nSubject: Re: " + c.Subject + "\r\nIn-Reply-To: <" + c.MessageID +
				">\r\nMessage-ID: <answer-" + m.id + "@" + w.prefix + ".org.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
				// The same words from everyone: points merged only by similarity
				// would send the draft to the coordinators instead of the inviter.
				"DECLINE\r\nConcerns:\r\n1. Invitations arrive too late.\r\nSign: yes\r\n")
			if w.ms.TrySend(m.emails[0], []string{c.ReplyTo}, raw) == nil {
				answered[m.id] = true
			}
		}
		return len(answered) == members
	})
	if err != nil {
		t.Fatalf("only %d of %d members could answer: their consultation did not arrive", len(answered), members)
	}
	// Keep killing until the statement is out and the minimum is reached.
	err = waitCtx(ctx, func() bool {
		ids, err := w.messageIDs(w.inviter, "INBOX", "Re: "+story.InviteSubject)
		return err == nil && len(ids) > 0 && int(kills.Load()) >= minKills
	})
	close(stopKilling)
	<-killerDone
	defer p.kill()
	if !dovecotRestarted || !postfixStopped {
		t.Errorf("the crash loop ended before Dovecot was restarted (%v) and Postfix stopped (%v)", dovecotRestarted, postfixStopped)
	}
	if err != nil {
		t.Fatalf("after %d kills the statement has not reached the inviter", kills.Load())
	}

	roundID := waitRound(t, w)
	users := append([]string{w.inviter, w.coord}, memberAddrs(w)...)
	w.settle(roundID, users...)

	// What arrived, by kind: the outbox against the recipients' mailboxes.
	byKind, _, _ := deliveries(t, w, roundID)
	expect := map[store.MailKind]int{"consultation": members, "statement": 1, "opened": 1, "receipt": members}
	rows := map[store.MailKind]int{}
	for _, o := range w.outbox(roundID) {
		rows[o.Kind]++
	}
	for kind, n := range expect {
		if rows[kind] < n {
			t.Errorf("%d %s message(s) queued, want %d", rows[kind], kind, n)
		}
		if kind != "receipt" && rows[kind] > n {
			t.Errorf("%d %s message(s) queued, want %d", rows[kind], kind, n)
		}
	}

	countedTwice, lostAnswers := 0, 0
	for _, pt := range w.participants(roundID) {
		if pt.AnswersCount > 1 {
			countedTwice++
		}
		if !pt.Answered() {
			lostAnswers++
		}
	}
	if countedTwice > 0 || lostAnswers > 0 {
		t.Errorf("answers: %d counted twice, %d lost", countedTwice, lostAnswers)
	}
	lost, twice := lostAnswers, 0
	var parts []string
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k.String())
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		lost += byKind[store.MailKind(k)][0]
		twice += byKind[store.MailKind(k)][1]
		parts = append(parts, fmt.Sprintf("%s %d/%d", k, byKind[store.MailKind(k)][0], byKind[store.MailKind(k)][1]))
	}
	// Nothing secret in what all those processes logged.
	logText := w.procLog()
	if strings.Contains(logText, pass) {
		t.Error("the IMAP password is in consultd's log")
	}
	for _, pt := range w.participants(roundID) {
		if strings.Contains(logText, pt.Token) {
			t.Errorf("%s's reply token is in consultd's log", pt.MemberID)
		}
	}
	byCopy := 0
	for _, o := range w.outbox(roundID) {
		if o.Proof == "copy" {
			byCopy++
		}
	}
	t.Logf("kill test: %d SIGKILLs, %d members, Dovecot restarted, Postfix stopped 3 s: %d lost, %d counted twice, %d delivered twice (lost/twice by kind: %s); %d interrupted deliveries proven by the coalition's copy",
		kills.Load(), members, lost, countedTwice, twice, strings.Join(parts, ", "), byCopy)
}

func waitHeld(t *testing.T, held <-chan string, p *proc) string {
	t.Helper()
	select {
	case id := <-held:
		return id
	case err := <-p.done:
		p.done <- err
		t.Fatalf("consultd exited (%v) before the message was held", err)
	case <-time.After(60 * time.Second):
		t.Fatal("no message was held within 60s")
	}
	return ""
}

func waitRound(t *testing.T, w *world) string {
	t.Helper()
	var id string
	w.waitFor("the round to be opened", func() bool {
		if rs := w.rounds(); len(rs) == 1 {
			id = rs[0].ID
		}
		return id != ""
	})
	return id
}

func memberAddrs(w *world) []string {
	var out []string
	for _, m := range w.members {
		out = append(out, m.emails[0])
	}
	return out
}

// rawReplyTo is the Reply-To of the member's consultation.
func rawReplyTo(t *testing.T, w *world, addr string) string {
	t.Helper()
	msgs := w.ms.Messages(t, addr, pass, "INBOX")
	c := demo.ParseConsultation(msgs[0])
	if c.ReplyTo == "" {
		t.Fatalf("%s: the consultation has no Reply-To", addr)
	}
	return c.ReplyTo
}

// exactlyOnce checks every address holds exactly one message whose subject
// contains subj, and no Message-ID twice.
func exactlyOnce(t *testing.T, w *world, kind, subj string, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		ids, err := w.messageIDs(a, "INBOX", subj)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range ids {
			total += n
		}
		if total != 1 {
			t.Errorf("%s holds %d %s message(s) (%d distinct), want exactly 1", a, total, kind, len(ids))
		}
	}
}

// assertProof checks how consultd recorded the delivery of one message.
func assertProof(t *testing.T, w *world, roundID, messageID, proof string) {
	t.Helper()
	for _, o := range w.outbox(roundID) {
		if o.MessageID == messageID {
			if o.State != "sent" || o.Proof != proof {
				t.Errorf("%s %s: state %s, proof %q; want sent, %q", o.Kind, o.MessageID, o.State, o.Proof, proof)
			}
			return
		}
	}
	t.Errorf("message %s is not in the round's outbox", messageID)
}

func tailLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
