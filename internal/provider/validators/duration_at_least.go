package validators

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/helpers/validatordiag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var _ validator.String = durationAtLeastValidator{}

// DurationAtLeast accepts a Go duration string of at least min. Strings that
// do not parse are left to the attribute's type (a timetypes.GoDurationType),
// which reports them.
func DurationAtLeast(least time.Duration) validator.String {
	return durationAtLeastValidator{min: least}
}

type durationAtLeastValidator struct{ min time.Duration }

func (v durationAtLeastValidator) Description(context.Context) string {
	return fmt.Sprintf(`must be a Go duration of at least %s, such as "500ms" or "2s"`, v.min)
}

func (v durationAtLeastValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v durationAtLeastValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	d, err := time.ParseDuration(s)
	if err != nil {
		return // the attribute's duration type reports strings that do not parse
	}
	if d < v.min {
		resp.Diagnostics.Append(validatordiag.InvalidAttributeValueDiagnostic(req.Path, v.Description(ctx), strconv.Quote(s)))
	}
}
