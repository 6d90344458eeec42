package agentapi

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoPrometheusOutsideAgent: the provider binary and this package must
// not link client_golang (its init cost and globals stay in the agent).
func TestNoPrometheusOutsideAgent(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: " + err.Error())
	}
	for _, pkg := range []string{
		"github.com/mediareach/terraform-provider-media",
		"github.com/mediareach/terraform-provider-media/internal/agent/agentapi",
	} {
		out, err := exec.CommandContext(t.Context(), gobin, "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		if strings.Contains(string(out), "github.com/prometheus/") {
			t.Errorf("%s depends on a prometheus package", pkg)
		}
	}
}
