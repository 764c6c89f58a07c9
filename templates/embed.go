// Package templates holds the built-in texts of every mail and statement
// consultd writes, one folder per language. Administrators can override any
// file by putting one of the same name under templates_dir/LANG/.
package templates

import "embed"

// FS holds en/*.tmpl and ar/*.tmpl.
//
//go:embed en ar
var FS embed.FS
