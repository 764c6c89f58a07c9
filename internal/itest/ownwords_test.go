package itest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/internal/command"
	"consultd/internal/demo"
	"consultd/internal/demo/story"
	"consultd/internal/mailstack"
)

// TestSeedStoryInOwnWordsThroughDovecotAndPostfix: the nine organisations
// write their points in their own words, Arabic ones in Arabic, to a
// coalition that publishes in English and Arabic. The draft reaches the
// coordinator with the paraphrases grouped and the points to translate
// marked; her translated reply (confirmed by email) sends the inviter the
// seed's four concerns and five recommendations, each once, and publishes
// both languages.
func TestSeedStoryInOwnWordsThroughDovecotAndPostfix(t *testing.T) {
	ms := mailstack.Start(t)
	w := newWorldIDs(t, ms, seedIDs, seedNames, seedLangs, "statement_languages: [en, ar]\n")
	w.Start()
	contact := map[string]string{}
	for _, m := range w.members {
		contact[m.id] = m.emails[0]
	}
	w.send(w.coord, []string{w.coalition}, story.ForwardAttached("Rania", w.coord, w.coalition, w.inviter, time.Now()))
	w.confirm(1)
	w.inbox(w.coord, "INBOX", "Round opened", 1)
	cons := map[string]story.Consultation{}
	for _, m := range w.members {
		cons[m.id] = demo.ParseConsultation(rawOf(t, w, m.emails[0]))
	}
	roundID := w.rounds()[0].ID
	answers := story.OwnWords(cons, contact, time.Now())
	for i, r := range answers {
		if i == len(answers)-1 {
			// The last answer closes the round; let STJ's correction land first.
			w.inbox(contact["stj"], "INBOX", "Re: [Consultation ", 2)
		}
		w.send(r.From, []string{cons[r.Member].ReplyTo}, r.Raw)
	}
	d := w.inbox(w.coord, "INBOX", "Draft statement for approval", 1)[0]
	t.Logf("The coordinator's draft:\n%s", d.Text)
	if n := w.count(w.inviter, "INBOX", "Re: "+story.InviteSubject); n != 0 {
		t.Fatalf("the inviter received %d statements before the coordinators reviewed the Arabic points", n)
	}
	cut := func(begin, end string) string {
		_, rest, ok := strings.Cut(d.Text, begin+"\n")
		b, _, ok2 := strings.Cut(rest, "\n"+end)
		if !ok || !ok2 {
			t.Fatalf("no %q block in the draft", begin)
		}
		return strings.TrimSpace(b)
	}
	arBegin, arEnd := "----- BEGIN STATEMENT (ar) -----", "----- END STATEMENT (ar) -----"
	en, ar := cut(command.BeginMarker, command.EndMarker), cut(arBegin, arEnd)
	if !strings.Contains(en, "(consultd: written in Arabic — translate or remove)") || !strings.Contains(en, "(consultd: grouped by similarity with") {
		t.Errorf("the English draft does not mark grouped and Arabic points:\n%s", en)
	}
	en, ar = story.Translate(en, ar)
	body := "Translated, both versions.\n\n" + command.BeginMarker + "\n" + en + "\n" + command.EndMarker + "\n\n" + arBegin + "\n" + ar + "\n" + arEnd + "\n"
	reply := "From: Rania <" + w.coord + ">\r\nTo: <" + w.coalition + ">\r\nSubject: Re: " + d.Subject + "\r\nMessage-ID: <translated-" + w.prefix +
		"@coal.test>\r\nIn-Reply-To: <" + d.MessageID + ">\r\nReferences: <" + d.MessageID + ">\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n")
	w.send(w.coord, []string{w.coalition}, []byte(reply))
	w.confirm(2) // an edited statement in a coordinator's name is confirmed by email
	s := w.inbox(w.inviter, "INBOX", "Re: "+story.InviteSubject, 1)[0]
	t.Logf("The statement the inviter received:\n%s", s.Text)
	for _, want := range []string{"not reflected in", "not systematic", "no prior consultation", "do not know enough about the topics",
		"choosing the topics", "frameworks and discussion points", "specialised in the topic", "in full in the Special Envoy", "press conference"} {
		if n := strings.Count(s.Text, want); n != 1 {
			t.Errorf("%q appears %d times in the statement, want once", want, n)
		}
	}
	if strings.Contains(s.Text, "consultd:") || strings.Contains(s.Text, "مؤتمر") {
		t.Errorf("notes or Arabic reached the inviter:\n%s", s.Text)
	}
	w.waitFor("both languages published", func() bool {
		_, err := os.Stat(filepath.Join(w.dir, "published", roundID+".ar.html"))
		return err == nil
	})
	for _, f := range []string{roundID + ".html", roundID + ".md", roundID + ".ar.html", roundID + ".ar.md"} {
		b, err := os.ReadFile(filepath.Join(w.dir, "published", f))
		if err != nil {
			t.Errorf("not published: %v", err)
			continue
		}
		if strings.HasPrefix(f, roundID+".ar.") != strings.Contains(string(b), "مؤتمر صحفي") {
			t.Errorf("%s is not in its language:\n%s", f, b)
		}
	}
}
