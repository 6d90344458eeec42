package verify_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/verify"
	"github.com/mediareach/terraform-provider-media/internal/verify/verifytest"
)

// A shared limit caps probes in flight across runs, and a saturated limit
// does not pile up queued attempts: each port queues at most one.
func TestRunSharedLimitCapsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var inFlight, peak atomic.Int32
		block := make(chan struct{})
		probeFn := func(ctx context.Context, tg probe.Target) probe.Result {
			n := inFlight.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			defer inFlight.Add(-1)
			select {
			case <-block:
			case <-ctx.Done():
			}
			return probe.Result{Status: probe.StatusOpen, Address: tg.Address()}
		}
		c := check.Check{Name: "c", Protocol: "tcp", Ports: portsFrom(1, 10), Label: "1-10", Probe: probeFn}
		limit := semaphore.NewWeighted(3)
		clock := verifytest.NewClock(epoch)
		pol := verify.Policy{Interval: time.Millisecond, AttemptTimeout: time.Hour}
		var wg sync.WaitGroup
		reps := make([]verify.Report, 2)
		for i := range reps {
			wg.Go(func() {
				reps[i], _ = verify.Run(t.Context(), plan(pol, c), verify.Deps{Clock: clock, Limit: limit})
			})
		}
		synctest.Wait()
		advance(clock, 50, time.Millisecond)
		if got := peak.Load(); got != 3 {
			t.Fatalf("peak in flight = %d, want the limit 3", got)
		}
		close(block)
		wg.Wait()
		for i, rep := range reps {
			if !rep.Reachable {
				t.Fatalf("run %d not reachable: %+v", i, rep.Results)
			}
		}
	})
}

type recorder struct {
	mu     sync.Mutex
	events []verify.Event
}

func (r *recorder) AttemptDone(e verify.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func TestRunReportsEachAttemptToObserver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &verifytest.Prober{Script: func(_ uint16, n int) probe.Status {
			if n < 3 {
				return probe.StatusClosed
			}
			return probe.StatusOpen
		}}
		rec := &recorder{}
		clock := verifytest.NewClock(epoch)
		pol := verify.Policy{Interval: time.Second, AttemptTimeout: time.Second}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = verify.Run(t.Context(), plan(pol, p.Check("tcp/443", 443)), verify.Deps{Clock: clock, Observer: rec})
		}()
		for range 3 {
			synctest.Wait()
			clock.Advance(time.Second)
		}
		<-done
		if len(rec.events) != 3 {
			t.Fatalf("events = %d, want 3", len(rec.events))
		}
		for i, e := range rec.events {
			if e.Attempt != i+1 || e.Check != "tcp/443" || e.Port != 443 {
				t.Fatalf("event %d = %+v", i, e)
			}
		}
		if rec.events[2].Result.Status != probe.StatusOpen {
			t.Fatalf("last event status = %v, want open", rec.events[2].Result.Status)
		}
	})
}
