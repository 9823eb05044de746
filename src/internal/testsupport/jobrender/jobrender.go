// Package jobrender renders a BOSH job's templates the way the director
// does: properties from the manifest merged over the spec's defaults, fed to
// real ERB through bosh-cli's erbrenderer (Debian's ruby). Tests use it to
// prove the templates render, carry the values and refuse bad input.
package jobrender

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cloudfoundry/bosh-cli/v7/templatescompiler/erbrenderer"
	boshlog "github.com/cloudfoundry/bosh-utils/logger"
	boshsys "github.com/cloudfoundry/bosh-utils/system"
	"gopkg.in/yaml.v3"
)

// Spec is the part of a job's spec file rendering needs.
type Spec struct {
	Name       string               `yaml:"name"`
	Templates  map[string]string    `yaml:"templates"`
	Packages   []string             `yaml:"packages"`
	Properties map[string]*Property `yaml:"properties"`
}

type Property struct {
	Description string `yaml:"description"`
	Default     any    `yaml:"default"`
}

// Job is a job directory of the release.
type Job struct {
	Dir  string
	Spec Spec
}

// RepoRoot walks up from the working directory to the release's top level.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "config", "final.yml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no release root (config/final.yml) above the working directory")
		}
		dir = parent
	}
}

// Load reads jobs/<name>/spec of the release at root.
func Load(root, name string) (Job, error) {
	dir := filepath.Join(root, "jobs", name)
	b, err := os.ReadFile(filepath.Join(dir, "spec"))
	if err != nil {
		return Job{}, err
	}
	var spec Spec
	if err := yaml.Unmarshal(b, &spec); err != nil {
		return Job{}, fmt.Errorf("parse %s/spec: %w", name, err)
	}
	return Job{Dir: dir, Spec: spec}, nil
}

// Instance is what the director knows of the instance a job renders for.
type Instance struct {
	Deployment string
	Group      string
	ID         string
	Index      int
	AZ         string
	IP         string
}

// context is the JSON erb_renderer.rb reads: job_properties are the
// manifest's, default_properties the spec's, keyed by dotted name.
type context struct {
	Name              string                    `json:"name"`
	Index             int                       `json:"index"`
	ID                string                    `json:"id"`
	AZ                string                    `json:"az"`
	Bootstrap         bool                      `json:"bootstrap"`
	Deployment        string                    `json:"deployment"`
	Address           string                    `json:"address"`
	IP                string                    `json:"ip"`
	Job               map[string]string         `json:"job"`
	Networks          map[string]map[string]any `json:"networks"`
	JobProperties     map[string]any            `json:"job_properties"`
	DefaultProperties map[string]any            `json:"default_properties"`
}

func (c context) MarshalJSON() ([]byte, error) {
	type plain context
	return json.Marshal(plain(c))
}

// Render renders every template of the job into dir and returns the
// rendered files by destination path. props is the manifest's properties
// block (nested maps).
func (j Job) Render(dir string, inst Instance, props map[string]any) (map[string]string, error) {
	defaults := map[string]any{}
	for name, p := range j.Spec.Properties {
		var d any
		if p != nil {
			d = p.Default
		}
		defaults[name] = d
	}
	if props == nil {
		props = map[string]any{}
	}
	ctx := context{
		Name: inst.Group, Index: inst.Index, ID: inst.ID, AZ: inst.AZ,
		Bootstrap: inst.Index == 0, Deployment: inst.Deployment,
		Address: inst.IP, IP: inst.IP,
		Job:               map[string]string{"name": j.Spec.Name},
		Networks:          map[string]map[string]any{"default": {"ip": inst.IP, "default": []string{"dns", "gateway"}}},
		JobProperties:     props,
		DefaultProperties: defaults,
	}

	logger := boshlog.NewLogger(boshlog.LevelNone)
	fs := boshsys.NewOsFileSystem(logger)
	renderer := erbrenderer.NewERBRenderer(fs, boshsys.NewExecCmdRunner(logger), logger)

	out := map[string]string{}
	for src, dst := range j.Spec.Templates {
		target := filepath.Join(dir, dst)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, err
		}
		if err := renderer.Render(filepath.Join(j.Dir, "templates", src), target, ctx); err != nil {
			return nil, fmt.Errorf("render %s/%s: %w", j.Spec.Name, src, err)
		}
		b, err := os.ReadFile(target)
		if err != nil {
			return nil, err
		}
		out[dst] = string(b)
	}
	return out, nil
}
