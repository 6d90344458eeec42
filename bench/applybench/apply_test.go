//go:build unix

package applybench

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestApply runs the measures and prints one table (bench/README.md). A
// measure that cannot run fails it; so does a missed target, except in a
// one-round smoke (BENCH_ROUNDS=1), where one sample proves nothing.
func TestApply(t *testing.T) {
	bin := os.Getenv("BENCH_BIN")
	if bin == "" {
		t.Skip("timed applies run from bench/run.sh (make bench), which sets BENCH_BIN")
	}
	h := newHarness(t, bin)
	var rows []row
	for _, m := range []struct {
		name string
		run  func(*testing.T) []row
	}{
		{"startup", h.startup},
		{"unblock", h.unblock},
		{"unblockagent", h.unblockAgent},
		{"scale", h.scale},
		{"fleet", h.fleet},
		{"failure", h.failure},
		{"cancel", h.cancel},
		{"udprange", h.udpRange},
		{"engine", h.engine},
	} {
		t.Run(m.name, func(t *testing.T) { rows = append(rows, m.run(t)...) })
	}
	slices.SortStableFunc(rows, func(a, b row) int { return strings.Compare(a.id, b.id) })
	printTable(os.Stdout, rows, h.smoke())
	for _, r := range rows {
		if r.verdict == miss && !h.smoke() {
			t.Errorf("%s %s: %s (%s), target %s", r.id, strings.TrimSpace(r.measure), r.ours, r.ratio, r.target)
		}
	}
}
