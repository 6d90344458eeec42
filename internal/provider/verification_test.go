package provider

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// stamped returns rows with Vantage set to name.
func stamped(name string, rows ...verify.CheckResult) []verify.CheckResult {
	out := make([]verify.CheckResult, len(rows))
	for i, r := range rows {
		r.Vantage = name
		out[i] = r
	}
	return out
}

func openRowAt(a netip.Addr) verify.CheckResult {
	return verify.CheckResult{Protocol: "tcp", Transport: "tcp", Label: "443", Ports: 1, Address: a,
		Status: probe.StatusOpen, Passed: true, Attempts: 1}
}

func TestMergeRuns(t *testing.T) {
	t.Parallel()
	refused := errors.New("agent eu-west refused the token")
	for _, tc := range []struct {
		name      string
		runs      []vantageRun
		reachable bool
		rows      []string // vantage of each row, in order
		addresses int
		err       bool
	}{{
		name: "every vantage passes",
		runs: []vantageRun{
			{name: "local", report: verify.Report{Reachable: true, Addresses: []netip.Addr{addr4},
				Results: stamped("local", openRowAt(addr4))}},
			{name: "eu-west", report: verify.Report{Reachable: true, Addresses: []netip.Addr{addr4, addr6},
				Results: stamped("eu-west", openRowAt(addr4), openRowAt(addr6))}},
		},
		reachable: true, rows: []string{"local", "eu-west", "eu-west"}, addresses: 2,
	}, {
		name: "one vantage fails a check",
		runs: []vantageRun{
			{name: "eu-west", report: verify.Report{Reachable: false, Addresses: []netip.Addr{addr4},
				Results: stamped("eu-west", failingRow(0, "tcp", "tcp", "443", addr4, probe.StatusFiltered, "no reply"))},
				err: context.DeadlineExceeded},
			{name: "local", report: verify.Report{Reachable: true, Addresses: []netip.Addr{addr4},
				Results: stamped("local", openRowAt(addr4))}},
		},
		rows: []string{"eu-west", "local"}, addresses: 1, err: true,
	}, {
		name: "one vantage errors with no rows",
		runs: []vantageRun{
			{name: "local", report: verify.Report{Reachable: true, Addresses: []netip.Addr{addr4},
				Results: stamped("local", openRowAt(addr4))}},
			{name: "eu-west", report: verify.Report{Vantage: "eu-west"}, err: refused},
		},
		rows: []string{"local"}, addresses: 1, err: true,
	}, {
		name: "a lone vantage error is never a pass",
		runs: []vantageRun{{name: "eu-west", report: verify.Report{Reachable: true}, err: refused}},
		err:  true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := mergeRuns(tc.runs)
			if rep.Reachable != tc.reachable {
				t.Errorf("reachable %v, want %v", rep.Reachable, tc.reachable)
			}
			if (err != nil) != tc.err {
				t.Errorf("err %v, want an error: %v", err, tc.err)
			}
			var rows []string
			for _, r := range rep.Results {
				rows = append(rows, r.Vantage)
			}
			if fmt.Sprint(rows) != fmt.Sprint(tc.rows) {
				t.Errorf("rows from %v, want %v", rows, tc.rows)
			}
			if len(rep.Addresses) != tc.addresses {
				t.Errorf("addresses %v, want %d", rep.Addresses, tc.addresses)
			}
		})
	}
	_, err := mergeRuns([]vantageRun{{name: "local"}, {name: "eu-west", err: refused}})
	if !errors.Is(err, refused) || !strings.Contains(err.Error(), `vantage point "eu-west"`) {
		t.Errorf("merged error %v does not wrap and name eu-west's", err)
	}
}

// A multi-vantage failure names the vantage points that failed in its
// headline, each vantage point's own resolution problem, and a failed
// agent with what it said and what to do.
func TestRunsFailureMessageNamesVantages(t *testing.T) {
	t.Parallel()
	req := vantage.Request{Host: "turn.example.com"}
	op := operation{name: "create", timeout: time.Minute}
	runs := []vantageRun{
		{name: "local", report: verify.Report{Vantage: "local", Reachable: true, Addresses: []netip.Addr{addr4},
			Results: stamped("local", openRowAt(addr4))}},
		{name: "eu-west", report: verify.Report{Vantage: "eu-west", Addresses: []netip.Addr{addr4}, Elapsed: time.Minute,
			Results: stamped("eu-west", failingRow(0, "stun", "udp", "3478", addr4, probe.StatusFiltered, "no STUN response"))},
			err: context.DeadlineExceeded},
		{name: "us-east", report: verify.Report{Vantage: "us-east", ResolveError: "lookup turn.example.com: no such host"},
			err: context.DeadlineExceeded},
		{name: "ap-south", url: "https://ap.example.com:8443", report: verify.Report{Vantage: "ap-south"},
			err: errors.New("agent ap-south refused the token")},
	}
	rep, err := mergeRuns(runs)
	_, detail := outcome{req: req, runs: runs, report: rep, err: err}.message(op)
	t.Log(detail)
	for _, want := range []string{
		`"turn.example.com" did not pass every check from vantage points "eu-west", "us-east" and "ap-south" within the create timeout of 1m0s.`,
		`turn.example.com did not resolve from vantage point "us-east": lookup turn.example.com: no such host`,
		`Vantage point "ap-south" (https://ap.example.com:8443) failed: agent ap-south refused the token. ` +
			`Nothing from there counts as a pass.`,
		"MEDIA_AGENT_TOKEN_AP_SOUTH",
		`stun/udp turn.example.com (203.0.113.7:3478) from vantage point "eu-west": filtered`,
		"1 of 2 results passed.",
	} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks\n%s\ngot\n%s", want, detail)
		}
	}
	if strings.Contains(detail, `"local"`) || strings.Contains(detail, "ap-south\" gave no address") {
		t.Errorf("detail blames a vantage point that passed, or resolution for one that failed:\n%s", detail)
	}
	// The inside-only warning looks at local rows only.
	if why := insideOnly(rep); why != "" {
		t.Errorf("insideOnly on a public address: %q", why)
	}
}

func TestAgentConfigsTokenFromEnvironment(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	agent := func(name string, token types.String) attr.Value {
		return agentValue(name, map[string]attr.Value{"token": token})
	}
	env := map[string]string{"MEDIA_AGENT_TOKEN_EU_WEST_2": "from-env"}
	var diags diag.Diagnostics
	got := agentConfigs(ctx, types.ListValueMust(agentElem, []attr.Value{
		agent("eu-west-2", types.StringNull()),
		agent("us-east", types.StringValue("inline")),
		agent("ap-south", types.StringNull()),
	}), func(k string) string { return env[k] }, &diags)
	if len(got) != 2 || got[0].Token != "from-env" || got[1].Token != "inline" {
		t.Errorf("agents %+v", got)
	}
	if diags.ErrorsCount() != 1 || !strings.Contains(diags.Errors()[0].Detail(), "MEDIA_AGENT_TOKEN_AP_SOUTH") ||
		!strings.Contains(diags.Errors()[0].Detail(), `"ap-south"`) {
		t.Errorf("diags %v, want one error naming ap-south and its variable", diags)
	}
}

// vantagePoints defaults to every agent, or local without agents.
func TestVantagePointsDefault(t *testing.T) {
	t.Parallel()
	local := vantage.Local{}
	eu := failingVantage{name: "eu-west"}
	var diags diag.Diagnostics
	names := func(vs []vantage.Vantage) string {
		var s []string
		for _, v := range vs {
			s = append(s, v.Name())
		}
		return strings.Join(s, ",")
	}
	null := types.ListNull(types.StringType)
	if got := names((&providerData{vantage: local}).vantagePoints(null, &diags)); got != "local" {
		t.Errorf("no agents: %s", got)
	}
	d := &providerData{vantage: local, agents: []vantage.Vantage{eu}}
	if got := names(d.vantagePoints(null, &diags)); got != "eu-west" {
		t.Errorf("agents: %s", got)
	}
	list := types.ListValueMust(types.StringType, []attr.Value{types.StringValue("local"), types.StringValue("eu-west")})
	if got := names(d.vantagePoints(list, &diags)); got != "local,eu-west" {
		t.Errorf("listed: %s", got)
	}
	if diags.HasError() {
		t.Error(diags)
	}
}

// blockingVantage waits for every vantage point of the test to start, then
// for ctx to end when ignoreCtx is false, or forever (until release) when
// it is true.
type blockingVantage struct {
	name      string
	started   chan<- string
	all       <-chan struct{}
	ignoreCtx bool
	release   <-chan struct{}
}

func (v blockingVantage) Name() string { return v.name }

func (v blockingVantage) Verify(ctx context.Context, req vantage.Request, _ vantage.Watcher) (verify.Report, error) {
	v.started <- v.name
	<-v.all
	if v.ignoreCtx {
		<-v.release
		return verify.Report{Reachable: true}, nil
	}
	<-ctx.Done()
	return verify.Report{Vantage: v.name, Host: req.Host}, ctx.Err()
}

// The vantage points run at once under the same context, and one that
// ignores the context cannot hold the verification past the grace.
func TestVerifyFansOutAndBoundsStragglers(t *testing.T) {
	t.Parallel()
	started := make(chan string, 2)
	all, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	d := &providerData{clock: verify.RealClock{}, vantage: vantage.Local{}, grace: 10 * time.Millisecond, agents: []vantage.Vantage{
		blockingVantage{name: "eu-west", started: started, all: all},
		blockingVantage{name: "us-east", started: started, all: all, ignoreCtx: true, release: release},
	}}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		// Both must have started before either can go on: they run at once.
		<-started
		<-started
		close(all)
		cancel()
	}()
	m := testModel(t, checkModel{Protocol: types.StringValue("tcp"), Port: types.Int64Value(443)}).commonModel
	var diags diag.Diagnostics
	out, ok := d.verify(ctx, m, settings{ipVersion: verify.IPAny}, &diags)
	if !ok || diags.HasError() {
		t.Fatal(diags)
	}
	if out.report.Reachable || len(out.runs) != 2 {
		t.Fatalf("outcome %+v", out)
	}
	if !errors.Is(out.runs[0].err, context.Canceled) {
		t.Errorf("eu-west: %v, want the cancel", out.runs[0].err)
	}
	if r := out.runs[1]; !r.failed() || !strings.Contains(r.err.Error(), "did not return within 10ms") {
		t.Errorf("us-east: %v, want a straggler failure", r.err)
	}
}
