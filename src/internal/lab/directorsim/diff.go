package directorsim

import "strings"

// diffLine is one line of a director diff: its text, indented two spaces per
// level, and "added", "removed" or "" (unchanged context; null on the wire).
type diffLine struct {
	indent int
	text   string
	status string
}

func (l diffLine) String() string { return strings.Repeat("  ", l.indent) + l.text }

// wire renders the line as the director sends it: ["text", "added"|null].
func (l diffLine) wire() []any {
	if l.status == "" {
		return []any{l.String(), nil}
	}
	return []any{l.String(), l.status}
}

// manifestKeysOrder is the section order the director prints diffs in.
var manifestKeysOrder = []string{
	"azs", "vm_types", "vm_extensions", "resource_pools", "compilation",
	"networks", "disk_types", "name", "stemcells", "releases", "update",
	"jobs", "release", "addons", "variables",
}

// diffHashes reproduces the director's changeset diff of two hashes: keys
// whose values differ are printed as removed/added YAML, nested hashes are
// recursed into, and lists of hashes are matched by `name` (or by `range`,
// which is how subnets line up) so a single new reserved IP shows as a single
// added line under its network and subnet.
func diffHashes(before, after *omap, redact bool, indent int) []diffLine {
	d := differ{redact: redact}
	return d.changeset(before, after, indent, false)
}

// differ compares raw values (so a changed property is still a change) and
// prints redacted ones when asked to.
type differ struct{ redact bool }

func (d differ) out(v any, inProps bool) any {
	if d.redact && inProps {
		return redactValue(v, true)
	}
	return v
}

func (d differ) changeset(before, after *omap, indent int, inProps bool) []diffLine {
	var lines []diffLine
	keys := append([]string{}, before.keys...)
	for _, k := range after.keys {
		if !before.has(k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		b, a := before.get(k), after.get(k)
		if equalValues(b, a) {
			continue
		}
		props := inProps || k == "properties"
		switch {
		case b == nil:
			lines = append(lines, yamlDiffLines(single(k, d.out(a, props)), indent, "added")...)
		case a == nil:
			lines = append(lines, yamlDiffLines(single(k, d.out(b, props)), indent, "removed")...)
		default:
			bl, bok := b.([]any)
			al, aok := a.([]any)
			bm, bmok := b.(*omap)
			am, amok := a.(*omap)
			switch {
			case bok && aok:
				lines = append(lines, d.compareArrays(bl, al, k, indent, props)...)
			case bmok && amok:
				sub := d.changeset(bm, am, indent+1, props)
				if len(sub) > 0 {
					lines = append(lines, diffLine{indent, k + ":", ""})
					lines = append(lines, sub...)
				}
			default:
				lines = append(lines, yamlDiffLines(single(k, d.out(b, props)), indent, "removed")...)
				lines = append(lines, yamlDiffLines(single(k, d.out(a, props)), indent, "added")...)
			}
		}
	}
	return lines
}

func single(k string, v any) *omap {
	m := newOmap()
	m.set(k, v)
	return m
}

func yamlDiffLines(v any, indent int, status string) []diffLine {
	var out []diffLine
	for _, l := range yamlLines(v) {
		out = append(out, diffLine{indent, l, status})
	}
	return out
}

func containsValue(list []any, v any) bool {
	for _, e := range list {
		if equalValues(e, v) {
			return true
		}
	}
	return false
}

func (d differ) compareArrays(before, after []any, parent string, indent int, inProps bool) []diffLine {
	var added, removed []any
	for _, a := range after {
		if !containsValue(before, a) {
			added = append(added, a)
		}
	}
	for _, b := range before {
		if !containsValue(after, b) {
			removed = append(removed, b)
		}
	}
	matchKey := ""
	if allHaveKey(added, removed, "name") {
		matchKey = "name"
	} else if allHaveKey(added, removed, "range") {
		matchKey = "range"
	}
	var lines []diffLine
	for _, a := range added {
		am, isMap := a.(*omap)
		if !isMap || matchKey == "" {
			lines = append(lines, yamlDiffLines([]any{d.out(a, inProps)}, indent, "added")...)
			continue
		}
		idx := -1
		for i, r := range removed {
			if rm, ok := r.(*omap); ok && equalValues(rm.get(matchKey), am.get(matchKey)) {
				idx = i
				break
			}
		}
		if idx < 0 {
			lines = append(lines, yamlDiffLines([]any{d.out(a, inProps)}, indent, "added")...)
			continue
		}
		rm := removed[idx].(*omap)
		removed = append(removed[:idx], removed[idx+1:]...)
		sub := d.changeset(rm, am, indent+1, inProps)
		if len(sub) > 0 {
			lines = append(lines, yamlDiffLines([]any{single(matchKey, d.out(am.get(matchKey), inProps))}, indent, "")...)
			lines = append(lines, sub...)
		}
	}
	if len(removed) > 0 {
		var shown []any
		for _, r := range removed {
			shown = append(shown, d.out(r, inProps))
		}
		lines = append(lines, yamlDiffLines(shown, indent, "removed")...)
	}
	if len(lines) > 0 {
		lines = append([]diffLine{{indent, parent + ":", ""}}, lines...)
	}
	return lines
}

func allHaveKey(a, b []any, key string) bool {
	n := 0
	for _, l := range [][]any{a, b} {
		for _, e := range l {
			if e == nil {
				continue
			}
			m, ok := e.(*omap)
			if !ok || m.get(key) == nil {
				return false
			}
			n++
		}
	}
	return n > 0
}

// orderDiff groups top-level sections in the director's order, with an empty
// line between sections.
func orderDiff(lines []diffLine) []diffLine {
	sections := map[string][]diffLine{}
	var order []string
	key := ""
	for _, l := range lines {
		if l.indent == 0 && !strings.HasPrefix(l.text, " ") && !strings.HasPrefix(l.text, "-") {
			key = l.text
			if _, ok := sections[key]; !ok {
				order = append(order, key)
			}
			sections[key] = append(sections[key], diffLine{0, "", ""})
		}
		sections[key] = append(sections[key], l)
	}
	var out []diffLine
	seen := map[string]bool{}
	for _, k := range manifestKeysOrder {
		if s, ok := sections[k+":"]; ok {
			out = append(out, s...)
			seen[k+":"] = true
		}
	}
	for _, k := range order {
		if !seen[k] {
			out = append(out, sections[k]...)
		}
	}
	if len(out) > 0 {
		out = out[1:]
	}
	return out
}

// redactValue replaces every scalar with "<redacted>", as the director
// prints values under a `properties` key unless asked not to redact.
func redactValue(v any, inside bool) any {
	switch t := v.(type) {
	case *omap:
		out := newOmap()
		for _, k := range t.keys {
			out.set(k, redactValue(t.vals[k], inside))
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = redactValue(e, inside)
		}
		return out
	default:
		if inside {
			return "<redacted>"
		}
		return v
	}
}
