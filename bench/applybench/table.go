package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

type verdict int

const (
	info verdict = iota // reported, no target
	pass
	fail
	broken // the measure could not run
)

// row is one line of the table. order is the numbering.
type row struct {
	order    string
	measure  string
	ours     string
	baseline string
	rel      string // ratio or difference
	target   string
	verdict  verdict
}

func (v verdict) String(quick bool) string {
	s := [...]string{"-", "pass", "FAIL", "ERROR"}[v]
	if quick && v == fail {
		s += " (quick)"
	}
	return s
}

func sortRows(rows []row) {
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].order < rows[j].order })
}

// broke reports a measure that could not run.
func broke(rows []row) bool {
	return slices.ContainsFunc(rows, func(r row) bool { return r.verdict == broken })
}

// failed reports a missed target or a broken measure.
func failed(rows []row) bool {
	return slices.ContainsFunc(rows, func(r row) bool { return r.verdict == fail || r.verdict == broken })
}

func printTable(w io.Writer, rows []row, quick bool) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tmeasure\tours\tbaseline\tratio/diff\ttarget\tresult")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.order, r.measure, r.ours, r.baseline, r.rel, r.target, r.verdict.String(quick))
	}
	_ = tw.Flush()
	if quick {
		fmt.Fprintln(w, "\nBENCH_QUICK: one repetition each; missed targets are not enforced (ERROR still fails).")
	}
}

// errorRow reports a measure that could not run; it fails the bench.
func errorRow(order, measure string, err error) row {
	msg := strings.SplitN(err.Error(), "\n", 2)[0]
	if len(msg) > 60 {
		msg = msg[:57] + "..."
	}
	return row{order: order, measure: measure, ours: "error: " + msg, verdict: broken}
}

func judge(ok bool) verdict {
	if ok {
		return pass
	}
	return fail
}

func median[T time.Duration | float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// pairRatio is the median of a[i]/b[i]: each pair ran back to back, so
// the machine's drift cancels within a pair.
func pairRatio(a, b []time.Duration) float64 {
	var rs []float64
	for i := range min(len(a), len(b)) {
		if b[i] > 0 {
			rs = append(rs, a[i].Seconds()/b[i].Seconds())
		}
	}
	return median(rs)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

// spread is "median (min-max)" of samples, for the log.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	return fmt.Sprintf("median %s, min %s, max %s, n=%d", secs(median(ds)), secs(slices.Min(ds)), secs(slices.Max(ds)), len(ds))
}
