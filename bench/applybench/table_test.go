package applybench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// target is one resource: a host and its TCP ports.
type target struct {
	host  string
	ports []uint16
}

func onePort(port uint16) []target { return []target{{host: "127.0.0.1", ports: []uint16{port}}} }

// oneOpen is one open port on 127.0.0.1 until the test ends.
func oneOpen(t *testing.T) []target { return onePort(testnet.TCPListener(t)) }

// oursHeader maps the media provider to bench/run.sh's build (dev_overrides).
const oursHeader = "terraform {\n  required_providers {\n    media = { source = \"mediareach/media\" }\n  }\n}\n"

// oursTF is one media_server_reachability per target, at its defaults:
// each target's ports in one check, or one check object per port when
// perPort. createTimeout "" keeps the default timeout.
func oursTF(targets []target, perPort bool, createTimeout string) string {
	var b strings.Builder
	b.WriteString(oursHeader)
	for i, t := range targets {
		fmt.Fprintf(&b, "resource \"media_server_reachability\" \"r%d\" {\n  host = %q\n  checks = [\n", i, t.host)
		if perPort || len(t.ports) == 1 {
			for _, p := range t.ports {
				fmt.Fprintf(&b, "    { protocol = \"tcp\", port = %d },\n", p)
			}
		} else {
			fmt.Fprintf(&b, "    { protocol = \"tcp\", ports = %s },\n", portList(t.ports))
		}
		b.WriteString("  ]\n")
		if createTimeout != "" {
			fmt.Fprintf(&b, "  timeouts {\n    create = %q\n  }\n", createTimeout)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// baselineTF is one baseline_ports per target.
func baselineTF(targets []target) string {
	var b strings.Builder
	b.WriteString("terraform {\n  required_providers {\n    baseline = { source = \"mediareach/baseline\" }\n  }\n}\n")
	for i, t := range targets {
		fmt.Fprintf(&b, "resource \"baseline_ports\" \"r%d\" {\n  host  = %q\n  ports = %s\n}\n", i, t.host, portList(t.ports))
	}
	return b.String()
}

func portList(ports []uint16) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

type verdict int

const (
	info verdict = iota // reported, no target
	pass
	miss
)

// row is one line of the table; id is the numbering.
type row struct {
	id, measure, ours, base, ratio, target string
	verdict                                verdict
}

func judge(ok bool) verdict {
	if ok {
		return pass
	}
	return miss
}

// ratioRow compares two sides of the same rounds: the medians, and the
// min/median/max of the per-round ratios, each round's two applies having
// run back to back. The verdict is on the median ratio; 0 = reported only.
func ratioRow(id, measure string, ours, base []time.Duration, target float64) row {
	var rs []float64
	for i := range min(len(ours), len(base)) {
		rs = append(rs, ours[i].Seconds()/base[i].Seconds())
	}
	r := row{id: id, measure: measure, ours: secs(median(ours)), base: secs(median(base)),
		ratio: fmt.Sprintf("%.2f / %.2f / %.2fx", slices.Min(rs), median(rs), slices.Max(rs)), target: "report"}
	if target > 0 {
		r.target, r.verdict = fmt.Sprintf("<= %.2fx", target), judge(median(rs) <= target)
	}
	return r
}

// diffRow reports durations, judged by stat (median or slices.Max) against
// limit: ours as "stat (min .. max)", base (nil: none) as its stat and the
// difference.
func diffRow(id, measure string, ours, base []time.Duration, limit time.Duration, stat func([]time.Duration) time.Duration) row {
	o := stat(ours)
	r := row{id: id, measure: measure, ours: fmt.Sprintf("%s (%s .. %s)", secs(o), secs(slices.Min(ours)), secs(slices.Max(ours))),
		base: "-", ratio: "-", target: "<= " + secs(limit), verdict: judge(o <= limit)}
	if base != nil {
		r.base, r.ratio = secs(stat(base)), fmt.Sprintf("%+.3fs", (o-stat(base)).Seconds())
	}
	return r
}

func median[T time.Duration | float64](xs []T) T {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func printTable(w io.Writer, rows []row, smoke bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\n#\tmeasure\tours\tbaseline\tdiff or ratio min / median / max\ttarget\tresult")
	for _, r := range rows {
		result := [...]string{"-", "pass", "MISS"}[r.verdict]
		if smoke && r.verdict == miss {
			result += " (one round: not enforced)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.id, r.measure, r.ours, r.base, r.ratio, r.target, result)
	}
	_ = tw.Flush()
}

func TestRows(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		ds := make([]time.Duration, len(xs))
		for i, x := range xs {
			ds[i] = time.Duration(x) * time.Millisecond
		}
		return ds
	}
	// Per-round ratios 2, 1.5, 1: the median is 1.5, whatever the medians.
	r := ratioRow("2", "scale", ms(200, 300, 400), ms(100, 200, 400), 1.3)
	if r.ratio != "1.00 / 1.50 / 2.00x" || r.ours != "0.300s" || r.base != "0.200s" || r.verdict != miss {
		t.Errorf("ratioRow = %+v", r)
	}
	if r := ratioRow("2b", "per port", ms(100, 100), ms(100, 100), 0); r.target != "report" || r.verdict != info {
		t.Errorf("ratioRow without a target = %+v", r)
	}
	r = diffRow("5", "cancel", ms(10, 30, 20), ms(5, 6, 7), time.Second, slices.Max)
	if r.ours != "0.030s (0.010s .. 0.030s)" || r.ratio != "+0.023s" || r.verdict != pass {
		t.Errorf("diffRow = %+v", r)
	}
	if got := median(ms(4, 1, 3, 2)); got != 2500*time.Microsecond {
		t.Errorf("median = %s, want 2.5ms", got)
	}
}

func TestConfigs(t *testing.T) {
	targets := []target{{host: "127.0.0.1", ports: []uint16{1001, 1002}}, {host: "127.0.0.2", ports: []uint16{2001}}}
	for _, tt := range []struct {
		name, tf  string
		want, not []string
	}{
		{"ours", oursTF(targets, false, "3s"), []string{`source = "mediareach/media"`, `"media_server_reachability" "r1"`,
			`{ protocol = "tcp", ports = [1001, 1002] }`, `{ protocol = "tcp", port = 2001 }`, `create = "3s"`},
			[]string{"poll_interval", "port = 1002"}},
		{"per port", oursTF(targets, true, ""), []string{`{ protocol = "tcp", port = 1002 }`}, []string{"ports =", "timeouts"}},
		{"baseline", baselineTF(targets), []string{`source = "mediareach/baseline"`, `ports = [1001, 1002]`}, nil},
	} {
		for _, w := range tt.want {
			if !strings.Contains(tt.tf, w) {
				t.Errorf("%s: config lacks %q:\n%s", tt.name, w, tt.tf)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(tt.tf, n) {
				t.Errorf("%s: config has %q:\n%s", tt.name, n, tt.tf)
			}
		}
	}
}
