// Package configs embeds the shipped configuration files so the binary can
// print the documented example and run the demo without files on disk.
package configs

import _ "embed"

// Example is configs/example.yaml: every key, documented.
//
//go:embed example.yaml
var Example []byte

// Demo is configs/demo.yaml: the built-in demo's coalition.
//
//go:embed demo.yaml
var Demo []byte
