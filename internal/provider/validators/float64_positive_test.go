package validators

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestPositiveFloat64(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		value   types.Float64
		wantErr string
	}{
		{"null", types.Float64Null(), ""},
		{"unknown", types.Float64Unknown(), ""},
		{"500", types.Float64Value(500), ""},
		{"tiny", types.Float64Value(0.001), ""},
		{"zero", types.Float64Value(0), "greater than 0, got: 0"},
		{"negative", types.Float64Value(-1), "greater than 0, got: -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp validator.Float64Response
			PositiveFloat64().ValidateFloat64(context.Background(),
				validator.Float64Request{Path: testPath, ConfigValue: tc.value}, &resp)
			assertErr(t, resp.Diagnostics, tc.wantErr)
		})
	}
}
