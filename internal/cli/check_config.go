package cli

import (
	"fmt"
	"io"

	"consultd/internal/render"
)

// checkConfigCmd is `consultd check-config`: every error as FILE:LINE:COL: message.
func checkConfigCmd(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("check-config", stderr)
	path := configFlag(fs, "configuration file")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if *path == "" && len(pos) == 1 {
		*path = pos[0]
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
	fmt.Fprintf(stdout, "%s: OK (%d coordinators, %d members)\n", *path, len(cfg.Coordinators), len(cfg.Members))
	return 0
}
