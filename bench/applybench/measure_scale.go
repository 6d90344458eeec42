package main

import (
	"context"
	"fmt"
	"time"
)

const (
	scaleHosts   = 50 // 127.0.0.1 .. 127.0.0.50
	scalePorts   = 20 // open TCP ports per host
	scaleLimit   = 5 * time.Minute
	scaleTargetX = 1.3
)

// scale is measure 2: 50 resources (one host each) x 20 open ports, ours
// vs the baseline and vs 50 terraform_data resources, in rounds of three
// back-to-back applies; also ours vs our own 1 x 1 apply.
func (b *bench) scale(ctx context.Context) []row {
	const order, name = "2", "scale 50x20 apply"
	var ls listeners
	defer ls.close()
	targets, err := openTargets(ctx, &ls, scaleHosts, scalePorts)
	if err != nil {
		return []row{errorRow(order, name, err)}
	}
	one, err := b.ours1x1Median(ctx)
	if err != nil {
		return []row{errorRow(order, name, err)}
	}
	samples := map[provider][]time.Duration{}
	for i := range b.cfg.scaleRuns {
		for _, p := range []provider{ours, baseline, terraformData, oursPerPort} {
			d, _, err := b.runApply(ctx, mainTF(p, targets, ""), scaleLimit, true)
			if err != nil {
				return []row{errorRow(order, name, err)}
			}
			samples[p] = append(samples[p], d)
			b.debugf("   round %d %s: %s", i+1, p, secs(d))
		}
	}
	o, base, data, perPort := samples[ours], samples[baseline], samples[terraformData], samples[oursPerPort]
	b.logf("   ours:           %s", spread(o))
	b.logf("   ours per port:  %s", spread(perPort))
	b.logf("   baseline:       %s", spread(base))
	b.logf("   terraform_data: %s", spread(data))
	ratio := pairRatio(o, base)
	return []row{
		{
			order: "2", measure: name,
			ours: secs(median(o)), baseline: secs(median(base)),
			rel: fmt.Sprintf("%.3fx", ratio), target: fmt.Sprintf("<= %.2fx", scaleTargetX), verdict: judge(ratio <= scaleTargetX),
		},
		{
			order: "2b", measure: "  vs our 1x1 apply",
			ours: secs(median(o)), baseline: secs(one) + " (ours)",
			rel: fmt.Sprintf("%.2fx", median(o).Seconds()/one.Seconds()), target: "report",
		},
		{
			order: "2c", measure: "  vs 50 terraform_data",
			ours: secs(median(o)), baseline: secs(median(data)) + " (tf_data)",
			rel: fmt.Sprintf("%.2fx", pairRatio(o, data)), target: "report",
		},
		{
			order: "2d", measure: "  one check per port",
			ours: secs(median(perPort)), baseline: secs(median(base)),
			rel: fmt.Sprintf("%.2fx", pairRatio(perPort, base)), target: "report",
		},
	}
}
