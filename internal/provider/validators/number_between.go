package validators

import (
	"context"
	"fmt"
	"math/big"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/helpers/validatordiag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var _ validator.Number = numberBetweenValidator{}

// NumberBetween accepts numbers from least to most, both included. It
// validates a Number attribute rather than a Float64 one because Terraform
// numbers are arbitrary-precision: the framework cannot convert 1e400, 1e-400
// or 1/0 (+Inf) to a float64, and reports that as an error in the provider
// before any validator of a Float64 attribute runs.
func NumberBetween(least, most float64) validator.Number {
	return numberBetweenValidator{least: least, most: most}
}

type numberBetweenValidator struct{ least, most float64 }

func (v numberBetweenValidator) Description(context.Context) string {
	return fmt.Sprintf("must be a number from %s to %s", formatFloat(v.least), formatFloat(v.most))
}

func (v numberBetweenValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v numberBetweenValidator) ValidateNumber(ctx context.Context, req validator.NumberRequest, resp *validator.NumberResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	f := req.ConfigValue.ValueBigFloat()
	if f == nil || f.IsInf() || f.Cmp(big.NewFloat(v.least)) < 0 || f.Cmp(big.NewFloat(v.most)) > 0 {
		got := "null"
		if f != nil {
			got = f.Text('g', 10)
		}
		resp.Diagnostics.Append(validatordiag.InvalidAttributeValueDiagnostic(req.Path, v.Description(ctx), got))
	}
}

// formatFloat writes f without an exponent: 0.01, 1000000.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
