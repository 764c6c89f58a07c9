package config

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// A YAML parser's tree costs about a hundred times the text it was read
// from: a 15,000-member list (~2 MB) would take the daemon past 150 MB at
// start. A large file's members list is therefore parsed a slice of members
// at a time, each slice dropped once decoded, with the same positions in
// errors. Anything the slicing cannot be sure of (anchors and aliases, flow
// style, tags, document markers) falls back to parsing the file whole.
const (
	chunkedFrom   = 256 << 10 // files at least this big
	membersAChunk = 250
)

var (
	membersKey    = regexp.MustCompile(`^members:[ \t]*(#.*)?$`)
	aliasOrAnchor = regexp.MustCompile(`(^|[\s\[{,:-])[&*!][^\s,\]}]`)
	// quotedOrComment is what may hold & * ! without being YAML syntax.
	quotedOrComment = regexp.MustCompile(`'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|(?:^|\s)#.*$`)
)

// membersBlock is the members list of a file, cut out of it.
type membersBlock struct {
	rest  []byte     // the file with the list replaced by "members: []" and blank lines
	items [][][]byte // each member's lines
	first []int      // each member's first line number (1-based)
}

// cutMembers finds a top-level block-style members list and cuts it into
// members; ok is false when it cannot be sure to read it as the parser would.
func cutMembers(data []byte) (b membersBlock, ok bool) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	start := -1
	for i, l := range lines {
		if membersKey.Match(bytes.TrimRight(l, "\r\n")) {
			if start >= 0 {
				return b, false // twice: the parser reports it
			}
			start = i
		}
	}
	if start < 0 {
		return b, false
	}
	indent := -1
	end := start + 1
	for ; end < len(lines); end++ {
		l := bytes.TrimRight(lines[end], "\r\n")
		t := bytes.TrimLeft(l, " ")
		if len(t) == 0 || t[0] == '#' {
			if len(b.items) > 0 { // kept, so that the lines after it keep their numbers
				b.items[len(b.items)-1] = append(b.items[len(b.items)-1], lines[end])
			}
			continue
		}
		if bytes.HasPrefix(l, []byte("---")) || bytes.HasPrefix(l, []byte("...")) || bytes.ContainsRune(l, '\t') {
			return b, false
		}
		n := len(l) - len(t)
		isItem := t[0] == '-' && (len(t) == 1 || t[1] == ' ')
		if indent < 0 {
			if !isItem {
				return b, false
			}
			indent = n
		}
		if n < indent || (n == indent && !isItem) {
			if n == 0 {
				break // the next top-level key
			}
			return b, false
		}
		if aliasOrAnchor.Match(quotedOrComment.ReplaceAll(t, nil)) {
			return b, false
		}
		if n == indent {
			b.items = append(b.items, nil)
			b.first = append(b.first, end+1)
		}
		if len(b.items) == 0 {
			return b, false
		}
		b.items[len(b.items)-1] = append(b.items[len(b.items)-1], lines[end])
	}
	if len(b.items) == 0 {
		return b, false
	}
	var rest bytes.Buffer
	rest.Grow(len(data))
	for i, l := range lines {
		switch {
		case i == start:
			rest.WriteString("members: []\n")
		case i > start && i < end:
			rest.WriteByte('\n') // keeps the line numbers of what follows
		default:
			rest.Write(l)
		}
	}
	b.rest = rest.Bytes()
	return b, true
}

// decodeMembers decodes the cut-out members into cfg.Members, a slice of them
// at a time, recording their positions as decodeSlice does; ok is false when
// a slice does not parse (the caller then parses the file whole, for the
// error the parser gives there).
func (d *decoder) decodeMembers(b membersBlock, cfg *Config) bool {
	members := reflect.ValueOf(&cfg.Members).Elem()
	members.Set(reflect.MakeSlice(members.Type(), 0, len(b.items)))
	for from := 0; from < len(b.items); from += membersAChunk {
		to := min(from+membersAChunk, len(b.items))
		// Blank lines first, so that each member is on its own line numbers.
		var text bytes.Buffer
		text.Write(bytes.Repeat([]byte("\n"), b.first[from]-2))
		text.WriteString("members:\n")
		for _, item := range b.items[from:to] {
			for _, l := range item {
				text.Write(l)
			}
		}
		file, err := parser.ParseBytes(text.Bytes(), 0)
		if err != nil || len(file.Docs) != 1 || file.Docs[0].Body == nil {
			return false
		}
		seq := membersSequence(file.Docs[0].Body)
		if seq == nil || len(seq.Values) != to-from {
			return false
		}
		for i, item := range seq.Values {
			k := from + i
			members.Set(reflect.Append(members, reflect.Zero(members.Type().Elem())))
			ip := fmt.Sprintf("members[%d]", k)
			d.keys[ip] = posOf(item)
			d.present[ip] = true
			d.decode(item, members.Index(k), ip)
		}
	}
	return true
}

// membersSequence is the list under "members:" in a parsed slice.
func membersSequence(body ast.Node) *ast.SequenceNode {
	var mv *ast.MappingValueNode
	switch n := body.(type) {
	case *ast.MappingValueNode:
		mv = n
	case *ast.MappingNode:
		if len(n.Values) == 1 {
			mv = n.Values[0]
		}
	}
	if mv == nil {
		return nil
	}
	seq, _ := mv.Value.(*ast.SequenceNode)
	return seq
}
