package validators

import (
	"math"
	"math/big"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestNumberBetween(t *testing.T) {
	t.Parallel()
	huge, _, _ := big.ParseFloat("1e400", 10, 512, big.ToNearestEven)
	tiny, _, _ := big.ParseFloat("1e-400", 10, 512, big.ToNearestEven)
	num := func(f float64) types.Number { return types.NumberValue(big.NewFloat(f)) }
	for _, tc := range []struct {
		name    string
		value   types.Number
		wantErr string
	}{
		{"null", types.NumberNull(), ""},
		{"unknown", types.NumberUnknown(), ""},
		{"least", num(0.01), ""},
		{"most", num(1e6), ""},
		{"500", num(500), ""},
		{"zero", num(0), "must be a number from 0.01 to 1000000, got: 0"},
		{"negative", num(-1), "must be a number from 0.01 to 1000000, got: -1"},
		{"below", num(0.009), "got: 0.009"},
		{"above", num(1e6 + 1), "got: 1000001"},
		{"1e400", types.NumberValue(huge), "must be a number from 0.01 to 1000000, got: 1e+400"},
		{"-1e400", types.NumberValue(new(big.Float).Neg(huge)), "got: -1e+400"},
		{"1e-400", types.NumberValue(tiny), "got: 1e-400"},
		{"+Inf", types.NumberValue(big.NewFloat(math.Inf(1))), "got: +Inf"},
		{"-Inf", types.NumberValue(big.NewFloat(math.Inf(-1))), "got: -Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var resp validator.NumberResponse
			NumberBetween(0.01, 1e6).ValidateNumber(t.Context(),
				validator.NumberRequest{Path: testPath, ConfigValue: tc.value}, &resp)
			assertErr(t, resp.Diagnostics, tc.wantErr)
		})
	}
}
