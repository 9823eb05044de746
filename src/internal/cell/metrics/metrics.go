// Package metrics is the agent's Prometheus registry: the D-state watch,
// the kernel's hung-task reports, first-responder bundles, scan, step and
// container destroy durations (histograms with a windowed maximum, since
// averages and even percentiles hide the spikes that matter) and the
// sequestration's phase and steps. Gauges are read from their sources at
// scrape time, so a scrape costs no /proc scan.
//
// Label cardinality is bounded: container and app label at most
// MaxContainerSeries distinct containers (more fold into "other"), step
// and state come from fixed lists, and no metric carries a pid.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/dstate"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// Namespace prefixes every metric of the agent.
const Namespace = "sequester_agent"

// MaxContainerSeries bounds the containers that get series of their own.
const MaxContainerSeries = 256

// Label values for threads outside any container and for the overflow.
const (
	HostContainer  = "host"
	OtherContainer = "other"
)

// Window of the *_max_seconds gauges.
const MaxWindow = time.Hour

// Sources are read at scrape time. Any may be nil.
type Sources struct {
	// DState is the last poll of the D-state scanner.
	DState func() dstate.Report
	// Status is the sequestration status (phase, steps).
	Status func() agentapi.Status
	// AppOf names a container's app without blocking ("" when unknown).
	AppOf func(handle string) string
	Now   func() time.Time
}

// Metrics owns the registry.
type Metrics struct {
	src Sources
	reg *prometheus.Registry

	episodes  *prometheus.CounterVec
	hungTasks *prometheus.CounterVec
	bundles   *prometheus.CounterVec

	scan       prometheus.Histogram
	scanMax    *windowMax
	step       *prometheus.HistogramVec
	stepMax    map[string]*windowMax
	destroy    prometheus.Histogram
	destroyMax *windowMax
	mu         sync.Mutex
	labelled   map[string]bool
	stepsSeen  map[string]bool
	gaugeDescs gaugeDescs
}

type gaugeDescs struct {
	threads, frozen, oldest, suspects, suspectAge, scanned, lastScan, phase, stepState, scanMax, stepMax, destroyMax, blockedReads *prometheus.Desc
}

// Phases and step states get a series each, 1 for the current one.
var (
	phases     = []string{agentapi.PhaseIdle, agentapi.PhaseRunning, agentapi.PhaseDone, agentapi.PhaseFailed}
	stepStates = []string{agentapi.StepPending, agentapi.StepRunning, agentapi.StepDone, agentapi.StepFailed, agentapi.StepSkipped}
)

func name(n string) string { return prometheus.BuildFQName(Namespace, "", n) }

// New registers every metric.
func New(src Sources) *Metrics {
	if src.Now == nil {
		src.Now = time.Now
	}
	m := &Metrics{
		src:        src,
		reg:        prometheus.NewRegistry(),
		labelled:   map[string]bool{},
		stepsSeen:  map[string]bool{},
		stepMax:    map[string]*windowMax{},
		scanMax:    newWindowMax(MaxWindow),
		destroyMax: newWindowMax(MaxWindow),
	}
	m.episodes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("dstate_episodes_total"),
		Help: "Suspect episodes: a container's thread stayed in D state past suspect_after (one per episode)."}, []string{"container", "app"})
	m.hungTasks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("hung_task_reports_total"),
		Help: "The kernel's hung-task reports (\"blocked for more than N seconds\" in /dev/kmsg), by the task's container (host outside any)."}, []string{"container", "app"})
	m.bundles = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("first_responder_bundles_total"),
		Help: "First-responder evidence bundles by result: captured, rate_limited, disk_cap, failed."}, []string{"result"})
	m.scan = prometheus.NewHistogram(prometheus.HistogramOpts{Name: name("scan_duration_seconds"),
		Help: "Duration of one D-state scan of /proc.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}})
	m.step = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name("step_duration_seconds"),
		Help: "Duration of each finished cell-side sequestration step.", Buckets: []float64{.1, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900}}, []string{"step"})
	m.destroy = prometheus.NewHistogram(prometheus.HistogramOpts{Name: name("container_destroy_duration_seconds"),
		Help: "Duration of each container destroy while pruning.", Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}})
	m.gaugeDescs = gaugeDescs{
		threads:      prometheus.NewDesc(name("dstate_threads"), "Threads in D state now, counted per thread (frozen by the agent itself left out).", nil, nil),
		frozen:       prometheus.NewDesc(name("dstate_threads_frozen_by_agent"), "Threads in D state now because the agent froze their kept container.", nil, nil),
		oldest:       prometheus.NewDesc(name("dstate_oldest_seconds"), "How long the longest-stuck thread has been in D state.", nil, nil),
		suspects:     prometheus.NewDesc(name("suspect_containers"), "Containers with a thread in D state past suspect_after now.", nil, nil),
		suspectAge:   prometheus.NewDesc(name("suspect_dstate_seconds"), "Per suspect container: how long its longest-stuck thread has been in D state.", []string{"container", "app"}, nil),
		scanned:      prometheus.NewDesc(name("scanned_processes"), "Processes the last D-state scan read.", nil, nil),
		lastScan:     prometheus.NewDesc(name("last_scan_timestamp_seconds"), "Unix time of the last D-state scan; a stale value means the agent's own poller is stuck.", nil, nil),
		phase:        prometheus.NewDesc(name("sequestration_phase"), "1 for the sequestration phase the cell is in (idle, running, done, failed), 0 for the others.", []string{"phase"}, nil),
		stepState:    prometheus.NewDesc(name("sequestration_step_state"), "1 for each cell-side step's current state, 0 for the other states.", []string{"step", "state"}, nil),
		scanMax:      prometheus.NewDesc(name("scan_duration_max_seconds"), "Longest D-state scan in the last hour.", nil, nil),
		stepMax:      prometheus.NewDesc(name("step_duration_max_seconds"), "Longest run of each step in the last hour.", []string{"step"}, nil),
		destroyMax:   prometheus.NewDesc(name("container_destroy_duration_max_seconds"), "Longest container destroy in the last hour.", nil, nil),
		blockedReads: prometheus.NewDesc(name("procfs_reads_blocked"), "Reads of /proc files (cmdline, stack...) given up at their deadline and still blocked: processes stuck so hard that reading about them hangs.", nil, nil),
	}
	m.reg.MustRegister(m.episodes, m.hungTasks, m.bundles, m.scan, m.step, m.destroy, gauges{m})
	for _, r := range []string{BundleCaptured, BundleRateLimited, BundleDiskCap, BundleFailed} {
		m.bundles.WithLabelValues(r)
	}
	return m
}

// Results of a first-responder capture.
const (
	BundleCaptured    = "captured"
	BundleRateLimited = "rate_limited"
	BundleDiskCap     = "disk_cap"
	BundleFailed      = "failed"
)

// Registry is for tests and the handler.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A scrape must not wait behind a stuck one.
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

// labels bounds the container label: the first MaxContainerSeries
// containers get their own, the rest fold into "other".
func (m *Metrics) labels(handle string) (string, string) {
	app := ""
	if handle != "" && m.src.AppOf != nil {
		app = m.src.AppOf(handle)
	}
	return m.labelsWith(handle, app)
}

func (m *Metrics) labelsWith(handle, app string) (string, string) {
	if handle == "" {
		return HostContainer, ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.labelled[handle] {
		if len(m.labelled) >= MaxContainerSeries {
			return OtherContainer, OtherContainer
		}
		m.labelled[handle] = true
	}
	return handle, app
}

// Polled records one scan's duration and the steps finished since.
func (m *Metrics) Polled(r dstate.Report) {
	m.scan.Observe(r.Took.Seconds())
	m.scanMax.observe(m.src.Now(), r.Took.Seconds())
	if m.src.Status != nil {
		m.ObserveSteps(m.src.Status())
	}
}

// Episode counts one suspect episode of a container running app (the
// caller resolves the app first: a new suspect is often not yet known).
func (m *Metrics) Episode(container, app string) {
	c, a := m.labelsWith(container, app)
	m.episodes.WithLabelValues(c, a).Inc()
}

// HungTask counts one kernel report for the task's container.
func (m *Metrics) HungTask(container, app string) {
	c, a := m.labelsWith(container, app)
	m.hungTasks.WithLabelValues(c, a).Inc()
}

// Bundle counts a first-responder capture by result.
func (m *Metrics) Bundle(result string) { m.bundles.WithLabelValues(result).Inc() }

// ObserveDestroy records one container destroy.
func (m *Metrics) ObserveDestroy(d time.Duration) {
	m.destroy.Observe(d.Seconds())
	m.destroyMax.observe(m.src.Now(), d.Seconds())
}

// ObserveSteps records each finished step of st once.
func (m *Metrics) ObserveSteps(st agentapi.Status) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range st.Steps {
		if s.StartedAt == nil || s.FinishedAt == nil || (s.State != agentapi.StepDone && s.State != agentapi.StepFailed) {
			continue
		}
		key := st.OperationID + "\x00" + s.Name + "\x00" + s.FinishedAt.String()
		if m.stepsSeen[key] {
			continue
		}
		m.stepsSeen[key] = true
		d := s.FinishedAt.Sub(*s.StartedAt).Seconds()
		m.step.WithLabelValues(s.Name).Observe(d)
		w := m.stepMax[s.Name]
		if w == nil {
			w = newWindowMax(MaxWindow)
			m.stepMax[s.Name] = w
		}
		w.observe(m.src.Now(), d)
	}
}

// gauges reads the sources at scrape time.
type gauges struct{ m *Metrics }

func (g gauges) Describe(ch chan<- *prometheus.Desc) {
	d := g.m.gaugeDescs
	for _, x := range []*prometheus.Desc{d.threads, d.frozen, d.oldest, d.suspects, d.suspectAge, d.scanned, d.lastScan, d.phase, d.stepState, d.scanMax, d.stepMax, d.destroyMax, d.blockedReads} {
		ch <- x
	}
}

func (g gauges) Collect(ch chan<- prometheus.Metric) {
	m, d := g.m, g.m.gaugeDescs
	now := m.src.Now()
	if m.src.DState != nil {
		r := m.src.DState()
		ours := map[string]bool{}
		for _, h := range r.Frozen {
			ours[h] = true
		}
		threads, frozen := 0, 0
		oldestOf := map[string]float64{}
		for _, p := range r.D {
			if p.Container != "" && ours[p.Container] {
				frozen++
				continue
			}
			threads++
			if p.Seconds > oldestOf[p.Container] {
				oldestOf[p.Container] = p.Seconds
			}
		}
		ch <- prometheus.MustNewConstMetric(d.threads, prometheus.GaugeValue, float64(threads))
		ch <- prometheus.MustNewConstMetric(d.frozen, prometheus.GaugeValue, float64(frozen))
		ch <- prometheus.MustNewConstMetric(d.oldest, prometheus.GaugeValue, r.Oldest().Seconds())
		ch <- prometheus.MustNewConstMetric(d.suspects, prometheus.GaugeValue, float64(len(r.Suspects)))
		for _, h := range r.Suspects {
			c, a := m.labels(h)
			if c == OtherContainer {
				continue
			}
			ch <- prometheus.MustNewConstMetric(d.suspectAge, prometheus.GaugeValue, oldestOf[h], c, a)
		}
		ch <- prometheus.MustNewConstMetric(d.scanned, prometheus.GaugeValue, float64(r.Scanned))
		if !r.At.IsZero() {
			ch <- prometheus.MustNewConstMetric(d.lastScan, prometheus.GaugeValue, float64(r.At.UnixNano())/1e9)
		}
	}
	if m.src.Status != nil {
		st := m.src.Status()
		for _, p := range phases {
			ch <- prometheus.MustNewConstMetric(d.phase, prometheus.GaugeValue, boolValue(st.Phase == p), p)
		}
		for _, s := range st.Steps {
			for _, state := range stepStates {
				ch <- prometheus.MustNewConstMetric(d.stepState, prometheus.GaugeValue, boolValue(s.State == state), s.Name, state)
			}
		}
	}
	ch <- prometheus.MustNewConstMetric(d.blockedReads, prometheus.GaugeValue, float64(procfs.StuckReads()))
	ch <- prometheus.MustNewConstMetric(d.scanMax, prometheus.GaugeValue, m.scanMax.max(now))
	ch <- prometheus.MustNewConstMetric(d.destroyMax, prometheus.GaugeValue, m.destroyMax.max(now))
	m.mu.Lock()
	for step, w := range m.stepMax {
		ch <- prometheus.MustNewConstMetric(d.stepMax, prometheus.GaugeValue, w.max(now), step)
	}
	m.mu.Unlock()
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// windowMax is the largest value observed within the last window. Values
// are kept per minute, so memory stays fixed however often it observes.
type windowMax struct {
	mu     sync.Mutex
	window time.Duration
	slots  []slot
}

type slot struct {
	minute int64
	max    float64
}

func newWindowMax(window time.Duration) *windowMax { return &windowMax{window: window} }

func (w *windowMax) observe(now time.Time, v float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	minute := now.Unix() / 60
	w.expire(now)
	if n := len(w.slots); n > 0 && w.slots[n-1].minute == minute {
		if v > w.slots[n-1].max {
			w.slots[n-1].max = v
		}
		return
	}
	w.slots = append(w.slots, slot{minute: minute, max: v})
}

func (w *windowMax) expire(now time.Time) {
	oldest := now.Add(-w.window).Unix() / 60
	i := 0
	for i < len(w.slots) && w.slots[i].minute < oldest {
		i++
	}
	w.slots = w.slots[i:]
}

func (w *windowMax) max(now time.Time) float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expire(now)
	var m float64
	for _, s := range w.slots {
		if s.max > m {
			m = s.max
		}
	}
	return m
}
