package provider

import (
	"context"
	"errors"
	"math/big"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.DataSource                   = (*serverReachabilityDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*serverReachabilityDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*serverReachabilityDataSource)(nil)
)

// serverReachabilityDataSource takes a snapshot (each port probed until its
// first answer) and reports; it never fails because a port is closed, so it
// serves check blocks and postconditions.
type serverReachabilityDataSource struct {
	data *providerData
}

func newServerReachabilityDataSource() datasource.DataSource { return &serverReachabilityDataSource{} }

func (d *serverReachabilityDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_server_reachability"
}

func (d *serverReachabilityDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	b, _ := timeouts.BlockWithOpts(ctx, timeouts.Opts{
		ReadDescription: "How long the read may probe, as a duration such as `30s` or `5m` (units `s`, `m`, `h`). " +
			"Defaults to `1m`.",
	}).(schema.SingleNestedBlock)
	b.MarkdownDescription = "How long the read may take before it fails."
	resp.Schema = schema.Schema{
		MarkdownDescription: "Probes each check on every address and reports what answered. Each port is probed " +
			"until its first answer: `open` passes, `closed` or `error` is final, and a silent port is probed again " +
			"every poll interval (silence may be a lost packet) until it answers or the `read` timeout (default " +
			"`1m`) ends, so a filtered port makes the read last that long. " +
			"It does not fail because a port is closed: use `reachable` and `results` in `check` blocks and " +
			"postconditions. It fails only when Terraform is interrupted, or when the read timeout ends before some " +
			"result has any status.",
		Attributes: dataSourceAttributes(reachabilitySchemaAttributes()),
		Blocks:     map[string]schema.Block{"timeouts": b},
	}
}

func (d *serverReachabilityDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, "Data Source", &resp.Diagnostics)
}

func (d *serverReachabilityDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	validateConfigChecks(ctx, req.Config, &resp.Diagnostics)
	validateVantagePoints(ctx, d.data, req.Config, &resp.Diagnostics)
}

func (d *serverReachabilityDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m dataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, ds := m.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(ds...)
	s := commonSettings(m.commonModel, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	s.policy.Snapshot = true
	// Unset optional attributes read back as their defaults.
	m.IPVersion = types.StringValue(string(s.ipVersion))
	if m.AttemptTimeout.IsNull() {
		m.AttemptTimeout = durationOf(s.policy.AttemptTimeout)
	}
	if m.MaxProbeRate.IsNull() {
		m.MaxProbeRate = types.NumberValue(big.NewFloat(s.policy.MaxProbeRate))
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, ok := d.data.verify(ctx, m.commonModel, s, &resp.Diagnostics)
	if !ok {
		return
	}
	op := operation{name: "read", timeout: timeout, snapshot: true}
	problem := noVerdictProblem(out.report, op)
	switch {
	case errors.Is(out.err, context.Canceled):
		resp.Diagnostics.AddError(out.message(op))
		return
	case problem != "":
		// State holds only results with a status.
		_, detail := out.message(op)
		resp.Diagnostics.AddError(summaryNotReachable, detail+"\n\n"+problem)
		return
	default:
		// A vantage point that failed, or that found no address, is not a
		// port's answer: say so, and report reachable = false.
		for _, line := range runProblems(out.runs, out.req) {
			resp.Diagnostics.AddWarning(summaryNotReachable, line)
		}
	}
	// State starts as the config: add the defaults and the computed attributes.
	values := out.computed()
	values["ip_version"] = m.IPVersion
	values["attempt_timeout"] = m.AttemptTimeout
	values["max_probe_rate"] = m.MaxProbeRate
	values["require_external"] = types.BoolValue(m.RequireExternal.ValueBool())
	resp.Diagnostics.Append(setAttributes(ctx, &resp.State, values)...)
}
