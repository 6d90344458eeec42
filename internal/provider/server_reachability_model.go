package provider

import (
	"context"
	"time"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	rtimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/provider/validators"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// vantageLocal is the results' vantage for probes run by the provider itself.
const vantageLocal = "local"

// commonModel holds the attributes that the resource and the data source
// share.
type commonModel struct {
	ID             types.String      `tfsdk:"id"`
	Host           types.String      `tfsdk:"host"`
	IPVersion      types.String      `tfsdk:"ip_version"`
	Checks         types.List        `tfsdk:"checks"`
	AttemptTimeout durationValue     `tfsdk:"attempt_timeout"`
	MaxProbeRate   types.Float64     `tfsdk:"max_probe_rate"`
	Reachable      types.Bool        `tfsdk:"reachable"`
	VerifiedAt     timetypes.RFC3339 `tfsdk:"verified_at"`
	Results        types.List        `tfsdk:"results"`
}

type resourceModel struct {
	commonModel
	PollInterval         durationValue   `tfsdk:"poll_interval"`
	ConsecutiveSuccesses types.Int64     `tfsdk:"consecutive_successes"`
	OnFailure            types.String    `tfsdk:"on_failure"`
	Triggers             types.Map       `tfsdk:"triggers"`
	RecheckOnRefresh     types.Bool      `tfsdk:"recheck_on_refresh"`
	Timeouts             rtimeouts.Value `tfsdk:"timeouts"`
}

type dataSourceModel struct {
	commonModel
	Timeouts dstimeouts.Value `tfsdk:"timeouts"`
}

type checkModel struct {
	Name            types.String  `tfsdk:"name"`
	Protocol        types.String  `tfsdk:"protocol"`
	Transport       types.String  `tfsdk:"transport"`
	Port            types.Int64   `tfsdk:"port"`
	PortRange       types.String  `tfsdk:"port_range"`
	Sample          types.Int64   `tfsdk:"sample"`
	ServerName      types.String  `tfsdk:"server_name"`
	CACertPEM       types.String  `tfsdk:"ca_cert_pem"`
	MinCertValidity durationValue `tfsdk:"min_cert_validity"`
	Path            types.String  `tfsdk:"path"`
	ExpectStatus    types.Int64   `tfsdk:"expect_status"`
}

type resultModel struct {
	Name          types.String  `tfsdk:"name"`
	Protocol      types.String  `tfsdk:"protocol"`
	Transport     types.String  `tfsdk:"transport"`
	Port          types.String  `tfsdk:"port"`
	Address       types.String  `tfsdk:"address"`
	Vantage       types.String  `tfsdk:"vantage"`
	Status        types.String  `tfsdk:"status"`
	RTTMs         types.Float64 `tfsdk:"rtt_ms"`
	Attempts      types.Int64   `tfsdk:"attempts"`
	MappedAddress types.String  `tfsdk:"mapped_address"`
	Detail        types.String  `tfsdk:"detail"`
}

var resultObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"name":           types.StringType,
	"protocol":       types.StringType,
	"transport":      types.StringType,
	"port":           types.StringType,
	"address":        types.StringType,
	"vantage":        types.StringType,
	"status":         types.StringType,
	"rtt_ms":         types.Float64Type,
	"attempts":       types.Int64Type,
	"mapped_address": types.StringType,
	"detail":         types.StringType,
}}

// checkModels returns the configured checks, or nil and false when the list
// (or one of its elements) is not known yet.
func checkModels(ctx context.Context, l types.List, diags *diag.Diagnostics) ([]checkModel, bool) {
	if l.IsNull() || l.IsUnknown() {
		return nil, false
	}
	for _, e := range l.Elements() {
		if e.IsUnknown() {
			return nil, false
		}
	}
	var checks []checkModel
	diags.Append(l.ElementsAs(ctx, &checks, false)...)
	return checks, !diags.HasError()
}

// settings are the effective engine settings of a resource or data source,
// with defaults applied for the data source's unset attributes.
type settings struct {
	ipVersion            string
	pollInterval         time.Duration
	attemptTimeout       time.Duration
	maxProbeRate         float64
	consecutiveSuccesses int
	once                 bool
}

// commonSettings reads the shared settings; unset values take the defaults
// (the data source has no Default:, the resource always has values).
func commonSettings(m commonModel, diags *diag.Diagnostics) settings {
	s := settings{
		ipVersion:            stringOr(m.IPVersion, defaultIPVersion),
		pollInterval:         mustDuration(defaultPollInterval),
		attemptTimeout:       mustDuration(defaultAttemptTimeout),
		maxProbeRate:         defaultMaxProbeRate,
		consecutiveSuccesses: defaultConsecutiveSuccesses,
	}
	if !m.AttemptTimeout.IsNull() && !m.AttemptTimeout.IsUnknown() {
		d, ds := m.AttemptTimeout.ValueGoDuration()
		diags.Append(ds...)
		s.attemptTimeout = d
	}
	if !m.MaxProbeRate.IsNull() && !m.MaxProbeRate.IsUnknown() {
		s.maxProbeRate = m.MaxProbeRate.ValueFloat64()
	}
	return s
}

func resourceSettings(m resourceModel, diags *diag.Diagnostics) settings {
	s := commonSettings(m.commonModel, diags)
	if !m.PollInterval.IsNull() && !m.PollInterval.IsUnknown() {
		d, ds := m.PollInterval.ValueGoDuration()
		diags.Append(ds...)
		s.pollInterval = d
	}
	if !m.ConsecutiveSuccesses.IsNull() && !m.ConsecutiveSuccesses.IsUnknown() {
		s.consecutiveSuccesses = int(m.ConsecutiveSuccesses.ValueInt64())
	}
	return s
}

// buildPlan turns the model into the engine's Plan. Config errors are caught
// at plan time by the validators and ValidateConfig; errors here are a
// fallback and carry the check's attribute path.
func buildPlan(ctx context.Context, m commonModel, s settings, now func() time.Time, diags *diag.Diagnostics) verify.Plan {
	p := verify.Plan{
		Host:      m.Host.ValueString(),
		IPVersion: verify.IPVersion(s.ipVersion),
		Policy: verify.Policy{
			Interval:             s.pollInterval,
			AttemptTimeout:       s.attemptTimeout,
			ConsecutiveSuccesses: s.consecutiveSuccesses,
			MaxProbeRate:         s.maxProbeRate,
			Once:                 s.once,
		},
	}
	checks, ok := checkModels(ctx, m.Checks, diags)
	if !ok {
		if !diags.HasError() {
			diags.AddAttributeError(path.Root("checks"), "Unknown checks", "checks must be known before verification.")
		}
		return p
	}
	for i, c := range checks {
		at := path.Root("checks").AtListIndex(i)
		spec, err := c.spec()
		if err == nil {
			var chk verify.Check
			chk, err = spec.Build(now)
			p.Checks = append(p.Checks, chk)
		}
		if err != nil {
			diags.AddAttributeError(at, "Invalid check", "Attribute "+at.String()+": "+err.Error())
		}
	}
	return p
}

// spec turns one configured check into the engine's CheckSpec.
func (c checkModel) spec() (verify.CheckSpec, error) {
	s := verify.CheckSpec{
		Name:       c.Name.ValueString(),
		Protocol:   c.Protocol.ValueString(),
		Transport:  c.Transport.ValueString(),
		Sample:     int(c.Sample.ValueInt64()),
		ServerName: c.ServerName.ValueString(),
		CACertPEM:  c.CACertPEM.ValueString(),
		Path:       c.Path.ValueString(),
	}
	if !c.Port.IsNull() {
		s.Port = uint16(c.Port.ValueInt64())
	}
	if !c.PortRange.IsNull() {
		first, last, err := validators.ParsePortRange(c.PortRange.ValueString())
		if err != nil {
			return s, err
		}
		s.First, s.Last = first, last
	}
	if !c.ExpectStatus.IsNull() {
		s.ExpectStatus = int(c.ExpectStatus.ValueInt64())
	}
	if !c.MinCertValidity.IsNull() {
		d, err := time.ParseDuration(c.MinCertValidity.ValueString())
		if err != nil {
			return s, err
		}
		s.MinCertValidity = d
	}
	return s, nil
}

// setReport stores the report's outcome in the computed attributes.
func (m *commonModel) setReport(ctx context.Context, rep verify.Report, at time.Time, diags *diag.Diagnostics) {
	m.ID = m.Host
	m.Reachable = types.BoolValue(rep.Reachable)
	m.VerifiedAt = timetypes.NewRFC3339TimeValue(at.UTC())
	rows := make([]resultModel, 0, len(rep.Results))
	for _, r := range rep.Results {
		row := resultModel{
			Name:          types.StringValue(r.Name),
			Protocol:      types.StringValue(r.Protocol),
			Transport:     types.StringValue(r.Transport),
			Port:          types.StringValue(r.Label),
			Address:       types.StringValue(addrString(r)),
			Vantage:       types.StringValue(vantageLocal),
			Status:        types.StringValue(r.Status.String()),
			RTTMs:         types.Float64Null(),
			Attempts:      types.Int64Value(int64(r.Attempts)),
			MappedAddress: nullIfEmpty(r.MappedAddress),
			Detail:        nullIfEmpty(r.Detail),
		}
		if r.RTT > 0 {
			row.RTTMs = types.Float64Value(float64(r.RTT) / float64(time.Millisecond))
		}
		rows = append(rows, row)
	}
	l, ds := types.ListValueFrom(ctx, resultObjectType, rows)
	diags.Append(ds...)
	m.Results = l
}

func addrString(r verify.CheckResult) string {
	if !r.Address.IsValid() {
		return ""
	}
	return r.Address.String()
}

func nullIfEmpty(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func stringOr(v types.String, def string) string {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	return v.ValueString()
}

func mustDuration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic("bad built-in duration " + s)
	}
	return d
}
