package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"consultd/internal/answer"
	"consultd/internal/config"
	"consultd/internal/mimeparse"
	"consultd/internal/round"
	"consultd/internal/store"
)

// inspectCmd is `consultd inspect`: how a message is understood, as JSON.
func inspectCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("inspect", stderr)
	path := fs.String("config", "", "configuration file (optional): recognise coordinators, members and tokens")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: consultd inspect [--config FILE] MESSAGE.eml|-")
		return 2
	}
	var raw []byte
	if pos[0] == "-" {
		raw, err = io.ReadAll(io.LimitReader(stdin, 64<<20))
	} else {
		raw, err = os.ReadFile(pos[0])
	}
	if err != nil {
		fmt.Fprintln(stderr, "consultd:", err)
		return 1
	}
	m, err := mimeparse.Parse(raw)
	if m == nil {
		fmt.Fprintln(stderr, "consultd: not an email:", err)
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
		vocab = round.Vocabulary(cfg)
		if _, err := os.Stat(cfg.Database); err == nil {
			st, err := store.Open(context.Background(), cfg.Database)
			if err == nil {
				defer st.Close()
				q = st.DB()
			}
		}
	}
	u := round.Understand(context.Background(), m, cfg, q, vocab, time.Now().UTC())
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(u); err != nil {
		fmt.Fprintln(stderr, "consultd:", err)
		return 1
	}
	return 0
}
