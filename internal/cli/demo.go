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
	if _, err := parseFlags(fs, args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := demo.Options{Keep: *keep, Out: stdout}
	if *verbose {
		o.Log = stderr
	}
	if err := demo.Run(ctx, o); err != nil {
		fmt.Fprintln(stderr, "consultd demo:", err)
		return 1
	}
	return 0
}
