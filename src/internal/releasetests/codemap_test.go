package releasetests

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// codeMapPath is a path in the code map: under src/, or relative to the
// row's first path (a file or folder of that package).
var (
	codeMapToken    = regexp.MustCompile("`([^`]+)`")
	codeMapRelative = regexp.MustCompile(`^[a-z0-9_.-]+(/[a-z0-9_.-]+)*(/|\.go)$`)
)

// The README's code map names where things are; this keeps it true: every
// path it names exists, and every Go package of the module is named (a
// folder written as dir/... names the packages under it).
func TestReadmeCodeMap(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const heading = "\n## Code map\n"
	i := strings.Index(string(readme), heading)
	if i < 0 {
		t.Fatal("README.md has no code map section")
	}
	section := string(readme[i+len(heading):])
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}

	named := map[string]bool{} // folders, without a trailing slash
	var trees []string         // folders written as dir/...
	for _, line := range strings.Split(section, "\n") {
		base := ""
		for _, m := range codeMapToken.FindAllStringSubmatch(line, -1) {
			p := m[1]
			switch {
			case strings.HasPrefix(p, "src/"):
				if base == "" {
					base = strings.TrimSuffix(p, "...")
				}
			case base != "" && codeMapRelative.MatchString(p):
				p = filepath.Join(base, p) + map[bool]string{true: "/"}[strings.HasSuffix(p, "/")]
			default:
				continue
			}
			if tree, ok := strings.CutSuffix(p, "/..."); ok {
				trees = append(trees, tree)
				p = tree + "/"
			}
			if _, err := os.Stat(filepath.Join(root, p)); err != nil {
				t.Errorf("the code map names %s, which does not exist", p)
				continue
			}
			if dir, ok := strings.CutSuffix(p, "/"); ok {
				named[dir] = true
			}
		}
	}

	for _, top := range []string{"src/cmd", "src/internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") {
				return nil
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			if named[rel] {
				return nil
			}
			for _, tree := range trees {
				if rel == tree || strings.HasPrefix(rel, tree+"/") {
					return nil
				}
			}
			t.Errorf("package %s is not in the README's code map", rel)
			named[rel] = true // once per package
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
