package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"consultd/internal/inert"
	"consultd/internal/sender"
	"consultd/internal/store"
)

// openStore opens the database of the configuration at path. A database that
// does not exist yet is reported (missing=true) rather than silently created,
// so that a mistyped database path does not look like an empty history.
func openStore(path string, stderr io.Writer) (st *store.Store, missing, ok bool) {
	cfg, ok := loadConfig(path, stderr)
	if !ok {
		return nil, false, false
	}
	if _, err := os.Stat(cfg.Database); errors.Is(err, fs.ErrNotExist) {
		return nil, true, true
	}
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		fmt.Fprintf(stderr, "consultd: database %s: %v\n", cfg.Database, err)
		return nil, false, false
	}
	return st, false, true
}

// roundsCmd is `consultd rounds`: one line per round.
func roundsCmd(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fl := newFlags("rounds", stderr)
	path := configFlag(fl, "configuration file")
	pos, err := parseFlags(fl, args)
	if err != nil {
		return flagsFailed(err)
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "consultd rounds: unexpected argument %q (for one round: consultd round --config FILE ID)\n", pos[0])
		return 2
	}
	if !requireConfig("rounds", *path, stderr) {
		return 2
	}
	st, missing, ok := openStore(*path, stderr)
	if !ok {
		return 1
	}
	if missing {
		fmt.Fprintln(stdout, "no rounds yet (no database yet; consultd run creates it)")
		return 0
	}
	defer st.Close()
	ctx := context.Background()
	rounds, err := store.ListRounds(ctx, st.DB())
	if err != nil {
		fmt.Fprintln(stderr, "consultd:", err)
		return 1
	}
	if err := printPending(ctx, st, stdout); err != nil {
		fmt.Fprintln(stderr, "consultd:", err)
		return 1
	}
	if len(rounds) == 0 {
		fmt.Fprintln(stdout, "no rounds yet")
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUND\tSTATE\tANSWERED\tDEADLINE\tOUTCOME\tINVITER\tTITLE")
	for _, r := range rounds {
		n, total, err := store.CountAnswered(ctx, st.DB(), r.ID) // counted, not read: rounds can have 15,000 members
		if err != nil {
			fmt.Fprintln(stderr, "consultd:", err)
			return 1
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\n", r.ID, r.State, n, total, r.Deadline.Format("2006-01-02 15:04 MST"),
			dash(r.Outcome.String()), line(r.InviterAddress), line(r.Title))
	}
	tw.Flush()
	return 0
}

// roundCmd is `consultd round ID`: members, answers so far, outbox and history.
func roundCmd(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fl := newFlags("round", stderr)
	path := configFlag(fl, "configuration file")
	all := fl.Bool("outbox", false, "list every outgoing message, not only those not delivered yet (a large round has tens of thousands)")
	pos, err := parseFlags(fl, args)
	if err != nil {
		return flagsFailed(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: consultd round --config FILE [--outbox] ROUND-ID")
		return 2
	}
	if !requireConfig("round", *path, stderr) {
		return 2
	}
	st, missing, ok := openStore(*path, stderr)
	if !ok {
		return 1
	}
	if missing {
		fmt.Fprintf(stderr, "consultd: no round %q: there is no database yet (consultd run creates it)\n", pos[0])
		return 1
	}
	defer st.Close()
	ctx := context.Background()
	r, err := store.GetRound(ctx, st.DB(), pos[0])
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(stderr, "consultd: no round %q (consultd rounds --config %s lists them)\n", pos[0], *path)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "consultd:", err)
		return 1
	}
	ps, err := store.Participants(ctx, st.DB(), r.ID)
	if err != nil {
		fmt.Fprintln(stderr, "consultd: members:", err)
		return 1
	}
	counts, err := store.OutboxCounts(ctx, st.DB(), r.ID)
	if err != nil {
		fmt.Fprintln(stderr, "consultd: outbox:", err)
		return 1
	}
	evs, err := store.Events(ctx, st.DB(), r.ID)
	if err != nil {
		fmt.Fprintln(stderr, "consultd: history:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Round %s — %s\n", r.ID, r.State)
	fmt.Fprintf(stdout, "  Invitation: %s\n  Inviter:    %s <%s>\n  Subject:    %s\n  Message-ID: %s\n  Opened:     %s by %s\n  Deadline:   %s (%s)\n",
		line(r.Title), line(r.InviterName), line(r.InviterAddress), line(r.OrigSubject), line(dash(r.OrigMessageID)), r.CreatedAt.Format(time.RFC1123),
		r.OpenedBy, r.Deadline.Format(time.RFC1123), r.DeadlineSource)
	if r.Outcome != "" {
		fmt.Fprintf(stdout, "  Outcome:    %s\n", r.Outcome)
	}
	fmt.Fprintln(stdout, "\nMembers:")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  MEMBER\tPOSITION\tSIGN\tCONCERNS\tRECOMMENDATIONS\tANSWERED\tCONTACTS")
	for _, p := range ps {
		sign := "-"
		if p.Sign != nil {
			sign = map[bool]string{true: "yes", false: "no"}[*p.Sign]
		}
		at := "-"
		if !p.AnsweredAt.IsZero() {
			at = p.AnsweredAt.Format("2006-01-02 15:04")
		}
		contacts := strings.Join(p.Emails, ", ")
		if len(p.Undeliverable) > 0 {
			contacts += " (undeliverable: " + strings.Join(p.Undeliverable, ", ") + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%s\t%s\n", p.MemberID, dash(p.Position), sign, len(p.Concerns), len(p.Recommendations), at, contacts)
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nOutbox:")
	if err := printOutbox(ctx, st, stdout, r.ID, counts, *all); err != nil {
		fmt.Fprintln(stderr, "consultd: outbox:", err)
		return 1
	}
	fmt.Fprintln(stdout, "\nHistory:")
	for _, e := range evs {
		fmt.Fprintf(stdout, "  %s  %s\n", e.At.Format("2006-01-02 15:04:05"), inert.Text(e.Text))
	}
	if r.Statement != "" {
		fmt.Fprintf(stdout, "\nStatement:\n%s\n", inert.Text(r.Statement))
	}
	// The statement's other statement_languages, in a stable order.
	langs := make([]string, 0, len(r.Translations))
	for l := range r.Translations {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		fmt.Fprintf(stdout, "\nStatement (%s):\n%s\n", l, inert.Text(r.Translations[l]))
	}
	return 0
}

// recipients lists the first few addresses of a mail: a statement copied to
// every member would otherwise push every other column off the screen.
func recipients(addrs []string) string {
	const show = 3
	if len(addrs) <= show+1 {
		return strings.Join(addrs, ", ")
	}
	return fmt.Sprintf("%s + %d more", strings.Join(addrs[:show], ", "), len(addrs)-show)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// line is text from mail (an inviter's name, a subject) as one line for the
// terminal: no escape sequence a sender wrote can recolour, rewrite or hide
// what the administrator reads.
func line(s string) string { return inert.Header(s) }

// listAllUpTo is the size of outbox below which `consultd round` lists every
// message without --outbox; above it, the counts and what is not delivered.
const listAllUpTo = 60

// printOutbox prints the round's outbox: counts by kind and state, then each
// message, or for a large round only those not delivered yet (every one with
// all), read one row at a time.
func printOutbox(ctx context.Context, st *store.Store, w io.Writer, roundID string, counts []store.OutboxCount, all bool) error {
	total, notSent := 0, 0
	byKind := map[store.MailKind][]string{}
	var kinds []store.MailKind
	for _, c := range counts {
		total += c.N
		if c.State != store.OutboxSent {
			notSent += c.N
		}
		if byKind[c.Kind] == nil {
			kinds = append(kinds, c.Kind)
		}
		byKind[c.Kind] = append(byKind[c.Kind], fmt.Sprintf("%d %s", c.N, c.State))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range kinds {
		fmt.Fprintf(tw, "  %s\t%s\n", k, strings.Join(byKind[k], ", "))
	}
	tw.Flush()
	onlyNotSent := !all && total > listAllUpTo
	if onlyNotSent {
		if notSent == 0 {
			fmt.Fprintf(w, "  (every message delivered; consultd round --outbox %s lists the %d messages)\n", roundID, total)
			return nil
		}
		fmt.Fprintf(w, "  Not delivered yet (consultd round --outbox %s lists all %d):\n", roundID, total)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	err := store.OutboxOfRound(ctx, st.DB(), roundID, onlyNotSent, func(o *store.OutboxRow) error {
		m, err := store.DecodeMail(o.Payload)
		if err != nil {
			m.Subject = "(unreadable payload)"
		}
		extra := ""
		if o.LastError != "" {
			extra = " — " + line(o.LastError)
		}
		state := string(o.State)
		switch {
		case o.State == store.OutboxSent && o.Proof == sender.ProofCopy:
			state = "sent (proven by the coalition's copy)"
		case o.State == store.OutboxSending:
			state = "sending (interrupted; looking for the coalition's copy before sending again)"
		}
		fmt.Fprintf(tw, "  #%d\t%s\t%s\t%s\t%s%s\n", o.ID, o.Kind, state, line(m.Subject), recipients(o.Recipients), extra)
		return nil
	})
	tw.Flush()
	return err
}
