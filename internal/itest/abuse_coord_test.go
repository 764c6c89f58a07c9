package itest

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"consultd/internal/demo/story"
	"consultd/internal/mailstack"
	"consultd/internal/mimeparse"
)

// confirm plays the coordinator answering consultd's nth confirmation
// request (1-based, oldest first) from her mail client: a top-posted CONFIRM
// through Postfix to the request's Reply-To.
func (w *world) confirm(n int) {
	w.t.Helper()
	var reqs []*mimeparse.Message
	w.waitFor(fmt.Sprintf("confirmation request %d in %s's mailbox", n, w.coord), func() bool {
		reqs = reqs[:0]
		for _, raw := range w.ms.Messages(w.t, w.coord, pass, "INBOX") {
			// English or Arabic, as the forward was written.
			if m, _ := mimeparse.Parse(raw); m != nil && (strings.Contains(m.Subject, "Please confirm") || strings.Contains(m.Subject, "يرجى التأكيد")) {
				reqs = append(reqs, m)
			}
		}
		return len(reqs) >= n
	})
	req := reqs[n-1]
	if len(req.ReplyTo) != 1 {
		w.t.Fatalf("confirmation request without one Reply-To: %v", req.ReplyTo)
	}
	c := story.Consultation{MessageID: req.MessageID, Subject: req.Subject, Body: req.Text, Date: req.Date, ReplyTo: req.ReplyTo[0].Address}
	w.send(w.coord, []string{c.ReplyTo}, story.ConfirmReply(c, "Rania", w.coord, time.Now()))
}

// withHeader puts one Authentication-Results field on top of raw, where the
// coalition's receiving server would have prepended it; fields the "sender"
// wrote are part of raw, below it.
func withHeader(raw []byte, field string) []byte {
	return append([]byte("Authentication-Results: "+field+"\r\n"), raw...)
}

func (w *world) memberMail() int {
	n := 0
	for _, m := range w.members {
		n += w.count(m.emails[0], "INBOX", "")
	}
	return n
}

// TestForgedCoordinatorsOpenNothingAndTheRealOneConfirms sends, through the
// real Postfix and Dovecot, mail in the coordinator's name that no trusted
// header proves (none at all, a pass planted below our server's fail, a pass
// for another domain, forged CLOSE and CANCEL), then lets the real
// coordinator confirm her forward from her own mailbox.
func TestForgedCoordinatorsOpenNothingAndTheRealOneConfirms(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria", "The Day After (TDA)"}, []string{"en", "ar"}, "")
	mx := "mx." + w.domain
	authserv := "authentication: {authserv_id: " + mx + "}\n"
	w.appendConfig(authserv)
	w.Start()
	at := time.Now()
	fwd := func(i int) []byte {
		return story.Forward("Rania", w.coord, w.coalition, at.Add(time.Duration(i)*time.Second))
	}
	dom := w.domain

	// 1. No header at all: a request goes to the coordinator's own mailbox.
	w.send(w.coord, []string{w.coalition}, fwd(1))
	w.inbox(w.coord, "INBOX", "Please confirm", 1)
	// 2. A pass planted below our server's fail: proven forged, Needs-Review,
	//    one note to the coordinators, no request.
	planted := withHeader(append([]byte("Authentication-Results: "+mx+"; dkim=pass header.d="+dom+"; dmarc=pass header.from="+dom+"\r\n"), fwd(2)...),
		mx+"; spf=fail smtp.mailfrom="+dom+"; dkim=none; dmarc=fail (p=reject dis=none) header.from="+dom)
	w.send(w.coord, []string{w.coalition}, planted)
	w.inbox(w.coalition, "Needs-Review", "Fwd:", 1)
	w.inbox(w.coord, "INBOX", "Unverified mail in a coordinator's name", 1)
	// 3. A pass for another domain proves nothing about ours: a second request.
	w.send(w.coord, []string{w.coalition}, withHeader(fwd(3), mx+"; dkim=pass header.d=evil.test; dmarc=pass header.from=evil.test"))
	w.inbox(w.coord, "INBOX", "Please confirm", 2)
	// 4. A forger "confirms" with a made-up token: Needs-Review, nothing done.
	made := "coalition+" + strings.Repeat("a", 26) + "@" + dom
	w.send(w.coord, []string{made}, []byte("From: Rania <"+w.coord+">\r\nTo: <"+made+">\r\nSubject: Re: Please confirm\r\nMessage-ID: <forged-confirm@"+
		w.prefix+".evil.test>\r\nContent-Type: text/plain\r\n\r\nCONFIRM\r\n"))
	w.inbox(w.coalition, "Needs-Review", "Please confirm", 1)

	w.settle("", w.coord, w.members[0].emails[0], w.members[1].emails[0])
	if rs := w.rounds(); len(rs) != 0 {
		t.Fatalf("forged or unconfirmed forwards opened %d round(s)", len(rs))
	}
	if n := w.memberMail() - 2; n != 0 { // the two settle markers
		t.Fatalf("members received %d message(s) before any confirmation", n)
	}
	if n := w.count(w.coord, "INBOX", "Please confirm"); n != 2 {
		t.Errorf("the coordinator got %d confirmation requests, want 2 (none for the proven forgery)", n)
	}

	// 5. The real coordinator confirms the first request from her mailbox.
	w.confirm(1)
	w.inbox(w.coord, "INBOX", "Round opened", 1)
	for _, m := range w.members {
		w.inbox(m.emails[0], "INBOX", "[Consultation ", 1)
	}
	r := w.rounds()[0]

	// 6. Forged CLOSE and CANCEL with no header: asked, not done; the same
	//    with our server's dmarc=fail: Needs-Review.
	cmd := func(verb, id string) []byte {
		return []byte(fmt.Sprintf("From: Rania <%s>\r\nTo: <%s>\r\nSubject: %s %s\r\nMessage-ID: <%s-%d@%s.evil.test>\r\nContent-Type: text/plain\r\n\r\n\r\n",
			w.coord, w.coalition, verb, id, strings.ToLower(verb), seq.Add(1), w.prefix))
	}
	w.send(w.coord, []string{w.coalition}, cmd("CLOSE", r.ID))
	w.send(w.coord, []string{w.coalition}, cmd("CANCEL", r.ID))
	w.inbox(w.coord, "INBOX", "Please confirm: CLOSE "+r.ID, 1)
	w.inbox(w.coord, "INBOX", "Please confirm: CANCEL "+r.ID, 1)
	w.send(w.coord, []string{w.coalition}, withHeader(cmd("CANCEL", r.ID), mx+"; dmarc=fail (p=reject dis=none) header.from="+dom))
	w.inbox(w.coalition, "Needs-Review", "CANCEL "+r.ID, 1)
	users := []string{w.coord}
	for _, m := range w.members {
		users = append(users, m.emails[0])
	}
	w.settle(r.ID, users...)
	w.settle("", users...)
	if got := w.rounds(); len(got) != 1 || got[0].State != "open" {
		t.Fatalf("after forged CLOSE/CANCEL the round is %+v, want the one round still open", got)
	}
	for _, m := range w.members {
		if n := w.count(m.emails[0], "INBOX", "[Consultation "); n != 1 {
			t.Errorf("%s got %d consultations, want exactly 1", m.id, n)
		}
	}
	if n := w.count(w.coord, "INBOX", "Please confirm: CANCEL "); n != 1 {
		t.Errorf("%d requests for CANCEL, want 1 (none for the proven forgery)", n)
	}
	// A late confirmation of the second forward (same invitation) opens no
	// second round and says so.
	w.confirm(2)
	w.inbox(w.coord, "INBOX", "Already in round "+r.ID, 1)
	if rs := w.rounds(); len(rs) != 1 {
		t.Fatalf("%d rounds after confirming the same invitation twice", len(rs))
	}
	// Nothing was deleted: every message is in Processed or Needs-Review.
	w.waitFor("the coalition's INBOX to be empty", func() bool { return w.count(w.coalition, "INBOX", "") == 0 })
	if log := w.logs.String(); strings.Contains(log, pass) {
		t.Error("the password is in consultd's log")
	}
	for _, req := range w.inbox(w.coord, "INBOX", "Please confirm", 4) {
		tok := strings.TrimSuffix(strings.TrimPrefix(req.ReplyTo[0].Address, "coalition+"), "@"+dom)
		if len(tok) != 26 {
			t.Fatalf("request Reply-To %s holds no token", req.ReplyTo[0].Address)
		}
		if strings.Contains(w.logs.String(), tok) {
			t.Errorf("a confirmation token is in consultd's log")
		}
	}
}

// TestAnAuthenticatedCoordinatorIsTrustedAtOnce: with the server's pass on
// top, the forward opens the round without a request.
func TestAnAuthenticatedCoordinatorIsTrustedAtOnce(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Baytna Syria"}, nil, "")
	mx := "mx." + w.domain
	w.appendConfig("authentication: {authserv_id: " + mx + "}\n")
	w.Start()
	w.send(w.coord, []string{w.coalition}, withHeader(story.Forward("Rania", w.coord, w.coalition, time.Now()),
		mx+"; dkim=pass header.d="+w.domain+" header.s=s1; spf=pass smtp.mailfrom="+w.domain+"; dmarc=pass (p=reject dis=none) header.from="+w.domain))
	w.inbox(w.coord, "INBOX", "Round opened", 1)
	w.inbox(w.members[0].emails[0], "INBOX", "[Consultation ", 1)
	if n := w.count(w.coord, "INBOX", "Please confirm"); n != 0 {
		t.Errorf("%d confirmation requests for mail the server authenticated", n)
	}
}

// trustCoordinator configures the coalition's receiving server as trusted
// (authentication.authserv_id), as behind Gmail or a DMARC-checking MX, so
// that coordinator mail stamped by vouch is acted on at once.
func (w *world) trustCoordinator() {
	w.appendConfig("authentication: {authserv_id: mx." + w.domain + "}\n")
}

// vouch puts the trusted server's dmarc=pass for the coordinator's domain on
// top of raw, where that server would have written it.
func (w *world) vouch(raw []byte) []byte {
	return withHeader(raw, "mx."+w.domain+"; dkim=pass header.d="+w.domain+"; dmarc=pass header.from="+w.domain)
}

// appendConfig adds top-level YAML to the world's configuration before Start.
func (w *world) appendConfig(y string) {
	w.t.Helper()
	b, err := os.ReadFile(w.cfgPath)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(w.cfgPath, append(b, []byte("\n"+y)...), 0o600); err != nil {
		w.t.Fatal(err)
	}
}
