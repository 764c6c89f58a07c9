// Package templates holds the built-in texts of every mail and statement
// consultd writes, one folder per language of internal/lang (its test
// checks each has every template, executes and says how to answer).
// Administrators can override any file by putting one of the same name under
// templates_dir/LANG/, or add a language with a folder templates_dir/CODE/.
package templates

import "embed"

// FS holds one folder per built-in language (internal/lang): en, ar, fr.
//
//go:embed en ar fr
var FS embed.FS
