package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/agent/agentapi"
	"github.com/mediareach/terraform-provider-media/internal/provider/validators"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
)

// agentConfig is one configured agent, with its token resolved: what a
// remote vantage point is built from.
type agentConfig struct {
	Name      string
	URL       string
	Token     string
	CACertPEM string
	// ClientCertPEM and ClientKeyPEM are both set or both empty; checked.
	ClientCertPEM, ClientKeyPEM string
	// MaxRuns is max_runs: the verifications sent to the agent at once;
	// 0 when unset (agentapi.DefaultMaxRuns).
	MaxRuns int
}

// RemoteFactory builds the vantage point that verifies through one agent.
type RemoteFactory func(agentConfig) (vantage.Vantage, error)

// WithRemoteFactory makes the provider build each configured agent's
// vantage point with f instead of agentRemote (tests inject fakes).
func WithRemoteFactory(f RemoteFactory) Option {
	return func(p *mediaProvider) { p.newRemote = f }
}

// agentRemote is the vantage point of a real `mediaprobe agent`.
func agentRemote(a agentConfig) (vantage.Vantage, error) {
	return agentapi.NewRemote(agentapi.RemoteOptions{Name: a.Name, URL: a.URL, Token: a.Token, CACertPEM: a.CACertPEM,
		ClientCertPEM: a.ClientCertPEM, ClientKeyPEM: a.ClientKeyPEM, MaxRuns: a.MaxRuns})
}

// agentModel is one element of the provider's agents.
type agentModel struct {
	Name       types.String `tfsdk:"name"`
	URL        types.String `tfsdk:"url"`
	Token      types.String `tfsdk:"token"`
	CACertPEM  types.String `tfsdk:"ca_cert_pem"`
	ClientCert types.String `tfsdk:"client_cert_pem"`
	ClientKey  types.String `tfsdk:"client_key_pem"`
	MaxRuns    types.Int64  `tfsdk:"max_runs"`
}

// maxRunsLimit is the largest max_runs accepted.
const maxRunsLimit = 256

// vantageNamePattern is what an agent's name may look like.
var vantageNamePattern = regexp.MustCompile(`^[a-z0-9-]+$`)

// agentTokenEnvPrefix starts the environment variable that holds an agent's
// token when the configuration has none.
const agentTokenEnvPrefix = "MEDIA_AGENT_TOKEN_"

// agentTokenEnv names the environment variable read for agent name's token:
// MEDIA_AGENT_TOKEN_EU_WEST for "eu-west".
func agentTokenEnv(name string) string {
	return agentTokenEnvPrefix + strings.ReplaceAll(strings.ToUpper(name), "-", "_")
}

func agentsAttribute() schema.Attribute {
	return schema.ListNestedAttribute{
		Optional: true,
		MarkdownDescription: "Remote vantage points: `mediaprobe agent` servers that verify from where they run, " +
			"for example outside the servers' network, as customers on the internet see them. A resource or data " +
			"source verifies from every agent listed here unless its `vantage_points` says otherwise; with no " +
			"agent, it verifies from the machine running Terraform (`local`).",
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Name of the vantage point, as `vantage_points` and the results' `vantage` " +
					"say it: lowercase letters, digits and `-`, unique, and not `local` (the machine running Terraform).",
				Validators: []validator.String{
					stringvalidator.RegexMatches(vantageNamePattern, "must be lowercase letters, digits and -"),
					stringvalidator.NoneOf(vantage.LocalName),
				},
			},
			"url": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The agent's base URL, such as `https://agent.example.com:8443`. Must be " +
					"`https`; plain `http` is accepted only for a loopback host.",
				Validators: []validator.String{validators.AgentURL()},
			},
			"token": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Bearer token the agent accepts. When unset, read from the environment " +
					"variable `" + agentTokenEnvPrefix + "<NAME>`, the name upper-cased with `-` as `_` " +
					"(`" + agentTokenEnv("eu-west") + "` for `eu-west`). One of the two is required.",
			},
			"ca_cert_pem": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "PEM certificates that sign the agent's TLS certificate, when it is not " +
					"signed by a CA the system trusts.",
				Validators: []validator.String{validators.PEMCertificates()},
			},
			agentapi.AttrClientCert: schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "PEM client certificate (leaf first, then any intermediates) presented to an " +
					"agent that runs with `--client-ca` (mutual TLS, on top of the token). Requires `" +
					agentapi.AttrClientKey + "`.",
				Validators: []validator.String{validators.PEMClientCertificate()},
			},
			agentapi.AttrClientKey: schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "PEM private key of `" + agentapi.AttrClientCert + "`; set both or neither. " +
					"Like the token, it is provider configuration and never stored in state; prefer a variable " +
					"or `file()` to a literal.",
			},
			"max_runs": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("How many verifications the provider sends this agent at once; "+
					"the rest wait their turn. Set it to the agent's `--max-runs-per-token` (default %d), beyond which "+
					"the agent refuses a run with 429 `busy`. Defaults to %d.", agentapi.DefaultMaxRuns, agentapi.DefaultMaxRuns),
				Validators: []validator.Int64{int64validator.Between(1, maxRunsLimit)},
			},
		}},
	}
}

// agentConfigs reads the agents, resolving unset tokens from the
// environment with getenv. Problems are attribute errors under agents.
func agentConfigs(ctx context.Context, l types.List, getenv func(string) string, diags *diag.Diagnostics) []agentConfig {
	if l.IsUnknown() {
		diags.AddAttributeError(path.Root("agents"), "Unknown agents",
			"agents must be known when the provider is configured; it cannot depend on a resource that has not "+
				"been created yet. Use literals or variables.")
		return nil
	}
	if l.IsNull() {
		return nil
	}
	var models []agentModel
	diags.Append(l.ElementsAs(ctx, &models, false)...)
	if diags.HasError() {
		return nil
	}
	seen := map[string]int{}
	out := make([]agentConfig, 0, len(models))
	for i, m := range models {
		at := path.Root("agents").AtListIndex(i)
		for name, v := range map[string]types.String{"name": m.Name, "url": m.URL, "token": m.Token, "ca_cert_pem": m.CACertPEM,
			agentapi.AttrClientCert: m.ClientCert, agentapi.AttrClientKey: m.ClientKey} {
			if v.IsUnknown() {
				unknownAgentAttr(at, name, diags)
			}
		}
		if m.MaxRuns.IsUnknown() {
			unknownAgentAttr(at, "max_runs", diags)
		}
		if diags.HasError() {
			return nil
		}
		a := agentConfig{Name: m.Name.ValueString(), URL: m.URL.ValueString(), Token: m.Token.ValueString(),
			CACertPEM: m.CACertPEM.ValueString(), ClientCertPEM: m.ClientCert.ValueString(), ClientKeyPEM: m.ClientKey.ValueString(),
			MaxRuns: int(m.MaxRuns.ValueInt64())}
		if j, dup := seen[a.Name]; dup {
			diags.AddAttributeError(at.AtName("name"), "Duplicate agent name",
				fmt.Sprintf("Agent name %q is used by agents[%d] and agents[%d]; each agent needs its own name.", a.Name, j, i))
			continue
		}
		seen[a.Name] = i
		if !clientCertOK(at, a, diags) {
			continue
		}
		if m.Token.IsNull() {
			env := agentTokenEnv(a.Name)
			a.Token = getenv(env)
			if a.Token == "" {
				diags.AddAttributeError(at.AtName("token"), "Missing agent token",
					fmt.Sprintf("Agent %q (%s) has no token: set token in its block, or the environment variable %s.",
						a.Name, a.URL, env))
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

func unknownAgentAttr(at path.Path, name string, diags *diag.Diagnostics) {
	diags.AddAttributeError(at.AtName(name), "Unknown agent "+name,
		fmt.Sprintf("Attribute %s must be known when the provider is configured. Use a literal or a variable.",
			at.AtName(name)))
}

// clientCertOK checks an agent's client certificate and key: both or
// neither, and a parsing pair. The error names the attribute at fault,
// never its value.
func clientCertOK(at path.Path, a agentConfig, diags *diag.Diagnostics) bool {
	_, err := agentapi.ClientKeyPair(a.ClientCertPEM, a.ClientKeyPEM)
	if err == nil {
		return true
	}
	attr := agentapi.AttrClientCert
	if ce, ok := errors.AsType[*agentapi.ClientCertError](err); ok {
		attr = ce.Attr
	}
	cert, key := at.AtName(agentapi.AttrClientCert), at.AtName(agentapi.AttrClientKey)
	diags.AddAttributeError(at.AtName(attr), "Invalid agent client certificate",
		fmt.Sprintf("Agent %q (%s): attribute %s: %s. Set %s (PEM certificate) and %s (its PEM private key) "+
			"together, or neither.", a.Name, a.URL, at.AtName(attr), strings.TrimPrefix(err.Error(), attr+" "), cert, key))
	return false
}

// remoteVantages builds one vantage point per agent, in configuration
// order.
func (p *mediaProvider) remoteVantages(agents []agentConfig, diags *diag.Diagnostics) []vantage.Vantage {
	if len(agents) == 0 {
		return nil
	}
	out := make([]vantage.Vantage, 0, len(agents))
	for i, a := range agents {
		v, err := p.newRemote(a)
		if err != nil {
			diags.AddAttributeError(path.Root("agents").AtListIndex(i), "Invalid agent",
				fmt.Sprintf("Agent %q (%s) cannot be used: %s.", a.Name, a.URL, err))
			continue
		}
		out = append(out, v)
	}
	return out
}
