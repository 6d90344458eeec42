//go:build linux

package scenario

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// labApplyTimeout bounds one terraform command in the lab.
const labApplyTimeout = 60 * time.Second

// labChecks are the media ports every server must answer.
const labChecks = `[
    { protocol = "tcp", port = 443 },
    { protocol = "stun", transport = "udp", port = 3478 },
    { protocol = "stun", transport = "tcp", port = 3478 },
    { name = "rtp", protocol = "stun", transport = "udp", port_range = "10000-10019" },
  ]`

// labConfig is the provider block with the lab's agent, then one
// media_server_reachability per server (extra lines added to each) and a
// "rotation" terraform_data that depends on it, as a load balancer entry would.
func labConfig(l *lab, servers []labServer, extra ...string) string {
	return labConfigToken(l, labToken, servers, extra...)
}

// labConfigToken is labConfig with the agent token given.
func labConfigToken(l *lab, token string, servers []labServer, extra ...string) string {
	var b strings.Builder
	b.WriteString(labProvider(l, token))
	for _, s := range servers {
		id := strings.ReplaceAll(s.Name, "-", "_")
		b.WriteString(labResource(id, s.Addr, labChecks, "5s", extra...))
		fmt.Fprintf(&b, `
resource "terraform_data" "rotation_%s" {
  input      = %q
  depends_on = [media_server_reachability.%s]
}
`, id, s.Addr, id)
	}
	return b.String()
}

// labProvider is the terraform block and the provider block with the lab's
// agent and the token given.
func labProvider(l *lab, token string) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    media = { source = "mediareach/media" }
  }
}

provider "media" {
  agents = [{ name = %q, url = %q, token = %q, ca_cert_pem = %q }]
}
`, labAgentName, l.AgentURL(), token, string(l.AgentCAPEM))
}

// labResource is one media_server_reachability called id: checks (an HCL
// list), a poll every 200ms, the create timeout given and extra lines.
func labResource(id, host, checks, create string, extra ...string) string {
	return fmt.Sprintf(`
resource "media_server_reachability" %q {
  host          = %q
  checks        = %s
  poll_interval = "200ms"
  %s
  timeouts {
    create = %q
  }
}
`, id, host, checks, strings.Join(extra, "\n  "), create)
}

// terraformRun is the outcome of one terraform command in the VPC.
type terraformRun struct {
	Out string
	Err error
}

// Terraform runs terraform with args in dir from the VPC namespace, with a
// CLI configuration whose dev_overrides point at the built provider.
func (l *lab) Terraform(t *testing.T, dir string, timeout time.Duration, args ...string) terraformRun {
	t.Helper()
	rc := l.cliConfig(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	terraform, _ := exec.LookPath("terraform")
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.VPC, terraform}, args...)...)
	cmd.Dir = dir
	env := []string{}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "MEDIA_AGENT_TOKEN") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE="+rc)
	out, err := cmd.CombinedOutput()
	return terraformRun{Out: string(out), Err: err}
}

// cliConfig writes dir's CLI configuration unless it exists, and returns
// its path. A test that runs Terraform on another goroutine calls it first,
// so that only the test's goroutine can fail here.
func (l *lab) cliConfig(t *testing.T, dir string) string {
	t.Helper()
	rc := filepath.Join(dir, ".terraformrc")
	if _, err := os.Stat(rc); err != nil {
		cfg := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"mediareach/media\" = %q\n  }\n  direct {}\n}\n", l.Bin.ProviderDir)
		if err := os.WriteFile(rc, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return rc
}

func writeLabConfig(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The incident, replayed: from the internet agent, media-1 and media-2 pass
// and go into rotation; media-3 fails naming udp/3478 filtered from the
// agent, and stays out of rotation. From inside the VPC, media-3 passes
// (its security group accepts 10/8), with the inside-only warning.
func TestLabIncident(t *testing.T) {
	start := time.Now()
	l := newLab(t)
	t.Logf("lab up in %s", time.Since(start).Round(time.Millisecond))

	t.Run("from the internet agent", func(t *testing.T) {
		dir := writeLabConfig(t, labConfig(l, labServers))
		began := time.Now()
		run := l.Terraform(t, dir, labApplyTimeout, "apply", "-auto-approve", "-input=false", "-no-color")
		t.Logf("terraform apply took %s", time.Since(began).Round(time.Millisecond))
		if run.Err == nil {
			t.Fatalf("terraform apply succeeded, want media-3 to fail:\n%s", run.Out)
		}
		t.Logf("apply error:\n%s", errorPart(run.Out))
		// One line in the error names the check, the address and the vantage.
		want := regexp.MustCompile(`stun/udp 198\.51\.100\.13 \(198\.51\.100\.13:3478\) from vantage point "` +
			labAgentName + `": filtered after \d+ attempts`)
		if !want.MatchString(oneLine(run.Out)) {
			t.Errorf("apply error does not name stun/udp 198.51.100.13:3478 filtered from agent %q:\n%s", labAgentName, run.Out)
		}
		// The agent ran out of the time it was given: that is the verdict,
		// not a failure of the agent (no advice about tokens or allowlists).
		if strings.Contains(oneLine(run.Out), "Nothing from there counts as a pass") {
			t.Errorf("apply error treats the agent's timeout as a failed agent:\n%s", run.Out)
		}
		for _, wrongly := range []string{"198.51.100.11", "198.51.100.12"} {
			if strings.Contains(errorPart(run.Out), wrongly) {
				t.Errorf("apply error mentions %s, which passed:\n%s", wrongly, run.Out)
			}
		}
		state := l.Terraform(t, dir, labApplyTimeout, "state", "list")
		if state.Err != nil {
			t.Fatalf("terraform state list: %v\n%s", state.Err, state.Out)
		}
		t.Logf("state after apply:\n%s", state.Out)
		for _, addr := range []string{
			"media_server_reachability.media_1", "media_server_reachability.media_2",
			"terraform_data.rotation_media_1", "terraform_data.rotation_media_2",
		} {
			if !hasLine(state.Out, addr) {
				t.Errorf("state lacks %s", addr)
			}
		}
		for _, addr := range []string{"media_server_reachability.media_3", "terraform_data.rotation_media_3"} {
			if hasLine(state.Out, addr) {
				t.Errorf("state holds %s, which must not be created", addr)
			}
		}
		for _, s := range labServers {
			n := l.FromAgent(t, l.Servers[s.Name])
			t.Logf("%s: %d packets from the agent", s.Name, n)
			if n == 0 {
				t.Errorf("%s counted no packet from the agent, which probed it", s.Name)
			}
		}
	})

	t.Run("from inside the vpc", func(t *testing.T) {
		dir := writeLabConfig(t, labConfig(l, labServers[2:], `vantage_points = ["local"]`))
		began := time.Now()
		run := l.Terraform(t, dir, labApplyTimeout, "apply", "-auto-approve", "-input=false", "-no-color")
		t.Logf("terraform apply took %s", time.Since(began).Round(time.Millisecond))
		if run.Err != nil {
			t.Fatalf("terraform apply from inside failed: %v\n%s", run.Err, run.Out)
		}
		t.Logf("apply output from the warning on:\n%s", fromWarning(run.Out))
		flat := oneLine(run.Out)
		if !strings.Contains(flat, "Passed from inside the network only") {
			t.Errorf("no inside-only warning:\n%s", run.Out)
		}
		if !regexp.MustCompile(`reached 198\.51\.100\.13 from ` + regexp.QuoteMeta(labRunnerAddr)).MatchString(flat) {
			t.Errorf("the warning does not say the runner reached 198.51.100.13 from %s:\n%s", labRunnerAddr, run.Out)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		dir := writeLabConfig(t, labConfigToken(l, "not-the-lab-token-0123456789", labServers[:1]))
		run := l.Terraform(t, dir, labApplyTimeout, "apply", "-auto-approve", "-input=false", "-no-color")
		t.Logf("apply error:\n%s", errorPart(run.Out))
		if run.Err == nil {
			t.Fatalf("terraform apply succeeded with a wrong token:\n%s", run.Out)
		}
		if !regexp.MustCompile(`Vantage point "` + labAgentName + `".*refused the token \(401\)`).MatchString(oneLine(run.Out)) {
			t.Errorf("apply error does not say agent %q refused the token:\n%s", labAgentName, run.Out)
		}
		if strings.Contains(run.Out, "not-the-lab-token") {
			t.Errorf("the token appears in terraform's output:\n%s", run.Out)
		}
	})

	t.Run("target outside the allowlist", func(t *testing.T) {
		bystander := labServer{Name: "bystander", Addr: labBystander}
		dir := writeLabConfig(t, labConfig(l, []labServer{bystander}))
		run := l.Terraform(t, dir, labApplyTimeout, "apply", "-auto-approve", "-input=false", "-no-color")
		t.Logf("apply error:\n%s", errorPart(run.Out))
		if run.Err == nil {
			t.Fatalf("terraform apply succeeded for a target outside the allowlist:\n%s", run.Out)
		}
		if !regexp.MustCompile(`Vantage point "` + labAgentName + `".*refused the target \(403\).*` +
			regexp.QuoteMeta(labBystander)).MatchString(oneLine(run.Out)) {
			t.Errorf("apply error does not say agent %q refused %s:\n%s", labAgentName, labBystander, run.Out)
		}
		if n := l.FromAgent(t, l.Bystander); n != 0 {
			t.Errorf("%d packets from the agent reached %s, outside its allowlist", n, labBystander)
		}
	})
	t.Logf("lab total %s", time.Since(start).Round(time.Millisecond))
}

// oneLine joins terraform's wrapped output so a regexp can span it.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "│", " ")
	return strings.Join(strings.Fields(s), " ")
}

// errorPart is terraform's output from the first "Error:" on.
func errorPart(s string) string {
	if i := strings.Index(s, "Error:"); i >= 0 {
		return s[i:]
	}
	return ""
}

// fromWarning is terraform's output from the first "Warning:" on.
func fromWarning(s string) string {
	if i := strings.Index(s, "Warning:"); i >= 0 {
		return s[i:]
	}
	return ""
}

func hasLine(s, line string) bool {
	for l := range strings.Lines(s) {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
