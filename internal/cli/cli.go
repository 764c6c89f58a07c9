// Package cli implements consultd's command line, one file per subcommand.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"consultd/internal/config"
	"consultd/internal/token"
)

const usage = `consultd — a coalition's joint answer to invitations, by email.

Usage:
  consultd run --config FILE            watch the mailbox and run consultations (SIGINT/SIGTERM stop it)
  consultd check-config --config FILE   validate the configuration; exit 1 on any error
  consultd doctor --config FILE [--wait 2m]
                                        check the mail servers, TLS, folders and delivery to the plus address
  consultd login --config FILE          sign the mailbox in once (oauth2.grant: refresh_token)
  consultd rounds --config FILE         list rounds
  consultd round --config FILE ID       one round: members, answers, outbox, history
  consultd inspect [--config FILE] MESSAGE.eml|-
                                        print as JSON how a message is understood
  consultd demo [--keep] [-v] [--dir DIR]
                                        play the seed story on built-in mail servers
  consultd help                         this text

-c FILE is short for --config FILE.
`

// Main runs a subcommand and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func([]string, io.Reader, io.Writer, io.Writer) int{
		"run": runCmd, "check-config": checkConfigCmd, "rounds": roundsCmd, "round": roundCmd,
		"inspect": inspectCmd, "demo": demoCmd, "doctor": doctorCmd, "login": loginCmd,
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
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n", usageLine(name))
		fs.PrintDefaults()
	}
	return fs
}

// flagsFailed is the exit code after a flag error: -h/--help asked for
// the flags (printed by the flag package) and is no failure; anything else is
// a usage error.
func flagsFailed(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
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

// configFlag registers --config and its short form -c on fs.
func configFlag(fs *flag.FlagSet, help string) *string {
	p := fs.String("config", "", help)
	fs.StringVar(p, "c", "", "short for --config")
	return p
}

// noArgs reports, for a command that takes only flags, that no other
// argument was given, and says so otherwise.
func noArgs(cmd string, pos []string, stderr io.Writer) bool {
	if len(pos) == 0 {
		return true
	}
	fmt.Fprintf(stderr, "consultd %s: unexpected argument %q\nusage: %s\n", cmd, pos[0], usageLine(cmd))
	return false
}

// requireConfig reports a missing --config as a usage error (exit 2).
func requireConfig(cmd, path string, stderr io.Writer) bool {
	if path != "" {
		return true
	}
	fmt.Fprintf(stderr, "consultd %s: --config FILE is required\nusage: %s\n", cmd, usageLine(cmd))
	return false
}

// usageLine is the line of the usage text for one command.
func usageLine(cmd string) string {
	for _, l := range strings.Split(usage, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "consultd" && f[1] == cmd {
			return strings.Join(strings.Fields(strings.SplitN(l, "   ", 2)[0]), " ")
		}
	}
	return "consultd " + cmd
}

// loadConfig loads and validates the configuration, printing every error.
func loadConfig(path string, stderr io.Writer) (*config.Config, bool) {
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
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: token.RedactAttr}
	if strings.ToLower(cfg.Log.Format) == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
