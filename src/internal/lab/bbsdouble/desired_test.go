package bbsdouble_test

import (
	"testing"

	"code.cloudfoundry.org/bbs/models"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bbsdouble"
)

func TestTheRealClientReadsDesiredLRPResourcesByProcessGuid(t *testing.T) {
	f := start(t)
	logger := lager.NewLogger("test")
	f.double.SetDesiredLRP(bbsdouble.DesiredLRP("pg-a", 2, 256, 1024))
	f.double.SetDesiredLRP(bbsdouble.DesiredLRP("pg-b", 1, 512, 2048))
	all, err := f.client.DesiredLRPSchedulingInfos(logger, "", models.DesiredLRPFilter{})
	if err != nil || len(all) != 2 {
		t.Fatalf("all = %+v, %v", all, err)
	}
	one, err := f.client.DesiredLRPSchedulingInfos(logger, "", models.DesiredLRPFilter{ProcessGuids: []string{"pg-b"}})
	if err != nil || len(one) != 1 || one[0].ProcessGuid != "pg-b" || one[0].MemoryMb != 512 || one[0].DiskMb != 2048 || one[0].Instances != 1 {
		t.Fatalf("pg-b = %+v, %v", one, err)
	}
	none, err := f.client.DesiredLRPSchedulingInfos(logger, "", models.DesiredLRPFilter{Domain: "other"})
	if err != nil || len(none) != 0 {
		t.Fatalf("another domain = %+v, %v", none, err)
	}
}
