package procfs_test

import (
	"bytes"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// FuzzParseStat: any bytes give a Stat or an error, never a panic, and a
// parsed state is the byte right after the last ')' with the comm between
// the first '(' and that ')', whatever the comm holds.
func FuzzParseStat(f *testing.F) {
	for _, s := range []string{
		"1234 (sleep) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 98765 1000 100\n",
		"42 (a) b (c) D 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 5555\n",
		"7 () R 0",
		"7 (x",
		"(x) S 1",
		"9 ()) Z 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := procfs.ParseStat(b)
		if err != nil {
			return
		}
		closing := bytes.LastIndexByte(b, ')')
		if s.State != b[closing+2] {
			t.Fatalf("state %q is not the byte after the last ')' in %q", s.State, b)
		}
		if open := bytes.IndexByte(b, '('); s.Comm != string(b[open+1:closing]) {
			t.Fatalf("comm %q is not what the parentheses hold in %q", s.Comm, b)
		}
	})
}
