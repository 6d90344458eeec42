package vantage_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// The local vantage point runs the engine and names itself on every row,
// in progress reports too.
func TestLocalStampsEveryRow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opensAt := 15 * time.Second
		start := time.Now()
		probeFn := func(_ context.Context, tg probe.Target) probe.Result {
			st := probe.StatusClosed
			if time.Since(start) >= opensAt {
				st = probe.StatusOpen
			}
			return probe.Result{Status: st, Address: tg.Address()}
		}
		plan := verify.Plan{Host: "127.0.0.1", Policy: verify.Policy{Interval: time.Second},
			Checks: []check.Check{{Name: "tcp/443", Protocol: "tcp", Ports: []uint16{443}, Label: "443", Probe: probeFn}}}
		var progress []verify.Report
		var v vantage.Vantage = vantage.Local{}
		rep, err := v.Verify(t.Context(), plan, vantage.Watcher{Progress: func(r verify.Report) { progress = append(progress, r) }})
		if err != nil || !rep.Reachable {
			t.Fatalf("err %v, reachable %v", err, rep.Reachable)
		}
		if len(progress) != 1 {
			t.Fatalf("%d progress reports, want 1 (at 10s)", len(progress))
		}
		for _, r := range append(progress, rep) {
			for _, row := range r.Results {
				if row.Vantage != vantage.LocalName {
					t.Errorf("row %s vantage %q, want %q", row.Name, row.Vantage, vantage.LocalName)
				}
			}
		}
	})
}
