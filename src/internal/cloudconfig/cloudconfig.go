package cloudconfig

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Refusals. Callers test them with errors.Is; the wrapped message names the
// network, the IP and the config.
var (
	ErrNetworkNotFound = errors.New("network is not defined in any cloud config")
	ErrNetworkTwice    = errors.New("network is defined in more than one cloud config")
	ErrNotManual       = errors.New("network is not a manual network")
	ErrStaticIP        = errors.New("IP is a static IP of its subnet")
	ErrOutsideSubnets  = errors.New("IP is outside every subnet range of the network")
	ErrNotEditable     = errors.New("cloud config cannot be edited safely in place")
)

// Named is one named cloud config as the director stores it. The default
// cloud config has the name "default".
type Named struct {
	Name    string
	ID      string
	Content string
}

// Placement says where an IP lives: which named config defines its network
// and which subnet holds it.
type Placement struct {
	Config   string   `json:"config"`
	ConfigID string   `json:"config_id,omitempty"`
	Network  string   `json:"network"`
	Range    string   `json:"range"`
	AZs      []string `json:"azs,omitempty"`
	// Reserved is true when a reserved entry already covers the IP.
	Reserved bool `json:"reserved"`
	// ReservedBy is the entry that covers it (a single IP, range or CIDR).
	ReservedBy string `json:"reserved_by,omitempty"`
}

// Locate finds the config among configs that defines network (the director
// concatenates the networks lists of named cloud configs, so exactly one may
// define it) and the subnet whose range holds ip. It refuses a network that
// is not manual, an IP that is static, and an IP outside every range.
func Locate(configs []Named, network, ip string) (Placement, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return Placement{}, fmt.Errorf("bad IP %q: %w", ip, err)
	}
	var found *Named
	for i := range configs {
		doc, err := parse([]byte(configs[i].Content))
		if err != nil {
			return Placement{}, fmt.Errorf("cloud config %q: %w", configs[i].Name, err)
		}
		if findNetwork(doc, network) == nil {
			continue
		}
		if found != nil {
			return Placement{}, fmt.Errorf("network %q in cloud configs %q and %q: %w", network, found.Name, configs[i].Name, ErrNetworkTwice)
		}
		found = &configs[i]
	}
	if found == nil {
		return Placement{}, fmt.Errorf("network %q: %w", network, ErrNetworkNotFound)
	}
	s, err := locateSubnet([]byte(found.Content), network, addr)
	if err != nil {
		return Placement{}, fmt.Errorf("cloud config %q: %w", found.Name, err)
	}
	p := Placement{Config: found.Name, ConfigID: found.ID, Network: network, Range: s.rangeText, AZs: s.azs}
	if e, ok := s.reservedCovering(addr); ok {
		p.Reserved, p.ReservedBy = true, e.raw
	}
	return p, nil
}

// Change says what Reserve did.
type Change struct {
	// Changed is false when an entry already covered the IP.
	Changed bool `json:"changed"`
	// CreatedKey is true when the subnet had no (or an empty) reserved
	// key, so that Unreserve can drop the key again instead of leaving [].
	CreatedKey bool `json:"created_key"`
	// FromString is true when the subnet's reserved was a single string
	// that Reserve turned into a flow list, so that Unreserve can give the
	// operator's string back.
	FromString bool `json:"from_string,omitempty"`
	// FromNull is true when the subnet's reserved key held nothing
	// (`reserved:`, `~` or `null`, kept in NullText), so that Unreserve
	// can write it back as the operator had it, not as `reserved: []`.
	FromNull bool   `json:"from_null,omitempty"`
	NullText string `json:"null_text,omitempty"`
}

// Reserve adds ip to the reserved entries of its subnet in content. When an
// entry (single IP, range or CIDR) already covers it, content comes back
// unchanged with Changed=false, so a re-run never adds a second entry.
func Reserve(content []byte, network, ip string) (out []byte, ch Change, err error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return nil, ch, fmt.Errorf("bad IP %q: %w", ip, err)
	}
	s, err := locateSubnet(content, network, addr)
	if err != nil {
		return nil, ch, err
	}
	if _, ok := s.reservedCovering(addr); ok {
		return content, ch, nil
	}
	ch.CreatedKey = s.reservedKey == nil
	ipText := addr.String()
	e := editor{src: content}
	switch v := s.reservedVal; {
	case s.reservedKey == nil:
		if s.node.Style&yaml.FlowStyle != 0 {
			return nil, ch, fmt.Errorf("subnet %s is written in flow style: %w", s.rangeText, ErrNotEditable)
		}
		// A new key goes on the line after `range`, indented like it: range
		// is always a one-line scalar, unlike keys such as cloud_properties.
		line := max(s.rangeKey.Line, s.rangeVal.Line)
		indent := strings.Repeat(" ", s.rangeKey.Column-1)
		err = e.insertLineAfter(line, indent+"reserved: ["+ipText+"]")
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		ch.FromNull = true
		if v.Value != "" {
			start, end, terr := e.token(v)
			if terr != nil {
				return nil, ch, terr
			}
			ch.NullText = string(content[start:end])
		}
		err = e.replaceNullValue(s.reservedKey, v, "["+ipText+"]")
	case v.Kind == yaml.ScalarNode:
		// A single string becomes a one-line flow list; the operator's
		// token, quotes included, stays as written.
		start, end, terr := e.token(v)
		if terr != nil {
			return nil, ch, terr
		}
		e.replace(start, end, "["+string(content[start:end])+", "+ipText+"]")
		ch.FromString = true
	case v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle != 0:
		err = e.appendFlowItem(v, ipText)
	case v.Kind == yaml.SequenceNode:
		err = e.appendBlockItem(v, ipText)
	default:
		err = fmt.Errorf("reserved of subnet %s is neither a string nor a list: %w", s.rangeText, ErrNotEditable)
	}
	if err != nil {
		return nil, ch, err
	}
	out = e.result()
	if err := checkOnlyReservedChanged(content, out, network, s.index, func(list []string) []string {
		return append(list, ipText)
	}); err != nil {
		return nil, ch, err
	}
	ch.Changed = true
	return out, ch, nil
}

// Unreserve removes the single-IP entry equal to ip from its subnet's
// reserved entries. It never touches a range or CIDR (those are the
// operator's); when no single entry matches, content comes back unchanged.
// undo is the Change of the Reserve being undone: CreatedKey removes a
// `reserved:` key left holding nothing but ip, FromString turns a flow list
// left with the operator's one entry back into that string, as written.
func Unreserve(content []byte, network, ip string, undo Change) (out []byte, changed bool, err error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return nil, false, fmt.Errorf("bad IP %q: %w", ip, err)
	}
	s, err := locateSubnet(content, network, addr)
	if err != nil && !errors.Is(err, ErrStaticIP) {
		return nil, false, err
	}
	if s == nil || s.reservedKey == nil {
		return content, false, nil
	}
	e := editor{src: content}
	v := s.reservedVal
	idx := -1
	switch v.Kind {
	case yaml.ScalarNode:
		if sameSingle(v.Value, addr) {
			err = e.deleteKeyLine(s.reservedKey, v)
			idx = 0
		}
	case yaml.SequenceNode:
		for i, item := range v.Content {
			if item.Kind == yaml.ScalarNode && sameSingle(item.Value, addr) {
				idx = i
				break
			}
		}
		if idx < 0 {
			break
		}
		switch {
		case v.Style&yaml.FlowStyle != 0 && undo.FromNull && len(v.Content) == 1:
			err = e.flowListToNull(v, undo.NullText)
		case v.Style&yaml.FlowStyle != 0 && undo.FromString && len(v.Content) == 2:
			err = e.flowListToString(v, 1-idx)
		case v.Style&yaml.FlowStyle != 0:
			err = e.removeFlowItem(s.reservedKey, v, idx, undo.CreatedKey)
		default:
			err = e.removeBlockItem(s.reservedKey, v, idx)
		}
	}
	if err != nil {
		return nil, false, err
	}
	if idx < 0 {
		return content, false, nil
	}
	out = e.result()
	if err := checkOnlyReservedChanged(content, out, network, s.index, func(list []string) []string {
		return append(append([]string{}, list[:idx]...), list[idx+1:]...)
	}); err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// IsReserved reports whether a reserved entry of ip's subnet covers ip.
func IsReserved(content []byte, network, ip string) (bool, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false, fmt.Errorf("bad IP %q: %w", ip, err)
	}
	s, err := locateSubnet(content, network, addr)
	if err != nil && !errors.Is(err, ErrStaticIP) {
		return false, err
	}
	if s == nil {
		return false, err
	}
	_, ok := s.reservedCovering(addr)
	return ok, nil
}

// ReservedEntries lists the reserved entries, as written, of the subnet
// that holds ip.
func ReservedEntries(content []byte, network, ip string) ([]string, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return nil, fmt.Errorf("bad IP %q: %w", ip, err)
	}
	s, err := locateSubnet(content, network, addr)
	if err != nil && !errors.Is(err, ErrStaticIP) {
		return nil, err
	}
	var out []string
	for _, e := range s.reserved {
		out = append(out, e.raw)
	}
	return out, nil
}

func sameSingle(text string, addr netip.Addr) bool {
	e, err := parseEntry(text)
	return err == nil && e.single && e.first == addr
}

type subnet struct {
	index       int
	node        *yaml.Node
	rangeKey    *yaml.Node
	rangeVal    *yaml.Node
	rangeText   string
	azs         []string
	reservedKey *yaml.Node
	reservedVal *yaml.Node
	reserved    []entry
}

func (s *subnet) reservedCovering(addr netip.Addr) (entry, bool) {
	for _, e := range s.reserved {
		if e.contains(addr) {
			return e, true
		}
	}
	return entry{}, false
}

func parse(content []byte) (*yaml.Node, error) {
	// YAML breaks lines at a lone CR too, while the editor counts lines
	// by LF: such a file would be edited in the wrong place.
	if bytes.Count(content, []byte("\r")) != bytes.Count(content, []byte("\r\n")) {
		return nil, fmt.Errorf("it breaks lines with a bare carriage return; save it with LF or CRLF line ends and upload it again: %w", ErrNotEditable)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

func mapGet(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func findNetwork(root *yaml.Node, name string) *yaml.Node {
	_, nets := mapGet(root, "networks")
	if nets == nil || nets.Kind != yaml.SequenceNode {
		return nil
	}
	for _, n := range nets.Content {
		if _, v := mapGet(n, "name"); v != nil && v.Value == name {
			return n
		}
	}
	return nil
}

// scalarList reads a value that BOSH accepts as a string or a list of
// strings (reserved, static, azs).
func scalarList(v *yaml.Node) []string {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil
		}
		return []string{v.Value}
	case yaml.SequenceNode:
		var out []string
		for _, c := range v.Content {
			out = append(out, c.Value)
		}
		return out
	}
	return nil
}

func locateSubnet(content []byte, network string, addr netip.Addr) (*subnet, error) {
	root, err := parse(content)
	if err != nil {
		return nil, err
	}
	n := findNetwork(root, network)
	if n == nil {
		return nil, fmt.Errorf("network %q: %w", network, ErrNetworkNotFound)
	}
	if _, t := mapGet(n, "type"); t != nil && t.Value != "manual" {
		return nil, fmt.Errorf("network %q has type %q: %w", network, t.Value, ErrNotManual)
	}
	_, subnets := mapGet(n, "subnets")
	if subnets == nil || subnets.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("network %q has no subnets: %w", network, ErrOutsideSubnets)
	}
	for i, sn := range subnets.Content {
		rk, rv := mapGet(sn, "range")
		if rv == nil {
			continue
		}
		p, err := netip.ParsePrefix(strings.TrimSpace(rv.Value))
		if err != nil || !p.Masked().Contains(addr) {
			continue
		}
		s := &subnet{index: i, node: sn, rangeKey: rk, rangeVal: rv, rangeText: rv.Value}
		_, az := mapGet(sn, "az")
		_, azs := mapGet(sn, "azs")
		s.azs = append(scalarList(az), scalarList(azs)...)
		s.reservedKey, s.reservedVal = mapGet(sn, "reserved")
		for _, r := range scalarList(s.reservedVal) {
			e, err := parseEntry(r)
			if err != nil {
				return nil, fmt.Errorf("network %q subnet %s reserved: %w", network, rv.Value, err)
			}
			s.reserved = append(s.reserved, e)
		}
		_, static := mapGet(sn, "static")
		for _, r := range scalarList(static) {
			e, err := parseEntry(r)
			if err != nil {
				return nil, fmt.Errorf("network %q subnet %s static: %w", network, rv.Value, err)
			}
			if e.contains(addr) {
				return s, fmt.Errorf("%s in network %q subnet %s (static entry %q): %w", addr, network, rv.Value, e.raw, ErrStaticIP)
			}
		}
		return s, nil
	}
	return nil, fmt.Errorf("%s in network %q: %w", addr, network, ErrOutsideSubnets)
}

// checkOnlyReservedChanged decodes both texts and requires them to be equal
// once the subnet's reserved list of the old one is transformed by want. It
// is the proof that a text edit changed that one entry and nothing else.
func checkOnlyReservedChanged(before, after []byte, network string, subnetIndex int, want func([]string) []string) error {
	var b, a any
	if err := yaml.Unmarshal(before, &b); err != nil {
		return err
	}
	if err := yaml.Unmarshal(after, &a); err != nil {
		return fmt.Errorf("edited cloud config does not parse (%v): %w", err, ErrNotEditable)
	}
	normalise := func(doc any, transform func([]string) []string) error {
		sn, ok := subnetMap(doc, network, subnetIndex)
		if !ok {
			return fmt.Errorf("subnet %d of network %q lost in edit: %w", subnetIndex, network, ErrNotEditable)
		}
		var list []string
		switch r := sn["reserved"].(type) {
		case string:
			list = []string{r}
		case []any:
			for _, x := range r {
				list = append(list, fmt.Sprint(x))
			}
		}
		if transform != nil {
			list = transform(list)
		}
		delete(sn, "reserved")
		if len(list) > 0 {
			sn["reserved"] = list
		}
		return nil
	}
	if err := normalise(b, want); err != nil {
		return err
	}
	if err := normalise(a, nil); err != nil {
		return err
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("text edit changed more than the reserved entry: %w", ErrNotEditable)
	}
	return nil
}

func subnetMap(doc any, network string, idx int) (map[string]any, bool) {
	root, _ := doc.(map[string]any)
	nets, _ := root["networks"].([]any)
	for _, n := range nets {
		nm, _ := n.(map[string]any)
		if nm["name"] != network {
			continue
		}
		subnets, _ := nm["subnets"].([]any)
		if idx >= len(subnets) {
			return nil, false
		}
		sn, ok := subnets[idx].(map[string]any)
		return sn, ok
	}
	return nil, false
}

// editor applies one text edit to the operator's bytes, addressed by the
// line and column yaml.v3 reports for nodes.
type editor struct {
	src  []byte
	edit *struct {
		start, end int
		text       string
	}
}

func (e *editor) replace(start, end int, text string) {
	e.edit = &struct {
		start, end int
		text       string
	}{start, end, text}
}

func (e *editor) result() []byte {
	if e.edit == nil {
		return e.src
	}
	var out bytes.Buffer
	out.Write(e.src[:e.edit.start])
	out.WriteString(e.edit.text)
	out.Write(e.src[e.edit.end:])
	return out.Bytes()
}

// lineStart is the byte offset of 1-based line n (len(src) past the end).
func (e *editor) lineStart(n int) int {
	off := 0
	for l := 1; l < n; l++ {
		i := bytes.IndexByte(e.src[off:], '\n')
		if i < 0 {
			return len(e.src)
		}
		off += i + 1
	}
	return off
}

func (e *editor) lineEnd(n int) int {
	start := e.lineStart(n)
	if i := bytes.IndexByte(e.src[start:], '\n'); i >= 0 {
		// A CRLF line's text ends before its CR.
		if i > 0 && e.src[start+i-1] == '\r' {
			return start + i - 1
		}
		return start + i
	}
	return len(e.src)
}

func (e *editor) offset(n *yaml.Node) int { return e.lineStart(n.Line) + n.Column - 1 }

// token is the byte span of a one-line scalar as written (quotes included).
func (e *editor) token(n *yaml.Node) (int, int, error) {
	start := e.offset(n)
	lineEnd := e.lineEnd(n.Line)
	if start >= lineEnd {
		return 0, 0, fmt.Errorf("scalar %q not found at line %d: %w", n.Value, n.Line, ErrNotEditable)
	}
	end := start
	switch q := e.src[start]; q {
	case '"', '\'':
		end = start + 1
		for end < lineEnd {
			if e.src[end] == q {
				if q == '\'' && end+1 < lineEnd && e.src[end+1] == '\'' {
					end += 2
					continue
				}
				break
			}
			if q == '"' && e.src[end] == '\\' {
				end++
			}
			end++
		}
		if end >= lineEnd {
			return 0, 0, fmt.Errorf("quoted scalar %q spans lines: %w", n.Value, ErrNotEditable)
		}
		end++
	default:
		for end < lineEnd {
			c := e.src[end]
			if c == ',' || c == ']' || c == '}' || (c == '#' && end > start && (e.src[end-1] == ' ' || e.src[end-1] == '\t')) {
				break
			}
			if c == ':' && (end+1 == lineEnd || e.src[end+1] == ' ') {
				break
			}
			end++
		}
		for end > start && (e.src[end-1] == ' ' || e.src[end-1] == '\t') {
			end--
		}
		if strings.TrimSpace(string(e.src[start:end])) != n.Value {
			return 0, 0, fmt.Errorf("scalar %q at line %d is not plain one-line text: %w", n.Value, n.Line, ErrNotEditable)
		}
	}
	return start, end, nil
}

func (e *editor) insertLineAfter(line int, text string) error {
	at := e.lineEnd(line)
	if at < len(e.src) {
		next := e.lineStart(line + 1)
		e.replace(next, next, text+e.newline())
		return nil
	}
	// The last line had no newline: the file still ends without one.
	e.replace(at, at, e.newline()+text)
	return nil
}

// newline is the file's own line end: an operator's CRLF file stays CRLF.
func (e *editor) newline() string {
	if bytes.Contains(e.src, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}

// replaceNullValue handles `reserved:` with nothing (or ~ / null) after it.
func (e *editor) replaceNullValue(key, v *yaml.Node, text string) error {
	if v.Value != "" {
		start, end, err := e.token(v)
		if err != nil {
			return err
		}
		e.replace(start, end, text)
		return nil
	}
	kStart, kEnd, err := e.token(key)
	if err != nil {
		return err
	}
	_ = kStart
	lineEnd := e.lineEnd(key.Line)
	colon := bytes.IndexByte(e.src[kEnd:lineEnd], ':')
	if colon < 0 {
		return fmt.Errorf("no colon after key %q: %w", key.Value, ErrNotEditable)
	}
	at := kEnd + colon + 1
	e.replace(at, at, " "+text)
	return nil
}

func (e *editor) appendFlowItem(v *yaml.Node, text string) error {
	if len(v.Content) == 0 {
		start := e.offset(v)
		if start >= len(e.src) || e.src[start] != '[' {
			return fmt.Errorf("empty flow list not found at line %d: %w", v.Line, ErrNotEditable)
		}
		e.replace(start+1, start+1, text)
		return nil
	}
	last := v.Content[len(v.Content)-1]
	_, end, err := e.token(last)
	if err != nil {
		return err
	}
	e.replace(end, end, ", "+text)
	return nil
}

func (e *editor) appendBlockItem(v *yaml.Node, text string) error {
	last := v.Content[len(v.Content)-1]
	if _, _, err := e.token(last); err != nil {
		return err
	}
	prefix := string(e.src[e.lineStart(last.Line):e.offset(last)])
	if strings.TrimSpace(prefix) != "-" {
		return fmt.Errorf("list item at line %d shares its line: %w", last.Line, ErrNotEditable)
	}
	return e.insertLineAfter(last.Line, prefix+text)
}

// deleteLines removes whole lines first..last (1-based, inclusive).
func (e *editor) deleteLines(first, last int) {
	start := e.lineStart(first)
	end := e.lineEnd(last)
	if end < len(e.src) {
		end = e.lineStart(last + 1)
	} else if start > 0 {
		// The last line has no newline: take the one before it, so the
		// file ends as it did before that line was added.
		start -= len(e.newline())
	}
	e.replace(start, end, "")
}

func (e *editor) keyLineHoldsOnly(key, v *yaml.Node, rest string) bool {
	line := strings.TrimSpace(string(e.src[e.lineStart(key.Line):e.lineEnd(key.Line)]))
	return v.Line == key.Line && line == key.Value+": "+rest
}

func (e *editor) deleteKeyLine(key, v *yaml.Node) error {
	start, end, err := e.token(v)
	if err != nil {
		return err
	}
	if !e.keyLineHoldsOnly(key, v, string(e.src[start:end])) {
		return fmt.Errorf("key %q at line %d holds more than its value: %w", key.Value, key.Line, ErrNotEditable)
	}
	e.deleteLines(key.Line, key.Line)
	return nil
}

func (e *editor) removeFlowItem(key, v *yaml.Node, idx int, dropKey bool) error {
	item := v.Content[idx]
	start, end, err := e.token(item)
	if err != nil {
		return err
	}
	if len(v.Content) == 1 {
		// `reserved: [ip]` is the line Reserve writes when there was no key.
		if dropKey && e.keyLineHoldsOnly(key, v, "["+string(e.src[start:end])+"]") {
			e.deleteLines(key.Line, key.Line)
			return nil
		}
		e.replace(start, end, "")
		return nil
	}
	if idx > 0 {
		_, prevEnd, err := e.token(v.Content[idx-1])
		if err != nil {
			return err
		}
		e.replace(prevEnd, end, "")
		return nil
	}
	nextStart := e.offset(v.Content[1])
	e.replace(start, nextStart, "")
	return nil
}

// flowListToString replaces a one-line flow list by its item keep, as
// written: `[a, b]` becomes `a`.
// flowListToNull undoes replaceNullValue: the one-item flow list becomes
// the null the operator wrote (nothing, `~` or `null`).
func (e *editor) flowListToNull(v *yaml.Node, nullText string) error {
	start := e.offset(v)
	if start >= len(e.src) || e.src[start] != '[' {
		return fmt.Errorf("flow list not found at line %d: %w", v.Line, ErrNotEditable)
	}
	_, lastEnd, err := e.token(v.Content[0])
	if err != nil {
		return err
	}
	closing := bytes.IndexByte(e.src[lastEnd:e.lineEnd(v.Line)], ']')
	if closing < 0 || v.Content[0].Line != v.Line {
		return fmt.Errorf("flow list at line %d spans lines: %w", v.Line, ErrNotEditable)
	}
	if nullText == "" && start > 0 && e.src[start-1] == ' ' {
		// replaceNullValue put one space between the colon and the list.
		start--
	}
	e.replace(start, lastEnd+closing+1, nullText)
	return nil
}

func (e *editor) flowListToString(v *yaml.Node, keep int) error {
	start := e.offset(v)
	if start >= len(e.src) || e.src[start] != '[' {
		return fmt.Errorf("flow list not found at line %d: %w", v.Line, ErrNotEditable)
	}
	kStart, kEnd, err := e.token(v.Content[keep])
	if err != nil {
		return err
	}
	_, lastEnd, err := e.token(v.Content[len(v.Content)-1])
	if err != nil {
		return err
	}
	closing := bytes.IndexByte(e.src[lastEnd:e.lineEnd(v.Line)], ']')
	if closing < 0 || v.Content[len(v.Content)-1].Line != v.Line {
		return fmt.Errorf("flow list at line %d spans lines: %w", v.Line, ErrNotEditable)
	}
	e.replace(start, lastEnd+closing+1, string(e.src[kStart:kEnd]))
	return nil
}

func (e *editor) removeBlockItem(key, v *yaml.Node, idx int) error {
	item := v.Content[idx]
	if _, _, err := e.token(item); err != nil {
		return err
	}
	prefix := string(e.src[e.lineStart(item.Line):e.offset(item)])
	if strings.TrimSpace(prefix) != "-" {
		return fmt.Errorf("list item at line %d shares its line: %w", item.Line, ErrNotEditable)
	}
	if len(v.Content) == 1 {
		keyLine := strings.TrimSpace(string(e.src[e.lineStart(key.Line):e.lineEnd(key.Line)]))
		if keyLine == key.Value+":" && item.Line == key.Line+1 {
			e.deleteLines(key.Line, item.Line)
			return nil
		}
		return fmt.Errorf("the last reserved entry at line %d cannot be removed alone: %w", item.Line, ErrNotEditable)
	}
	e.deleteLines(item.Line, item.Line)
	return nil
}
