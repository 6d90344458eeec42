package provider

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ function.Function = turnCredentialsFunction{}

// Argument positions of turn_credentials, for argument errors.
const (
	turnCredentialsArgSecret    int64 = 0
	turnCredentialsArgExpiresAt int64 = 2
)

// turnCredentialsAttrTypes is the type of the function's result.
var turnCredentialsAttrTypes = map[string]attr.Type{
	"username": types.StringType,
	"password": types.StringType,
}

// turnCredentialsFunction is provider::media::turn_credentials. It takes the
// expiry as an argument instead of reading the clock: Terraform calls a
// provider function again during apply and fails the apply ("provider
// function returned an inconsistent result") when the result differs from
// the plan's, which a username holding now+ttl in seconds would whenever
// plan and apply fall in different seconds.
type turnCredentialsFunction struct{}

func newTURNCredentialsFunction() function.Function { return turnCredentialsFunction{} }

func (turnCredentialsFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "turn_credentials"
}

func (turnCredentialsFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Derive time-limited TURN credentials from a shared secret",
		MarkdownDescription: "Derives the time-limited credentials of " + turnCredentialsFormat + ". The result is " +
			"an object with `username` and `password`, so one shared secret configures both the TURN server and " +
			"its clients. Requires Terraform 1.8 or later.\n\n" +
			"The function reads no clock: the same arguments always give the same credentials. Terraform calls " +
			"a provider function again during apply and fails when the result differs from the plan's, so the " +
			"expiry is an argument. `timeadd(plantimestamp(), \"24h\")` gives credentials that last a day from " +
			"the plan (`plantimestamp()` stays the same from plan to apply, but changes on every plan, so " +
			"whatever uses the result changes on every plan too); the `rotation_rfc3339` of a `time_rotating` " +
			"resource (hashicorp/time) gives credentials that stay the same until the next rotation.\n\n" +
			"Terraform has no way for a provider to mark a function argument or result sensitive, but it " +
			"carries sensitivity and ephemerality from the arguments to the result: pass the shared secret " +
			"from a `sensitive` (or `ephemeral`) variable and the credentials are sensitive (or ephemeral) too. " +
			"Wherever the result is used (a resource argument, an output), it is stored in the plan and the " +
			"state like any other value. For credentials that must stay out of plan and state, derive them with " +
			"the `media_turn_credentials` ephemeral resource and pass them to write-only arguments.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name: "shared_secret",
				MarkdownDescription: "The secret shared with the TURN server (coturn's `static-auth-secret`), " +
					"not empty. Pass it from a `sensitive` variable: Terraform then marks the result sensitive.",
			},
			function.StringParameter{
				Name: "user",
				MarkdownDescription: "The user part of the username, after the expiry and a colon. An empty " +
					"string makes a username of the expiry alone.",
			},
			function.StringParameter{
				Name: "expires_at",
				MarkdownDescription: "When the credentials expire, as an RFC 3339 timestamp such as " +
					"`2030-01-01T00:00:00Z` or `timeadd(plantimestamp(), \"1h\")`, after 1970. Fractions of a " +
					"second are dropped. The server refuses the credentials from then on.",
			},
		},
		Return: function.ObjectReturn{AttributeTypes: turnCredentialsAttrTypes},
	}
}

func (turnCredentialsFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var secret, user, expiresAt string
	resp.Error = req.Arguments.Get(ctx, &secret, &user, &expiresAt)
	if resp.Error != nil {
		return
	}
	if secret == "" {
		resp.Error = function.NewArgumentFuncError(turnCredentialsArgSecret,
			"shared_secret must not be empty: it is the secret the TURN server checks the password with "+
				"(coturn's static-auth-secret)")
		return
	}
	expires, err := time.Parse(time.RFC3339, expiresAt)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(turnCredentialsArgExpiresAt, fmt.Sprintf(
			"expires_at must be an RFC 3339 timestamp such as \"2030-01-01T00:00:00Z\", got %s: %v",
			strconv.Quote(expiresAt), err))
		return
	}
	if expires.Unix() <= 0 {
		resp.Error = function.NewArgumentFuncError(turnCredentialsArgExpiresAt, fmt.Sprintf(
			"expires_at must be after 1970-01-01T00:00:00Z (the username holds it in Unix seconds), got %s",
			strconv.Quote(expiresAt)))
		return
	}
	username, password := turnCredentials(secret, user, expires)
	result, diags := types.ObjectValue(turnCredentialsAttrTypes, map[string]attr.Value{
		"username": types.StringValue(username),
		"password": types.StringValue(password),
	})
	resp.Error = function.FuncErrorFromDiags(ctx, diags)
	if resp.Error != nil {
		return
	}
	resp.Error = resp.Result.Set(ctx, result)
}
