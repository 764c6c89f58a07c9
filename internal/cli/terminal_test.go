package cli

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"consultd/internal/config"
	"consultd/internal/store"
)

// `consultd round` prints what inviters and members wrote; escape sequences
// in it (a hyperlink, a screen clear, a title change) never reach the
// administrator's terminal, and the words do.
func TestRoundPrintsNoTerminalEscapes(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir)
	id, _ := openRound(t, cfgPath)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Tx(ctx, func(tx *sql.Tx) error {
		r, err := store.GetRound(ctx, tx, id)
		if err != nil {
			return err
		}
		// As a forward could bring them (UpdateRound does not write these).
		if _, err := tx.ExecContext(ctx, `UPDATE rounds SET title=?, inviter_name=?, orig_subject=? WHERE id=?`,
			"Geneva\x1b]8;;https://evil.example\x07 talks\x1b]8;;\x07", "Envoy\x1b[2J\r\nFake: line", "Invitation \u202Efdp.exe", id); err != nil {
			return err
		}
		r.Statement = "Statement\n\nWe decline.\x1b]0;owned\x07\n\u202E1. spoof"
		r.Translations = map[string]string{"ar": "بيان\n\nنعتذر.\x1b[2J"}
		return store.UpdateRound(ctx, tx, r)
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"round", id, "--config", cfgPath}, {"rounds", "--config", cfgPath}} {
		r := consultd(t, "", args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", args[0], r.code, r.stderr)
		}
		if strings.ContainsAny(r.stdout, "\x1b\x07\r\u202E") {
			t.Errorf("%s prints control characters: %q", args[0], r.stdout)
		}
		if !strings.Contains(r.stdout, "Geneva]8;;https://evil.example talks]8;;") {
			t.Errorf("%s lacks the title's words:\n%s", args[0], r.stdout)
		}
		if args[0] == "round" && (!strings.Contains(r.stdout, "Envoy[2J Fake: line") || !strings.Contains(r.stdout, "We decline.]0;owned\n1. spoof")) {
			t.Errorf("round lacks the inviter or statement:\n%s", r.stdout)
		}
		if args[0] == "round" && !strings.Contains(r.stdout, "Statement (ar):\nبيان\n\nنعتذر.[2J") {
			t.Errorf("round lacks the statement's other language:\n%s", r.stdout)
		}
	}
}
