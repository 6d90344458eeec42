package main

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/mediareach/terraform-provider-media/bench/rpcbench"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// BenchmarkRPC is internal/provider's BenchmarkRPC for the baseline. The
// difference between the two is the framework's work for our larger schema.
func BenchmarkRPC(b *testing.B) {
	port := int(testnet.TCPListener(b))
	ports := tftypes.List{ElementType: tftypes.Number}
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"host": tftypes.String, "ports": ports, "id": tftypes.String,
	}}
	empty := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
	newServer := func() (tfprotov6.ProviderServer, error) {
		return providerserver.NewProtocol6WithError(newProvider())()
	}
	rpcbench.Run(b, newServer, rpcbench.Inputs{
		TypeName:       "baseline_ports",
		ProviderConfig: rpcbench.Encode(b, empty, tftypes.NewValue(empty, map[string]tftypes.Value{})),
		Config: rpcbench.Encode(b, typ, tftypes.NewValue(typ, map[string]tftypes.Value{
			"host":  tftypes.NewValue(tftypes.String, "127.0.0.1"),
			"ports": tftypes.NewValue(ports, []tftypes.Value{tftypes.NewValue(tftypes.Number, port)}),
			"id":    tftypes.NewValue(tftypes.String, nil),
		})),
		Null: rpcbench.Encode(b, typ, tftypes.NewValue(typ, nil)),
	})
}

// BenchmarkResourceRPC is internal/provider's BenchmarkResourceRPC for the
// baseline: one resource of 20 open ports.
func BenchmarkResourceRPC(b *testing.B) {
	ports := tftypes.List{ElementType: tftypes.Number}
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"host": tftypes.String, "ports": ports, "id": tftypes.String,
	}}
	empty := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
	srv, err := providerserver.NewProtocol6WithError(newProvider())()
	if err != nil {
		b.Fatal(err)
	}
	rpcbench.RunResource(b, srv, rpcbench.Inputs{
		TypeName:       "baseline_ports",
		ProviderConfig: rpcbench.Encode(b, empty, tftypes.NewValue(empty, map[string]tftypes.Value{})),
		Config: rpcbench.Encode(b, typ, tftypes.NewValue(typ, map[string]tftypes.Value{
			"host":  tftypes.NewValue(tftypes.String, "127.0.0.1"),
			"ports": tftypes.NewValue(ports, rpcbench.OpenPorts(b, 20)),
			"id":    tftypes.NewValue(tftypes.String, nil),
		})),
		Null: rpcbench.Encode(b, typ, tftypes.NewValue(typ, nil)),
	})
}
