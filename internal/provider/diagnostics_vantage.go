package provider

import (
	"fmt"
	"strings"

	"github.com/mediareach/terraform-provider-media/internal/vantage"
)

// runProblems explains, per vantage point, a vantage point that failed and
// a host that gave it no address to verify.
func runProblems(runs []vantageRun, req vantage.Request) []string {
	var lines []string
	for _, run := range runs {
		if run.failed() {
			lines = append(lines, vantageProblem(run))
			if len(run.report.Results) == 0 {
				continue // it verified nothing: there is nothing to resolve either
			}
		}
		if line := resolutionProblem(run.report, req); line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// vantageProblem explains a vantage point that failed: which, what it
// said, and what to do.
func vantageProblem(run vantageRun) string {
	if run.name == vantage.LocalName || run.name == "" {
		return fmt.Sprintf("The machine running Terraform could not verify: %s. Nothing from there counts as a pass.",
			run.err)
	}
	agent := fmt.Sprintf("%q", run.name)
	if run.url != "" {
		agent += " (" + run.url + ")"
	}
	return fmt.Sprintf("Vantage point %s failed: %s. Nothing from there counts as a pass. Check that the agent is "+
		"running and reachable at that URL from the machine running Terraform, that its token (token, or "+
		"%s) is one the agent accepts, and that the agent's allowlist includes this host.",
		agent, run.err, agentTokenEnv(run.name))
}

// failingRuns names the vantage points that did not pass.
func failingRuns(runs []vantageRun) []string {
	var names []string
	for _, r := range runs {
		if !r.report.Reachable || r.err != nil {
			names = append(names, r.name)
		}
	}
	return names
}

// fromVantages says where probes failed from: "from the machine running
// Terraform", "from vantage point "eu-west"", "from vantage points "a" and
// "b"" (local is named as "local").
func fromVantages(names []string) string {
	if len(names) == 1 {
		return fromVantage(names[0])
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	if len(quoted) == 0 {
		return "from every vantage point"
	}
	last := quoted[len(quoted)-1]
	return "from vantage points " + strings.Join(quoted[:len(quoted)-1], ", ") + " and " + last
}
