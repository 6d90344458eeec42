package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// hardenedCoturn refuses every private, metadata and multicast peer, as the
// deny_private_peers failure tells an operator to configure it.
var hardenedCoturn = []string{
	"denied-peer-ip=10.0.0.0-10.255.255.255", "denied-peer-ip=172.16.0.0-172.31.255.255",
	"denied-peer-ip=192.168.0.0-192.168.255.255", "denied-peer-ip=100.64.0.0-100.127.255.255",
	"denied-peer-ip=169.254.0.0-169.254.255.255", "no-multicast-peers",
}

// A coturn deployment verified over UDP and TCP, with static credentials
// and with a TURN REST shared secret, a hardened relay passing
// deny_private_peers: the whole apply through real terraform.
func TestAccReachability_turnPasses(t *testing.T) {
	t.Parallel()
	static := testnet.Coturn(t, testnet.CoturnOptions{Users: map[string]string{"alice": "s3cret-pass"}, Extra: hardenedCoturn})
	rest := testnet.Coturn(t, testnet.CoturnOptions{Secret: "rest-secret-42"})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(
				hclCheck{"protocol": "turn", "port": static.Port, "turn": hclCheck{"username": "alice",
					"password": "s3cret-pass", "deny_private_peers": true}},
				hclCheck{"protocol": "turn", "transport": "tcp", "port": static.Port,
					"turn": hclCheck{"username": "alice", "password": "s3cret-pass"}},
				hclCheck{"protocol": "turn", "port": rest.Port,
					"turn": hclCheck{"shared_secret": "rest-secret-42", "username": "sfu"}},
			), fast...),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(resName, result(0), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"name": knownvalue.StringExact("turn/" + itoa(static.Port) + "/udp"), "status": knownvalue.StringExact("open"),
					"mapped_address": knownvalue.StringRegexp(regexpMust(`^127\.0\.0\.1:\d+$`)),
				})),
				statecheck.ExpectKnownValue(resName, result(1).AtMapKey("status"), knownvalue.StringExact("open")),
				statecheck.ExpectKnownValue(resName, result(2).AtMapKey("status"), knownvalue.StringExact("open")),
			},
		}},
	})
}

// Wrong credentials are an error naming 401, never filtered; a default
// coturn config fails deny_private_peers, naming what it granted.
func TestAccReachability_turnFails(t *testing.T) {
	t.Parallel()
	open := testnet.Coturn(t, testnet.CoturnOptions{Users: map[string]string{"alice": "s3cret-pass"}})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(
				hclCheck{"protocol": "turn", "port": open.Port, "turn": hclCheck{"username": "alice", "password": "wrong"}},
				hclCheck{"protocol": "turn", "port": open.Port, "name": "open-relay",
					"turn": hclCheck{"username": "alice", "password": "s3cret-pass", "deny_private_peers": true}},
			), append(fast, `on_failure = "warn"`, `error_timeout = "1s"`, `timeouts { create = "20s" }`)...),
			ExpectNonEmptyPlan: true,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(resName, result(0), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"status": knownvalue.StringExact("error"), "detail": knownvalue.StringRegexp(regexpMust(`401 Unauthorized`)),
				})),
				statecheck.ExpectKnownValue(resName, result(1), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"status": knownvalue.StringExact("error"),
					"detail": knownvalue.StringRegexp(regexpMust(`relays to private peers: .*169\.254\.169\.254.*denied-peer-ip=`)),
				})),
			},
		}},
	})
}

// A write-only password authenticates and never enters state; the
// sensitive one does, as documented.
func TestAccReachability_turnWriteOnlyPasswordNotInState(t *testing.T) {
	t.Parallel()
	const secret = "wo-pass-7f3a9c"
	srv := testnet.Coturn(t, testnet.CoturnOptions{Users: map[string]string{"alice": secret}})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(
				hclCheck{"protocol": "turn", "port": srv.Port, "turn": hclCheck{"username": "alice", "password_wo": secret}},
			), fast...),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				stateLacks(secret),
			},
		}},
	})
}

// Terraform before 1.11 loads the schema, write-only attributes and all,
// and takes a write-only argument for a plain one: the framework refuses it
// at validation, before any probe, so it never reaches state there either.
func TestAccReachability_turnWriteOnlyPasswordNeedsTerraform1_11(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{skipWithWriteOnly{}},
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(
				hclCheck{"protocol": "turn", "port": 3478, "turn": hclCheck{"username": "alice", "password_wo": "wo-pass"}},
			), fast...),
			ExpectError: errorContaining("Write-only attributes are only supported in Terraform 1.11 and later."),
		}},
	})
}

// skipWithWriteOnly skips a test on Terraform 1.11 and later, which support
// write-only arguments ("-dev" builds count as their release).
type skipWithWriteOnly struct{}

func (skipWithWriteOnly) CheckTerraformVersion(_ context.Context, req tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	if !req.TerraformVersion.Core().LessThan(tfversion.Version1_11_0) {
		resp.Skip = fmt.Sprintf("Terraform %s supports write-only arguments", req.TerraformVersion)
	}
}

// stateLacks fails when s appears anywhere in the state.
func stateLacks(s string) statecheck.StateCheck { return stateLacksCheck{s} }

type stateLacksCheck struct{ s string }

func (c stateLacksCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	b, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	if strings.Contains(string(b), c.s) {
		resp.Error = fmt.Errorf("the state holds the secret %q", c.s)
	}
}

// TURN credentials are complete and unambiguous at plan.
func TestValidation_turnCredentials(t *testing.T) {
	t.Parallel()
	turn := func(creds hclCheck) string {
		c := hclCheck{"protocol": "turn", "port": 3478}
		if creds != nil {
			c["turn"] = creds
		}
		return resourceConfig("127.0.0.1", checksHCL(c))
	}
	runPlanErrorCases(t, []planErrorCase{
		{"no turn object", turn(nil), "Attribute checks[0].turn needs credentials: username with password"},
		{"no credentials", turn(hclCheck{"realm": "example.com"}), "Attribute checks[0].turn needs credentials"},
		{"password without username", turn(hclCheck{"password": "x"}),
			"Attribute checks[0].turn.username is required with checks[0].turn.password."},
		{"password and secret", turn(hclCheck{"username": "a", "password": "x", "shared_secret": "y"}),
			"Attribute checks[0].turn sets both password and shared_secret"},
		{"ttl with password", turn(hclCheck{"username": "a", "password": "x", "credential_ttl": "2h"}),
			"Attribute checks[0].turn.credential_ttl applies only with shared_secret"},
		{"turn on stun", resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "stun", "port": 3478,
			"turn": hclCheck{"username": "a", "password": "x", "relay_check": true}})),
			`Attribute checks[0].turn applies only to protocol "turn"`},
		{"write-only with recheck", resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "turn", "port": 3478,
			"turn": hclCheck{"username": "a", "password_wo": "x"}}), "recheck_on_refresh = true"),
			"Attribute checks[0].turn.password_wo is write-only, so a refresh cannot read it"},
	})
}
