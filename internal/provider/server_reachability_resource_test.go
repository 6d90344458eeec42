package provider

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// testModel is a resource model for host 127.0.0.1 as the framework would
// hand it to Create, with every default applied.
func testModel(t *testing.T, checks ...checkModel) resourceModel {
	t.Helper()
	lt, ok := resourceSchema(t).Attributes["checks"].GetType().(types.ListType)
	if !ok {
		t.Fatal("checks is not a list")
	}
	for i := range checks {
		checks[i] = withTypedNulls(t, checks[i])
	}
	l, diags := types.ListValueFrom(t.Context(), lt.ElemType, checks)
	if diags.HasError() {
		t.Fatal(diags)
	}
	m := resourceModel{
		PollInterval:         durationOf(10 * time.Millisecond),
		ConsecutiveSuccesses: types.Int64Value(1),
		OnFailure:            types.StringValue("error"),
		RecheckOnRefresh:     types.BoolValue(false),
	}
	m.Host = types.StringValue("127.0.0.1")
	m.IPVersion = types.StringValue("any")
	m.Checks = l
	m.VantagePoints = types.ListNull(types.StringType)
	m.AttemptTimeout = durationOf(time.Second)
	m.MaxProbeRate = types.NumberValue(big.NewFloat(500))
	return m
}

// Ctrl-C cancels the context: apply returns at once with an error that
// carries what was learned, and saves nothing even with on_failure = "warn".
func TestApplyCancelledReturnsPartialResults(t *testing.T) {
	t.Parallel()
	port := testnet.ClosedPort(t, "tcp")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var once sync.Once
	var cancelledAt time.Time
	r := &serverReachabilityResource{data: &providerData{
		clock:   verify.RealClock{},
		vantage: vantage.Local{},
		attemptHook: func(verify.Event) {
			once.Do(func() { cancelledAt = time.Now(); cancel() }) // the user presses Ctrl-C
		},
	}}
	m := testModel(t, checkModel{Protocol: types.StringValue("tcp"), Port: types.Int64Value(int64(port))})
	m.OnFailure = types.StringValue("warn")

	var diags diag.Diagnostics
	out, saved := r.apply(ctx, m, operation{name: "create", timeout: time.Minute}, &diags)
	returned := time.Now()
	if saved {
		t.Error("a cancelled verification was saved")
	}
	if cancelledAt.IsZero() {
		t.Fatal("no attempt finished")
	}
	if took := returned.Sub(cancelledAt); took > time.Second {
		t.Errorf("apply returned %s after the cancel", took)
	}
	errs := diags.Errors()
	if len(errs) != 1 || errs[0].Summary() != summaryCancelled {
		t.Fatalf("want one %q error, got %v", summaryCancelled, diags)
	}
	want := fmt.Sprintf("tcp 127.0.0.1 (127.0.0.1:%d) from the machine running Terraform: closed after", port)
	if !strings.Contains(errs[0].Detail(), want) {
		t.Errorf("detail lacks %q:\n%s", want, errs[0].Detail())
	}
	if n := len(out.report.Results); n != 1 {
		t.Errorf("want the partial result row, got %d rows", n)
	}
}

// on_failure = "warn" turns the failure into a warning and keeps the results.
func TestApplyWarnSavesUnreachable(t *testing.T) {
	t.Parallel()
	port := testnet.ClosedPort(t, "tcp")
	r := &serverReachabilityResource{} // unconfigured: engine defaults
	m := testModel(t, checkModel{Protocol: types.StringValue("tcp"), Port: types.Int64Value(int64(port))})
	m.OnFailure = types.StringValue("warn")
	var diags diag.Diagnostics
	out, saved := r.apply(t.Context(), m, operation{name: "create", timeout: 300 * time.Millisecond}, &diags)
	if !saved {
		t.Fatal("not saved")
	}
	if diags.HasError() || len(diags.Warnings()) != 1 || diags.Warnings()[0].Summary() != summaryNotReachable {
		t.Fatalf("want one %q warning, got %v", summaryNotReachable, diags)
	}
	c := out.computed()
	if reachable := attrAs[types.Bool](c, "reachable"); reachable.ValueBool() ||
		attrAs[types.String](c, "id").ValueString() != "127.0.0.1" || out.at.IsZero() {
		t.Errorf("reachable %v, computed %v", reachable, c)
	}
}

// rowStatuses returns the status of each results row of o.
func rowStatuses(t *testing.T, o outcome) []string {
	t.Helper()
	var out []string
	for _, e := range attrAs[types.List](o.computed(), "results").Elements() {
		obj, ok := e.(types.Object)
		if !ok {
			t.Fatalf("results element is a %T", e)
		}
		st, ok := obj.Attributes()["status"].(types.String)
		if !ok {
			t.Fatalf("status is a %T", obj.Attributes()["status"])
		}
		out = append(out, st.ValueString())
	}
	return out
}

// A create timeout shorter than one attempt: the attempt it cut short
// counts as filtered, which is what a port that stays silent is, and
// on_failure = "warn" saves it.
func TestApplyWarnClippedAttemptIsFiltered(t *testing.T) {
	t.Parallel()
	port := testnet.SilentUDP(t)
	r := &serverReachabilityResource{}
	m := testModel(t, checkModel{Protocol: types.StringValue("stun"), Port: types.Int64Value(int64(port))})
	m.OnFailure = types.StringValue("warn")
	var diags diag.Diagnostics
	out, saved := r.apply(t.Context(), m, operation{name: "create", timeout: 300 * time.Millisecond}, &diags)
	if !saved {
		t.Fatalf("not saved: %v", diags)
	}
	if got := rowStatuses(t, out); len(got) != 1 || got[0] != "filtered" {
		t.Errorf("statuses = %v, want [filtered]", got)
	}
}

// A result without any verdict (its port still waited behind max_probe_rate
// when the timeout came) is never stored, even with on_failure = "warn":
// state holds only open, closed, filtered or error.
func TestApplyWarnWithoutVerdictSavesNothing(t *testing.T) {
	t.Parallel()
	first, second := testnet.ClosedPort(t, "tcp"), testnet.ClosedPort(t, "tcp")
	r := &serverReachabilityResource{}
	m := testModel(t,
		checkModel{Protocol: types.StringValue("tcp"), Port: types.Int64Value(int64(first))},
		checkModel{Protocol: types.StringValue("tcp"), Port: types.Int64Value(int64(second))})
	m.OnFailure = types.StringValue("warn")
	m.MaxProbeRate = types.NumberValue(big.NewFloat(1)) // the second port's turn comes after 1s
	var diags diag.Diagnostics
	if out, saved := r.apply(t.Context(), m, operation{name: "create", timeout: 300 * time.Millisecond}, &diags); saved {
		t.Fatalf("saved a result without a status: %v", rowStatuses(t, out))
	}
	errs := diags.Errors()
	if len(errs) != 1 || errs[0].Summary() != summaryNotReachable {
		t.Fatalf("want one %q error, got %v", summaryNotReachable, diags)
	}
	for _, want := range []string{
		fmt.Sprintf("tcp 127.0.0.1 (127.0.0.1:%d) from the machine running Terraform: closed after 1 attempt", first),
		fmt.Sprintf("tcp 127.0.0.1 (127.0.0.1:%d) from the machine running Terraform: no verdict after 0 attempts", second),
		`on_failure is "warn", but the resource was not saved: 1 result got no verdict: the create timeout of 300ms`,
	} {
		if !strings.Contains(errs[0].Detail(), want) {
			t.Errorf("detail lacks %q:\n%s", want, errs[0].Detail())
		}
	}
}
