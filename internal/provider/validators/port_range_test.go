package validators

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestPortRange(t *testing.T) {
	t.Parallel()
	runStringCases(t, PortRange(), []stringCase{
		{"null", types.StringNull(), ""},
		{"unknown", types.StringUnknown(), ""},
		{"range", types.StringValue("10000-10999"), ""},
		{"one port", types.StringValue("3478-3478"), ""},
		{"full", types.StringValue("1-65535"), ""},
		{"reversed", types.StringValue("10999-10000"), "first port 10999 is above last port 10000"},
		{"zero", types.StringValue("0-10"), "0 is outside 1..65535"},
		{"too high", types.StringValue("65000-70000"), "70000 is outside 1..65535"},
		{"single", types.StringValue("3478"), "no '-'"},
		{"words", types.StringValue("a-b"), `"a" is not a number`},
		{"empty", types.StringValue(""), "no '-'"},
	})
}

func TestParsePortRange(t *testing.T) {
	t.Parallel()
	first, last, err := ParsePortRange(" 10000 - 10999 ")
	if err != nil || first != 10000 || last != 10999 {
		t.Fatalf("got %d, %d, %v", first, last, err)
	}
}
