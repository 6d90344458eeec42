package provider

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func turnObject(t *testing.T, m turnModel) types.Object { return nestedObject(t, "turn", m) }

func TestCheckFromValueDecodesTURN(t *testing.T) {
	t.Parallel()
	m := turnModel{
		Username: types.StringValue("u"), Password: types.StringValue("p"), PasswordWO: types.StringValue("pw"),
		SharedSecret: types.StringValue("s"), SharedSecretWO: types.StringValue("sw"), Realm: types.StringValue("r"),
		CredentialTTL: durationOf(time.Hour), RelayCheck: types.BoolValue(true), DenyPrivatePeers: types.BoolValue(true),
	}
	c := checkModel{Protocol: types.StringValue("turn"), Port: types.Int64Value(3478), TURN: turnObject(t, m)}
	got, ok := checkFromValue(checkObject(t, c))
	if !ok || !reflect.DeepEqual(got.turn, m) {
		t.Errorf("decoded turn %+v, want %+v (every field: a type that drifts would read as null)", got.turn, m)
	}
}

// withWriteOnly takes each write-only secret from the configuration into
// the planned check, where the plan holds it null.
func TestWithWriteOnly(t *testing.T) {
	t.Parallel()
	ot := checkObjectType(t)
	turnCheck := func(m turnModel) attr.Value {
		return checkObject(t, checkModel{Protocol: types.StringValue("turn"), Port: types.Int64Value(3478),
			TURN: turnObject(t, m)})
	}
	planned := types.ListValueMust(ot, []attr.Value{
		checkObject(t, checkModel{Protocol: types.StringValue("tcp"), Port: types.Int64Value(1)}),
		turnCheck(turnModel{Username: types.StringValue("u")}),
		turnCheck(turnModel{Username: types.StringValue("u")}),
	})
	configured := types.ListValueMust(ot, []attr.Value{
		checkObject(t, checkModel{Protocol: types.StringValue("tcp"), Port: types.Int64Value(1)}),
		turnCheck(turnModel{Username: types.StringValue("u"), PasswordWO: types.StringValue("pw")}),
		turnCheck(turnModel{Username: types.StringValue("u"), SharedSecretWO: types.StringValue("sw")}),
	})
	var diags diag.Diagnostics
	checks, ok := checkModels(withWriteOnly(t.Context(), planned, configured, &diags), &diags)
	if diags.HasError() || !ok || len(checks) != 3 {
		t.Fatalf("withWriteOnly: %d checks, %v", len(checks), diags)
	}
	if got := checks[1].turn.PasswordWO.ValueString(); got != "pw" {
		t.Errorf("checks[1].turn.password_wo = %q, want the configured one", got)
	}
	if got := checks[2].turn.SharedSecretWO.ValueString(); got != "sw" {
		t.Errorf("checks[2].turn.shared_secret_wo = %q, want the configured one", got)
	}
	if !checks[0].TURN.IsNull() {
		t.Errorf("checks[0] gained a turn object: %v", checks[0].TURN)
	}

	// A secret with nowhere to go is an error, never a probe without it.
	short := types.ListValueMust(ot, []attr.Value{planned.Elements()[0]})
	diags = nil
	withWriteOnly(t.Context(), short, configured, &diags)
	if !diags.HasError() || !strings.Contains(diags.Errors()[0].Detail(), "checks[1].turn has a write-only secret") {
		t.Errorf("a configured secret without a planned check: %v, want an error naming checks[1].turn", diags)
	}
}
