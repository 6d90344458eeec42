package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// outcome is one verification: the request that ran, its report, the
// vantage point's error (non-nil when the context ended before every check
// passed), and when it finished.
type outcome struct {
	req    vantage.Request
	report verify.Report
	err    error
	at     time.Time
}

// computed is the outcome as the attributes a verification sets, by name.
func (o outcome) computed() map[string]attr.Value {
	return map[string]attr.Value{
		"id":          types.StringValue(o.req.Host),
		"reachable":   types.BoolValue(o.report.Reachable),
		"verified_at": timetypes.NewRFC3339TimeValue(o.at.UTC()),
		"results":     resultsValue(o.report.Results),
	}
}

// verify builds the engine plan from m and runs it on the vantage point
// under ctx, whose deadline is the operation's timeout. ok is false when the
// plan could not be built (diags then say why).
func (d *providerData) verify(ctx context.Context, m commonModel, s settings, diags *diag.Diagnostics) (outcome, bool) {
	if d == nil {
		d = &providerData{clock: verify.RealClock{}, vantage: vantage.Local{}}
	}
	req := buildRequest(m, s, diags)
	if diags.HasError() {
		return outcome{req: req}, false
	}
	ctx = withLogFields(ctx, req.Host, d.vantage.Name())
	tflog.Debug(ctx, "verifying media server", map[string]any{
		"checks":          len(req.Checks),
		"ip_version":      string(req.IPVersion),
		"snapshot":        req.Policy.Snapshot,
		"poll_interval":   req.Policy.Interval.String(),
		"attempt_timeout": req.Policy.AttemptTimeout.String(),
	})
	rep, err := d.vantage.Verify(ctx, req, vantage.Watcher{
		Observer: tflogObserver{ctx: ctx, hook: d.attemptHook},
		// Waiting is otherwise silent: TF_LOG_PROVIDER=INFO shows this.
		Progress: func(rep verify.Report) { tflog.Info(ctx, progressLine(rep)) },
	})
	tflog.Debug(ctx, "verification finished", map[string]any{
		"reachable":   rep.Reachable,
		"elapsed_ms":  rep.Elapsed.Milliseconds(),
		"addresses":   len(rep.Addresses),
		"ended_early": err != nil,
	})
	return outcome{req: req, report: rep, err: err, at: d.clock.Now()}, true
}
