package provider

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"golang.org/x/sync/semaphore"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// renamedVantage is a fake remote vantage point: it verifies from this
// process, like Local, and reports under another name.
type renamedVantage struct {
	name  string
	inner vantage.Vantage
}

func (v renamedVantage) Name() string { return v.name }

func (v renamedVantage) Verify(ctx context.Context, req vantage.Request, w vantage.Watcher) (verify.Report, error) {
	rep, err := v.inner.Verify(ctx, req, w)
	rep.Vantage = v.name
	for i := range rep.Results {
		rep.Results[i].Vantage = v.name
	}
	return rep, err
}

// failingVantage is a fake remote vantage point that fails at once, as an
// agent that refuses the token does.
type failingVantage struct {
	name string
	err  error
}

func (v failingVantage) Name() string { return v.name }

func (v failingVantage) Verify(_ context.Context, req vantage.Request, _ vantage.Watcher) (verify.Report, error) {
	return verify.Report{Vantage: v.name, Host: req.Host}, v.err
}

// fakeRemotes builds agents named in failing as failingVantage (with that
// error), and every other agent as a renamedVantage over loopback.
func fakeRemotes(failing map[string]error) RemoteFactory {
	local := vantage.Local{Deps: verify.Deps{Clock: verify.RealClock{}, Limit: semaphore.NewWeighted(64),
		Rates: verify.NewRates()}}
	return func(a agentConfig) (vantage.Vantage, error) {
		if err, ok := failing[a.Name]; ok {
			return failingVantage{name: a.Name, err: err}, nil
		}
		return renamedVantage{name: a.Name, inner: local}, nil
	}
}

// agentsProvider is a provider block with the named agents on loopback URLs.
func agentsProvider(names ...string) string {
	agents := ""
	for i, n := range names {
		agents += fmt.Sprintf("    { name = %q, url = \"http://127.0.0.1:%d\", token = \"secret\" },\n", n, 9000+i)
	}
	return "provider \"media\" {\n  agents = [\n" + agents + "  ]\n}\n"
}

func vantageRow(v string) knownvalue.Check {
	return knownvalue.ObjectPartial(map[string]knownvalue.Check{
		"vantage": knownvalue.StringExact(v), "status": knownvalue.StringExact("open"),
		"address": knownvalue.StringExact("127.0.0.1"),
	})
}

// Every selected vantage point verifies, one row each in vantage_points
// order; unset, vantage_points means every agent; ["local"] restricts to
// the machine running Terraform.
func TestAccVantagePoints_rowsPerVantage(t *testing.T) {
	t.Parallel()
	port := testnet.TCPListener(t)
	checks := checksHCL(hclCheck{"protocol": "tcp", "port": port})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithRemoteFactory(fakeRemotes(nil))),
		Steps: []resource.TestStep{{
			Config: agentsProvider("eu-west") +
				resourceConfig("127.0.0.1", checks, append(fast, `vantage_points = ["eu-west", "local"]`)...),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("results"), knownvalue.ListExact([]knownvalue.Check{
					vantageRow("eu-west"), vantageRow("local"),
				})),
			},
		}, {
			Config: agentsProvider("eu-west", "us-east") + resourceConfig("127.0.0.1", checks, fast...),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("results"), knownvalue.ListExact([]knownvalue.Check{
					vantageRow("eu-west"), vantageRow("us-east"),
				})),
			},
		}, {
			Config: agentsProvider("eu-west") +
				resourceConfig("127.0.0.1", checks, append(fast, `vantage_points = ["local"]`)...),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("results"), knownvalue.ListExact([]knownvalue.Check{
					vantageRow("local"),
				})),
			},
		}},
	})
}

// A remote vantage point that fails fails the apply, naming it and what it
// said, although the same port passes from the machine running Terraform.
func TestAccVantagePoints_failingRemoteFailsApply(t *testing.T) {
	t.Parallel()
	port := testnet.TCPListener(t)
	refused := errors.New("agent eu-west refused the token (401 Unauthorized)")
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithRemoteFactory(fakeRemotes(map[string]error{"eu-west": refused}))),
		Steps: []resource.TestStep{{
			Config: agentsProvider("eu-west") + resourceConfig("127.0.0.1",
				checksHCL(hclCheck{"protocol": "tcp", "port": port}),
				append(fast, `vantage_points = ["local", "eu-west"]`, `timeouts { create = "5s" }`)...),
			ExpectError: errorContaining(`"127.0.0.1" did not pass every check from vantage point "eu-west" within ` +
				`the create timeout of 5s. Vantage point "eu-west" (http://127.0.0.1:9000) failed: agent eu-west refused the token ` +
				`(401 Unauthorized). Nothing from there counts as a pass.`),
		}},
	})
}

// An unknown name in vantage_points fails the plan, naming it and the known
// vantage points.
func TestAccVantagePoints_unknownName(t *testing.T) {
	t.Parallel()
	port := testnet.TCPListener(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithRemoteFactory(fakeRemotes(nil))),
		Steps: []resource.TestStep{{
			Config: agentsProvider("eu-west") + resourceConfig("127.0.0.1",
				checksHCL(hclCheck{"protocol": "tcp", "port": port}), `vantage_points = ["local", "us-east"]`),
			PlanOnly: true,
			ExpectError: errorContaining(`vantage_points[1] is "us-east", which this provider does not know. ` +
				`Known vantage points: "local", "eu-west"`),
		}},
	})
}

// The data source reports a failed remote vantage point as
// reachable = false with a warning, and keeps the rows of the others.
func TestAccVantagePoints_dataSourceFailingRemote(t *testing.T) {
	t.Parallel()
	port := testnet.TCPListener(t)
	refused := errors.New("agent eu-west refused the target 127.0.0.1: not in its allowlist")
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithRemoteFactory(fakeRemotes(map[string]error{"eu-west": refused}))),
		Steps: []resource.TestStep{{
			Config: agentsProvider("eu-west") + fmt.Sprintf(`
data "media_server_reachability" "test" {
  host           = "127.0.0.1"
  checks         = %s
  vantage_points = ["local", "eu-west"]
}
`, checksHCL(hclCheck{"protocol": "tcp", "port": port})),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("reachable"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("results"), knownvalue.ListExact([]knownvalue.Check{
					vantageRow("local"),
				})),
			},
		}},
	})
}

// Provider-block mistakes fail Configure, each at its attribute.
func TestAccVantagePoints_agentsConfigErrors(t *testing.T) {
	t.Parallel()
	port := testnet.TCPListener(t)
	res := resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "port": port}), fast...)
	step := func(provider, want string) resource.TestStep {
		return resource.TestStep{Config: provider + res, PlanOnly: true, ExpectError: errorContaining(want)}
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithRemoteFactory(fakeRemotes(nil))),
		Steps: []resource.TestStep{
			step(`provider "media" {
  agents = [{ name = "no-token-zz9", url = "https://agent.example.com" }]
}
`, `Agent "no-token-zz9" (https://agent.example.com) has no token: set token in its block, or the environment `+
				`variable MEDIA_AGENT_TOKEN_NO_TOKEN_ZZ9.`),
			step(agentsProvider("eu-west", "eu-west"), `Agent name "eu-west" is used by agents[0] and agents[1]`),
			step(`provider "media" {
  agents = [{ name = "eu-west", url = "http://agent.example.com", token = "x" }]
}
`, `http is allowed only for a loopback host`),
			step(agentsProvider("local"), `agents[0].name`),
			step(agentsProvider("EU_West"), `must be lowercase letters, digits and -`),
		},
	})
}
