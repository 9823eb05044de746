package monit

import (
	"strings"
	"testing"
)

// FuzzParseStatus: whatever monit (or something in its place) answers,
// parsing gives services or an error, never a panic, and a service named
// in the document is one of those returned.
func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0" encoding="ISO-8859-1"?><monit><service type="3"><name>rep</name><status>0</status><monitor>1</monitor><monitormode>0</monitormode><pendingaction>0</pendingaction><pid>42</pid></service></monit>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><monit><service type="5"><name>system_vm</name><status>0</status><monitor>1</monitor></service><service type="3"><name>route_emitter</name><status>0</status><monitor>0</monitor><pid>-1</pid></service></monit>`,
		`<monit><service type="3"><name>rep</name><monitor>2</monitor></service></monit>`,
		`<monit><service type="x"><name>rep</name></service></monit>`,
		`not xml`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		services, err := parseStatus(body)
		if err != nil {
			return
		}
		for _, s := range services {
			if s.Name != "" && !strings.Contains(string(body), s.Name) {
				t.Fatalf("service %q is not in the document", s.Name)
			}
		}
	})
}
