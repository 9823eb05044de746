package director

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"code.cloudfoundry.org/bbs"
	"code.cloudfoundry.org/bbs/models"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/poll"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// CellChecker is Diego's view of a cell, for the consumer-side check.
type CellChecker interface {
	// RepHost is the host of the cell's rep presence ("" when absent).
	RepHost(ctx context.Context, cellID string) (string, error)
	// LRPsAt lists the ActualLRP instance guids on cellID whose address is
	// ip and that are not suspect.
	LRPsAt(ctx context.Context, cellID, ip string) ([]string, error)
}

// verify checks from the consumer's side: the new IP differs, the old IP
// is still reserved in the latest cloud config, and (where BBS is
// configured) the cell id's presence carries the new address and no
// ActualLRP is left on the old rep.
func (f *Flow) verify(ctx context.Context, logger lager.Logger) error {
	var evidence []string
	if f.rec.NewIP == "" || f.rec.NewIP == f.rec.OldIP {
		return fmt.Errorf("new IP %q is not a new IP (old %s)", f.rec.NewIP, f.rec.OldIP)
	}
	evidence = append(evidence, fmt.Sprintf("director: %s on VM %s at %s (was %s at %s)", f.rec.Instance(), f.rec.NewVMCID, f.rec.NewIP, f.rec.VMCID, f.rec.OldIP))
	cfg, err := f.Dir.LatestConfig("cloud", f.rec.Reservation.CloudConfig)
	if err != nil {
		return fmt.Errorf("read cloud config %q: %w", f.rec.Reservation.CloudConfig, err)
	}
	ok, err := cloudconfig.IsReserved([]byte(cfg.Content), f.rec.Network, f.rec.OldIP)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("old IP %s is no longer reserved in cloud config %q: the director may hand it to another VM while the sequestered VM lives", f.rec.OldIP, f.rec.Reservation.CloudConfig)
	}
	evidence = append(evidence, fmt.Sprintf("cloud config %q (id %s) reserves %s", f.rec.Reservation.CloudConfig, cfg.ID, f.rec.OldIP))
	if f.BBS != nil {
		// The replacement rep takes the cell id's presence once the old
		// rep's lapses; give it BBSTimeout.
		var (
			host      string
			left      []string
			err, lerr error
		)
		waited := poll.Until(ctx, f.Clock, f.Opts.PollInterval, f.Opts.BBSTimeout, func() (bool, error) {
			host, err = f.BBS.RepHost(ctx, f.rec.InstanceID)
			left, lerr = f.BBS.LRPsAt(ctx, f.rec.InstanceID, f.rec.OldIP)
			if err == nil && lerr == nil && host == f.rec.NewIP && len(left) == 0 {
				return true, nil
			}
			logger.Debug("bbs-not-yet", lager.Data{"rep_host": host, "lrps_left": len(left)})
			return false, nil
		})
		switch {
		case waited == nil:
			evidence = append(evidence, fmt.Sprintf("bbs: cell %s presence at %s; no ActualLRP at %s", f.rec.InstanceID, host, f.rec.OldIP))
		case !errors.Is(waited, poll.ErrTimeout):
			return waited
		case err != nil:
			return fmt.Errorf("bbs cells: %w", err)
		case lerr != nil:
			return fmt.Errorf("bbs actual LRPs: %w", lerr)
		case host != f.rec.NewIP:
			return fmt.Errorf("bbs: cell %s presence is at %q, not the new IP %s", f.rec.InstanceID, host, f.rec.NewIP)
		default:
			return fmt.Errorf("bbs: ActualLRPs still on the old cell at %s: %s", f.rec.OldIP, strings.Join(left, ", "))
		}
	} else {
		evidence = append(evidence, "bbs: not configured, Diego-side check skipped")
	}
	logger.Info("verified", lager.Data{"evidence": evidence})
	return f.save(func(r *record.Record) { r.Verification = evidence })
}

// BBSChecker is CellChecker over the real BBS client.
type BBSChecker struct {
	Client bbs.Client
	Logger lager.Logger
}

// NewBBSChecker builds a BBS client with mTLS from PEM files.
func NewBBSChecker(url, caFile, certFile, keyFile string, logger lager.Logger) (*BBSChecker, error) {
	c, err := bbs.NewClient(url, caFile, certFile, keyFile, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("bbs client: %w", err)
	}
	return &BBSChecker{Client: c, Logger: logger.Session("bbs")}, nil
}

func (b *BBSChecker) RepHost(ctx context.Context, cellID string) (string, error) {
	cells, err := b.Client.Cells(b.Logger, "")
	if err != nil {
		return "", err
	}
	for _, c := range cells {
		if c.CellId != cellID {
			continue
		}
		// rep_address carries the IP; rep_url is a per-cell DNS name.
		addr := c.RepAddress
		if addr == "" {
			addr = c.RepUrl
		}
		return hostOf(addr), nil
	}
	return "", nil
}

func (b *BBSChecker) LRPsAt(ctx context.Context, cellID, ip string) ([]string, error) {
	lrps, err := b.Client.ActualLRPs(b.Logger, "", models.ActualLRPFilter{CellID: cellID})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range lrps {
		// A suspect instance already has its replacement elsewhere (BBS
		// removes it once that one runs): only an ordinary one is "left".
		if l.Address == ip && l.Presence != models.ActualLRP_Suspect {
			out = append(out, l.InstanceGuid)
		}
	}
	return out, nil
}

// hostOf reads the host of "https://host:port", "http://host" or "host:port".
func hostOf(addr string) string {
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		return u.Hostname()
	}
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
