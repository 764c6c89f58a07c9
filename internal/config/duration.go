package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// UnmarshalYAML lets goccy/go-yaml decode a Duration directly and, unlike
// time.Duration, keep the position in the error. The error is an Error
// without File; Load fills the file in.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	v, err := durationFromNode(node)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes the short form ("72h", "30m") that ParseDuration reads.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// String is the short form: 72h, 1h30m, 45s (not 72h0m0s).
func (d Duration) String() string {
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func durationFromNode(node ast.Node) (Duration, error) {
	switch n := unwrap(node).(type) {
	case nil, *ast.NullNode:
		return Duration{}, nil
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		return Duration{}, badDuration(node, n.String())
	}
	raw := scalarText(node)
	d, err := ParseDuration(raw)
	if err != nil {
		return Duration{}, badDuration(node, raw)
	}
	return Duration{d}, nil
}

func badDuration(node ast.Node, raw string) *Error {
	p := posOf(node)
	return &Error{Line: p.line, Col: p.col, Msg: fmt.Sprintf("bad duration %q (use e.g. 72h, 30m)", raw)}
}

// ParseDuration reads Go durations ("72h", "1h30m", "45s") and also whole days
// ("3d", "1d12h"), since "72h" is not how people think of a week's notice.
// A bare number has no unit and is refused.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && s != "0" {
		return 0, fmt.Errorf("duration %q has no unit", s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if days > 0 && d < 0 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return days + d, nil
}
