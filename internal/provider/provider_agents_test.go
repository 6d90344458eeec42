package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/agent/agentapi"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// agentElem is the object type of one element of the provider's agents.
var agentElem = types.ObjectType{AttrTypes: map[string]attr.Type{
	"name": types.StringType, "url": types.StringType, "token": types.StringType, "ca_cert_pem": types.StringType,
	"client_cert_pem": types.StringType, "client_key_pem": types.StringType, "max_runs": types.Int64Type,
}}

// agentValue is one agents element named name; set overrides attributes
// (the rest are null, url is https://<name>.example.com).
func agentValue(name string, set map[string]attr.Value) attr.Value {
	v := map[string]attr.Value{"name": types.StringValue(name), "url": types.StringValue("https://" + name + ".example.com"),
		"max_runs": types.Int64Null()}
	for k := range agentElem.AttrTypes {
		if _, ok := v[k]; !ok {
			v[k] = types.StringNull()
		}
	}
	for k, s := range set {
		v[k] = s
	}
	return types.ObjectValueMust(agentElem.AttrTypes, v)
}

// The client certificate and key go together, and must parse as a pair;
// each error names the attribute at fault by its path and never shows the
// key.
func TestAgentConfigsClientCert(t *testing.T) {
	t.Parallel()
	cert, key, _ := testnet.ClientCertWithCA(t, "ci")
	_, otherKey, _ := testnet.ClientCertWithCA(t, "ci")
	str := func(b []byte) types.String { return types.StringValue(string(b)) }
	for _, tc := range []struct {
		name      string
		cert, key types.String
		wantPath  string // "" = no error
		want      string
	}{
		{"both", str(cert), str(key), "", ""},
		{"neither", types.StringNull(), types.StringNull(), "", ""},
		{"cert only", str(cert), types.StringNull(), "agents[0].client_key_pem", "is required with client_cert_pem"},
		{"key only", types.StringNull(), str(key), "agents[0].client_cert_pem", "is required with client_key_pem"},
		{"cert not PEM", types.StringValue("junk"), str(key), "agents[0].client_cert_pem", "holds no PEM certificate"},
		{"key in the cert", str(key), str(key), "agents[0].client_cert_pem", `type "PRIVATE KEY"`},
		{"cert in the key", str(cert), str(cert), "agents[0].client_key_pem", "holds no PEM private key"},
		{"key of another cert", str(cert), str(otherKey), "agents[0].client_key_pem", "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var diags diag.Diagnostics
			got := agentConfigs(t.Context(), types.ListValueMust(agentElem, []attr.Value{
				agentValue("eu-west", map[string]attr.Value{"token": types.StringValue("tok"),
					"client_cert_pem": tc.cert, "client_key_pem": tc.key}),
			}), func(string) string { return "" }, &diags)
			if tc.wantPath == "" {
				if diags.HasError() || len(got) != 1 || got[0].ClientCertPEM != tc.cert.ValueString() ||
					got[0].ClientKeyPEM != tc.key.ValueString() {
					t.Fatalf("agents %d, diags %v; want the agent with its client certificate", len(got), diags)
				}
				return
			}
			if len(got) != 0 || diags.ErrorsCount() != 1 {
				t.Fatalf("agents %d, diags %v; want one error", len(got), diags)
			}
			d, ok := diags.Errors()[0].(diag.DiagnosticWithPath)
			if !ok || d.Path().String() != tc.wantPath {
				t.Errorf("error at %v, want %s", diags.Errors()[0], tc.wantPath)
			}
			detail := diags.Errors()[0].Detail()
			if !strings.Contains(detail, tc.want) || !strings.Contains(detail, `"eu-west"`) {
				t.Errorf("detail %q lacks %q or the agent's name", detail, tc.want)
			}
			if strings.Contains(detail, "BEGIN") || strings.Contains(detail, string(key[40:80])) {
				t.Errorf("the detail echoes PEM: %s", detail)
			}
		})
	}
}

// max_runs reaches the agent's Remote; unset, it is the agent's default
// --max-runs-per-token.
func TestAgentConfigsMaxRuns(t *testing.T) {
	t.Parallel()
	var diags diag.Diagnostics
	got := agentConfigs(t.Context(), types.ListValueMust(agentElem, []attr.Value{
		agentValue("eu-west", map[string]attr.Value{"token": types.StringValue("tok"), "max_runs": types.Int64Value(2)}),
		agentValue("us-east", map[string]attr.Value{"token": types.StringValue("tok")}),
	}), func(string) string { return "" }, &diags)
	if diags.HasError() || len(got) != 2 {
		t.Fatalf("agents %d, diags %v", len(got), diags)
	}
	for i, want := range []int{2, agentapi.DefaultMaxRuns} {
		v, err := agentRemote(got[i])
		if err != nil {
			t.Fatal(err)
		}
		r, ok := v.(*agentapi.Remote)
		if !ok {
			t.Fatalf("agent %q: %T, want *agentapi.Remote", got[i].Name, v)
		}
		if r.MaxRuns() != want {
			t.Errorf("agent %q: max runs %d, want %d", got[i].Name, r.MaxRuns(), want)
		}
	}

	diags = nil
	agentConfigs(t.Context(), types.ListValueMust(agentElem, []attr.Value{
		agentValue("eu-west", map[string]attr.Value{"token": types.StringValue("tok"), "max_runs": types.Int64Unknown()}),
	}), func(string) string { return "" }, &diags)
	if diags.ErrorsCount() != 1 || !strings.Contains(diags.Errors()[0].Detail(), "agents[0].max_runs") {
		t.Errorf("unknown max_runs: diags %v, want one error naming agents[0].max_runs", diags)
	}
}
