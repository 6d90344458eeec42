package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"
)

const (
	cancelAfter  = 1500 * time.Millisecond
	cancelSettle = 300 * time.Millisecond
	cancelGrace  = 20 * time.Second
	cancelTarget = time.Second
)

// cancel is measure 5: SIGINT to terraform (what Ctrl-C sends) while
// Create waits for a port that never opens; the time until terraform
// exits. The verdict is on the slowest run.
func (b *bench) cancel(ctx context.Context) []row {
	const order, name = "5", "cancel (SIGINT -> exit)"
	var o, base []time.Duration
	for i := range b.cfg.cancelRuns {
		for _, p := range []provider{ours, baseline} {
			d, err := b.cancelOnce(ctx, p)
			if err != nil {
				return []row{errorRow(order, name, err)}
			}
			if p == ours {
				o = append(o, d)
			} else {
				base = append(base, d)
			}
			b.debugf("   run %d %s: %s", i+1, p, secs(d))
		}
	}
	b.logf("   ours:     %s", spread(o))
	b.logf("   baseline: %s", spread(base))
	worst := slices.Max(o)
	return []row{{
		order: order, measure: fmt.Sprintf("%s, median %s", name, secs(median(o))),
		ours: secs(worst) + " (max)", baseline: secs(slices.Max(base)) + " (max)",
		rel: fmt.Sprintf("%+.3fs", (worst - slices.Max(base)).Seconds()), target: "<= 1.000s", verdict: judge(worst <= cancelTarget),
	}}
}

func (b *bench) cancelOnce(ctx context.Context, p provider) (time.Duration, error) {
	port, err := closedPort(ctx)
	if err != nil {
		return 0, err
	}
	timeout := ""
	if p == ours {
		timeout = "5m"
	}
	dir, err := b.workdir(mainTF(p, []target{{host: "127.0.0.1", ports: []int{port}}}, timeout))
	if err != nil {
		return 0, err
	}
	a, err := b.startApply(ctx, dir, applyLimit+cancelGrace)
	if err != nil {
		return 0, err
	}
	defer a.kill()
	if err := a.waitCreating(ctx, applyLimit); err != nil {
		return 0, err
	}
	at := a.start.Add(cancelAfter)
	if s := a.out.seenTime().Add(cancelSettle); s.After(at) {
		at = s
	}
	if !a.sleepUntil(ctx, at) {
		a.wait()
		return 0, fmt.Errorf("%s apply ended before the interrupt:\n%s", p, a.out.tail(15))
	}
	sent := time.Now()
	if err := a.cmd.Process.Signal(os.Interrupt); err != nil {
		return 0, err
	}
	timer := time.NewTimer(cancelGrace)
	defer timer.Stop()
	select {
	case <-a.done:
	case <-timer.C:
		a.kill()
		a.wait()
		return 0, fmt.Errorf("%s apply still running %s after SIGINT:\n%s", p, cancelGrace, a.out.tail(15))
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	d, code := a.wait()
	b.debugf("   %s apply interrupted after %s, exit %d:\n%s", p, secs(d), code, a.out.tail(6))
	if err := a.check(ctx, false); err != nil {
		return 0, err
	}
	return a.end.Sub(sent), nil
}
