package validators

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/helpers/validatordiag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var _ validator.Float64 = positiveFloat64Validator{}

// PositiveFloat64 accepts numbers strictly above zero.
func PositiveFloat64() validator.Float64 { return positiveFloat64Validator{} }

type positiveFloat64Validator struct{}

func (positiveFloat64Validator) Description(context.Context) string {
	return "must be a number greater than 0"
}

func (v positiveFloat64Validator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v positiveFloat64Validator) ValidateFloat64(ctx context.Context, req validator.Float64Request, resp *validator.Float64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if f := req.ConfigValue.ValueFloat64(); !(f > 0) {
		resp.Diagnostics.Append(validatordiag.InvalidAttributeValueDiagnostic(req.Path, v.Description(ctx),
			strconv.FormatFloat(f, 'g', -1, 64)))
	}
}
