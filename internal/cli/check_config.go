package cli

import (
	"fmt"
	"io"

	"consultd/internal/mailauth"
	"consultd/internal/render"
)

// checkConfigCmd is `consultd check-config`: every error as FILE:LINE:COL: message.
func checkConfigCmd(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("check-config", stderr)
	path := configFlag(fs, "configuration file")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagsFailed(err)
	}
	if *path == "" && len(pos) > 0 { // "check-config FILE" works too
		*path, pos = pos[0], pos[1:]
	}
	if !noArgs("check-config", pos, stderr) {
		return 2
	}
	if !requireConfig("check-config", *path, stderr) {
		return 2
	}
	cfg, ok := loadConfig(*path, stderr)
	if !ok {
		return 1
	}
	if _, err := render.New(cfg.TemplatesDir); err != nil {
		fmt.Fprintf(stderr, "%s: templates: %v\n", *path, err)
		return 1
	}
	// The files the logins need (a key, a certificate, the stored sign-in)
	// are read as run reads them.
	if _, err := mailauth.New(cfg, nil); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", *path, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK (%s, %s)\n", *path, plural(len(cfg.Coordinators), "coordinator"), plural(len(cfg.Members), "member"))
	return 0
}

// plural writes "1 member", "3 members".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
