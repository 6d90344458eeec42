package verify_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/verify"
	"github.com/mediareach/terraform-provider-media/internal/verify/verifytest"
)

func unreachable(c check.Check) check.Check {
	c.Unreachable = true
	return c
}

// An unreachable check's port passes after MinUnreachableAttempts closed
// or filtered answers (or consecutive_successes, when more), not at the
// first, once every attempt in flight has answered too; its row reads the
// worst of them with passed = true.
func TestRunUnreachablePassesAfterStreak(t *testing.T) {
	for _, tc := range []struct {
		name     string
		st       probe.Status
		snapshot bool
		need     int
	}{
		{"closed", probe.StatusClosed, false, verify.MinUnreachableAttempts},
		{"filtered", probe.StatusFiltered, false, verify.MinUnreachableAttempts},
		{"closed, snapshot", probe.StatusClosed, true, verify.MinUnreachableAttempts},
		{"filtered, consecutive_successes 5", probe.StatusFiltered, false, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				clock := verifytest.NewClock(epoch)
				const interval = 50 * time.Millisecond
				p := &verifytest.Prober{Clock: clock, Silence: time.Second,
					Script: func(uint16, int) probe.Status { return tc.st }}
				pol := verify.Policy{Interval: interval, AttemptTimeout: time.Second, ConsecutiveSuccesses: tc.need,
					Snapshot: tc.snapshot}
				if tc.need == verify.MinUnreachableAttempts {
					pol.ConsecutiveSuccesses = 1
				}
				h := startOn(t.Context(), clock, plan(pol, unreachable(p.Check("admin", 5766))))
				if !h.step(200, interval) {
					t.Fatal("did not finish")
				}
				if h.err != nil || !h.rep.Reachable {
					t.Fatalf("err %v, reachable %v", h.err, h.rep.Reachable)
				}
				row := h.rep.Results[0]
				// Silent attempts overlap: those in flight when the streak is
				// complete must answer too, so filtered takes more.
				if !row.Passed || row.Status != tc.st || !row.Unreachable || row.Attempts < tc.need ||
					(tc.st == probe.StatusClosed && row.Attempts != tc.need) {
					t.Fatalf("row %+v; want passed, %s, unreachable, %d attempts", row, tc.st, tc.need)
				}
			})
		})
	}
}

// Any open or error answer fails an unreachable check at once, even after
// closed answers: the run ends with no error once the other checks pass.
func TestRunUnreachableFailsOnAnswer(t *testing.T) {
	for _, st := range []probe.Status{probe.StatusOpen, probe.StatusError} {
		t.Run(st.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				clock := verifytest.NewClock(epoch)
				const interval = 50 * time.Millisecond
				p := &verifytest.Prober{Script: func(_ uint16, a int) probe.Status {
					if a == 2 {
						return st
					}
					return probe.StatusClosed
				}}
				other := &verifytest.Prober{Script: func(uint16, int) probe.Status { return probe.StatusOpen }}
				pol := verify.Policy{Interval: interval, AttemptTimeout: time.Second, ConsecutiveSuccesses: 1}
				h := startOn(t.Context(), clock, plan(pol, unreachable(p.Check("admin", 5766)), other.Check("media", 3478)))
				if !h.step(3, interval) {
					t.Fatal("did not end at the answer")
				}
				if h.err != nil || h.rep.Reachable {
					t.Fatalf("err %v, reachable %v", h.err, h.rep.Reachable)
				}
				row := h.rep.Results[0]
				if row.Passed || row.Status != st || row.Attempts != 2 {
					t.Fatalf("row %+v; want failed, %s after 2 attempts", row, st)
				}
				if p.Calls(5766) != 2 {
					t.Fatalf("%d attempts after the port answered; want none", p.Calls(5766)-2)
				}
				if media := h.rep.Results[1]; !media.Passed {
					t.Fatalf("the other check did not pass: %+v", media)
				}
			})
		})
	}
}

// A late open answer breaks the streak in start order: closed, (open, slow),
// closed, closed must not pass before the slow attempt answers, and fails
// when it does.
func TestRunUnreachableWaitsForAttemptInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := verifytest.NewClock(epoch)
		const interval = 50 * time.Millisecond
		release := make(chan struct{})
		p := &verifytest.Prober{Script: func(_ uint16, a int) probe.Status { return probe.StatusClosed }}
		slow := func(ctx context.Context, tg probe.Target) probe.Result {
			res := p.Probe(ctx, tg)
			if p.Calls(tg.Port) == 2 {
				<-release
				res.Status = probe.StatusOpen
			}
			return res
		}
		c := unreachable(p.Check("admin", 5766))
		c.Probe = slow
		pol := verify.Policy{Interval: interval, AttemptTimeout: time.Second, ConsecutiveSuccesses: 1}
		h := startOn(t.Context(), clock, plan(pol, c))
		if h.step(10, interval) {
			t.Fatalf("finished while attempt 2 was in flight: %+v", h.rep.Results[0])
		}
		close(release)
		synctest.Wait()
		if !h.step(1, interval) {
			t.Fatal("did not end at the open answer")
		}
		if row := h.rep.Results[0]; row.Passed || row.Status != probe.StatusOpen || h.rep.Reachable {
			t.Fatalf("row %+v; want failed, open", row)
		}
	})
}

// Silence that the run's deadline cut short proves nothing: a run that ends
// before the streak is complete does not pass.
func TestRunUnreachableDeadlineIsNoPass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := verifytest.NewClock(epoch)
		const interval = 50 * time.Millisecond
		p := &verifytest.Prober{Script: func(uint16, int) probe.Status { return probe.StatusNone }}
		ctx, cancel := context.WithCancel(t.Context())
		pol := verify.Policy{Interval: interval, AttemptTimeout: time.Second, ConsecutiveSuccesses: 1}
		h := startOn(ctx, clock, plan(pol, unreachable(p.Check("admin", 5766))))
		h.step(5, interval)
		cancel()
		<-h.done
		if h.err == nil || h.rep.Reachable || h.rep.Results[0].Passed {
			t.Fatalf("err %v, row %+v", h.err, h.rep.Results[0])
		}
	})
}
