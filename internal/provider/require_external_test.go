package provider

import (
	"context"
	"testing"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

func externalRun(name string, reachable bool, err error, statuses ...probe.Status) vantageRun {
	rep := verify.Report{Vantage: name, Reachable: reachable}
	for _, st := range statuses {
		rep.Results = append(rep.Results, verify.CheckResult{Vantage: name, Status: st, Passed: st == probe.StatusOpen})
	}
	return vantageRun{name: name, report: rep, err: err}
}

// Only agents decide a require_external outcome; local rows stay, except
// those with no verdict.
func TestExternalOutcome(t *testing.T) {
	t.Parallel()
	local := vantage.LocalName
	cases := []struct {
		name      string
		runs      []vantageRun
		reachable bool
		rows      int
		err       bool
	}{
		{"agent open, local closed", []vantageRun{
			externalRun("eu-west", true, nil, probe.StatusOpen),
			externalRun(local, false, context.Canceled, probe.StatusClosed)}, true, 2, false},
		{"agent closed, local open: never a pass", []vantageRun{
			externalRun(local, true, nil, probe.StatusOpen),
			externalRun("eu-west", false, context.DeadlineExceeded, probe.StatusClosed)}, false, 2, true},
		{"local without verdict is left out", []vantageRun{
			externalRun("eu-west", true, nil, probe.StatusOpen),
			externalRun(local, false, context.Canceled, probe.StatusNone, probe.StatusFiltered)}, true, 2, false},
		{"every agent must pass", []vantageRun{
			externalRun("eu-west", true, nil, probe.StatusOpen),
			externalRun("us-east", false, context.DeadlineExceeded, probe.StatusFiltered)}, false, 2, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out := externalOutcome(vantage.Request{Host: "h"}, c.runs, verify.RealClock{}.Now())
			if out.report.Reachable != c.reachable || len(out.report.Results) != c.rows || (out.err != nil) != c.err {
				t.Errorf("reachable %v, %d rows, err %v; want %v, %d rows, error %v",
					out.report.Reachable, len(out.report.Results), out.err, c.reachable, c.rows, c.err)
			}
			for _, r := range out.runs {
				if r.name == local {
					t.Errorf("local is among the deciding runs")
				}
			}
		})
	}
}
