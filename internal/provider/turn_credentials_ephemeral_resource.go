package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/provider/validators"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

var (
	_ ephemeral.EphemeralResource              = (*turnCredentialsEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithConfigure = (*turnCredentialsEphemeralResource)(nil)
)

const (
	// defaultTURNCredentialTTL is ttl when it is left out.
	defaultTURNCredentialTTL = "1h"
	// minTURNCredentialTTL is the shortest ttl: the expiry is in whole
	// seconds, so a shorter one could make credentials that expire as they
	// are made.
	minTURNCredentialTTL = time.Second
)

// turnCredentialsEphemeralResource is media_turn_credentials: TURN REST API
// credentials derived when Terraform opens it, on every plan and apply,
// and never stored in plan or state.
type turnCredentialsEphemeralResource struct {
	clock verify.Clock
}

type turnCredentialsModel struct {
	SharedSecret types.String      `tfsdk:"shared_secret"`
	User         types.String      `tfsdk:"user"`
	TTL          durationValue     `tfsdk:"ttl"`
	Username     types.String      `tfsdk:"username"`
	Password     types.String      `tfsdk:"password"`
	ExpiresAt    timetypes.RFC3339 `tfsdk:"expires_at"`
}

func newTURNCredentialsEphemeralResource() ephemeral.EphemeralResource {
	return &turnCredentialsEphemeralResource{}
}

func (r *turnCredentialsEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_turn_credentials"
}

func (r *turnCredentialsEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Derives time-limited TURN credentials from a shared secret, in " + turnCredentialsFormat +
			". Requires Terraform 1.10 or later.\n\n" +
			"As an ephemeral resource it is never stored: Terraform derives new credentials, valid for `ttl` " +
			"from that moment, each time it opens the resource (once during plan and again during apply), and " +
			"neither the credentials nor the shared secret enter the plan or the state. Use them where " +
			"Terraform accepts ephemeral values: write-only arguments, provider blocks, provisioners and " +
			"`connection` blocks, other ephemeral resources, `locals`, and `ephemeral` outputs of a child " +
			"module. Pass the shared secret from a variable marked `ephemeral = true` (Terraform 1.10 or later) " +
			"so that it stays out of the plan as well; a variable that is only `sensitive` is saved in the " +
			"plan file.\n\n" +
			"For credentials that a resource argument keeps (and that must therefore be the same from plan to " +
			"apply), use the `provider::media::turn_credentials` function with an explicit expiry instead.",
		Attributes: map[string]schema.Attribute{
			"shared_secret": schema.StringAttribute{
				Required:  true,
				Sensitive: true,
				MarkdownDescription: "The secret shared with the TURN server (coturn's `static-auth-secret`), " +
					"not empty.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"user": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The user part of the username, after the expiry and a colon. Leave it out " +
					"for a username of the expiry alone.",
			},
			"ttl": schema.StringAttribute{
				CustomType: durationType{},
				Optional:   true,
				Computed:   true,
				MarkdownDescription: "How long the credentials stay valid after Terraform opens the resource, as " +
					"a Go duration such as `15m` or `24h`, at least `" + minTURNCredentialTTL.String() + "`. " +
					"Defaults to `" + defaultTURNCredentialTTL + "`.",
				Validators: []validator.String{validators.DurationAtLeast(minTURNCredentialTTL)},
			},
			"username": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The username: the expiry in Unix seconds, a colon and `user`.",
			},
			"password": schema.StringAttribute{
				Computed:            true,
				Sensitive:           true,
				MarkdownDescription: "The password: the base64 HMAC-SHA1 of `username` keyed with `shared_secret`.",
			},
			"expires_at": schema.StringAttribute{
				CustomType: timetypes.RFC3339Type{},
				Computed:   true,
				MarkdownDescription: "When the credentials expire, as an RFC 3339 timestamp in UTC: the " +
					"expiry that `username` holds.",
			},
		},
	}
}

func (r *turnCredentialsEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	if pd := providerDataFrom(req.ProviderData, "Ephemeral Resource", &resp.Diagnostics); pd != nil {
		r.clock = pd.clock
	}
}

func (r *turnCredentialsEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m turnCredentialsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if m.TTL.IsNull() {
		m.TTL = durationValue{GoDuration: timetypes.NewGoDurationValueFromStringMust(defaultTURNCredentialTTL)}
	}
	ttl, diags := m.TTL.ValueGoDuration()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	clock := r.clock
	if clock == nil {
		clock = verify.RealClock{}
	}
	// Whole seconds, as the username holds it, so expires_at is the
	// username's expiry.
	expires := time.Unix(clock.Now().Add(ttl).Unix(), 0).UTC()
	username, password := turnCredentials(m.SharedSecret.ValueString(), m.User.ValueString(), expires)
	m.Username = types.StringValue(username)
	m.Password = types.StringValue(password)
	m.ExpiresAt = timetypes.NewRFC3339TimeValue(expires)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
