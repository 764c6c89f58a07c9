// Command consultd runs a coalition's consultations on invitations by email.
// See README.md; every subcommand is in internal/cli.
package main

import (
	"os"

	"consultd/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
