package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"consultd/internal/answer"
	"consultd/internal/classify"
	"consultd/internal/config"
	"consultd/internal/mimeparse"
	"consultd/internal/store"
)

// inspectCmd is `consultd inspect`: how a message is understood, as JSON.
func inspectCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("inspect", stderr)
	path := configFlag(fs, "configuration file (optional): recognise coordinators, members and tokens")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagsFailed(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: consultd inspect [--config FILE] MESSAGE.eml|-")
		return 2
	}
	name := pos[0]
	if name == "-" {
		name = "stdin"
	}
	raw, err := readMessage(pos[0], stdin)
	if err != nil {
		fmt.Fprintln(stderr, "consultd inspect:", err)
		return 1
	}
	m, err := mimeparse.Parse(raw)
	if m == nil {
		fmt.Fprintf(stderr, "consultd inspect: %s: not an email message: %v\n", name, err)
		return 1
	}
	if !looksLikeMail(m) {
		fmt.Fprintf(stderr, "consultd inspect: %s: not an email message (no From, To, Subject, Date or Message-ID header)\n", name)
		return 1
	}
	var cfg *config.Config
	var q store.Querier
	var vocab []answer.Vocabulary
	if *path != "" {
		var ok bool
		if cfg, ok = loadConfig(*path, stderr); !ok {
			return 1
		}
		vocab = classify.Vocabulary(cfg)
		// Without a database (nothing has run yet) tokens match no round;
		// inspect never creates one.
		if _, err := os.Stat(cfg.Database); err == nil {
			st, err := store.Open(context.Background(), cfg.Database)
			if err != nil {
				fmt.Fprintf(stderr, "consultd inspect: database %s: %v\n", cfg.Database, err)
				return 1
			}
			defer st.Close()
			q = st.DB()
		}
	}
	u := classify.Understand(context.Background(), m, cfg, q, vocab, time.Now().UTC())
	if cfg != nil && q == nil {
		u.Notes = append(u.Notes, "no database yet at "+cfg.Database+": reply tokens were not looked up")
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(u); err != nil {
		fmt.Fprintln(stderr, "consultd:", err)
		return 1
	}
	return 0
}

// maxMessage bounds what inspect reads: far above any real mail.
const maxMessage = 64 << 20

// readMessage reads a file, or stdin for "-", refusing anything over maxMessage.
func readMessage(path string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	} else if stdin == nil {
		return nil, errors.New("no standard input")
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxMessage+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxMessage {
		return nil, fmt.Errorf("%s: larger than %d MiB, not inspected", path, maxMessage>>20)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: empty, not an email message", path)
	}
	return raw, nil
}

// looksLikeMail tells a message from an arbitrary file: mimeparse reads
// anything, so a file with none of the header fields every mail client
// writes is refused rather than printed as an empty "unknown".
func looksLikeMail(m *mimeparse.Message) bool {
	return len(m.From) > 0 || len(m.To) > 0 || m.Subject != "" || !m.Date.IsZero() || m.MessageID != "" ||
		m.Get("From") != "" || m.Get("Subject") != ""
}
