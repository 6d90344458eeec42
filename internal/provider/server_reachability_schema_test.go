package provider

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"

	"github.com/mediareach/terraform-provider-media/internal/probe"
)

// describedAttribute is what every schema attribute type offers.
type describedAttribute interface {
	GetDescription() string
	GetMarkdownDescription() string
	IsOptional() bool
	IsComputed() bool
}

func resourceSchema(t *testing.T) rschema.Schema {
	t.Helper()
	var resp resource.SchemaResponse
	newServerReachabilityResource().Schema(context.Background(), resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	if d := resp.Schema.ValidateImplementation(context.Background()); d.HasError() {
		t.Fatal(d)
	}
	return resp.Schema
}

func dataSourceSchema(t *testing.T) dschema.Schema {
	t.Helper()
	var resp datasource.SchemaResponse
	newServerReachabilityDataSource().Schema(context.Background(), datasource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	if d := resp.Schema.ValidateImplementation(context.Background()); d.HasError() {
		t.Fatal(d)
	}
	return resp.Schema
}

// TestSchemaDescriptions walks every schema: each attribute is described,
// and one with a Default says "Defaults to `<that value>`".
func TestSchemaDescriptions(t *testing.T) {
	t.Parallel()
	rs := resourceSchema(t)
	for name, a := range rs.Attributes {
		walkResource(t, path.Root(name), a)
	}
	for name, b := range rs.Blocks {
		nb, ok := b.(rschema.SingleNestedBlock)
		if !ok {
			t.Fatalf("block %s is a %T", name, b)
		}
		for an, a := range nb.Attributes {
			walkResource(t, path.Root(name).AtName(an), a)
		}
	}

	ds := dataSourceSchema(t)
	for name, a := range ds.Attributes {
		walkDataSource(t, path.Root(name), a)
	}

	var presp provider.SchemaResponse
	(&mediaProvider{}).Schema(context.Background(), provider.SchemaRequest{}, &presp)
	mc, ok := presp.Schema.Attributes["max_concurrency"].(pschema.Int64Attribute)
	if !ok {
		t.Fatalf("max_concurrency is a %T", presp.Schema.Attributes["max_concurrency"])
	}
	requireDescribed(t, path.Root("max_concurrency"), mc)
	if !strings.Contains(mc.MarkdownDescription, "Defaults to `256`") {
		t.Errorf("max_concurrency: %q does not say its default", mc.MarkdownDescription)
	}
}

func requireDescribed(t *testing.T, p path.Path, a describedAttribute) string {
	t.Helper()
	d := a.GetMarkdownDescription()
	if d == "" {
		d = a.GetDescription() // the timeouts package sets only Description
	}
	if d == "" {
		t.Errorf("%s has no description", p)
	}
	return d
}

func walkResource(t *testing.T, p path.Path, a rschema.Attribute) {
	t.Helper()
	desc := requireDescribed(t, p, a)
	if v, ok := defaultValue(t, a); ok {
		if want := "Defaults to `" + v + "`"; !strings.Contains(desc, want) {
			t.Errorf("%s has Default %s but its description does not say %q: %q", p, v, want, desc)
		}
	}
	if n, ok := a.(rschema.ListNestedAttribute); ok {
		for name, c := range n.NestedObject.Attributes {
			walkResource(t, p.AtListIndex(0).AtName(name), c)
		}
	}
	if n, ok := a.(rschema.SingleNestedAttribute); ok {
		for name, c := range n.Attributes {
			walkResource(t, p.AtName(name), c)
		}
	}
}

func walkDataSource(t *testing.T, p path.Path, a dschema.Attribute) {
	t.Helper()
	desc := requireDescribed(t, p, a)
	// The data source has no Default:; its optional settings read back as
	// the same defaults, so they must say so too.
	if a.IsOptional() && a.IsComputed() && !strings.Contains(desc, "Defaults to `") {
		t.Errorf("%s is optional and computed but does not say its default: %q", p, desc)
	}
	if n, ok := a.(dschema.ListNestedAttribute); ok {
		for name, c := range n.NestedObject.Attributes {
			walkDataSource(t, p.AtListIndex(0).AtName(name), c)
		}
	}
	if n, ok := a.(dschema.SingleNestedAttribute); ok {
		for name, c := range n.Attributes {
			walkDataSource(t, p.AtName(name), c)
		}
	}
}

// defaultValue renders an attribute's Default the way descriptions quote it.
func defaultValue(t *testing.T, a rschema.Attribute) (string, bool) {
	t.Helper()
	ctx := context.Background()
	switch a := a.(type) {
	case rschema.StringAttribute:
		if a.Default == nil {
			return "", false
		}
		var resp defaults.StringResponse
		a.Default.DefaultString(ctx, defaults.StringRequest{}, &resp)
		return resp.PlanValue.ValueString(), true
	case rschema.Int64Attribute:
		if a.Default == nil {
			return "", false
		}
		var resp defaults.Int64Response
		a.Default.DefaultInt64(ctx, defaults.Int64Request{}, &resp)
		return strconv.FormatInt(resp.PlanValue.ValueInt64(), 10), true
	case rschema.Float64Attribute:
		if a.Default == nil {
			return "", false
		}
		var resp defaults.Float64Response
		a.Default.DefaultFloat64(ctx, defaults.Float64Request{}, &resp)
		return strconv.FormatFloat(resp.PlanValue.ValueFloat64(), 'f', -1, 64), true
	case rschema.NumberAttribute:
		if a.Default == nil {
			return "", false
		}
		var resp defaults.NumberResponse
		a.Default.DefaultNumber(ctx, defaults.NumberRequest{}, &resp)
		return resp.PlanValue.ValueBigFloat().Text('f', -1), true
	case rschema.BoolAttribute:
		if a.Default == nil {
			return "", false
		}
		var resp defaults.BoolResponse
		a.Default.DefaultBool(ctx, defaults.BoolRequest{}, &resp)
		return strconv.FormatBool(resp.PlanValue.ValueBool()), true
	case rschema.ListAttribute:
		if a.Default != nil {
			t.Fatal("defaultValue: add reading a list Default")
		}
		return "", false
	case rschema.MapAttribute, rschema.ListNestedAttribute, rschema.SingleNestedAttribute:
		return "", false
	default:
		t.Fatalf("defaultValue: add a case for %T", a)
		return "", false
	}
}

// TestDataSourceSharesResourceAttributes keeps the two schemas in step.
func TestDataSourceSharesResourceAttributes(t *testing.T) {
	t.Parallel()
	rs, ds := resourceSchema(t), dataSourceSchema(t)
	for name := range ds.Attributes {
		if _, ok := rs.Attributes[name]; !ok {
			t.Errorf("data source attribute %s is not on the resource", name)
		}
	}
	for _, name := range []string{"host", "ip_version", "checks", "attempt_timeout", "max_probe_rate", "id",
		"reachable", "verified_at", "results"} {
		if _, ok := ds.Attributes[name]; !ok {
			t.Errorf("data source lacks %s", name)
		}
	}
	if _, ok := ds.Blocks["timeouts"]; !ok {
		t.Error("data source lacks the timeouts block")
	}
}

// The status description lists exactly the statuses that state can hold.
func TestStatusDescriptionVocabulary(t *testing.T) {
	t.Parallel()
	nested, ok := resourceSchema(t).Attributes["results"].(rschema.ListNestedAttribute)
	if !ok {
		t.Fatal("results is not a nested list")
	}
	desc := nested.NestedObject.Attributes["status"].GetMarkdownDescription()
	for _, st := range []probe.Status{probe.StatusOpen, probe.StatusClosed, probe.StatusFiltered, probe.StatusError} {
		if !strings.Contains(desc, "`"+st.String()+"`") {
			t.Errorf("status description lacks `%s`: %q", st, desc)
		}
	}
	if none := "`" + probe.StatusNone.String() + "`"; strings.Contains(desc, none) {
		t.Errorf("status description lists %s, which state never holds: %q", none, desc)
	}
}
