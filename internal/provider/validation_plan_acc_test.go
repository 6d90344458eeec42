package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// dataSourceConfig is a media_server_reachability "test" data source on
// host with the given checks and extra attribute lines.
func dataSourceConfig(host string, checks string, extra ...string) string {
	return fmt.Sprintf(`
data "media_server_reachability" "test" {
  host   = %q
  checks = %s
  %s
}
`, host, checks, strings.Join(extra, "\n  "))
}

// planErrorCase is a configuration that must fail at plan, for the resource
// or the data source, with an error containing want.
type planErrorCase struct {
	name   string
	config string
	want   string // literal text of the error; line wrapping is ignored
}

func runPlanErrorCases(t *testing.T, cases []planErrorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      tc.config,
					PlanOnly:    true,
					ExpectError: errorContaining(tc.want),
				}},
			})
		})
	}
}

// bothKinds makes a resource and a data source case of the same input.
func bothKinds(name, host, checks, extra, want string) []planErrorCase {
	return []planErrorCase{
		{name + " (resource)", resourceConfig(host, checks, extra), want},
		{name + " (data source)", dataSourceConfig(host, checks, extra), want},
	}
}

var tcp1 = checksHCL(hclCheck{"protocol": "tcp", "port": 1})

// planHost is the host of cases that fail at plan. A data source with known
// configuration is read during plan, so if validation let one of them pass
// it would probe: loopback answers at once, where a TEST-NET address would
// keep the test waiting for the read timeout.
const planHost = "127.0.0.1"

// An unspecified address, however written, would probe the machine running
// Terraform; names that getaddrinfo reads as IPv4 addresses could too.
func TestValidation_unspecifiedHost(t *testing.T) {
	t.Parallel()
	const prefix = `Attribute host must be an IP address or a DNS name such as "turn.example.com", without scheme, ` +
		`port or path (ports go in checks) `
	var cases []planErrorCase
	for _, tc := range []struct{ host, why string }{
		{"0.0.0.0", "0.0.0.0 is the unspecified address, which reaches the machine running Terraform itself"},
		{"::", ":: is the unspecified address, which reaches the machine running Terraform itself"},
		{"[::]", ":: is the unspecified address"},
		{"::ffff:0.0.0.0", "::ffff:0.0.0.0 is the unspecified address"},
		{"0", "it reads as an IPv4 address in a short or non-decimal form; write four decimal numbers such as 203.0.113.10"},
		{"0x0", "it reads as an IPv4 address in a short or non-decimal form"},
	} {
		cases = append(cases, bothKinds(tc.host, tc.host, tcp1, "", prefix+"("+tc.why)...)
	}
	runPlanErrorCases(t, cases)
}

// sample may not exceed the per-check cap, whatever the range: each of these
// passed plan before, and probed 60,000 ports or failed at apply.
func TestValidation_sampleCap(t *testing.T) {
	t.Parallel()
	var cases []planErrorCase
	for _, sample := range []int{16385, 60000, 65535} {
		checks := checksHCL(hclCheck{"protocol": "tcp", "port_range": "1-65535", "sample": sample})
		cases = append(cases, bothKinds(fmt.Sprintf("sample %d", sample), planHost, checks, "",
			fmt.Sprintf("Attribute checks[0].sample value must be between 2 and 16384, got: %d", sample))...)
	}
	// A null port passed plan, then the engine found no port at apply.
	cases = append(cases, bothKinds("null in ports", planHost, `[{ protocol = "tcp", ports = [80, null] }]`, "",
		"Attribute checks[0].ports[1] is null; each element of checks[0].ports must be a port from 1 to 65535.")...)
	runPlanErrorCases(t, cases)
}

// Numbers that a float64 cannot hold used to fail with the framework's
// "This is always an error in the provider"; now every out-of-range rate
// names the attribute and the range.
func TestValidation_maxProbeRate(t *testing.T) {
	t.Parallel()
	const want = "Attribute max_probe_rate must be a number from 0.01 to 1000000, got: "
	var cases []planErrorCase
	for _, tc := range []struct{ value, got string }{
		{"1e400", "1e+400"},
		{"-1e400", "-1e+400"},
		{"1e-400", "1e-400"},
		{"1/0", "+Inf"},
		{"-1", "-1"},
		{"0.001", "0.001"},
		{"1e7", "10000000"},
	} {
		cases = append(cases, bothKinds(tc.value, planHost, tcp1, "max_probe_rate = "+tc.value, want+tc.got)...)
	}
	runPlanErrorCases(t, cases)
}

// An IP literal that ip_version excludes used to pass plan and then retry an
// empty resolution until the create timeout.
func TestValidation_ipVersionExcludesHost(t *testing.T) {
	t.Parallel()
	var cases []planErrorCase
	cases = append(cases, bothKinds("::1 with ipv4", "::1", tcp1, `ip_version = "ipv4"`,
		`Attribute ip_version is "ipv4", but host "::1" is an IPv6 address, so there would be no address to `+
			`verify. Set ip_version to "ipv6" or "any", or use an IPv4 address as host.`)...)
	cases = append(cases, bothKinds("IPv4 with ipv6", "127.0.0.1", tcp1, `ip_version = "ipv6"`,
		`Attribute ip_version is "ipv6", but host "127.0.0.1" is an IPv4 address, so there would be no address `+
			`to verify. Set ip_version to "ipv4" or "any", or use an IPv6 address as host.`)...)
	cases = append(cases, bothKinds("mapped with ipv6", "::ffff:127.0.0.1", tcp1, `ip_version = "ipv6"`,
		`host "::ffff:127.0.0.1" is the IPv4 address 127.0.0.1 written as IPv4-mapped IPv6, and is verified as IPv4`)...)
	runPlanErrorCases(t, cases)
}

// A timeout of zero or less used to pass plan and fail the operation at once.
func TestValidation_timeouts(t *testing.T) {
	t.Parallel()
	want := func(name, value string) string {
		return fmt.Sprintf(`Attribute timeouts.%s must be a positive duration such as "30s" or "10m", got: %q.`,
			name, value)
	}
	block := func(name, value string) string {
		return fmt.Sprintf("timeouts {\n    %s = %q\n  }", name, value)
	}
	var cases []planErrorCase
	for _, tc := range []struct{ name, value string }{
		{"create", "-5s"}, {"create", "0s"}, {"update", "0s"}, {"update", "-1h"}, {"read", "0s"}, {"read", "-1ms"},
	} {
		cases = append(cases, planErrorCase{"resource " + tc.name + " " + tc.value,
			resourceConfig(planHost, tcp1, block(tc.name, tc.value)), want(tc.name, tc.value)})
	}
	for _, v := range []string{"0s", "-5s"} {
		cases = append(cases, planErrorCase{"data source read " + v,
			dataSourceConfig(planHost, tcp1, block("read", v)), want("read", v)})
	}
	runPlanErrorCases(t, cases)
}

// Every check needs its own name, written or default.
func TestValidation_duplicateNames(t *testing.T) {
	t.Parallel()
	var cases []planErrorCase
	cases = append(cases, bothKinds("same name", planHost, checksHCL(
		hclCheck{"protocol": "tcp", "port": 1, "name": "media"},
		hclCheck{"protocol": "tcp", "port": 2},
		hclCheck{"protocol": "stun", "port": 3478, "name": "media"},
	), "", `Attribute checks[2].name is "media", which checks[0].name already is.`)...)
	cases = append(cases, bothKinds("name is another's default", planHost, checksHCL(
		hclCheck{"protocol": "tcp", "port": 443},
		hclCheck{"protocol": "tls", "port": 443, "name": "tcp/443"},
	), "", `Attribute checks[1].name is "tcp/443", which is the default name of checks[0] (it has no name).`)...)
	cases = append(cases, bothKinds("default is another's name", planHost, checksHCL(
		hclCheck{"protocol": "tls", "port": 443, "name": "stun/3478/udp"},
		hclCheck{"protocol": "stun", "port": 3478},
	), "", `Attribute checks[1].name is not set, so it defaults to "stun/3478/udp", which checks[0].name already is.`)...)
	runPlanErrorCases(t, cases)
}

// Values unknown at plan (here from terraform_data, known only after apply)
// are not judged: each of these would be refused if it were known.
func TestValidation_unknownValuesPassPlan(t *testing.T) {
	t.Parallel()
	const unknowns = `
resource "terraform_data" "host" {
  input = "::1"
}
resource "terraform_data" "n" {
  input = 60000
}
`
	checks := `[
    { protocol = "tcp", port_range = "1-65535", sample = terraform_data.n.output },
    { protocol = "tcp", port = 1, name = terraform_data.host.output },
    { protocol = "tcp", port = 1, name = terraform_data.host.output },
    { protocol = "tcp", ports = [80, terraform_data.n.output] },
  ]`
	extra := []string{`ip_version = "ipv4"`, "max_probe_rate = terraform_data.n.output * 1e400",
		"timeouts {\n    read = \"${terraform_data.n.output}s\"\n  }"}
	for _, kind := range []string{"resource", "data source"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			config := resourceConfig("${terraform_data.host.output}", checks, extra...)
			if kind == "data source" {
				config = dataSourceConfig("${terraform_data.host.output}", checks, extra...)
			}
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:             unknowns + config,
					PlanOnly:           true,
					ExpectNonEmptyPlan: true,
				}},
			})
		})
	}
}
