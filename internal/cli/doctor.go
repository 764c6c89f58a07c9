package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"consultd/internal/doctor"
)

// doctorCmd is `consultd doctor`: checks the mail servers as the daemon
// uses them, and prints a checklist; exit 0 only when every check passed.
func doctorCmd(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fs := newFlags("doctor", stderr)
	path := configFlag(fs, "configuration file")
	wait := fs.Duration("wait", 2*time.Minute, "how long the probe may take to arrive in the inbox")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagsFailed(err)
	}
	if !noArgs("doctor", pos, stderr) {
		return 2
	}
	if !requireConfig("doctor", *path, stderr) {
		return 2
	}
	cfg, ok := loadConfig(*path, stderr)
	if !ok {
		return 1
	}
	fmt.Fprintf(stdout, "consultd doctor: %s (%s)\n", cfg.Coalition.Address, cfg.Path)
	r := doctor.Run(ctx, doctor.Options{Cfg: cfg, Wait: *wait, Progress: stderr})
	r.Print(stdout)
	if !r.OK() {
		return 1
	}
	return 0
}
