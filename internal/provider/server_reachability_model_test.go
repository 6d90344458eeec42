package provider

import (
	"context"
	"reflect"
	"testing"
	"time"

	rtimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// checkObjectType is the schema's type of one checks element.
func checkObjectType(t *testing.T) types.ObjectType {
	t.Helper()
	lt, ok := resourceSchema(t).Attributes["checks"].GetType().(types.ListType)
	if !ok {
		t.Fatal("checks is not a list")
	}
	ot, ok := lt.ElemType.(types.ObjectType)
	if !ok {
		t.Fatal("checks elements are not objects")
	}
	return ot
}

// withTypedNulls gives a checkModel literal that leaves ports, tls or turn
// out null values of the schema's types: the zero types.List and
// types.Object have no element or attribute types, which the framework
// refuses to encode.
func withTypedNulls(t *testing.T, c checkModel) checkModel {
	if c.Ports.ElementType(context.Background()) == nil {
		c.Ports = types.ListNull(types.Int64Type)
	}
	if len(c.TLS.AttributeTypes(context.Background())) == 0 {
		c.TLS = types.ObjectNull(nestedAttrTypes(t, "tls"))
	}
	if len(c.TURN.AttributeTypes(context.Background())) == 0 {
		c.TURN = types.ObjectNull(nestedAttrTypes(t, "turn"))
	}
	return c
}

// nestedAttrTypes are the attribute types of a check's nested object name.
func nestedAttrTypes(t *testing.T, name string) map[string]attr.Type {
	t.Helper()
	ot, ok := checkObjectType(t).AttrTypes[name].(types.ObjectType)
	if !ok {
		t.Fatalf("checks[*].%s is not an object", name)
	}
	return ot.AttrTypes
}

// nestedObject encodes m (a tlsModel or turnModel) as a check's nested
// object name, with the framework's reflection.
func nestedObject(t *testing.T, name string, m any) types.Object {
	t.Helper()
	obj, diags := types.ObjectValueFrom(t.Context(), nestedAttrTypes(t, name), m)
	if diags.HasError() {
		t.Fatal(diags)
	}
	return obj
}

func tlsObject(t *testing.T, m tlsModel) types.Object { return nestedObject(t, "tls", m) }

// withTLS is c with its tls object set to m, encoded and decoded.
func withTLS(t *testing.T, c checkModel, m tlsModel) checkModel {
	c.TLS, c.tls = tlsObject(t, m), m
	return c
}

// checkObject encodes c with the framework's reflection: the reference that
// checkFromValue must agree with.
func checkObject(t *testing.T, c checkModel) types.Object {
	t.Helper()
	obj, diags := types.ObjectValueFrom(t.Context(), checkObjectType(t).AttrTypes, withTypedNulls(t, c))
	if diags.HasError() {
		t.Fatal(diags)
	}
	return obj
}

func TestCheckFromValueRoundTrip(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]checkModel{
		"every attribute set": withTLS(t, checkModel{
			Name: types.StringValue("media"), Protocol: types.StringValue("https"),
			Transport: types.StringValue("tcp"), Port: types.Int64Value(443), PortRange: types.StringValue("1-2"),
			Ports:  types.ListValueMust(types.Int64Type, []attr.Value{types.Int64Value(80), types.Int64Value(443)}),
			Sample: types.Int64Value(1), Path: types.StringValue("/health"), ExpectStatus: types.Int64Value(204),
		}, tlsModel{ServerName: types.StringValue("turn.example.com"), CACertPEM: types.StringValue("pem"),
			MinCertValidity: durationOf(time.Hour)}),
		"only required set, the rest null": {
			Protocol: types.StringValue("tcp"), Port: types.Int64Value(1), Ports: types.ListNull(types.Int64Type),
		},
		"unknown attributes stay unknown": withTLS(t, checkModel{
			Protocol: types.StringUnknown(), Port: types.Int64Unknown(), PortRange: types.StringUnknown(),
			Ports: types.ListUnknown(types.Int64Type), Sample: types.Int64Unknown(),
		}, tlsModel{MinCertValidity: durationValue{GoDuration: timetypes.NewGoDurationUnknown()}}),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := checkFromValue(checkObject(t, c))
			if !ok {
				t.Fatal("not decoded")
			}
			if len(got.attrs) != len(checkFields) {
				t.Errorf("decoded %d attributes by name, want %d", len(got.attrs), len(checkFields))
			}
			got.attrs = nil
			c = withTypedNulls(t, c)
			if !reflect.DeepEqual(got, c) {
				t.Errorf("decoded\n%+v\nwant\n%+v", got, c)
			}
		})
	}
}

func TestCheckFromValueNullOrUnknown(t *testing.T) {
	t.Parallel()
	attrTypes := checkObjectType(t).AttrTypes
	for name, v := range map[string]attr.Value{
		"null":          types.ObjectNull(attrTypes),
		"unknown":       types.ObjectUnknown(attrTypes),
		"not an object": types.StringValue("tcp"),
	} {
		if c, ok := checkFromValue(v); ok || !reflect.DeepEqual(c, checkModel{}) {
			t.Errorf("%s: got %+v, %v; want the zero checkModel, false", name, c, ok)
		}
	}
}

func TestCheckModels(t *testing.T) {
	t.Parallel()
	ot := checkObjectType(t)
	noPorts := types.ListNull(types.Int64Type)
	first := checkModel{Protocol: types.StringValue("tcp"), Port: types.Int64Value(1), Ports: noPorts}
	second := checkModel{Protocol: types.StringValue("stun"), PortRange: types.StringValue("2-3"), Ports: noPorts}
	list := func(elems ...attr.Value) types.List { return types.ListValueMust(ot, elems) }

	checks, ok := checkModels(list(checkObject(t, first), checkObject(t, second)), new(diag.Diagnostics))
	for i := range checks {
		checks[i].attrs = nil
	}
	if !ok || !reflect.DeepEqual(checks, []checkModel{withTypedNulls(t, first), withTypedNulls(t, second)}) {
		t.Errorf("known list: got %+v, %v", checks, ok)
	}
	for name, tc := range map[string]struct {
		l       types.List
		errPath *path.Path // nil: no error, just not known yet
	}{
		"null list":       {l: types.ListNull(ot)},
		"unknown list":    {l: types.ListUnknown(ot)},
		"unknown element": {l: list(checkObject(t, first), types.ObjectUnknown(ot.AttrTypes))},
		"null and unknown elements": {
			l: list(types.ObjectNull(ot.AttrTypes), types.ObjectUnknown(ot.AttrTypes)),
		},
		"null element": {
			l:       list(checkObject(t, first), types.ObjectNull(ot.AttrTypes)),
			errPath: new(path.Root("checks").AtListIndex(1)),
		},
	} {
		var diags diag.Diagnostics
		checks, ok := checkModels(tc.l, &diags)
		if ok || checks != nil {
			t.Errorf("%s: got %+v, %v; want nil, false", name, checks, ok)
		}
		if tc.errPath == nil {
			if len(diags) != 0 {
				t.Errorf("%s: want no diagnostics, got %v", name, diags)
			}
			continue
		}
		if len(diags) != 1 || !diags.HasError() {
			t.Fatalf("%s: want one error, got %v", name, diags)
		}
		if d, ok := diags[0].(diag.DiagnosticWithPath); !ok || !d.Path().Equal(*tc.errPath) {
			t.Errorf("%s: error %v, want it at %s", name, diags[0], *tc.errPath)
		}
	}
}

// validateChecks skips what is not known yet, and a check whose duration its
// own validation rejects, exactly as before it decoded without reflection.
func TestValidateChecksSkipsWhatIsNotKnown(t *testing.T) {
	t.Parallel()
	ot := checkObjectType(t)
	// A duration that does not parse, on a protocol that takes none: only the
	// attribute's own validation speaks (reflection cannot build this value).
	tlsAttrs := tlsObject(t, tlsModel{}).Attributes()
	tlsAttrs["min_cert_validity"] = durationValue{GoDuration: timetypes.GoDuration{StringValue: types.StringValue("soon")}}
	attrs := checkObject(t, checkModel{Protocol: types.StringValue("tcp"), Port: types.Int64Value(1)}).Attributes()
	attrs["tls"] = types.ObjectValueMust(nestedAttrTypes(t, "tls"), tlsAttrs)
	badDuration := types.ObjectValueMust(ot.AttrTypes, attrs)
	serverNameOnTCP := withTLS(t, checkModel{Protocol: types.StringValue("tcp"), Port: types.Int64Value(1)},
		tlsModel{ServerName: types.StringValue("x")})
	for name, tc := range map[string]struct {
		l    types.List
		errs int
	}{
		"null list":    {l: types.ListNull(ot)},
		"unknown list": {l: types.ListUnknown(ot)},
		"null and unknown elements": {
			l: types.ListValueMust(ot, []attr.Value{types.ObjectNull(ot.AttrTypes), types.ObjectUnknown(ot.AttrTypes)}),
		},
		"unknown protocol and ports": {l: types.ListValueMust(ot, []attr.Value{checkObject(t, withTLS(t, checkModel{
			Protocol: types.StringUnknown(), Port: types.Int64Unknown(), PortRange: types.StringUnknown(),
			Ports: types.ListUnknown(types.Int64Type),
		}, tlsModel{ServerName: types.StringValue("x")}))})},
		"bad duration": {l: types.ListValueMust(ot, []attr.Value{badDuration})},
		"unknown tls and turn objects": {l: types.ListValueMust(ot, []attr.Value{checkObject(t, checkModel{
			Protocol: types.StringValue("stun"), Port: types.Int64Value(3478),
			TLS: types.ObjectUnknown(nestedAttrTypes(t, "tls")), TURN: types.ObjectUnknown(nestedAttrTypes(t, "turn")),
		})})},
		"known check": {
			l:    types.ListValueMust(ot, []attr.Value{types.ObjectUnknown(ot.AttrTypes), checkObject(t, serverNameOnTCP)}),
			errs: 1,
		},
	} {
		var diags diag.Diagnostics
		validateChecks(tc.l, &diags)
		if len(diags.Errors()) != tc.errs || len(diags) != tc.errs {
			t.Errorf("%s: want %d errors, got %v", name, tc.errs, diags)
		}
	}
}

// resultRow is one results element as the framework's reflection sees it.
type resultRow struct {
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

func TestResultsValueRoundTrip(t *testing.T) {
	t.Parallel()
	results := []verify.CheckResult{
		{
			Vantage: vantage.LocalName, Name: "stun/3478/udp", Protocol: "stun", Transport: "udp", Label: "3478", Address: addr4,
			Status: probe.StatusOpen, Passed: true, Ports: 1, Attempts: 2, RTT: 1500 * time.Microsecond,
			MappedAddress: "198.51.100.1:4000", OpenDetail: "binding success",
		},
		{Vantage: vantage.LocalName, Name: "tcp/1-2", Protocol: "tcp", Label: "1-2", Status: probe.StatusNone}, // no address, rtt, mapped or detail
	}
	want := []resultRow{
		{
			Name: types.StringValue("stun/3478/udp"), Protocol: types.StringValue("stun"),
			Transport: types.StringValue("udp"), Port: types.StringValue("3478"),
			Address: types.StringValue("203.0.113.7"), Vantage: types.StringValue(vantage.LocalName),
			Status: types.StringValue("open"), RTTMs: types.Float64Value(1.5), Attempts: types.Int64Value(2),
			MappedAddress: types.StringValue("198.51.100.1:4000"), Detail: types.StringValue("binding success"),
		},
		{
			Name: types.StringValue("tcp/1-2"), Protocol: types.StringValue("tcp"), Transport: types.StringValue(""),
			Port: types.StringValue("1-2"), Address: types.StringValue(""), Vantage: types.StringValue(vantage.LocalName),
			Status: types.StringValue(probe.StatusNone.String()), RTTMs: types.Float64Null(),
			Attempts: types.Int64Value(0), MappedAddress: types.StringNull(), Detail: types.StringNull(),
		},
	}

	l := resultsValue(results)
	if schemaType := resourceSchema(t).Attributes["results"].GetType(); !l.Type(t.Context()).Equal(schemaType) {
		t.Fatalf("results type %s, schema says %s", l.Type(t.Context()), schemaType)
	}
	// The reference is what the framework's reflection encodes from the rows.
	wantList, diags := types.ListValueFrom(t.Context(), resultObjectType, want)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if !l.Equal(wantList) {
		t.Errorf("results\n got %s\nwant %s", l, wantList)
	}

	if empty := resultsValue(nil); empty.IsNull() || empty.IsUnknown() || len(empty.Elements()) != 0 {
		t.Errorf("no results: got %v, want a known empty list", empty)
	}
}

// Create and Update store the plan plus the computed attributes: the same
// state as writing the whole model with State.Set.
func TestSetAttributesMatchesWholeModelSet(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rs := resourceSchema(t)
	timeoutsType, ok := rs.Blocks["timeouts"].Type().(rtimeouts.Type)
	if !ok {
		t.Fatal("timeouts is not a timeouts block")
	}
	m := testModel(t,
		checkModel{Protocol: types.StringValue("tcp"), Port: types.Int64Value(443)},
		checkModel{Protocol: types.StringValue("stun"), PortRange: types.StringValue("3478-3479")})
	m.Triggers = types.MapNull(types.StringType)
	m.Timeouts = rtimeouts.Value{Object: types.ObjectNull(timeoutsType.AttrTypes)}
	m.ID, m.Reachable, m.Results = types.StringUnknown(), types.BoolUnknown(), types.ListUnknown(resultObjectType)
	m.VerifiedAt.StringValue = types.StringUnknown()
	plan := tfsdk.State{Schema: rs}
	if diags := plan.Set(ctx, &m); diags.HasError() {
		t.Fatal(diags)
	}

	out := outcome{
		req: vantage.Request{Host: m.Host.ValueString()},
		report: verify.Report{Reachable: true, Results: []verify.CheckResult{{Vantage: vantage.LocalName,
			Name: "tcp/443", Protocol: "tcp", Label: "443", Address: addr4, Status: probe.StatusOpen, Attempts: 1}}},
		at: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	computed := out.computed()
	m.ID = attrAs[types.String](computed, "id")
	m.Reachable = attrAs[types.Bool](computed, "reachable")
	m.VerifiedAt = attrAs[timetypes.RFC3339](computed, "verified_at")
	m.Results = attrAs[types.List](computed, "results")
	whole := tfsdk.State{Schema: rs}
	if diags := whole.Set(ctx, &m); diags.HasError() {
		t.Fatal(diags)
	}
	got := tfsdk.State{Schema: rs, Raw: plan.Raw}
	if diags := setAttributes(ctx, &got, computed); diags.HasError() {
		t.Fatal(diags)
	}
	if !got.Raw.Equal(whole.Raw) {
		t.Errorf("state differs:\n got %s\nwant %s", got.Raw, whole.Raw)
	}
}
