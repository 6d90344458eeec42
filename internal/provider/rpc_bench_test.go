package provider

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/mediareach/terraform-provider-media/bench/rpcbench"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// BenchmarkRPC times the calls of each Terraform step of a 1 resource x 1
// port apply in process (make bench, start-up measure; see bench/rpcbench).
// bench/baseline has the same benchmark for the minimal provider.
func BenchmarkRPC(b *testing.B) {
	newServer := func() (tfprotov6.ProviderServer, error) {
		return providerserver.NewProtocol6WithError(New("bench")())()
	}
	srv, err := newServer()
	if err != nil {
		b.Fatal(err)
	}
	// host = "127.0.0.1", checks = [{ protocol = "tcp", port = port }].
	rpcbench.Run(b, newServer, benchInputs(b, srv, func(tftypes.Object) (string, tftypes.Value) {
		return "port", tftypes.NewValue(tftypes.Number, int(testnet.TCPListener(b)))
	}))
}

// BenchmarkResourceRPC times what one more resource of the fleet shape (one
// tcp check of 20 open ports) costs the plugin in an apply and in a no-change
// plan (see rpcbench.RunResource); bench/baseline has the same benchmark.
func BenchmarkResourceRPC(b *testing.B) {
	srv, err := providerserver.NewProtocol6WithError(New("bench")())()
	if err != nil {
		b.Fatal(err)
	}
	rpcbench.RunResource(b, srv, benchInputs(b, srv, func(checkType tftypes.Object) (string, tftypes.Value) {
		return "ports", tftypes.NewValue(checkType.AttributeTypes["ports"], rpcbench.OpenPorts(b, 20))
	}))
}

// benchInputs encodes a media_server_reachability on host 127.0.0.1 with one
// tcp check whose ports attribute portsOf gives, every other attribute null
// as Terraform sends it, and an empty provider block.
func benchInputs(b *testing.B, srv tfprotov6.ProviderServer, portsOf func(tftypes.Object) (string, tftypes.Value)) rpcbench.Inputs {
	b.Helper()
	sch, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(sch.Diagnostics) > 0 {
		b.Fatalf("GetProviderSchema: %v %v", err, sch)
	}
	typ := as[tftypes.Object](b, sch.ResourceSchemas["media_server_reachability"].ValueType())
	checksType := as[tftypes.List](b, typ.AttributeTypes["checks"])
	checkType := as[tftypes.Object](b, checksType.ElementType)
	name, ports := portsOf(checkType)
	check := nullObject(checkType, map[string]tftypes.Value{"protocol": tftypes.NewValue(tftypes.String, "tcp"), name: ports})
	providerType := as[tftypes.Object](b, sch.Provider.ValueType())
	return rpcbench.Inputs{
		TypeName:       "media_server_reachability",
		ProviderConfig: rpcbench.Encode(b, providerType, nullObject(providerType, nil)),
		Config: rpcbench.Encode(b, typ, nullObject(typ, map[string]tftypes.Value{
			"host":   tftypes.NewValue(tftypes.String, "127.0.0.1"),
			"checks": tftypes.NewValue(checksType, []tftypes.Value{check}),
		})),
		Null: rpcbench.Encode(b, typ, tftypes.NewValue(typ, nil)),
	}
}

func as[T tftypes.Type](tb testing.TB, t tftypes.Type) T {
	tb.Helper()
	v, ok := t.(T)
	if !ok {
		tb.Fatalf("schema type %s is not a %T", t, v)
	}
	return v
}

// nullObject is a value of typ with the attributes in set, every other null.
func nullObject(typ tftypes.Object, set map[string]tftypes.Value) tftypes.Value {
	vals := make(map[string]tftypes.Value, len(typ.AttributeTypes))
	for name, t := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(t, nil)
		if v, ok := set[name]; ok {
			vals[name] = v
		}
	}
	return tftypes.NewValue(typ, vals)
}

// BenchmarkResourceRPCSchemaOnly is BenchmarkResourceRPC on a resource with
// our schema and none of our code: no validation, no plan changes, and an
// apply that saves the plan with the computed attributes set, as ours does.
// Against BenchmarkResourceRPC it splits our per-resource cost into the
// framework's work for the schema (this) and our own (the rest); against
// bench/baseline's, it shows what the schema's size costs by itself.
func BenchmarkResourceRPCSchemaOnly(b *testing.B) {
	ours, ok := New("bench")().(*mediaProvider)
	if !ok {
		b.Fatal("New does not build a *mediaProvider")
	}
	srv, err := providerserver.NewProtocol6WithError(schemaOnlyProvider{ours})()
	if err != nil {
		b.Fatal(err)
	}
	rpcbench.RunResource(b, srv, benchInputs(b, srv, func(checkType tftypes.Object) (string, tftypes.Value) {
		return "ports", tftypes.NewValue(checkType.AttributeTypes["ports"], rpcbench.OpenPorts(b, 20))
	}))
}

// schemaOnlyProvider is our provider with schemaOnlyResource in place of
// media_server_reachability.
type schemaOnlyProvider struct{ *mediaProvider }

func (schemaOnlyProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return schemaOnlyResource{} }}
}

// schemaOnlyResource has media_server_reachability's schema and no logic.
type schemaOnlyResource struct{}

func (schemaOnlyResource) Metadata(ctx context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	newServerReachabilityResource().Metadata(ctx, req, resp)
}

func (schemaOnlyResource) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	newServerReachabilityResource().Schema(ctx, req, resp)
}

func (schemaOnlyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var host types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("host"), &host)...)
	resp.State.Raw = req.Plan.Raw
	resp.Diagnostics.Append(setAttributes(ctx, &resp.State, map[string]attr.Value{
		"id":          host,
		"reachable":   types.BoolValue(true),
		"verified_at": timetypes.NewRFC3339TimeValue(time.Unix(0, 0).UTC()),
		"results": resultsValue([]verify.CheckResult{{Name: "tcp/1-20", Protocol: "tcp", Transport: "tcp",
			Label: "1-20", Address: netip.MustParseAddr("127.0.0.1"), Vantage: "local", Status: probe.StatusOpen,
			Attempts: 1, RTT: time.Millisecond, Passed: true}}),
	})...)
}

func (schemaOnlyResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (schemaOnlyResource) Update(context.Context, resource.UpdateRequest, *resource.UpdateResponse) {}

func (schemaOnlyResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
