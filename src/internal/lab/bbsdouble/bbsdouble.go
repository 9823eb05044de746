// Package bbsdouble is a stand-in Diego BBS for tests and the lab. It speaks
// the real protocol (protobuf over HTTP on the routes of
// code.cloudfoundry.org/bbs, with mTLS when configured), so production code
// talks to it with the real client (bbs.NewClient, NewClientWithConfig,
// NewSecureSkipVerifyClient). The Diego BBS itself cannot be built here: its
// module has no go.mod and the Locket server it needs is not served by the
// module proxy these machines use.
//
// Routes answered, with the filters the real BBS applies:
//
//	Ping                     POST /v1/ping                         -> PingResponse{Available: true}
//	Cells                    POST /v1/cells/list.r1                -> CellsResponse
//	ActualLRPs               POST /v1/actual_lrps/list             (domain, cell_id, process_guid, index)
//	ActualLRPsByProcessGuids POST /v1/actual_lrps/list_by_process_guids
//	Tasks                    POST /v1/tasks/list.r3                (domain, cell_id)
//	DesiredLRPSchedulingInfos POST /v1/desired_lrp_scheduling_infos/list (domain, process_guids)
//
// Every other route answers 404, which the bbs client reports as
// bbs.EndpointNotFoundErr, so a caller using a route the double lacks fails
// loudly rather than reading an empty answer.
//
// The test controls the state:
//
//	d, err := bbsdouble.Start(bbsdouble.Options{TLS: serverTLS}) // TLS nil: plain HTTP
//	defer d.Close()
//	d.SetCell(&models.CellPresence{CellId: "cell-1", RepAddress: "http://10.0.0.1:1800"})
//	d.AddActualLRP(bbsdouble.RunningLRP("pg-1", 0, "ig-1", "cell-1"))
//	d.AddTask(&models.Task{TaskGuid: "t-1", CellId: "cell-1", State: models.Task_Running})
//	d.SetDesiredLRP(bbsdouble.DesiredLRP("pg-1", 2, 256, 1024)) // 2 instances, 256 MB memory, 1 GB disk
//	// The way BBS convergence reacts to a dead rep: after a delay, every
//	// running instance on cell-1 gets a RUNNING replacement on cell-2 and
//	// the old one turns suspect. Except names process guids left without.
//	d.ScheduleReplacements(bbsdouble.Replacement{From: "cell-1", To: "cell-2", After: 2 * time.Second, Except: []string{"pg-9"}})
//	d.RemoveCell("cell-1") // the rep's presence expired
//	d.Calls(bbs.ActualLRPsRoute_r0) // how often a route was called
//
// State methods are safe for concurrent use with requests.
package bbsdouble

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"code.cloudfoundry.org/bbs"
	"code.cloudfoundry.org/bbs/models"
	"github.com/gogo/protobuf/proto"
	"github.com/tedsuo/rata"
)

// Options configures the double.
type Options struct {
	// Address to listen on; default 127.0.0.1:0.
	Address string
	// TLS, when set, serves HTTPS with it (set ClientAuth and ClientCAs for
	// mTLS, as the real BBS requires).
	TLS *tls.Config
}

// Replacement describes what convergence would do for a dead cell.
type Replacement struct {
	From, To string
	After    time.Duration
	// Except lists process guids that get no replacement (no capacity).
	Except []string
}

// Double is a running BBS double.
type Double struct {
	// URL is the base URL to give bbs.NewClient.
	URL string

	mu       sync.Mutex
	cells    map[string]*models.CellPresence
	lrps     []*models.ActualLRP
	desired  map[string]*models.DesiredLRPSchedulingInfo
	tasks    []*models.Task
	calls    map[string]int
	seq      int
	server   *http.Server
	listener net.Listener
	timers   []*time.Timer
	closed   bool
}

// Start listens and serves until Close.
func Start(opts Options) (*Double, error) {
	d := &Double{cells: map[string]*models.CellPresence{}, calls: map[string]int{}, desired: map[string]*models.DesiredLRPSchedulingInfo{}}
	handlers := rata.Handlers{}
	for _, r := range bbs.Routes {
		handlers[r.Name] = d.count(r.Name, http.HandlerFunc(notImplemented))
	}
	handlers[bbs.PingRoute_r0] = d.count(bbs.PingRoute_r0, http.HandlerFunc(d.ping))
	handlers[bbs.CellsRoute_r0] = d.count(bbs.CellsRoute_r0, http.HandlerFunc(d.cellsList))
	handlers[bbs.ActualLRPsRoute_r0] = d.count(bbs.ActualLRPsRoute_r0, http.HandlerFunc(d.actualLRPs))
	handlers[bbs.ActualLRPsByProcessGuidsRoute_r0] = d.count(bbs.ActualLRPsByProcessGuidsRoute_r0, http.HandlerFunc(d.actualLRPsByProcessGuids))
	handlers[bbs.TasksRoute_r3] = d.count(bbs.TasksRoute_r3, http.HandlerFunc(d.tasksList))
	handlers[bbs.DesiredLRPSchedulingInfosRoute_r0] = d.count(bbs.DesiredLRPSchedulingInfosRoute_r0, http.HandlerFunc(d.desiredSchedulingInfos))
	router, err := rata.NewRouter(bbs.Routes, handlers)
	if err != nil {
		return nil, fmt.Errorf("bbs double routes: %w", err)
	}
	addr := opts.Address
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bbs double listen: %w", err)
	}
	scheme := "http"
	if opts.TLS != nil {
		l = tls.NewListener(l, opts.TLS)
		scheme = "https"
	}
	d.listener = l
	d.URL = fmt.Sprintf("%s://%s", scheme, l.Addr().String())
	d.server = &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.server.Serve(l) }()
	return d, nil
}

// Close stops serving and cancels pending replacements.
func (d *Double) Close() {
	d.mu.Lock()
	d.closed = true
	for _, t := range d.timers {
		t.Stop()
	}
	d.mu.Unlock()
	_ = d.server.Close()
}

// SetCell adds or replaces a cell presence.
func (d *Double) SetCell(c *models.CellPresence) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cells[c.CellId] = proto.Clone(c).(*models.CellPresence)
}

// RemoveCell drops a presence, as when a rep's Locket TTL expires.
func (d *Double) RemoveCell(cellID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.cells, cellID)
}

// RunningLRP builds a RUNNING, ordinary ActualLRP.
func RunningLRP(processGUID string, index int32, instanceGUID, cellID string) *models.ActualLRP {
	return &models.ActualLRP{
		ActualLRPKey:         models.NewActualLRPKey(processGUID, index, "cf-apps"),
		ActualLRPInstanceKey: models.NewActualLRPInstanceKey(instanceGUID, cellID),
		State:                models.ActualLRPStateRunning,
		Since:                time.Now().UnixNano(),
		Presence:             models.ActualLRP_Ordinary,
	}
}

// AddActualLRP stores a copy of lrp.
func (d *Double) AddActualLRP(lrp *models.ActualLRP) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lrps = append(d.lrps, proto.Clone(lrp).(*models.ActualLRP))
}

// ActualLRPs returns copies of every ActualLRP.
func (d *Double) ActualLRPs() []*models.ActualLRP {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*models.ActualLRP, 0, len(d.lrps))
	for _, l := range d.lrps {
		out = append(out, proto.Clone(l).(*models.ActualLRP))
	}
	return out
}

// DesiredLRP builds the scheduling info of a desired LRP in the cf-apps
// domain with its resources, as the auctioneer reads them.
func DesiredLRP(processGUID string, instances, memoryMB, diskMB int32) *models.DesiredLRPSchedulingInfo {
	return &models.DesiredLRPSchedulingInfo{
		DesiredLRPKey:      models.NewDesiredLRPKey(processGUID, "cf-apps", ""),
		Instances:          instances,
		DesiredLRPResource: models.NewDesiredLRPResource(memoryMB, diskMB, 0, "preloaded:cflinuxfs4"),
	}
}

// SetDesiredLRP adds or replaces a desired LRP's scheduling info.
func (d *Double) SetDesiredLRP(s *models.DesiredLRPSchedulingInfo) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.desired[s.ProcessGuid] = proto.Clone(s).(*models.DesiredLRPSchedulingInfo)
}

// AddTask stores a copy of task.
func (d *Double) AddTask(task *models.Task) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tasks = append(d.tasks, proto.Clone(task).(*models.Task))
}

// Calls is how many requests a route (a bbs.*Route_* name) has served.
func (d *Double) Calls(route string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[route]
}

// ScheduleReplacements replaces, after r.After, every RUNNING ordinary
// instance on r.From (except r.Except) with a RUNNING instance on r.To with
// a fresh instance guid, and marks the old one suspect, as convergence does
// once a rep's presence is gone.
func (d *Double) ScheduleReplacements(r Replacement) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.timers = append(d.timers, time.AfterFunc(r.After, func() { d.ReplaceNow(r) }))
}

// ReplaceNow does what ScheduleReplacements does, at once.
func (d *Double) ReplaceNow(r Replacement) {
	d.mu.Lock()
	defer d.mu.Unlock()
	except := map[string]bool{}
	for _, pg := range r.Except {
		except[pg] = true
	}
	var added []*models.ActualLRP
	for _, l := range d.lrps {
		if l.CellId != r.From || l.State != models.ActualLRPStateRunning || l.Presence != models.ActualLRP_Ordinary || except[l.ProcessGuid] {
			continue
		}
		d.seq++
		repl := RunningLRP(l.ProcessGuid, l.Index, fmt.Sprintf("%s-replacement-%d", l.InstanceGuid, d.seq), r.To)
		repl.Domain = l.Domain
		added = append(added, repl)
		l.Presence = models.ActualLRP_Suspect
	}
	d.lrps = append(d.lrps, added...)
}

func (d *Double) count(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.calls[route]++
		d.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func notImplemented(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "not implemented by the BBS double", http.StatusNotFound)
}

func (d *Double) ping(w http.ResponseWriter, _ *http.Request) {
	writeProto(w, &models.PingResponse{Available: true})
}

func (d *Double) cellsList(w http.ResponseWriter, _ *http.Request) {
	d.mu.Lock()
	ids := make([]string, 0, len(d.cells))
	for id := range d.cells {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	resp := &models.CellsResponse{}
	for _, id := range ids {
		resp.Cells = append(resp.Cells, proto.Clone(d.cells[id]).(*models.CellPresence))
	}
	d.mu.Unlock()
	writeProto(w, resp)
}

func (d *Double) actualLRPs(w http.ResponseWriter, r *http.Request) {
	var req models.ActualLRPsRequest
	if !readProto(w, r, &req) {
		return
	}
	resp := &models.ActualLRPsResponse{}
	d.mu.Lock()
	for _, l := range d.lrps {
		if (req.Domain == "" || l.Domain == req.Domain) &&
			(req.CellId == "" || l.CellId == req.CellId) &&
			(req.ProcessGuid == "" || l.ProcessGuid == req.ProcessGuid) &&
			(!req.IndexExists() || l.Index == req.GetIndex()) {
			resp.ActualLrps = append(resp.ActualLrps, proto.Clone(l).(*models.ActualLRP))
		}
	}
	d.mu.Unlock()
	writeProto(w, resp)
}

func (d *Double) actualLRPsByProcessGuids(w http.ResponseWriter, r *http.Request) {
	var req models.ActualLRPsByProcessGuidsRequest
	if !readProto(w, r, &req) {
		return
	}
	want := map[string]bool{}
	for _, pg := range req.ProcessGuids {
		want[pg] = true
	}
	resp := &models.ActualLRPsResponse{}
	d.mu.Lock()
	for _, l := range d.lrps {
		if want[l.ProcessGuid] {
			resp.ActualLrps = append(resp.ActualLrps, proto.Clone(l).(*models.ActualLRP))
		}
	}
	d.mu.Unlock()
	writeProto(w, resp)
}

func (d *Double) tasksList(w http.ResponseWriter, r *http.Request) {
	var req models.TasksRequest
	if !readProto(w, r, &req) {
		return
	}
	resp := &models.TasksResponse{}
	d.mu.Lock()
	for _, t := range d.tasks {
		if (req.Domain == "" || t.Domain == req.Domain) && (req.CellId == "" || t.CellId == req.CellId) {
			resp.Tasks = append(resp.Tasks, proto.Clone(t).(*models.Task))
		}
	}
	d.mu.Unlock()
	writeProto(w, resp)
}

func (d *Double) desiredSchedulingInfos(w http.ResponseWriter, r *http.Request) {
	var req models.DesiredLRPsRequest
	if !readProto(w, r, &req) {
		return
	}
	want := map[string]bool{}
	for _, pg := range req.ProcessGuids {
		want[pg] = true
	}
	resp := &models.DesiredLRPSchedulingInfosResponse{}
	d.mu.Lock()
	pgs := make([]string, 0, len(d.desired))
	for pg := range d.desired {
		pgs = append(pgs, pg)
	}
	sort.Strings(pgs)
	for _, pg := range pgs {
		s := d.desired[pg]
		if (req.Domain == "" || s.Domain == req.Domain) && (len(want) == 0 || want[pg]) {
			resp.DesiredLrpSchedulingInfos = append(resp.DesiredLrpSchedulingInfos, proto.Clone(s).(*models.DesiredLRPSchedulingInfo))
		}
	}
	d.mu.Unlock()
	writeProto(w, resp)
}

// readProto decodes the request body; on failure it answers as the real
// BBS does, with a protobuf error in a 200.
func readProto(w http.ResponseWriter, r *http.Request, m proto.Message) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err == nil {
		err = proto.Unmarshal(body, m)
	}
	if err != nil {
		writeProto(w, &models.ActualLRPsResponse{Error: models.NewError(models.Error_InvalidRequest, err.Error())})
		return false
	}
	return true
}

func writeProto(w http.ResponseWriter, m proto.Message) {
	b, err := proto.Marshal(m)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", bbs.ProtoContentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
