package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

const (
	failureTimeout = 3 * time.Second
	failureExcess  = 100 * time.Millisecond
)

// failure is measure 3: one closed port under `timeouts { create = "3s" }`.
// The apply must fail; its time minus the timeout minus our median 1 x 1
// open-port apply (same run) is what the verdict costs beyond the deadline.
func (b *bench) failure(ctx context.Context) []row {
	const order, name = "3", "failure verdict"
	one, err := b.ours1x1Median(ctx)
	if err != nil {
		return []row{errorRow(order, name, err)}
	}
	var ds []time.Duration
	status := "?"
	for i := range b.cfg.failureRuns {
		port, err := closedPort(ctx)
		if err != nil {
			return []row{errorRow(order, name, err)}
		}
		tf := mainTF(ours, []target{{host: "127.0.0.1", ports: []int{port}}}, failureTimeout.String())
		d, a, err := b.runApply(ctx, tf, failureTimeout+applyLimit, false)
		if err != nil {
			return []row{errorRow(order, name, err)}
		}
		ds = append(ds, d)
		status = verdictWord(a.out.text())
		b.debugf("   closed-port apply %d: %s (%s)", i+1, secs(d), status)
	}
	m := median(ds)
	excess := m - failureTimeout - one
	b.logf("   ours closed port: %s; status named: %s", spread(ds), status)
	b.logf("   ours 1x1 open:    %s", secs(one))
	return []row{{
		order: order, measure: fmt.Sprintf("failure verdict (%s, says %s)", failureTimeout, status),
		ours: secs(m), baseline: secs(one) + " (1x1 open)",
		rel: fmt.Sprintf("%+.3fs", excess.Seconds()), target: "<= +0.100s", verdict: judge(excess <= failureExcess),
	}}
}

// verdictWord is the status the error names for the port.
func verdictWord(out string) string {
	for _, w := range []string{": closed", ": filtered", ": error"} {
		if strings.Contains(out, w) {
			return w[2:]
		}
	}
	return "?"
}
