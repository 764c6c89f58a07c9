// Package cli implements consultd's command line, one file per subcommand.
package cli

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"consultd/internal/config"
	"consultd/internal/round"
)

const usage = `consultd — a coalition's joint answer to invitations, by email.

Usage:
  consultd run --config FILE            watch the mailbox and run consultations (SIGINT/SIGTERM stop it)
  consultd check-config --config FILE   validate the configuration; exit 1 on any error
  consultd rounds --config FILE         list rounds
  consultd round --config FILE ID       one round: members, answers, outbox, history
  consultd inspect [--config FILE] MESSAGE.eml|-
                                        print as JSON how a message is understood
  consultd demo [--keep]                play the seed story on built-in mail servers
`

// Main runs a subcommand and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func([]string, io.Reader, io.Writer, io.Writer) int{
		"run": runCmd, "check-config": checkConfigCmd, "rounds": roundsCmd, "round": roundCmd,
		"inspect": inspectCmd, "demo": demoCmd,
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	f, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "consultd: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return f(args[1:], stdin, stdout, stderr)
}

// newFlags returns a flag set that reports errors on stderr without exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("consultd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags allows flags after positional arguments too ("round ID --config F").
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// loadConfig loads and validates the configuration, printing every error.
func loadConfig(path string, stderr io.Writer) (*config.Config, bool) {
	if path == "" {
		fmt.Fprintln(stderr, "consultd: --config FILE is required")
		return nil, false
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, false
	}
	return cfg, true
}

// newLogger builds the structured logger the configuration asks for.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(cfg.Log.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: round.RedactAttr}
	if strings.ToLower(cfg.Log.Format) == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

var _ = os.Stderr
