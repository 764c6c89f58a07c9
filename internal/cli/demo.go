package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"consultd/internal/demo"
)

// demoCmd is `consultd demo`: the seed story on built-in mail servers.
func demoCmd(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("demo", stderr)
	keep := fs.Bool("keep", false, "leave the servers running and print how to connect a mail client")
	verbose := fs.Bool("v", false, "also print consultd's log")
	dir := fs.String("dir", "", "keep the database and published statement in `DIR` (default: a temporary folder, removed at the end unless --keep)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagsFailed(err)
	}
	if !noArgs("demo", pos, stderr) {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := demo.Options{Keep: *keep, Dir: *dir, Out: stdout}
	if *verbose {
		o.Log = stderr
	}
	if err := demo.Run(ctx, o); err != nil {
		fmt.Fprintln(stderr, "consultd demo:", err)
		return 1
	}
	return 0
}
