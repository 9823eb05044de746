package director

import (
	"fmt"
	"strings"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"
)

// errDiffNotComputed is the operator's message for a diff the director
// could not compute (RawClient.DeploymentDiff); why is the director's own
// error, when it gave one.
func errDiffNotComputed(deployment, why string) error {
	if why != "" {
		why = ": " + firstLine(why)
	}
	return fmt.Errorf("the director could not compute the diff of deployment %q%s; run `bosh -d %s deploy --dry-run` with its manifest to see why, and fix that first",
		deployment, why, deployment)
}

// firstLine drops what follows the first line (the director appends a
// backtrace to its diff error).
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// diffChange is one added or removed line of a deployment diff.
type diffChange struct {
	state string // added or removed
	text  string // trimmed
	// reserved: the line is a subnet's reserved key or one of its entries.
	reserved bool
}

func (c diffChange) String() string { return c.state + " " + c.text }

// diffChanges reads the director's diff ([text, state] lines, with the
// unchanged context around changes) and marks the lines that belong to a
// `reserved` list: the key itself, or an item whose parent key, found by
// indentation, is `reserved:` (the director puts list items at the key's
// own indentation).
func diffChanges(d boshdir.DeploymentDiff) []diffChange {
	type line struct {
		text   string
		indent int
		state  string
	}
	var lines []line
	for _, l := range d.Diff {
		if len(l) == 0 {
			continue
		}
		text, _ := l[0].(string)
		state := ""
		if len(l) > 1 {
			state, _ = l[1].(string)
		}
		lines = append(lines, line{strings.TrimSpace(text), len(text) - len(strings.TrimLeft(text, " ")), state})
	}
	var out []diffChange
	for i, l := range lines {
		if l.state != "added" && l.state != "removed" {
			continue
		}
		c := diffChange{state: l.state, text: l.text}
		switch {
		case strings.HasPrefix(l.text, "reserved:"):
			c.reserved = true
		case strings.HasPrefix(l.text, "- ") && !strings.Contains(strings.TrimPrefix(l.text, "- "), ": "):
			for j := i - 1; j >= 0; j-- {
				p := lines[j]
				if p.indent > l.indent || (p.indent == l.indent && strings.HasPrefix(p.text, "- ")) {
					continue
				}
				c.reserved = p.text == "reserved:"
				break
			}
		}
		out = append(out, c)
	}
	return out
}

// entryOf is the entry a reserved line names: the item of "- x", or the
// value of "reserved: x" (one entry, or a flow list of them).
func entriesOf(text string) []string {
	v := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(text, "reserved:"), "- "))
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.Trim(strings.TrimSpace(e), `"'`); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// pendingChangesBlocking are the changes a full deploy must not roll out
// on our behalf. Removing a reserved entry is harmless (no instance holds
// a reserved IP, and a released sequestration leaves exactly that behind),
// and so is a reserved entry the diff prints again only because its form
// changed (a string that became a list, or back: the director prints the
// old value removed and the new one added); an entry that is really new
// blocks, as does everything else.
func pendingChangesBlocking(d boshdir.DeploymentDiff) []string {
	added := netAddedReserved(d)
	var out []string
	for _, c := range diffChanges(d) {
		if c.reserved && (c.state == "removed" || !anyIn(entriesOf(c.text), added)) {
			continue
		}
		out = append(out, c.String())
	}
	return out
}

// netAddedReserved are the reserved entries the diff adds that it does not
// also remove: new reservations, not re-rendered ones.
func netAddedReserved(d boshdir.DeploymentDiff) map[string]bool {
	added, removed := map[string]bool{}, map[string]bool{}
	for _, c := range diffChanges(d) {
		if !c.reserved {
			continue
		}
		for _, e := range entriesOf(c.text) {
			if c.state == "added" {
				added[e] = true
			} else {
				removed[e] = true
			}
		}
	}
	for e := range removed {
		delete(added, e)
	}
	return added
}

func anyIn(entries []string, set map[string]bool) bool {
	for _, e := range entries {
		if set[e] {
			return true
		}
	}
	return false
}

// unexpectedChanges are the changes of the redeploy's diff other than ours:
// reserved entries may be removed, and added only when they are in entries
// (our IP, and the subnet's entries as preflight saw them, which the
// director renders again when a string became a list). Any other added
// entry would move the instance holding that IP.
func unexpectedChanges(d boshdir.DeploymentDiff, entries []string) []string {
	allowed := map[string]bool{}
	for _, e := range entries {
		allowed[strings.TrimSpace(e)] = true
	}
	var out []string
	for _, c := range diffChanges(d) {
		if !c.reserved {
			out = append(out, c.String())
			continue
		}
		if c.state == "removed" {
			continue
		}
		for _, e := range entriesOf(c.text) {
			if !allowed[e] {
				out = append(out, c.String())
				break
			}
		}
	}
	return out
}
