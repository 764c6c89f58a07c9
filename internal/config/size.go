package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Size is a number of bytes written like 25MB, 512KB, 1.5GB or a plain
// number of bytes. KB, MB and GB (or KiB, MiB, GiB) are powers of 1024.
type Size struct{ Bytes int64 }

// Memory and size defaults.
const (
	// DefaultMaxMessageSize: larger inbound mail goes to the review folder
	// unread (Gmail and Microsoft 365 accept up to 25 MB too).
	DefaultMaxMessageSize = 25 << 20
	// DefaultMemoryLimit is the soft limit given to the Go runtime
	// (runtime/debug.SetMemoryLimit): the garbage collector works harder as
	// the heap nears it, so a flood of big messages does not grow the
	// process. It is no hard cap: a message that needs more still gets it.
	DefaultMemoryLimit = 40 << 20

	minMaxMessageSize = 64 << 10
	maxMaxMessageSize = 1 << 30
	minMemoryLimit    = 16 << 20
)

var sizeType = reflect.TypeOf(Size{})

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
}

// ParseSize reads "25MB", "25 MiB", "512kb", "1048576".
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mult, ok := sizeUnits[unit]
	f, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || f < 0 || f*mult > 1<<62 {
		return 0, fmt.Errorf("%q is not a size (write e.g. 25MB, 512KB or a number of bytes)", s)
	}
	return int64(f * mult), nil
}

func (s Size) String() string {
	switch {
	case s.Bytes >= 1<<20 && s.Bytes%(1<<20) == 0:
		return fmt.Sprintf("%dMB", s.Bytes>>20)
	case s.Bytes >= 1<<10 && s.Bytes%(1<<10) == 0:
		return fmt.Sprintf("%dKB", s.Bytes>>10)
	}
	return strconv.FormatInt(s.Bytes, 10)
}

func (d *decoder) decodeSize(node ast.Node, v reflect.Value, path string) {
	switch node.(type) {
	case nil, *ast.NullNode:
		return
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		d.typeErr(node, path, "a size such as 25MB")
		return
	}
	n, err := ParseSize(scalarText(node))
	if err != nil {
		d.bad[path] = true
		d.errAt(node, path, fmt.Sprintf("%s: %v", display(path), err))
		return
	}
	v.Set(reflect.ValueOf(Size{n}))
}

// sizeDefaults fills the size settings left out.
func (v *validator) sizeDefaults() {
	if !v.present("imap.max_message_size") {
		v.c.IMAP.MaxMessageSize = Size{DefaultMaxMessageSize}
	}
	if !v.present("memory_limit") {
		v.c.MemoryLimit = Size{DefaultMemoryLimit}
	}
}

func (v *validator) validateSizes() {
	if n := v.c.IMAP.MaxMessageSize.Bytes; n < minMaxMessageSize || n > maxMaxMessageSize {
		v.errf("imap.max_message_size", "%s is out of range: between 64KB and 1GB", v.c.IMAP.MaxMessageSize)
	}
	if n := v.c.MemoryLimit.Bytes; n != 0 && n < minMemoryLimit {
		v.errf("memory_limit", "%s is too small: at least 16MB, or 0 for none", v.c.MemoryLimit)
	}
}
