package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// The decoder walks goccy's AST itself instead of calling yaml.Unmarshal, for
// three reasons: it reports every problem rather than stopping at the first,
// it records where each key sits (so later validation errors get a line and
// column), and it keeps text fields exactly as written (goccy turns a
// password like 0123 into "83", reading it as octal).

type pos struct{ line, col int }

// maxNodes bounds the work on hostile input (e.g. alias expansion); a
// 50,000-member list (the largest file Load reads) takes about 400,000.
const maxNodes = 1_000_000

type decoder struct {
	errs    Errors          // File is filled in by Load
	keys    map[string]pos  // "members[3].emails[1]" -> where it is written
	present map[string]bool // keys written with a non-null value
	bad     map[string]bool // paths that already have a decoding error
	anchors []anchor
	budget  int
}

type anchor struct {
	name   string
	offset int
	value  ast.Node
}

func newDecoder(root ast.Node) *decoder {
	d := &decoder{
		keys:    map[string]pos{},
		present: map[string]bool{},
		bad:     map[string]bool{},
		budget:  maxNodes,
	}
	if root != nil {
		ast.Walk(anchorCollector{d}, root)
	}
	return d
}

type anchorCollector struct{ d *decoder }

func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil {
		off := 0
		if tk := an.GetToken(); tk != nil {
			off = tk.Position.Offset
		}
		a.d.anchors = append(a.d.anchors, anchor{an.Name.GetToken().Value, off, an.Value})
	}
	return a
}

// alias finds the anchor an alias refers to: the latest one defined before it.
func (d *decoder) alias(n *ast.AliasNode) ast.Node {
	if n.Value == nil || n.Value.GetToken() == nil {
		return nil
	}
	name := n.Value.GetToken().Value
	off := n.GetToken().Position.Offset
	var found ast.Node
	for _, a := range d.anchors {
		if a.name == name && a.offset < off {
			found = a.value
		}
	}
	return found
}

// resolve strips anchors and tags and follows aliases. ok is false when an
// alias is unknown (the error is recorded).
func (d *decoder) resolve(node ast.Node, path string) (ast.Node, bool) {
	for range 64 {
		switch n := node.(type) {
		case *ast.AnchorNode:
			node = n.Value
		case *ast.TagNode:
			node = n.Value
		case *ast.AliasNode:
			target := d.alias(n)
			if target == nil {
				d.bad[path] = true
				d.errAt(node, path, fmt.Sprintf("%s: unknown alias %q", display(path), n.String()))
				return nil, false
			}
			node = target
		default:
			return node, true
		}
	}
	d.errAt(node, path, fmt.Sprintf("%s: aliases nested too deeply", display(path)))
	return nil, false
}

var durationType = reflect.TypeOf(Duration{})

func (d *decoder) decode(node ast.Node, v reflect.Value, path string) {
	d.budget--
	if d.budget < 0 {
		if d.budget == -1 {
			d.errAt(node, path, "configuration too large (too many values or aliases)")
		}
		return
	}
	node, ok := d.resolve(node, path)
	if !ok {
		return
	}
	if v.Type() == durationType {
		dur, err := durationFromNode(node)
		if err != nil {
			d.add(*err.(*Error), path)
			return
		}
		v.Set(reflect.ValueOf(dur))
		return
	}
	if v.Type() == sizeType {
		d.decodeSize(node, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(node, v, path)
	case reflect.Slice:
		d.decodeSlice(node, v, path)
	case reflect.String:
		d.decodeString(node, v, path)
	case reflect.Int:
		d.decodeInt(node, v, path)
	case reflect.Float64:
		d.decodeFloat(node, v, path)
	case reflect.Bool:
		d.decodeBool(node, v, path)
	default:
		// Only reachable if a field of an unsupported kind is added to Config.
		d.errAt(node, path, fmt.Sprintf("%s: unsupported setting type %s", display(path), v.Type()))
	}
}

func (d *decoder) decodeStruct(node ast.Node, v reflect.Value, path string) {
	var values []*ast.MappingValueNode
	switch n := node.(type) {
	case nil, *ast.NullNode:
		return
	case *ast.MappingNode:
		values = n.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{n}
	default:
		d.typeErr(node, path, "a mapping of keys to values")
		return
	}
	fields := yamlFields(v.Type())
	// YAML merge keys (<<: *defaults) first, so explicit keys override them.
	for _, mv := range values {
		if mv.Key != nil && mv.Key.IsMergeKey() {
			d.merge(mv.Value, v, path)
		}
	}
	for _, mv := range values {
		if mv.Key == nil || mv.Key.IsMergeKey() {
			continue
		}
		name := keyText(mv.Key)
		kp := join(path, name)
		idx, ok := fields[name]
		if !ok {
			d.bad[kp] = true
			d.errAt(mv.Key, kp, unknownKeyMsg(name, path, fields))
			continue
		}
		d.keys[kp] = posOf(mv.Key)
		if val, ok := d.resolve(mv.Value, kp); ok && !isNull(val) {
			d.present[kp] = true
		}
		d.decode(mv.Value, v.Field(idx), kp)
	}
}

func (d *decoder) merge(node ast.Node, v reflect.Value, path string) {
	node, ok := d.resolve(node, path)
	if !ok {
		return
	}
	if seq, isSeq := node.(*ast.SequenceNode); isSeq {
		for _, item := range seq.Values {
			d.merge(item, v, path)
		}
		return
	}
	d.decodeStruct(node, v, path)
}

func (d *decoder) decodeSlice(node ast.Node, v reflect.Value, path string) {
	switch n := node.(type) {
	case nil, *ast.NullNode:
		return
	case *ast.SequenceNode:
		s := reflect.MakeSlice(v.Type(), len(n.Values), len(n.Values))
		for i, item := range n.Values {
			ip := fmt.Sprintf("%s[%d]", path, i)
			d.keys[ip] = posOf(item)
			d.present[ip] = true
			d.decode(item, s.Index(i), ip)
		}
		v.Set(s)
	default:
		d.typeErr(node, path, "a list (e.g. [a, b] or lines starting with \"- \")")
	}
}

func (d *decoder) decodeString(node ast.Node, v reflect.Value, path string) {
	switch node.(type) {
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		d.typeErr(node, path, "a single value")
		return
	}
	v.SetString(scalarText(node))
}

func (d *decoder) decodeInt(node ast.Node, v reflect.Value, path string) {
	switch n := node.(type) {
	case nil, *ast.NullNode:
		return
	case *ast.IntegerNode:
		var i int64
		switch x := n.Value.(type) {
		case int64:
			i = x
		case uint64:
			if x > math.MaxInt64 {
				d.typeErr(node, path, "a whole number")
				return
			}
			i = int64(x)
		}
		v.SetInt(i)
		return
	case *ast.StringNode:
		// port: "993" is harmless; accept it.
		if i, err := strconv.Atoi(strings.TrimSpace(n.Value)); err == nil {
			v.SetInt(int64(i))
			return
		}
	}
	d.typeErr(node, path, "a whole number")
}

func (d *decoder) decodeFloat(node ast.Node, v reflect.Value, path string) {
	switch n := node.(type) {
	case nil, *ast.NullNode:
		return
	case *ast.IntegerNode:
		f, err := strconv.ParseFloat(n.GetToken().Value, 64)
		if err == nil {
			v.SetFloat(f)
			return
		}
	case *ast.FloatNode:
		v.SetFloat(n.Value)
		return
	case *ast.StringNode:
		// "50%" reads naturally for a quorum.
		s := strings.TrimSpace(n.Value)
		if p, ok := strings.CutSuffix(s, "%"); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(p), 64); err == nil {
				v.SetFloat(f / 100)
				return
			}
		}
	}
	d.typeErr(node, path, "a number")
}

func (d *decoder) decodeBool(node ast.Node, v reflect.Value, path string) {
	switch n := node.(type) {
	case nil, *ast.NullNode:
		return
	case *ast.BoolNode:
		v.SetBool(n.Value)
		return
	}
	d.typeErr(node, path, "true or false")
}

func (d *decoder) typeErr(node ast.Node, path, want string) {
	d.bad[path] = true
	d.errAt(node, path, fmt.Sprintf("%s: expected %s, got %s", display(path), want, describe(node)))
}

func (d *decoder) errAt(node ast.Node, path, msg string) {
	p := posOf(node)
	if p.line == 0 {
		p = d.at(path)
	}
	d.errs = append(d.errs, Error{Line: p.line, Col: p.col, Msg: msg})
}

func (d *decoder) add(e Error, path string) {
	d.bad[path] = true
	if e.Line == 0 {
		p := d.at(path)
		e.Line, e.Col = p.line, p.col
	}
	d.errs = append(d.errs, e)
}

// at is where path is written, or its nearest written parent; zero when not
// even the top-level key is in the file.
func (d *decoder) at(path string) pos {
	for path != "" {
		if p, ok := d.keys[path]; ok {
			return p
		}
		path = parent(path)
	}
	return pos{}
}

// isBad reports whether path or one of its parents failed to decode, so that
// validation does not pile a second, confusing error on top.
func (d *decoder) isBad(path string) bool {
	for path != "" {
		if d.bad[path] {
			return true
		}
		path = parent(path)
	}
	return false
}

// parent of "members[3].emails[1]" is "members[3].emails", then "members[3]", "members".
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func display(path string) string {
	if path == "" {
		return "configuration"
	}
	return path
}

func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = i
	}
	return m
}

func unknownKeyMsg(name, path string, fields map[string]int) string {
	where := ""
	if path != "" {
		where = " in " + path
	}
	msg := fmt.Sprintf("unknown key %q%s", name, where)
	best, bestDist := "", 3
	for f := range fields {
		if dist := editDistance(strings.ToLower(name), f); dist < bestDist || (dist == bestDist && f < best) {
			best, bestDist = f, dist
		}
	}
	if best != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	}
	return msg
}

// editDistance is the Levenshtein distance, for "did you mean" hints.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func unwrap(node ast.Node) ast.Node {
	for range 64 {
		switch n := node.(type) {
		case *ast.AnchorNode:
			node = n.Value
		case *ast.TagNode:
			node = n.Value
		default:
			return node
		}
	}
	return node
}

func isNull(node ast.Node) bool {
	_, ok := node.(*ast.NullNode)
	return node == nil || ok
}

func keyText(key ast.MapKeyNode) string {
	var n ast.Node = key
	if mk, ok := n.(*ast.MappingKeyNode); ok {
		n = mk.Value
	}
	return scalarText(n)
}

// scalarText is a scalar exactly as written (minus quotes), so that 0123,
// 1e3 or yes stay text when the setting is text.
func scalarText(node ast.Node) string {
	switch n := unwrap(node).(type) {
	case nil, *ast.NullNode:
		return ""
	case *ast.StringNode:
		return n.Value
	case *ast.LiteralNode:
		if n.Value == nil {
			return ""
		}
		return n.Value.Value
	default:
		if tk := n.GetToken(); tk != nil {
			return tk.Value
		}
		return n.String()
	}
}

func describe(node ast.Node) string {
	switch node.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	return strconv.Quote(scalarText(node))
}

func posOf(node ast.Node) pos {
	// A mapping's own token is the ":" of its first key; people look for the key.
	switch n := node.(type) {
	case nil:
		return pos{}
	case *ast.MappingNode:
		if len(n.Values) > 0 && !n.IsFlowStyle {
			return posOf(n.Values[0])
		}
	case *ast.MappingValueNode:
		if n.Key != nil {
			return posOf(n.Key)
		}
	}
	tk := node.GetToken()
	if tk == nil || tk.Position == nil {
		return pos{}
	}
	return pos{tk.Position.Line, tk.Position.Column}
}
