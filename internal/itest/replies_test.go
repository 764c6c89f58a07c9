package itest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"consultd/internal/demo"
	"consultd/internal/demo/story"
	"consultd/internal/mailstack"
	"consultd/internal/store"
)

// TestRepliesFromLocalisedClientsAreReadAsWritten: members answer from mail
// clients in other UI languages — Gmail in Danish (its attribution wrapped
// inside the address), Outlook for iOS in French (footer, then the original
// under an unquoted header block), a reply whose own text has a dashed rule
// and six lines under it above the history, and an HTML-only webmail reply
// with a French attribution above a plain blockquote. Through Dovecot and
// Postfix, each position, sign-on and answer text is what the member wrote,
// and none of the quoted consultation comes out in the answer.
func TestRepliesFromLocalisedClientsAreReadAsWritten(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorld(t, ms, []string{"Org One", "Org Two", "Org Three", "Org Four"}, nil, "")
	w.Start()
	w.send(w.coord, []string{w.coalition}, story.ForwardAttached("Rania", w.coord, w.coalition, w.inviter, time.Now()))
	w.confirm(1)
	cons := map[string]story.Consultation{}
	for _, m := range w.members {
		cons[m.id] = demo.ParseConsultation(rawOf(t, w, m.emails[0]))
	}
	roundID := w.rounds()[0].ID
	date := "Tue, 18 Apr 2017 13:09:00 +0200"
	msg := func(id, ctype, body string) []byte {
		c := cons[id]
		return []byte(strings.ReplaceAll(fmt.Sprintf("From: %s <%s>\nTo: <%s>\nSubject: Re: %s\nDate: %s\nMessage-ID: <%s-%d@client.test>\n"+
			"In-Reply-To: <%s>\nReferences: <%s>\nMIME-Version: 1.0\nContent-Type: %s\nContent-Transfer-Encoding: 8bit\n\n%s\n",
			id, memberAddr(w, id), c.ReplyTo, c.Subject, date, id, time.Now().UnixNano(),
			c.MessageID, c.MessageID, ctype, body), "\n", "\r\n"))
	}
	quoted := func(id string) string {
		return "> " + strings.ReplaceAll(strings.TrimRight(cons[id].Body, "\n"), "\n", "\n> ")
	}
	at := strings.Index(cons["m1"].ReplyTo, "@")
	plain := "text/plain; charset=utf-8"
	sends := []struct {
		id, raw string
	}{
		{"m1", "ACCEPT\n\nSign: yes\n\ntir. 18. apr. 2017 kl. 13:09 skrev Test Coalition <" + cons["m1"].ReplyTo[:at+1] + "\n" +
			cons["m1"].ReplyTo[at+1:] + ">:\n\n" + quoted("m1")},
		{"m2", "DECLINE\n\nSign: no\n\nEnvoyé à partir de Outlook pour iOS<https://aka.ms/o0ukef>\n________________________________\n" +
			"De : Test Coalition <" + cons["m2"].ReplyTo + ">\nEnvoyé : mardi 18 avril 2017 13:09\nÀ : Org Two\nObjet : " + cons["m2"].Subject + "\n\n" + cons["m2"].Body},
		{"m3", "ABSTAIN\n\nOur reasons\n--------\nThe invitation came two days before the meeting.\nThe agenda was not shared with us.\n" +
			"Our board has not met since.\nWe have no one in the city that week.\nThe topic is outside our mandate.\nWe support the others' choice.\n\nSign: yes\n\n" +
			"On Tue, 18 Apr 2017 at 13:09, Test Coalition <" + cons["m3"].ReplyTo + "> wrote:\n\n" + quoted("m3")},
	}
	for _, s := range sends {
		w.send(memberAddr(w, s.id), []string{cons[s.id].ReplyTo}, msg(s.id, plain, s.raw))
	}
	html := "<html><body><div>ACCEPT</div><div>Sign: yes</div><div><br></div><div>Le mar. 18 avr. 2017 à 13:09, Test Coalition &lt;" +
		cons["m4"].ReplyTo + "&gt; a écrit :</div><blockquote style=\"margin:0 0 0 .8ex;border-left:1px solid #ccc\">" +
		strings.ReplaceAll(cons["m4"].Body, "\n", "<br>") + "</blockquote></body></html>"
	w.send(memberAddr(w, "m4"), []string{cons["m4"].ReplyTo}, msg("m4", "text/html; charset=utf-8", html))

	w.waitFor("all four answers", func() bool { return answered(w, roundID) == 4 })
	want := map[string]struct {
		position string
		sign     bool
		text     string
	}{
		"m1": {"accept", true, "ACCEPT\n\nSign: yes"},
		"m2": {"decline", false, "DECLINE\n\nSign: no"},
		"m3": {"abstain", true, "ABSTAIN\n\nOur reasons\n--------\nThe invitation came two days before the meeting.\nThe agenda was not shared with us.\n" +
			"Our board has not met since.\nWe have no one in the city that week.\nThe topic is outside our mandate.\nWe support the others' choice.\n\nSign: yes"},
		"m4": {"accept", true, "ACCEPT\nSign: yes"},
	}
	for _, p := range w.participants(roundID) {
		wp := want[p.MemberID]
		if !strings.EqualFold(p.Position, wp.position) || p.Sign == nil || *p.Sign != wp.sign {
			t.Errorf("%s: position %q sign %v, want %q %v", p.MemberID, p.Position, signOf(p), wp.position, wp.sign)
		}
		if p.AnswerText != wp.text {
			t.Errorf("%s: the answer recorded is\n%s\nwant exactly what the member wrote:\n%s", p.MemberID, p.AnswerText, wp.text)
		}
	}
}

func memberAddr(w *world, id string) string {
	for _, m := range w.members {
		if m.id == id {
			return m.emails[0]
		}
	}
	w.t.Fatalf("no member %s", id)
	return ""
}

func signOf(p *store.Participant) any {
	if p.Sign == nil {
		return nil
	}
	return *p.Sign
}
