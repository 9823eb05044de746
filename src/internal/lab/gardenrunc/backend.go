package gardenrunc

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"code.cloudfoundry.org/garden"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
)

// backend is the garden.Backend the server calls. It implements what the
// server needs for ping, capacity, list, info, properties and destroy;
// everything else hits the embedded nil interface and panics, which the
// server turns into a failed request: the fixture never creates through
// garden, it creates with Fixture.Create.
type backend struct {
	garden.Backend
	f *Fixture
}

func (b *backend) Start() error { return nil }
func (b *backend) Stop() error  { return nil }

// GraceTime 0 means garden never reaps a container on its own.
func (b *backend) GraceTime(garden.Container) time.Duration { return 0 }

func (b *backend) Ping() error { return nil }

func (b *backend) Capacity() (garden.Capacity, error) {
	return garden.Capacity{MemoryInBytes: 1 << 34, DiskInBytes: 1 << 36, MaxContainers: 1024}, nil
}

func (b *backend) Containers(filter garden.Properties) ([]garden.Container, error) {
	b.f.mu.Lock()
	defer b.f.mu.Unlock()
	var out []garden.Container
	for _, c := range b.f.containers {
		if matches(c.properties, filter) {
			out = append(out, c)
		}
	}
	return out, nil
}

func matches(props, filter garden.Properties) bool {
	for k, v := range filter {
		if props[k] != v {
			return false
		}
	}
	return true
}

func (b *backend) Lookup(handle string) (garden.Container, error) {
	b.f.mu.Lock()
	defer b.f.mu.Unlock()
	c, ok := b.f.containers[handle]
	if !ok {
		return nil, garden.ContainerNotFoundError{Handle: handle}
	}
	return c, nil
}

func (b *backend) BulkInfo(handles []string) (map[string]garden.ContainerInfoEntry, error) {
	// One runc list answers for all: a runc call per handle would make a
	// listing of hundreds of containers take seconds.
	states, err := b.f.runcStates()
	if err != nil {
		return nil, err
	}
	out := map[string]garden.ContainerInfoEntry{}
	for _, h := range handles {
		c, err := b.Lookup(h)
		if err != nil {
			out[h] = garden.ContainerInfoEntry{Err: &garden.Error{Err: err}}
			continue
		}
		out[h] = garden.ContainerInfoEntry{Info: c.(*container).info(states[h])}
	}
	return out, nil
}

// Destroy does what garden does, minus networking and images the fixture
// never set up: kill and delete the runc container, drop the depot entry,
// forget the handle.
func (b *backend) Destroy(handle string) error {
	if _, err := b.Lookup(handle); err != nil {
		return err
	}
	b.f.mu.Lock()
	hang, release := b.f.hangDestroy[handle], b.f.released
	b.f.mu.Unlock()
	if hang {
		// Garden hanging on a delete (garden-runc-release#121): the
		// request never gets an answer while the fixture lives.
		<-release
		return errors.New("garden fixture closed")
	}
	if err := b.f.destroyRunc(handle); err != nil {
		return err
	}
	b.f.mu.Lock()
	delete(b.f.containers, handle)
	b.f.mu.Unlock()
	return nil
}

type container struct {
	garden.Container
	f          *Fixture
	handle     string
	spec       Spec
	properties garden.Properties
}

func (c *container) Handle() string { return c.handle }

func (c *container) Properties() (garden.Properties, error) {
	out := garden.Properties{}
	for k, v := range c.properties {
		out[k] = v
	}
	return out, nil
}

func (c *container) Property(name string) (string, error) {
	v, ok := c.properties[name]
	if !ok {
		return "", fmt.Errorf("property does not exist: %s", name)
	}
	return v, nil
}

// Info reads runc's state: a container runc no longer runs is "stopped",
// as garden reports a container whose init died.
func (c *container) Info() (garden.ContainerInfo, error) {
	states, err := c.f.runcStates()
	if err != nil {
		return garden.ContainerInfo{}, err
	}
	return c.info(states[c.handle]), nil
}

func (c *container) info(st runcState) garden.ContainerInfo {
	props, _ := c.Properties()
	info := garden.ContainerInfo{
		State:         "stopped",
		ContainerIP:   c.spec.IP,
		ContainerPath: filepath.Join(c.f.depot, c.handle),
		Properties:    props,
	}
	if st.Status == "running" || st.Status == "paused" {
		info.State = "active"
		info.ProcessIDs = []string{strconv.Itoa(st.Pid)}
	}
	return info
}

type runcState struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Pid    int    `json:"pid"`
}

func (f *Fixture) runcStates() (map[string]runcState, error) {
	// Garden answers BulkInfo while it destroys containers; runc list
	// racing one of those deletes is listed again.
	var out []byte
	var err error
	for i := 0; i < containers.RuncListAttempts; i++ {
		if out, err = f.Runc("list", "--format", "json"); !containers.RuncListRaced(err) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	var list []runcState
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("parse runc list: %w", err)
	}
	m := make(map[string]runcState, len(list))
	for _, s := range list {
		m[s.ID] = s
	}
	return m, nil
}
