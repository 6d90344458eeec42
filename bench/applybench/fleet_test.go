//go:build unix

package applybench

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// fleetSize is the fleet measure's resource count (issue 15); each has its
// own host with fleetPorts open TCP ports, listed in one check.
const fleetSize, fleetPorts, fleetSmall = 500, 20, 50

// fleetHost is the i-th fleet host: 127.0.1.1 .. 127.0.2.250, apart from
// the scale measure's 127.0.0.x. Linux answers on all of 127.0.0.0/8.
func fleetHost(i int) string { return fmt.Sprintf("127.0.%d.%d", 1+i/250, 1+i%250) }

// fleet: 500 hosts x 20 open ports, one resource per host, ours against the
// baseline, in rounds of: both applies at 500; a no-change `terraform plan`
// (refresh on) in each of those working directories; both applies of the
// first 50 of the same targets. Rows: the apply ratio at 500; that ratio
// over the same round's ratio at 50 (cost grows as the floor's does); the
// plan ratio; state bytes per resource. It takes minutes, so a one-round
// smoke skips it unless BENCH_RUN selects measures.
func (h *harness) fleet(t *testing.T) []row {
	if h.smoke() && os.Getenv("BENCH_RUN") == "" {
		t.Skip("the 500 x 20 fleet takes minutes: not in the one-round smoke (BENCH_RUN=fleet runs it)")
	}
	targets := fleetTargets(t, fleetSize)
	ours, base := oursTF(targets, false, ""), baselineTF(targets)
	var oursState, baseState int64
	side := func(tf string, state *int64, plans *[]time.Duration) func(int) time.Duration {
		return func(int) time.Duration {
			r := h.startApply(t, tf)
			dir := r.finish(t, true)
			*state = fileSize(t, filepath.Join(dir, "terraform.tfstate"))
			p := h.startPlan(t, dir)
			p.finish(t, true)
			*plans = append(*plans, p.end.Sub(p.start))
			return r.end.Sub(r.start)
		}
	}
	var oursPlan, basePlan []time.Duration
	s := rounds(h.n(3), side(ours, &oursState, &oursPlan), side(base, &baseState, &basePlan),
		h.side(t, oursTF(targets[:fleetSmall], false, "")), h.side(t, baselineTF(targets[:fleetSmall])))
	perRes := func(n int64) float64 { return float64(n) / fleetSize }
	return []row{
		ratioRow("8", "fleet 500x20 apply", s[0], s[1], 1.30),
		growthRow("8b", "  ratio at 500 over ratio at 50", s[0], s[1], s[2], s[3], 1.10),
		ratioRow("8c", "  no-change plan, 500x20 state", oursPlan, basePlan, 1.30),
		{id: "8d", measure: "  state bytes per resource", ours: fmt.Sprintf("%.0f B", perRes(oursState)),
			base: fmt.Sprintf("%.0f B", perRes(baseState)), ratio: fmt.Sprintf("%.2fx", perRes(oursState)/perRes(baseState)),
			target: "<= 2.00x", verdict: judge(oursState <= 2*baseState)},
	}
}

// fleetTargets binds n hosts' fleetPorts open ports each, until the test ends.
func fleetTargets(t *testing.T, n int) []target {
	targets := make([]target, n)
	for i := range targets {
		targets[i].host = fleetHost(i)
		for range fleetPorts {
			targets[i].ports = append(targets[i].ports, testnet.TCPListenerOn(t, targets[i].host))
		}
	}
	return targets
}

// growthRow compares each round's ratio ours/base at the large shape with
// the same round's ratio at the small one: min / median / max of
// (ours/base) / (oursSmall/baseSmall); the verdict is on the median.
func growthRow(id, measure string, ours, base, oursSmall, baseSmall []time.Duration, target float64) row {
	ratios := func(a, b []time.Duration) []float64 {
		var rs []float64
		for i := range min(len(a), len(b)) {
			rs = append(rs, a[i].Seconds()/b[i].Seconds())
		}
		return rs
	}
	large, small := ratios(ours, base), ratios(oursSmall, baseSmall)
	var g []float64
	for i := range min(len(large), len(small)) {
		g = append(g, large[i]/small[i])
	}
	return row{id: id, measure: measure, ours: fmt.Sprintf("%.2fx at 500", median(large)),
		base:   fmt.Sprintf("%.2fx at 50", median(small)),
		ratio:  fmt.Sprintf("%.2f / %.2f / %.2fx", slices.Min(g), median(g), slices.Max(g)),
		target: fmt.Sprintf("<= %.2fx", target), verdict: judge(median(g) <= target)}
}

func fileSize(t *testing.T, name string) int64 {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestFleetRows(t *testing.T) {
	if got := []string{fleetHost(0), fleetHost(249), fleetHost(250), fleetHost(fleetSize - 1)}; !slices.Equal(got,
		[]string{"127.0.1.1", "127.0.1.250", "127.0.2.1", "127.0.2.250"}) {
		t.Errorf("fleet hosts = %v", got)
	}
	ms := func(xs ...int) []time.Duration {
		ds := make([]time.Duration, len(xs))
		for i, x := range xs {
			ds[i] = time.Duration(x) * time.Millisecond
		}
		return ds
	}
	// Ratios at 500: 2, 1.5, 1.2; at 50: 1, 1.5, 1: growth 2, 1, 1.2.
	r := growthRow("8b", "growth", ms(200, 300, 120), ms(100, 200, 100), ms(10, 30, 10), ms(10, 20, 10), 1.1)
	if r.ratio != "1.00 / 1.20 / 2.00x" || r.ours != "1.50x at 500" || r.base != "1.00x at 50" || r.verdict != miss {
		t.Errorf("growthRow = %+v", r)
	}
}
