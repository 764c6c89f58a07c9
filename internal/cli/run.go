package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"consultd/internal/daemon"
)

// runCmd is `consultd run`: the daemon, until SIGINT or SIGTERM.
func runCmd(args []string, _ io.Reader, _, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	path := fs.String("config", "", "configuration file")
	if _, err := parseFlags(fs, args); err != nil {
		return 2
	}
	cfg, ok := loadConfig(*path, stderr)
	if !ok {
		return 1
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := daemon.New(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "consultd:", err)
		return 1
	}
	if err := d.Run(ctx); err != nil {
		log.Error("consultd stopped on an error", "err", err)
		return 1
	}
	return 0
}
