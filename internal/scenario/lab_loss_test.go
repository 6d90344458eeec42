//go:build linux

package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/agent/agentapi"
	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// roleAgentRuns sends one request to the agent many times (agentRunsArgs)
// and prints every outcome as one JSON line ([]agentRun).
const roleAgentRuns = "agent-runs"

// agentRunsArgs are Runs verifications of Request through the agent, by
// Workers at once, each given Timeout. The agent runs 4 at once per token
// and frees a run's slot just after its report line, so 2 workers never
// meet its busy 429; the 110 requests stay within its per-minute rate.
type agentRunsArgs struct {
	Remote        agentapi.RemoteOptions
	Request       vantage.Request
	Runs, Workers int
	Timeout       time.Duration
}

// agentRun is one verification's outcome.
type agentRun struct {
	Passed   bool
	Err      string
	Elapsed  time.Duration
	Status   map[string]string // by row name
	Attempts map[string]int
}

// labDefaults is the resource's policy when nothing is set (the defaults in
// internal/provider/server_reachability_schema.go).
var labDefaults = verify.Policy{
	Interval: 50 * time.Millisecond, AttemptTimeout: 2 * time.Second,
	MaxProbeRate: 500, ConsecutiveSuccesses: 1, ErrorTimeout: 2 * time.Minute,
}

// runAgentRuns plays roleAgentRuns: it says runningLine, runs, and prints.
func runAgentRuns(raw string) error {
	var a agentRunsArgs
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return err
	}
	remote, err := agentapi.NewRemote(a.Remote)
	if err != nil {
		return err
	}
	fmt.Println(runningLine)
	out := make([]agentRun, a.Runs)
	next := make(chan int)
	var wg sync.WaitGroup
	for range a.Workers {
		wg.Go(func() {
			for i := range next {
				out[i] = agentOnce(remote, a)
			}
		})
	}
	for i := range a.Runs {
		next <- i
	}
	close(next)
	wg.Wait()
	return json.NewEncoder(os.Stdout).Encode(out)
}

func agentOnce(remote *agentapi.Remote, a agentRunsArgs) agentRun {
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), a.Timeout)
	defer cancel()
	rep, err := remote.Verify(ctx, a.Request, vantage.Watcher{})
	run := agentRun{Passed: err == nil && rep.Reachable, Elapsed: time.Since(began), Status: map[string]string{}, Attempts: map[string]int{}}
	if err != nil {
		run.Err = err.Error()
	}
	for _, r := range rep.Results {
		run.Status[r.Name], run.Attempts[r.Name] = r.Status.String(), r.Attempts
	}
	return run
}

// agentRuns runs a in the VPC and returns the outcomes.
func (l *lab) agentRuns(t *testing.T, a agentRunsArgs, within time.Duration) []agentRun {
	t.Helper()
	a.Remote = agentapi.RemoteOptions{Name: labAgentName, URL: l.AgentURL(), Token: labToken, CACertPEM: string(l.AgentCAPEM)}
	c := startChild(t, l.VPC, roleAgentRuns, a, within)
	if line := c.next(t, startWithin); line != runningLine {
		t.Fatalf("%s said %q, want %q", c.name, line, runningLine)
	}
	var runs []agentRun
	if line := c.next(t, within); json.Unmarshal([]byte(line), &runs) != nil || len(runs) != a.Runs {
		t.Fatalf("%s printed %q, want %d runs", c.name, line, a.Runs)
	}
	return runs
}

// lossRE reads the loss rules' counters from `nft list table`.
var lossRE = regexp.MustCompile(`numgen random mod 100 < 30 counter packets (\d+)`)

// lossCounts reads the loss rules' counters in the router: packets dropped
// on the way to media-3, and on the way back to the agent.
func lossCounts(t *testing.T, router string) (toServer, toAgent int) {
	t.Helper()
	table := nsRun(t, router, nil, "nft", "list", "table", "inet", "loss")
	m := lossRE.FindAllStringSubmatch(table, -1)
	if len(m) != 2 {
		t.Fatalf("want two loss counters in:\n%s", table)
	}
	toServer, _ = strconv.Atoi(m[0][1])
	toAgent, _ = strconv.Atoi(m[1][1])
	return toServer, toAgent
}

// 30% of the packets each way between the agent and media-3 are dropped
// at random (the router's forward hook; netem is not needed). Through the
// agent, at the resource's defaults: 100 verifications of open ports
// (stun/udp 10000 and tcp/443) must all pass, and 10 of the port media-3's
// security group drops (udp/3478) must all fail.
func TestLabLoss(t *testing.T) {
	start := time.Now()
	l := newLab(t)
	t.Logf("lab up in %s", time.Since(start).Round(time.Millisecond))
	media3 := labServers[2]
	rule := func(from, to string) string {
		return fmt.Sprintf("ip saddr %s ip daddr %s numgen random mod 100 < 30 counter drop", from, to)
	}
	nsRun(t, l.Router, strings.NewReader("table inet loss {\n\tchain forward {\n"+
		"\t\ttype filter hook forward priority 0; policy accept;\n"+
		"\t\t"+rule(labAgentAddr, media3.Addr)+"\n\t\t"+rule(media3.Addr, labAgentAddr)+"\n\t}\n}\n"), "nft", "-f", "-")

	const runs, dropRuns = 100, 10
	open := l.agentRuns(t, agentRunsArgs{
		Request: vantage.Request{Host: media3.Addr, IPVersion: verify.IPv4, Policy: labDefaults, Checks: []check.Spec{
			{Protocol: "stun", Transport: "udp", Port: 10000},
			{Protocol: "tcp", Port: 443},
		}},
		Runs: runs, Workers: 2, Timeout: 10 * time.Second,
	}, 45*time.Second)
	tallyRuns(t, "open ports", open, "open")
	toServer, toAgent := lossCounts(t, l.Router)
	t.Logf("open ports: the loss rules dropped %d packets to media-3 and %d to the agent", toServer, toAgent)
	if toServer+toAgent == 0 {
		t.Errorf("the loss rules dropped nothing")
	}

	dropped := l.agentRuns(t, agentRunsArgs{
		Request: vantage.Request{Host: media3.Addr, IPVersion: verify.IPv4, Policy: labDefaults, Checks: []check.Spec{
			{Protocol: "stun", Transport: "udp", Port: 3478},
		}},
		Runs: dropRuns, Workers: 2, Timeout: 2500 * time.Millisecond,
	}, 15*time.Second)
	tallyRuns(t, "dropped port", dropped, "filtered")
	s2, a2 := lossCounts(t, l.Router)
	t.Logf("dropped port: the loss rules dropped %d more packets to media-3 and %d to the agent", s2-toServer, a2-toAgent)

	t.Logf("lab loss total %s", time.Since(start).Round(time.Millisecond))
}

// tallyRuns logs runs' figures and fails on a run whose verdict is not
// wantPass: a false failure, or a false pass.
func tallyRuns(t *testing.T, what string, runs []agentRun, want string) {
	t.Helper()
	wantPass := want == "open"
	attempts, retried, wrong := map[string]int{}, map[string]int{}, 0
	var took []time.Duration
	for i, r := range runs {
		for name, n := range r.Attempts {
			attempts[name] += n
			if n > 1 {
				retried[name]++
			}
		}
		took = append(took, r.Elapsed.Round(time.Millisecond))
		// Every row must say what the agent saw: a run that failed for
		// another reason (a 429, an unreachable agent) proves nothing.
		rowsAsWanted := len(r.Status) > 0
		for _, st := range r.Status {
			rowsAsWanted = rowsAsWanted && st == want
		}
		if r.Passed != wantPass || !rowsAsWanted {
			wrong++
			t.Errorf("%s, run %d: passed=%v, want %v with every row %s: %s; statuses %v, attempts %v", what, i,
				r.Passed, wantPass, want, r.Err, r.Status, r.Attempts)
		}
	}
	slices.Sort(took)
	kind := "false failures"
	if !wantPass {
		kind = "false passes"
	}
	t.Logf("%s: %d runs, %d %s; attempts with a verdict in all %v; runs with more than one %v; "+
		"run time median %s, 90th percentile %s, slowest %s",
		what, len(runs), wrong, kind, attempts, retried, took[len(took)/2], took[len(took)*9/10], took[len(took)-1])
}
