// Package provider is the Terraform glue for the media provider: schemas,
// validation, and the translation between Terraform values and the
// verification engine in internal/verify. It opens no sockets.
package provider

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"golang.org/x/sync/semaphore"

	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

var (
	_ provider.Provider                       = (*mediaProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*mediaProvider)(nil)
	_ provider.ProviderWithFunctions          = (*mediaProvider)(nil)
)

// maxConcurrencyLimit is the largest max_concurrency accepted.
const maxConcurrencyLimit = 4096

// providerData is built once per provider configuration and handed to every
// resource, data source and ephemeral resource, so that max_concurrency, and
// each host's max_probe_rate, hold across all of them, and all take time from
// one clock.
type providerData struct {
	clock verify.Clock
	// vantage is the machine running Terraform.
	vantage vantage.Vantage
	// agents are the configured remote vantage points, in configuration
	// order.
	agents []vantage.Vantage
	// agentURLs are the agents' URLs by name, for messages.
	agentURLs map[string]string
	// attemptHook, set only by tests, sees every finished attempt.
	attemptHook func(verify.Event)
	// grace, set only by tests, replaces stragglerGrace.
	grace time.Duration
}

// Option changes how the provider is built; tests use it to inject a clock or
// a resolver.
type Option func(*mediaProvider)

// WithClock makes the provider take all time from c.
func WithClock(c verify.Clock) Option { return func(p *mediaProvider) { p.clock = c } }

// WithResolver makes the provider look host names up with r.
func WithResolver(r verify.Resolver) Option { return func(p *mediaProvider) { p.resolver = r } }

// withAttemptHook lets a test see every finished attempt, for example to
// open a port only after attempts were refused. hook must not block.
func withAttemptHook(hook func(verify.Event)) Option {
	return func(p *mediaProvider) { p.attemptHook = hook }
}

type mediaProvider struct {
	version     string
	clock       verify.Clock
	resolver    verify.Resolver
	attemptHook func(verify.Event)
	newRemote   RemoteFactory
}

type providerModel struct {
	MaxConcurrency types.Int64 `tfsdk:"max_concurrency"`
	Agents         types.List  `tfsdk:"agents"`
}

// New returns the provider factory that main.go serves; tests pass options
// such as an injected clock.
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider {
		p := &mediaProvider{version: version, newRemote: agentRemote}
		for _, o := range opts {
			o(p)
		}
		return p
	}
}

func (p *mediaProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "media"
	resp.Version = p.version
}

func (p *mediaProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Verifies that new media servers (STUN/TURN, WebRTC SFUs, RTP relays) answer on their " +
			"ports before anything that depends on them is created. Nothing in the provider block is required.",
		Attributes: map[string]schema.Attribute{
			"max_concurrency": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("Largest number of probes in flight at once, across every "+
					"`media_server_reachability` resource and data source of one Terraform run. "+
					"A count from 1 to %d. Defaults to `%d`.", maxConcurrencyLimit, verify.DefaultConcurrency),
				Validators: []validator.Int64{int64validator.Between(1, maxConcurrencyLimit)},
			},
			"agents": agentsAttribute(),
		},
	}
}

func (p *mediaProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	limit := int64(verify.DefaultConcurrency)
	if cfg.MaxConcurrency.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("max_concurrency"), "Unknown max_concurrency",
			"max_concurrency must be known when the provider is configured; it cannot depend on a resource "+
				"that has not been created yet. Use a literal or a variable.")
		return
	}
	if !cfg.MaxConcurrency.IsNull() {
		limit = cfg.MaxConcurrency.ValueInt64()
	}
	configs := agentConfigs(ctx, cfg.Agents, os.Getenv, &resp.Diagnostics)
	agents := p.remoteVantages(configs, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	clock := p.clock
	if clock == nil {
		clock = verify.RealClock{}
	}
	data := &providerData{
		clock: clock,
		vantage: vantage.Local{Deps: verify.Deps{
			Clock:    clock,
			Resolver: p.resolver, // nil: the system resolver
			Limit:    semaphore.NewWeighted(limit),
			Rates:    verify.NewRates(),
		}},
		agents:      agents,
		agentURLs:   make(map[string]string, len(configs)),
		attemptHook: p.attemptHook,
	}
	for _, a := range configs {
		data.agentURLs[a.Name] = a.URL
	}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
}

func (p *mediaProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{newServerReachabilityResource}
}

func (p *mediaProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{newServerReachabilityDataSource}
}

func (p *mediaProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{newTURNCredentialsEphemeralResource}
}

func (p *mediaProvider) Functions(context.Context) []func() function.Function {
	return []func() function.Function{newTURNCredentialsFunction}
}

// providerDataFrom type-asserts ProviderData for a resource, data source or
// ephemeral resource Configure; kind ("Resource", "Data Source", "Ephemeral
// Resource") names the caller in the error. It returns nil, and no error,
// before the provider is configured.
func providerDataFrom(data any, kind string, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected "+kind+" Configure Type",
			fmt.Sprintf("Expected *provider.providerData, got %T. Please report this issue to the provider developers.", data))
	}
	return pd
}
