package itest

import (
	"strings"
	"testing"
	"time"

	"consultd/internal/command"
	"consultd/internal/demo"
	"consultd/internal/demo/story"
	"consultd/internal/mailstack"
	"consultd/internal/statement/grouptest"
)

// TestThirtyTwoMembersInTheirOwnWordsAreGroupedByMeaning: the labelled round
// of package grouptest (32 members, en and ar, paraphrases, partial overlaps
// and false friends) answers through Postfix to the running daemon, and the
// coordinators' draft groups their points as the labels say; the grouped and
// the Arabic points keep the draft from the inviter.
func TestThirtyTwoMembersInTheirOwnWordsAreGroupedByMeaning(t *testing.T) {
	ms := mailstack.Start(t)
	members, gold, err := grouptest.Load()
	if err != nil {
		t.Fatal(err)
	}
	var ids, names, langs []string
	for _, m := range members {
		ids, names, langs = append(ids, m.ID), append(names, m.Name), append(langs, m.Lang)
	}
	w := newWorldIDs(t, ms, ids, names, langs, "")
	w.Start()
	w.send(w.coord, []string{w.coalition}, story.ForwardAttached("Rania", w.coord, w.coalition, w.inviter, time.Now()))
	w.confirm(1)
	w.inbox(w.coord, "INBOX", "Round opened", 1)
	for i, m := range members {
		from := w.members[i].emails[0]
		c := demo.ParseConsultation(rawOf(t, w, from))
		reply := story.GmailReply
		if m.Lang == "ar" {
			reply = story.GmailReplyAr
		}
		w.send(from, []string{c.ReplyTo}, reply(c, m.Name, from, time.Now(), strings.Join(m.Text, "\n")))
	}
	d := w.inbox(w.coord, "INBOX", "Draft statement for approval", 1)[0]
	_, rest, ok := strings.Cut(d.Text, command.BeginMarker+"\n")
	draft, _, ok2 := strings.Cut(rest, "\n"+command.EndMarker)
	if !ok || !ok2 {
		t.Fatalf("the draft has no marker lines:\n%s", d.Text)
	}
	sc := grouptest.Grade(draft, gold)
	t.Logf("corpus statement-round-daemon: precision %.3f recall %.3f (%d members, %d wordings, %d points in the draft)",
		sc.Precision(), sc.Recall(), len(members), sc.Wordings, grouptest.Points(draft))
	if len(sc.Unknown) > 0 || sc.Wordings != len(gold) {
		t.Errorf("the draft shows %d of the %d wordings the members wrote; unknown: %q", sc.Wordings, len(gold), sc.Unknown)
	}
	if sc.Precision() < 0.95 || sc.Recall() < 0.85 {
		t.Errorf("grouping precision %.3f recall %.3f through the daemon, want ≥ 0.95 / ≥ 0.85; draft:\n%s", sc.Precision(), sc.Recall(), draft)
	}
	if !strings.Contains(draft, "(consultd: written in Arabic — translate or remove)") {
		t.Errorf("no Arabic point is marked for translation:\n%s", draft)
	}
	if n := w.count(w.inviter, "INBOX", "Re: "+story.InviteSubject); n != 0 {
		t.Fatalf("the inviter received %d statements before the coordinators reviewed the grouped points", n)
	}
}
