package demo

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"consultd/configs"
	"consultd/internal/command"
	"consultd/internal/config"
	"consultd/internal/demo/story"
	"consultd/internal/render"
	"consultd/internal/round"
	"consultd/internal/sender"
	"consultd/internal/store"
)

// seedConcerns and seedRecommendations are words only the seed's concern or
// recommendation of that number uses in the statement.
var (
	seedConcerns        = []string{"not reflected in", "not systematic", "no prior consultation", "do not know enough about the topics"}
	seedRecommendations = []string{"choosing the topics", "frameworks and discussion points", "specialised in the topic", "in full in the Special Envoy", "press conference"}
)

// TestTheSeedStoryInTheMembersOwnWords plays the seed story with the nine
// organisations writing their points in their own words, Arabic ones in
// Arabic, for a coalition that publishes in English and Arabic: the draft
// groups the paraphrases and marks what needs translating; once a coordinator
// sends back both versions translated, the inviter's statement has the
// seed's four concerns and five recommendations, each once, and both
// languages are published, linked.
func TestTheSeedStoryInTheMembersOwnWords(t *testing.T) {
	dir := t.TempDir()
	y := strings.Replace(string(configs.Demo), "coordinator_confirmation: when_unauthenticated", "coordinator_confirmation: never", 1) +
		"\nstatement_languages: [en, ar]\n"
	p := filepath.Join(dir, "demo.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := render.New("")
	if err != nil {
		t.Fatal(err)
	}
	e := round.New(cfg, st, r, slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	e.Now = func() time.Time { return now }
	uid := uint32(0)
	handle := func(raw []byte) {
		t.Helper()
		uid++
		if _, err := e.Handle(ctx, round.Incoming{Raw: raw, Mailbox: "INBOX", UIDValidity: 1, UID: uid}); err != nil {
			t.Fatal(err)
		}
	}
	outbox := func(kind store.MailKind) []sender.Mail {
		t.Helper()
		rows, err := store.DueOutbox(ctx, st.DB(), now.Add(1000*time.Hour), 10000)
		if err != nil {
			t.Fatal(err)
		}
		var out []sender.Mail
		for _, row := range rows {
			var m sender.Mail
			if row.Kind == kind && json.Unmarshal(row.Payload, &m) == nil {
				out = append(out, m)
			}
		}
		return out
	}
	coord := cfg.Coordinators[0]
	handle(story.Forward(coord.Name, coord.Email, cfg.Coalition.Address, now))
	cons, contact := map[string]story.Consultation{}, map[string]string{}
	for _, m := range cfg.Members {
		contact[m.ID] = m.Emails[0]
	}
	for _, m := range outbox(store.MailConsultation) {
		for _, id := range cfg.Members {
			if m.To[0].Addr == id.Emails[0] {
				cons[id.ID] = story.Consultation{MessageID: m.MessageID, ReplyTo: m.ReplyTo.Addr, Subject: m.Subject, Body: m.Text, Date: m.Date}
			}
		}
	}
	if len(cons) != len(cfg.Members) {
		t.Fatalf("%d consultations for %d members", len(cons), len(cfg.Members))
	}
	for _, a := range story.OwnWords(cons, contact, now) {
		handle(a.Raw)
	}
	drafts := outbox(store.MailDraft)
	if len(drafts) != 1 || len(outbox(store.MailStatement)) != 0 {
		t.Fatalf("%d drafts, %d statements: the draft must go to the coordinators first", len(drafts), len(outbox(store.MailStatement)))
	}
	d := drafts[0].Text
	t.Logf("The coordinators' draft:\n%s", d)
	en := block(t, d, command.BeginMarker, command.EndMarker)
	ar := block(t, d, "----- BEGIN STATEMENT (ar) -----", "----- END STATEMENT (ar) -----")
	for _, want := range []string{
		"(consultd: raised by Baytna Syria, Violations Documentation Center (VDC))",
		"(consultd: grouped by similarity with “the results of previous CSSR meetings were not fully reflected",
		"(consultd: raised by AlKawakbi Center For Transitional Justice and Human Rights, Syrian Center for Media and Freedom of Expression (SCM))\n(consultd: grouped by similarity with “تُختار مواضيع الاجتماعات بطريقة غير منهجية.” — split or edit if they differ)\n(consultd: written in Arabic — translate or remove)",
		"(consultd: raised by Association of Detainees and The Missing in Sednaya Prison)\n(consultd: written in Arabic — translate or remove)",
	} {
		if !strings.Contains(en, want) {
			t.Errorf("the English draft lacks %q", want)
		}
	}
	// The coordinator translates the Arabic points of the English version and
	// the English points of the Arabic version, notes left in, and sends both back.
	en, ar = story.Translate(en, ar)
	reply := "From: " + coord.Name + " <" + coord.Email + ">\r\nTo: <" + cfg.Coalition.Address + ">\r\nSubject: Re: " + drafts[0].Subject +
		"\r\nMessage-ID: <translated-1@coalition.example>\r\nIn-Reply-To: <" + drafts[0].MessageID + ">\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll("Translated, both versions.\n\n"+command.BeginMarker+"\n"+en+"\n"+command.EndMarker+"\n\n----- BEGIN STATEMENT (ar) -----\n"+ar+"\n----- END STATEMENT (ar) -----\n", "\n", "\r\n")
	handle([]byte(reply))
	stmts := outbox(store.MailStatement)
	if len(stmts) != 1 {
		t.Fatalf("%d statements after the translated reply; command replies: %+v", len(stmts), outbox(store.MailCommandReply))
	}
	s := stmts[0].Text
	t.Logf("The statement the inviter received:\n%s", s)
	concerns, recs := numbered(s, "- "), numbered(s, ". ")
	if len(concerns) != 4 || len(recs) != 5 {
		t.Errorf("%d concerns and %d recommendations, want the seed's 4 and 5:\n%s", len(concerns), len(recs), s)
	}
	for i, w := range seedConcerns {
		if n := strings.Count(s, w); n != 1 {
			t.Errorf("seed concern %d (%q) appears %d times, want once", i+1, w, n)
		}
	}
	for i, w := range seedRecommendations {
		if n := strings.Count(s, w); n != 1 {
			t.Errorf("seed recommendation %d (%q) appears %d times, want once", i+1, w, n)
		}
	}
	for _, bad := range []string{"consultd:", "ال"} {
		if strings.Contains(s, bad) {
			t.Errorf("the inviter's statement carries %q", bad)
		}
	}
	rounds, _ := store.ListRounds(ctx, st.DB())
	id := rounds[0].ID
	arPage, err := os.ReadFile(filepath.Join(cfg.PublishDir, id+".ar.html"))
	if err != nil {
		t.Fatal(err)
	}
	enPage, err := os.ReadFile(filepath.Join(cfg.PublishDir, id+".html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(arPage), "مؤتمر صحفي") || !strings.Contains(string(arPage), `href="`+id+`.html"`) || !strings.Contains(string(enPage), `href="`+id+`.ar.html"`) {
		t.Errorf("the published pages are not both languages, linked:\n%s", arPage)
	}
	if strings.Contains(string(arPage), "Security Council") {
		t.Errorf("English left in the Arabic page:\n%s", arPage)
	}
}

func block(t *testing.T, text, begin, end string) string {
	t.Helper()
	_, rest, ok := strings.Cut(text, begin+"\n")
	b, _, ok2 := strings.Cut(rest, "\n"+end)
	if !ok || !ok2 {
		t.Fatalf("no %q block in:\n%s", begin, text)
	}
	return b
}

// numbered are the lines "N<sep>…" of a statement: its numbered points.
func numbered(s, sep string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		i := strings.IndexFunc(l, func(r rune) bool { return r < '0' || r > '9' })
		if i > 0 && strings.HasPrefix(l[i:], sep) {
			out = append(out, l)
		}
	}
	return out
}
