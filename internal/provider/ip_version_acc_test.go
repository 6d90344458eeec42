package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

const (
	// hostsNamespaceEnv is set in the re-executed test binary that runs in a
	// private mount namespace with its own /etc/hosts.
	hostsNamespaceEnv = "MEDIA_TEST_IN_HOSTS_NAMESPACE"
	dualStackName     = "mediatest.internal"
)

// A name that resolves to 127.0.0.1 and ::1, with a listener on 127.0.0.1
// only, fails for ::1 (every address is verified) and passes with
// ip_version = "ipv4". Here localhost maps to 127.0.0.1 alone, so the test
// runs itself again under `unshare -m` with a private /etc/hosts.
func TestAccReachability_ipVersion(t *testing.T) {
	if os.Getenv(hostsNamespaceEnv) == "1" {
		runIPVersionSteps(t)
		return
	}
	hosts := filepath.Join(t.TempDir(), "hosts")
	content := fmt.Sprintf("127.0.0.1 %s\n::1 %s\n", dualStackName, dualStackName)
	if err := os.WriteFile(hosts, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if reason := hostsNamespaceUnavailable(t, hosts); reason != "" {
		testnet.SkipOrFail(t, reason)
	}
	testnet.Loopback6(t) // skips without IPv6 loopback

	cmd := exec.CommandContext(t.Context(), "unshare", "-m", "--", "sh", "-c",
		`mount --bind "$1" /etc/hosts && exec "$2" -test.run '^TestAccReachability_ipVersion$' -test.v -test.count=1`,
		"sh", hosts, os.Args[0])
	cmd.Env = append(os.Environ(), hostsNamespaceEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in a private mount namespace with /etc/hosts = %q:\n%s", content, out)
	if err != nil {
		t.Fatalf("re-executed test failed: %v", err)
	}
}

// hostsNamespaceUnavailable says why a private /etc/hosts cannot be had, or
// "" when it can.
func hostsNamespaceUnavailable(t *testing.T, hosts string) string {
	if os.Geteuid() != 0 {
		return "needs root for unshare -m and mount --bind of a private /etc/hosts"
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return "unshare (util-linux) is not installed"
	}
	out, err := exec.CommandContext(t.Context(), "unshare", "-m", "--", "mount", "--bind", hosts, "/etc/hosts").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("cannot bind-mount /etc/hosts in a private mount namespace: %v: %s", err, out)
	}
	return ""
}

func runIPVersionSteps(t *testing.T) {
	port := testnet.TCPListener(t) // 127.0.0.1 only
	checks := checksHCL(check{"protocol": "tcp", "port": port})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: resourceConfig(dualStackName, checks, append(fast, `timeouts { create = "1s" }`)...),
				ExpectError: errorContaining(fmt.Sprintf(
					"tcp %s ([::1]:%d) from the machine running Terraform: closed", dualStackName, port)),
			},
			{
				Config: resourceConfig(dualStackName, checks, append(fast, `ip_version = "ipv4"`)...),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("results"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"address": knownvalue.StringExact("127.0.0.1"),
							"status":  knownvalue.StringExact("open"),
						}),
					})),
				},
			},
		},
	})
}
