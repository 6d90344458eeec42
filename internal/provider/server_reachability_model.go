package provider

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"time"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	rtimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/provider/validators"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// commonModel holds the attributes that the resource and the data source
// share.
type commonModel struct {
	ID              types.String      `tfsdk:"id"`
	Host            types.String      `tfsdk:"host"`
	IPVersion       types.String      `tfsdk:"ip_version"`
	Checks          types.List        `tfsdk:"checks"`
	VantagePoints   types.List        `tfsdk:"vantage_points"`
	RequireExternal types.Bool        `tfsdk:"require_external"`
	AttemptTimeout  durationValue     `tfsdk:"attempt_timeout"`
	MaxProbeRate    types.Number      `tfsdk:"max_probe_rate"`
	Reachable       types.Bool        `tfsdk:"reachable"`
	VerifiedAt      timetypes.RFC3339 `tfsdk:"verified_at"`
	Results         types.List        `tfsdk:"results"`
}

type resourceModel struct {
	commonModel
	PollInterval         durationValue   `tfsdk:"poll_interval"`
	ErrorTimeout         durationValue   `tfsdk:"error_timeout"`
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
	Name         types.String `tfsdk:"name"`
	Protocol     types.String `tfsdk:"protocol"`
	Transport    types.String `tfsdk:"transport"`
	Port         types.Int64  `tfsdk:"port"`
	Ports        types.List   `tfsdk:"ports"`
	PortRange    types.String `tfsdk:"port_range"`
	Sample       types.Int64  `tfsdk:"sample"`
	Path         types.String `tfsdk:"path"`
	ExpectStatus types.Int64  `tfsdk:"expect_status"`
	Expect       types.String `tfsdk:"expect"`
	TLS          types.Object `tfsdk:"tls"`
	TURN         types.Object `tfsdk:"turn"`
	// tls and turn are TLS and TURN decoded; all attributes null when the
	// object is null or unknown.
	tls  tlsModel  `tfsdk:"-"`
	turn turnModel `tfsdk:"-"`
	// attrs holds every attribute by name, for rules that go by name.
	attrs map[string]attr.Value `tfsdk:"-"`
}

// tlsModel is a check's tls object.
type tlsModel struct {
	ServerName      types.String  `tfsdk:"server_name"`
	CACertPEM       types.String  `tfsdk:"ca_cert_pem"`
	MinCertValidity durationValue `tfsdk:"min_cert_validity"`
}

// turnModel is a check's turn object.
type turnModel struct {
	Username         types.String  `tfsdk:"username"`
	Password         types.String  `tfsdk:"password"`
	PasswordWO       types.String  `tfsdk:"password_wo"` // resource only; read from config
	SharedSecret     types.String  `tfsdk:"shared_secret"`
	SharedSecretWO   types.String  `tfsdk:"shared_secret_wo"` // resource only; read from config
	Realm            types.String  `tfsdk:"realm"`
	CredentialTTL    durationValue `tfsdk:"credential_ttl"`
	RelayCheck       types.Bool    `tfsdk:"relay_check"`
	DenyPrivatePeers types.Bool    `tfsdk:"deny_private_peers"`
}

// checkModels returns the configured checks, or nil and false when the list
// (or one of its elements) is not known yet.
func checkModels(l types.List, diags *diag.Diagnostics) ([]checkModel, bool) {
	if l.IsNull() || l.IsUnknown() {
		return nil, false
	}
	elems := l.Elements()
	for _, e := range elems {
		if e.IsUnknown() {
			return nil, false
		}
	}
	checks := make([]checkModel, 0, len(elems))
	for i, e := range elems {
		c, ok := checkFromValue(e)
		if !ok {
			at := path.Root("checks").AtListIndex(i)
			diags.AddAttributeError(at, "Invalid check", "Attribute "+at.String()+" is null; each check must be "+
				"an object such as { protocol = \"tcp\", port = 443 }.")
			return nil, false
		}
		checks = append(checks, c)
	}
	return checks, true
}

// tfsdkFields maps each tfsdk name of struct T to its field, so that
// objects are decoded by the schema's own names. The framework's
// reflection (ElementsAs, ObjectAs) compiles a regexp per struct field on
// every conversion: decoding 20 checks took 0.7 ms that way, several times
// per resource and apply.
func tfsdkFields[T any]() map[string]int {
	t := reflect.TypeFor[T]()
	fields := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if name := t.Field(i).Tag.Get("tfsdk"); name != "" && name != "-" {
			fields[name] = i
		}
	}
	return fields
}

var (
	checkFields = tfsdkFields[checkModel]()
	tlsFields   = tfsdkFields[tlsModel]()
	turnFields  = tfsdkFields[turnModel]()
)

// decodeObject sets the fields of *dst (a struct pointer) from a's values
// by tfsdk name. Values keep their null or unknown state; a missing one
// (the data source has no write-only arguments) stays the zero value, which
// reads as null.
func decodeObject(dst any, fields map[string]int, a map[string]attr.Value) {
	rv := reflect.ValueOf(dst).Elem()
	for name, i := range fields {
		if v, ok := a[name]; ok && reflect.TypeOf(v) == rv.Field(i).Type() {
			rv.Field(i).Set(reflect.ValueOf(v))
		}
	}
}

// checkFromValue decodes one element of checks, with its tls and turn
// objects. ok is false when the element is null or unknown.
func checkFromValue(v attr.Value) (c checkModel, ok bool) {
	obj, ok := v.(types.Object)
	if !ok || obj.IsNull() || obj.IsUnknown() {
		return checkModel{}, false
	}
	c.attrs = obj.Attributes()
	decodeObject(&c, checkFields, c.attrs)
	if !c.TLS.IsNull() && !c.TLS.IsUnknown() {
		decodeObject(&c.tls, tlsFields, c.TLS.Attributes())
	}
	if !c.TURN.IsNull() && !c.TURN.IsUnknown() {
		decodeObject(&c.turn, turnFields, c.TURN.Attributes())
	}
	return c, true
}

// attr returns the check's attribute called name, null when it has none.
func (c checkModel) attr(name string) attr.Value {
	if v, ok := c.attrs[name]; ok {
		return v
	}
	return types.StringNull()
}

// firstSet is the first of vs that is set, or "".
func firstSet(vs ...types.String) string {
	for _, v := range vs {
		if v.ValueString() != "" {
			return v.ValueString()
		}
	}
	return ""
}

// setAttributes writes top-level attributes into state, which already holds
// every other attribute (the plan or the config). With attr.Value arguments
// this skips the framework's struct reflection; for 20 checks it takes about
// half the time of State.Set(ctx, &model), which converts every attribute.
func setAttributes(ctx context.Context, state *tfsdk.State, values map[string]attr.Value) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(values)) {
		diags.Append(state.SetAttribute(ctx, path.Root(name), values[name])...)
	}
	return diags
}

// settings are where and how hard to verify: which addresses, and the
// engine's policy, with defaults for the data source's unset attributes.
type settings struct {
	ipVersion verify.IPVersion
	policy    verify.Policy
}

// commonSettings reads the shared settings; unset values take the defaults
// (the data source has no Default:, the resource always has values).
func commonSettings(m commonModel, diags *diag.Diagnostics) settings {
	s := settings{
		ipVersion: verify.IPVersion(stringOr(m.IPVersion, defaultIPVersion)),
		policy: verify.Policy{
			Interval:             mustDuration(defaultPollInterval),
			AttemptTimeout:       durationOr(m.AttemptTimeout, mustDuration(defaultAttemptTimeout), diags),
			MaxProbeRate:         defaultMaxProbeRate,
			ConsecutiveSuccesses: defaultConsecutiveSuccesses,
		},
	}
	if !m.MaxProbeRate.IsNull() && !m.MaxProbeRate.IsUnknown() {
		s.policy.MaxProbeRate, _ = m.MaxProbeRate.ValueBigFloat().Float64()
	}
	return s
}

func resourceSettings(m resourceModel, diags *diag.Diagnostics) settings {
	s := commonSettings(m.commonModel, diags)
	s.policy.Interval = durationOr(m.PollInterval, s.policy.Interval, diags)
	s.policy.ErrorTimeout = durationOr(m.ErrorTimeout, mustDuration(defaultErrorTimeout), diags)
	if !m.ConsecutiveSuccesses.IsNull() && !m.ConsecutiveSuccesses.IsUnknown() {
		s.policy.ConsecutiveSuccesses = int(m.ConsecutiveSuccesses.ValueInt64())
	}
	return s
}

// buildRequest turns the model into the request a vantage point runs.
// Config errors are caught at plan time by the validators and
// ValidateConfig; errors here are a fallback and carry the check's path.
func buildRequest(m commonModel, s settings, diags *diag.Diagnostics) vantage.Request {
	req := vantage.Request{Host: m.Host.ValueString(), IPVersion: s.ipVersion, Policy: s.policy}
	checks, ok := checkModels(m.Checks, diags)
	if !ok {
		if !diags.HasError() {
			diags.AddAttributeError(path.Root("checks"), "Unknown checks", "checks must be known before verification.")
		}
		return req
	}
	for i, c := range checks {
		at := path.Root("checks").AtListIndex(i)
		spec, err := c.spec()
		if err == nil {
			_, err = spec.Build(nil) // the vantage point builds it again, with its clock
			req.Checks = append(req.Checks, spec)
		}
		if err != nil {
			diags.AddAttributeError(at, "Invalid check", "Attribute "+at.String()+": "+err.Error())
		}
	}
	return req
}

// spec turns one configured check into a check.Spec.
func (c checkModel) spec() (check.Spec, error) {
	s := check.Spec{
		Name:      c.Name.ValueString(),
		Protocol:  c.Protocol.ValueString(),
		Transport: c.Transport.ValueString(),
		Sample:    int(c.Sample.ValueInt64()),
		Options: check.Options{
			ServerName:       c.tls.ServerName.ValueString(),
			CACertPEM:        c.tls.CACertPEM.ValueString(),
			Path:             c.Path.ValueString(),
			Username:         c.turn.Username.ValueString(),
			Password:         firstSet(c.turn.PasswordWO, c.turn.Password),
			SharedSecret:     firstSet(c.turn.SharedSecretWO, c.turn.SharedSecret),
			Realm:            c.turn.Realm.ValueString(),
			RelayCheck:       c.turn.RelayCheck.ValueBool(),
			DenyPrivatePeers: c.turn.DenyPrivatePeers.ValueBool(),
		},
	}
	if !c.Port.IsNull() {
		s.Port = uint16(c.Port.ValueInt64())
	}
	for _, e := range c.Ports.Elements() {
		if p, ok := e.(types.Int64); ok && !p.IsNull() && !p.IsUnknown() {
			s.PortList = append(s.PortList, uint16(p.ValueInt64()))
		}
	}
	if !c.PortRange.IsNull() {
		first, last, err := validators.ParsePortRange(c.PortRange.ValueString())
		if err != nil {
			return s, err
		}
		s.First, s.Last = first, last
	}
	if c.Expect.ValueString() == check.ExpectUnreachable {
		s.Expect = check.ExpectUnreachable
	}
	if !c.ExpectStatus.IsNull() {
		s.Options.ExpectStatus = int(c.ExpectStatus.ValueInt64())
	}
	if !c.turn.CredentialTTL.IsNull() {
		d, err := time.ParseDuration(c.turn.CredentialTTL.ValueString())
		if err != nil {
			return s, err
		}
		s.Options.CredentialTTL = d
	}
	if !c.tls.MinCertValidity.IsNull() {
		d, err := time.ParseDuration(c.tls.MinCertValidity.ValueString())
		if err != nil {
			return s, err
		}
		s.Options.MinCertValidity = d
	}
	return s, nil
}

func stringOr(v types.String, def string) string {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	return v.ValueString()
}

// durationOr is v as a duration, or def when v is null or unknown.
func durationOr(v durationValue, def time.Duration, diags *diag.Diagnostics) time.Duration {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	d, ds := v.ValueGoDuration()
	diags.Append(ds...)
	return d
}

func mustDuration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic("bad built-in duration " + s)
	}
	return d
}
