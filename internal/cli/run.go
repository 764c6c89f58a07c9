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
func runCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdin, stdout, stderr)
}

// runContext is runCmd until ctx ends; a stop by ctx is a clean exit (0).
func runContext(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	path := configFlag(fs, "configuration file")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagsFailed(err)
	}
	if !noArgs("run", pos, stderr) {
		return 2
	}
	if !requireConfig("run", *path, stderr) {
		return 2
	}
	defaultMemoryLimit() // reading a 15,000-member configuration is already work for the collector
	cfg, ok := loadConfig(*path, stderr)
	if !ok {
		return 1
	}
	log := newLogger(cfg, stderr)
	setMemoryLimit(cfg, log)
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
