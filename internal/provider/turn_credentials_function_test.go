package provider

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the TURN REST API specifies HMAC-SHA1
	"encoding/base64"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// restPassword is the TURN REST API password of username, computed here
// with crypto/hmac rather than by the code under test.
func restPassword(secret, username string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// The known vector: 2023-11-14T23:13:20Z is Unix 1700003600. The password
// also matches
//
//	printf '1700003600:alice' | openssl dgst -sha1 -hmac 'north wind' -binary | base64
const (
	vectorSecret    = "north wind"
	vectorExpiresAt = "2023-11-14T23:13:20Z"
	vectorUsername  = "1700003600:alice"
	vectorPassword  = "6GJqgZJb8jO3w69jfrRqnfTbTKU="
)

// runTURNCredentials calls the function's Run with string arguments.
func runTURNCredentials(t *testing.T, args ...string) (username, password string, err *function.FuncError) {
	t.Helper()
	values := make([]attr.Value, len(args))
	for i, a := range args {
		values[i] = types.StringValue(a)
	}
	req := function.RunRequest{Arguments: function.NewArgumentsData(values)}
	resp := function.RunResponse{Result: function.NewResultData(types.ObjectUnknown(turnCredentialsAttrTypes))}
	turnCredentialsFunction{}.Run(context.Background(), req, &resp)
	if resp.Error != nil {
		return "", "", resp.Error
	}
	var result struct {
		Username string `tfsdk:"username"`
		Password string `tfsdk:"password"`
	}
	obj, ok := resp.Result.Value().(types.Object)
	if !ok {
		t.Fatalf("result is a %T", resp.Result.Value())
	}
	if d := obj.As(context.Background(), &result, basetypes.ObjectAsOptions{}); d.HasError() {
		t.Fatal(d)
	}
	return result.Username, result.Password, nil
}

func TestTURNCredentialsFunction(t *testing.T) {
	t.Parallel()
	if got := restPassword(vectorSecret, vectorUsername); got != vectorPassword {
		t.Fatalf("the test's own HMAC gives %q, want %q", got, vectorPassword)
	}
	tests := []struct {
		name, user, expiresAt, wantUser string
	}{
		{"vector", "alice", vectorExpiresAt, vectorUsername},
		{"no user", "", vectorExpiresAt, "1700003600"},
		{"offset and fraction", "alice", "2023-11-15T00:13:20.75+01:00", vectorUsername},
		{"colon in user", "a:b", "2030-01-01T00:00:00Z", "1893456000:a:b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			user, pass, err := runTURNCredentials(t, vectorSecret, tt.user, tt.expiresAt)
			if err != nil {
				t.Fatal(err)
			}
			if want := restPassword(vectorSecret, tt.wantUser); user != tt.wantUser || pass != want {
				t.Errorf("turn_credentials = %q, %q; want %q, %q", user, pass, tt.wantUser, want)
			}
		})
	}
}

func TestTURNCredentialsFunction_errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, secret, expiresAt string
		arg                     int64
		want                    string
	}{
		{"empty secret", "", vectorExpiresAt, 0, "shared_secret must not be empty"},
		{"not a timestamp", vectorSecret, "1h", 2, `expires_at must be an RFC 3339 timestamp such as "2030-01-01T00:00:00Z", got "1h"`},
		{"no zone", vectorSecret, "2030-01-01T00:00:00", 2, "expires_at must be an RFC 3339 timestamp"},
		{"epoch", vectorSecret, "1970-01-01T00:00:00Z", 2, "expires_at must be after 1970-01-01T00:00:00Z"},
		{"before the epoch", vectorSecret, "1969-12-31T00:00:00Z", 2, "expires_at must be after 1970-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := runTURNCredentials(t, tt.secret, "alice", tt.expiresAt)
			if err == nil {
				t.Fatal("no error")
			}
			if err.FunctionArgument == nil || *err.FunctionArgument != tt.arg {
				t.Errorf("error names argument %v, want %d", err.FunctionArgument, tt.arg)
			}
			if !regexp.MustCompile("^" + regexp.QuoteMeta(tt.want)).MatchString(err.Text) {
				t.Errorf("error %q does not start with %q", err.Text, tt.want)
			}
		})
	}
}

// Real terraform calls the function: a bad argument is an error that names
// it, the known vector comes out in an output, and a sensitive secret makes
// the result sensitive. The error steps come first: the destroy after the
// last step uses its configuration.
func TestAccTURNCredentialsFunction(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
output "creds" {
  value = provider::media::turn_credentials("north wind", "alice", "1h")
}
`,
				ExpectError: errorContaining(`Invalid value for "expires_at" parameter: expires_at must be an RFC 3339 timestamp`),
			},
			{
				Config: `
output "creds" {
  value = provider::media::turn_credentials("", "alice", "2030-01-01T00:00:00Z")
}
`,
				ExpectError: errorContaining(`Invalid value for "shared_secret" parameter: shared_secret must not be empty`),
			},
			{
				// Terraform carries the variable's sensitivity to the
				// result, so an output without sensitive = true is refused.
				Config:          sensitiveSecretConfig(false),
				ConfigVariables: config.Variables{"secret": config.StringVariable(vectorSecret)},
				ExpectError:     errorContaining("Output refers to sensitive values"),
			},
			{
				Config: fmt.Sprintf(`
output "creds" {
  value = provider::media::turn_credentials(%q, "alice", %q)
}
`, vectorSecret, vectorExpiresAt),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("creds", knownvalue.ObjectExact(map[string]knownvalue.Check{
						"username": knownvalue.StringExact(vectorUsername),
						"password": knownvalue.StringExact(vectorPassword),
					})),
				},
			},
			{
				Config:          sensitiveSecretConfig(true),
				ConfigVariables: config.Variables{"secret": config.StringVariable(vectorSecret)},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("creds", knownvalue.ObjectExact(map[string]knownvalue.Check{
						"username": knownvalue.StringExact(vectorUsername),
						"password": knownvalue.StringExact(vectorPassword),
					})),
				},
			},
		},
	})
}

// An expiry from plantimestamp() is the same at plan and apply.
//
// Terraform 1.8 and 1.9 evaluate plantimestamp() as 0001-01-01T00:00:00Z
// while validating (hashicorp/terraform#35898; 1.10 makes it unknown there),
// so the function refuses that expiry before the plan starts: this use needs
// Terraform 1.10.
func TestAccTURNCredentialsFunctionPlanTimestamp(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// The apply re-runs the function and fails if the result
				// differs from the plan's; plantimestamp() keeps it the same.
				// Every later plan has a new plantimestamp(), which
				// ignore_changes keeps from replanning the input.
				Config: `
resource "terraform_data" "creds" {
  input = provider::media::turn_credentials("north wind", "alice", timeadd(plantimestamp(), "1h"))
  lifecycle {
    ignore_changes = [input]
  }
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("terraform_data.creds", tfjsonpath.New("output"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"username": knownvalue.StringRegexp(regexp.MustCompile(`^[1-9][0-9]{9,}:alice$`)),
						"password": knownvalue.StringRegexp(regexp.MustCompile(`^[A-Za-z0-9+/]{27}=$`)),
					})),
				},
			},
		},
	})
}

// sensitiveSecretConfig passes the shared secret from a sensitive variable
// to an output that is sensitive or not.
func sensitiveSecretConfig(sensitiveOutput bool) string {
	return fmt.Sprintf(`
variable "secret" {
  type      = string
  sensitive = true
}

output "creds" {
  value     = provider::media::turn_credentials(var.secret, "alice", %q)
  sensitive = %t
}
`, vectorExpiresAt, sensitiveOutput)
}
