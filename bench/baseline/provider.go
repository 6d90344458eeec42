package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

var _ provider.Provider = (*baselineProvider)(nil)

// baselineProvider has no configuration and one resource.
type baselineProvider struct{}

func newProvider() provider.Provider { return &baselineProvider{} }

func (*baselineProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "baseline"
}

func (*baselineProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{}
}

func (*baselineProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (*baselineProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{newPortsResource}
}

func (*baselineProvider) DataSources(context.Context) []func() datasource.DataSource {
	return nil
}
