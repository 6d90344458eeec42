package verify_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/verify"
	"github.com/mediareach/terraform-provider-media/internal/verify/verifytest"
)

// Two Runs at once, as two resources of one provider: with a shared Rates
// and the same host they share one max_probe_rate, split evenly; on
// different hosts, or without a shared Rates, each has its own.
func TestRunRatesShareTheCapPerHost(t *testing.T) {
	const (
		interval = 100 * time.Millisecond
		rate     = 50 // 5 starts per interval
		steps    = 20
		oneCap   = 5 * (steps + 1) // 5 at t=0 and 5 per step
	)
	tests := []struct {
		name        string
		hosts       [2]string
		rates       [2]float64
		shared      bool
		least, most int // total attempts of both runs
		evenlySplit bool
	}{
		{"same host", [2]string{"127.0.0.1", "127.0.0.1"}, [2]float64{rate, rate}, true, oneCap - 5, oneCap, true},
		// While they overlap the lower rate holds for both (its run starts first).
		{"same host, lower rate wins", [2]string{"127.0.0.1", "127.0.0.1"}, [2]float64{rate, 10 * rate}, true,
			oneCap - 5, oneCap, true},
		{"different hosts", [2]string{"127.0.0.1", "127.0.0.2"}, [2]float64{rate, rate}, true, 2 * oneCap, 2 * oneCap, false},
		{"no shared Rates", [2]string{"127.0.0.1", "127.0.0.1"}, [2]float64{rate, rate}, false, 2 * oneCap, 2 * oneCap, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				clock := verifytest.NewClock(epoch)
				deps := verify.Deps{Clock: clock}
				if tt.shared {
					deps.Rates = verify.NewRates()
				}
				ports := portsFrom(20000, 100)
				ctx, cancel := context.WithCancel(t.Context())
				var probers [2]verifytest.Prober
				var wg sync.WaitGroup
				for i := range probers {
					probers[i].Script = func(uint16, int) probe.Status { return probe.StatusClosed }
					pol := verify.Policy{Interval: interval, AttemptTimeout: time.Second, MaxProbeRate: tt.rates[i]}
					p := verify.Plan{Host: tt.hosts[i], IPVersion: verify.IPAny, Policy: pol,
						Checks: []check.Check{probers[i].Check("range", ports...)}}
					wg.Go(func() { _, _ = verify.Run(ctx, p, deps) })
					// One after the other: a Run alone has the whole
					// budget, so which joins first would decide the t=0 burst.
					synctest.Wait()
				}
				advance(clock, steps, interval)
				cancel()
				wg.Wait()

				per := [2]int{totalCalls(&probers[0], ports), totalCalls(&probers[1], ports)}
				total := per[0] + per[1]
				if total < tt.least || total > tt.most {
					t.Fatalf("attempts = %d (%d + %d), want %d to %d", total, per[0], per[1], tt.least, tt.most)
				}
				if tt.evenlySplit && (per[0] < total*2/5 || per[1] < total*2/5) {
					t.Fatalf("attempts = %d + %d: one run starved the other", per[0], per[1])
				}
			})
		})
	}
}

// When the first Run finishes, the one still running gets the whole cap.
func TestRunRatesShareGrowsWhenARunLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 100 * time.Millisecond
		clock := verifytest.NewClock(epoch)
		deps := verify.Deps{Clock: clock, Rates: verify.NewRates()}
		pol := verify.Policy{Interval: interval, AttemptTimeout: time.Second, MaxProbeRate: 50}
		closed := func(uint16, int) probe.Status { return probe.StatusClosed }
		ports := portsFrom(20000, 100)
		short := &verifytest.Prober{Script: closed}
		long := &verifytest.Prober{Script: closed}
		shortCtx, stopShort := context.WithCancel(t.Context())
		longCtx, stopLong := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = verify.Run(shortCtx, plan(pol, short.Check("a", ports...)), deps) })
		wg.Go(func() { _, _ = verify.Run(longCtx, plan(pol, long.Check("b", ports...)), deps) })
		synctest.Wait()
		advance(clock, 10, interval)
		stopShort()
		synctest.Wait()
		before := totalCalls(long, ports)
		advance(clock, 10, interval)
		stopLong()
		wg.Wait()
		// Alone, the long run starts all 5 per interval.
		if got := totalCalls(long, ports) - before; got != 50 {
			t.Fatalf("attempts after the other run left = %d, want 50 (the whole cap)", got)
		}
	})
}
