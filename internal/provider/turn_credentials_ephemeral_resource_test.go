package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/mediareach/terraform-provider-media/internal/verify/verifytest"
)

// turnClockStart is the injected clock's time in the ephemeral resource's
// tests: Unix 1700000000, so a ttl of 1h gives the known vector.
var turnClockStart = time.Unix(1700000000, 0)

// ephemeralFactories serves the provider with its clock stopped at
// turnClockStart, and the echo provider, which copies its configuration's
// data into the state of its echo resource so that tests can read values
// that Terraform never stores otherwise.
func ephemeralFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	f := protoV6Factories(WithClock(verifytest.NewClock(turnClockStart)))
	f["echo"] = echoprovider.NewProviderServer()
	return f
}

var ephemeralVersionChecks = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)}

// echoData is the path of the echo resource's copy of its provider's data.
var echoData = tfjsonpath.New("data")

// The ephemeral resource's values, as the echo provider hands them on: the
// known vector at the default ttl, a ttl of its own, and configuration
// errors that name the attribute.
func TestAccTURNCredentialsEphemeralResource(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersionChecks,
		ProtoV6ProviderFactories: ephemeralFactories(),
		Steps: []resource.TestStep{
			{
				Config:      turnEphemeralConfig(`shared_secret = ""`),
				ExpectError: errorContaining(`Attribute shared_secret string length must be at least 1`),
			},
			{
				Config:      turnEphemeralConfig(`shared_secret = "north wind"`, `ttl = "500ms"`),
				ExpectError: errorContaining(`Attribute ttl must be a Go duration of at least 1s`),
			},
			{
				Config:      turnEphemeralConfig(`shared_secret = "north wind"`, `ttl = "1 hour"`),
				ExpectError: errorContaining(`Attribute ttl must be a Go duration such as "500ms"`),
			},
			{
				Config: turnEphemeralConfig(`shared_secret = "north wind"`, `user = "alice"`) + `
resource "echo" "defaults" {}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.defaults", echoData, knownvalue.ObjectExact(map[string]knownvalue.Check{
						"shared_secret": knownvalue.StringExact(vectorSecret),
						"user":          knownvalue.StringExact("alice"),
						"ttl":           knownvalue.StringExact("1h"),
						"username":      knownvalue.StringExact(vectorUsername),
						"password":      knownvalue.StringExact(vectorPassword),
						"expires_at":    knownvalue.StringExact(vectorExpiresAt),
					})),
				},
			},
			{
				// A new echo resource: the echo provider keeps the data of
				// one that is already in state.
				Config: turnEphemeralConfig(`shared_secret = "north wind"`, `ttl = "30m"`) + `
resource "echo" "no_user" {}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.no_user", echoData, knownvalue.ObjectExact(map[string]knownvalue.Check{
						"shared_secret": knownvalue.StringExact(vectorSecret),
						"user":          knownvalue.Null(),
						"ttl":           knownvalue.StringExact("30m"),
						"username":      knownvalue.StringExact("1700001800"),
						"password":      knownvalue.StringExact(restPassword(vectorSecret, "1700001800")),
						"expires_at":    knownvalue.StringExact("2023-11-14T22:43:20Z"),
					})),
				},
			},
		},
	})
}

// turnEphemeralConfig is a media_turn_credentials "test" with the given
// attribute lines, whose whole value configures the echo provider.
func turnEphemeralConfig(attrs ...string) string {
	return fmt.Sprintf(`
ephemeral "media_turn_credentials" "test" {
  %s
}

provider "echo" {
  data = ephemeral.media_turn_credentials.test
}
`, strings.Join(attrs, "\n  "))
}

// Neither the shared secret, from an ephemeral variable, nor the password
// reaches the saved plan (`terraform show -json` of it, and the plan file
// itself) or the state file, although Terraform opened the resource and
// handed values derived from it on. First, the same check must find the
// secret when the variable is only sensitive. Not parallel: it points
// TF_ACC_TEMP_DIR at a directory of its own to find Terraform's working
// directory.
func TestAccTURNCredentialsEphemeralResource_notPersisted(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TF_ACC_TEMP_DIR", tmp)
	const secret = "turn-test-secret-Q7vX2mLp"
	username := "1700003600:alice"
	secrets := map[string]string{"shared secret": secret, "password": restPassword(secret, username)}
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersionChecks,
		ProtoV6ProviderFactories: ephemeralFactories(),
		Steps: []resource.TestStep{
			{
				// The check sees a secret in the plan: a variable that is
				// only sensitive is saved there.
				ConfigVariables: config.Variables{"turn_secret": config.StringVariable(secret)},
				Config:          notPersistedConfig(false),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{savedPlanExcludes{dir: tmp, secrets: secrets}},
				},
				ExpectError: errorContaining("terraform show -json of the saved plan holds the shared secret"),
			},
			{
				ConfigVariables: config.Variables{"turn_secret": config.StringVariable(secret)},
				Config:          notPersistedConfig(true),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{savedPlanExcludes{dir: tmp, secrets: secrets}},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.test", echoData, knownvalue.ObjectExact(map[string]knownvalue.Check{
						"username":        knownvalue.StringExact(username),
						"expires_at":      knownvalue.StringExact(vectorExpiresAt),
						"password_length": knownvalue.Int64Exact(28),
					})),
					stateFileExcludes{dir: tmp, secrets: secrets},
				},
			},
		},
	})
}

// notPersistedConfig takes the shared secret from a sensitive variable,
// ephemeral or not, and hands the echo provider the username, the expiry
// and the password's length, but not the password.
func notPersistedConfig(ephemeralVariable bool) string {
	return fmt.Sprintf(`
variable "turn_secret" {
  type      = string
  sensitive = true
  ephemeral = %t
}

ephemeral "media_turn_credentials" "coturn" {
  shared_secret = var.turn_secret
  user          = "alice"
}

provider "echo" {
  data = {
    username        = ephemeral.media_turn_credentials.coturn.username
    expires_at      = ephemeral.media_turn_credentials.coturn.expires_at
    password_length = length(ephemeral.media_turn_credentials.coturn.password)
  }
}

resource "echo" "test" {}
`, ephemeralVariable)
}

// workFile is the one file called name in a working directory that
// terraform-plugin-testing made under dir (its TF_ACC_TEMP_DIR).
func workFile(dir, name string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "plugintest*", "work*", name))
	if err != nil {
		return "", err
	}
	if len(files) != 1 {
		return "", fmt.Errorf("want one %s under %s, found %q", name, dir, files)
	}
	return files[0], nil
}

// excludes reports every secret that content holds.
func excludes(what string, content []byte, secrets map[string]string) error {
	var found []string
	for name, s := range secrets {
		if bytes.Contains(content, []byte(s)) {
			found = append(found, name)
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("%s holds the %s", what, strings.Join(found, " and the "))
	}
	return nil
}

// savedPlanExcludes fails when the saved plan holds a secret: the plan file
// itself (a zip of the plan, the prior state and the configuration) and
// `terraform show -json` of it, which is what the check receives.
type savedPlanExcludes struct {
	dir     string
	secrets map[string]string
}

func (c savedPlanExcludes) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	shown, err := json.Marshal(req.Plan)
	if err != nil {
		resp.Error = err
		return
	}
	if !bytes.Contains(shown, []byte(`"echo.test"`)) {
		resp.Error = fmt.Errorf("terraform show -json of the plan does not plan echo.test:\n%s", shown)
		return
	}
	if err := excludes("terraform show -json of the saved plan", shown, c.secrets); err != nil {
		resp.Error = err
		return
	}
	planFile, err := workFile(c.dir, "tfplan")
	if err != nil {
		resp.Error = err
		return
	}
	zr, err := zip.OpenReader(planFile)
	if err != nil {
		resp.Error = err
		return
	}
	defer zr.Close()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			resp.Error = err
			return
		}
		content, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			resp.Error = err
			return
		}
		if err := excludes("the plan file's "+f.Name, content, c.secrets); err != nil {
			resp.Error = err
			return
		}
	}
}

// stateFileExcludes fails when the state file, read from disk, holds a
// secret or any object but echo resources.
type stateFileExcludes struct {
	dir     string
	secrets map[string]string
}

func (c stateFileExcludes) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	stateFile, err := workFile(c.dir, "terraform.tfstate")
	if err != nil {
		resp.Error = err
		return
	}
	content, err := os.ReadFile(stateFile)
	if err != nil {
		resp.Error = err
		return
	}
	if !bytes.Contains(content, []byte(`"password_length": 28`)) {
		resp.Error = fmt.Errorf("the state file holds no echo data:\n%s", content)
		return
	}
	var state struct {
		Resources []struct{ Mode, Type, Name string }
	}
	if err := json.Unmarshal(content, &state); err != nil {
		resp.Error = err
		return
	}
	for _, r := range state.Resources {
		if r.Mode != "managed" || r.Type != "echo" {
			resp.Error = fmt.Errorf("the state file holds a %s %s.%s", r.Mode, r.Type, r.Name)
			return
		}
	}
	resp.Error = excludes("the state file", content, c.secrets)
}

// The schema describes every attribute, and ttl its default.
func TestTURNCredentialsEphemeralResourceSchema(t *testing.T) {
	t.Parallel()
	var resp ephemeral.SchemaResponse
	newTURNCredentialsEphemeralResource().Schema(context.Background(), ephemeral.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	if d := resp.Schema.ValidateImplementation(context.Background()); d.HasError() {
		t.Fatal(d)
	}
	for name, a := range resp.Schema.Attributes {
		if a.GetMarkdownDescription() == "" {
			t.Errorf("%s has no description", name)
		}
	}
	if d := resp.Schema.Attributes["ttl"].GetMarkdownDescription(); !strings.Contains(d, "Defaults to `"+defaultTURNCredentialTTL+"`") {
		t.Errorf("ttl does not say its default: %q", d)
	}
	for _, name := range []string{"shared_secret", "password"} {
		if !resp.Schema.Attributes[name].IsSensitive() {
			t.Errorf("%s is not sensitive", name)
		}
	}
}
