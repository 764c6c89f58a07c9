package config

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in the configuration file, at a 1-based line and column.
// Line 0 means the problem is about the file as a whole.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

// oneLine keeps each error on one line even when it quotes a value (a
// username, a path) that contains a line break.
var oneLine = strings.NewReplacer("\n", `\n`, "\r", `\r`)

func (e Error) Error() string {
	if e.Line <= 0 {
		return oneLine.Replace(fmt.Sprintf("%s: %s", e.File, e.Msg))
	}
	return oneLine.Replace(fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg))
}

// Errors is every problem found in one file, ordered by position. Load returns
// it (as error) so that an administrator fixes everything in one pass.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sorted orders errors by position and drops exact duplicates (the same
// problem can be seen by the decoder and by validation).
func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
	out := es[:0]
	for i, e := range es {
		if i > 0 && e == es[i-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}
