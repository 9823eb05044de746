package directorsim

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// omap is a YAML mapping that keeps its key order. The director's diff
// walks Ruby hashes, which keep insertion order, and the order of the lines
// it prints follows it; a Go map would shuffle them.
type omap struct {
	keys []string
	vals map[string]any
}

func newOmap() *omap { return &omap{vals: map[string]any{}} }

func (m *omap) get(k string) any {
	if m == nil {
		return nil
	}
	return m.vals[k]
}

func (m *omap) has(k string) bool {
	if m == nil {
		return false
	}
	_, ok := m.vals[k]
	return ok
}

func (m *omap) set(k string, v any) {
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

func (m *omap) del(k string) {
	if _, ok := m.vals[k]; !ok {
		return
	}
	delete(m.vals, k)
	for i, kk := range m.keys {
		if kk == k {
			m.keys = append(m.keys[:i], m.keys[i+1:]...)
			break
		}
	}
}

func (m *omap) copy() *omap {
	out := newOmap()
	for _, k := range m.keys {
		out.set(k, deepCopy(m.vals[k]))
	}
	return out
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case *omap:
		return t.copy()
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

func parseYAMLMap(text string) (*omap, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 {
		return newOmap(), nil
	}
	v, err := fromNode(&doc)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return newOmap(), nil
	}
	m, ok := v.(*omap)
	if !ok {
		return nil, fmt.Errorf("YAML hash expected")
	}
	return m, nil
}

func fromNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromNode(n.Content[0])
	case yaml.AliasNode:
		return fromNode(n.Alias)
	case yaml.MappingNode:
		m := newOmap()
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := fromNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m.set(n.Content[i].Value, v)
		}
		return m, nil
	case yaml.SequenceNode:
		out := []any{}
		for _, c := range n.Content {
			v, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return nil, fmt.Errorf("unsupported YAML node kind %d", n.Kind)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		return fmt.Sprint(t)
	}
}

func asInt(v any) (int, bool) {
	switch t := v.(type) {
	case int:
		return t, true
	case int64:
		return int(t), true
	case uint64:
		return int(t), true
	case float64:
		return int(t), true
	case string:
		i, err := strconv.Atoi(t)
		return i, err == nil
	}
	return 0, false
}

// equalValues compares like Ruby's Hash#== does: key order is irrelevant.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case *omap:
		y, ok := b.(*omap)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		for _, k := range x.keys {
			if !y.has(k) || !equalValues(x.vals[k], y.vals[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return fmt.Sprintf("%T:%v", a, a) == fmt.Sprintf("%T:%v", b, b)
	}
}

// toNode turns a value back into a yaml.Node for marshalling.
func toNode(v any) *yaml.Node {
	switch t := v.(type) {
	case *omap:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range t.keys {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, toNode(t.vals[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range t {
			n.Content = append(n.Content, toNode(e))
		}
		return n
	default:
		n := &yaml.Node{}
		if err := n.Encode(t); err != nil {
			return &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(t)}
		}
		return n
	}
}

// scalarText renders a scalar as Psych would: plain when it can be, single
// quotes where a plain string would read as something else. yaml.v3 also
// quotes YAML 1.1's y/n, which Psych leaves plain.
func scalarText(v any) string {
	if v == nil {
		return ""
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	text := strings.TrimSuffix(string(out), "\n")
	s, isString := v.(string)
	if !isString || !strings.HasPrefix(text, `"`) {
		return text
	}
	switch s {
	case "y", "Y", "n", "N":
		return s
	}
	if strings.ContainsAny(s, "'\\\n\t\"") {
		return text
	}
	return "'" + s + "'"
}

// yamlLines renders v the way Ruby's Psych does for the director's diffs:
// two-space indentation and sequences inside mappings not indented. Block
// scalars fall back to yaml.v3's own rendering.
func yamlLines(v any) []string {
	var lines []string
	switch t := v.(type) {
	case *omap:
		for _, k := range t.keys {
			lines = append(lines, emitKey("", k, t.vals[k])...)
		}
	case []any:
		for _, e := range t {
			lines = append(lines, emitSeqItem("", e)...)
		}
	default:
		lines = append(lines, scalarText(t))
	}
	return lines
}

// emitKey renders "key: value" (or a nested block) and returns its lines.
func emitKey(indent, k string, v any) []string {
	key := scalarText(k)
	switch t := v.(type) {
	case *omap:
		if len(t.keys) == 0 {
			return []string{indent + key + ": {}"}
		}
		out := []string{indent + key + ":"}
		for _, kk := range t.keys {
			out = append(out, emitKey(indent+"  ", kk, t.vals[kk])...)
		}
		return out
	case []any:
		if len(t) == 0 {
			return []string{indent + key + ": []"}
		}
		out := []string{indent + key + ":"}
		for _, e := range t {
			out = append(out, emitSeqItem(indent, e)...)
		}
		return out
	default:
		s := scalarText(t)
		if strings.Contains(s, "\n") {
			lines := strings.Split(s, "\n")
			out := []string{indent + key + ": " + lines[0]}
			for _, l := range lines[1:] {
				out = append(out, indent+l)
			}
			return out
		}
		return []string{indent + key + ": " + s}
	}
}

func emitSeqItem(indent string, v any) []string {
	switch t := v.(type) {
	case *omap:
		if len(t.keys) == 0 {
			return []string{indent + "- {}"}
		}
		var out []string
		for i, k := range t.keys {
			sub := emitKey(indent+"  ", k, t.vals[k])
			if i == 0 {
				sub[0] = indent + "- " + strings.TrimPrefix(sub[0], indent+"  ")
			}
			out = append(out, sub...)
		}
		return out
	case []any:
		if len(t) == 0 {
			return []string{indent + "- []"}
		}
		var out []string
		for i, e := range t {
			sub := emitSeqItem(indent+"  ", e)
			if i == 0 {
				sub[0] = indent + "- " + strings.TrimPrefix(sub[0], indent+"  ")
			}
			out = append(out, sub...)
		}
		return out
	default:
		return []string{indent + "- " + scalarText(t)}
	}
}

func yamlMarshalNode(m *omap) ([]byte, error) { return yaml.Marshal(toNode(m)) }
