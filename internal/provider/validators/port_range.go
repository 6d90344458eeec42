package validators

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/helpers/validatordiag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var _ validator.String = portRangeValidator{}

// PortRange accepts "FIRST-LAST" with 1 <= FIRST <= LAST <= 65535. How many
// ports a check may probe depends on sample too, so that limit is checked
// with the whole check (the resource's ValidateConfig).
func PortRange() validator.String { return portRangeValidator{} }

type portRangeValidator struct{}

func (v portRangeValidator) Description(context.Context) string {
	return `must be a port range "FIRST-LAST" such as "10000-10999", with 1 <= FIRST <= LAST <= 65535`
}

func (v portRangeValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v portRangeValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	if _, _, err := ParsePortRange(s); err != nil {
		resp.Diagnostics.Append(validatordiag.InvalidAttributeValueDiagnostic(req.Path,
			v.Description(ctx)+" ("+err.Error()+")", strconv.Quote(s)))
	}
}

// ParsePortRange parses "FIRST-LAST" (1..65535, FIRST <= LAST). It does not
// apply a size limit.
func ParsePortRange(s string) (first, last uint16, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("no '-' between the first and last port")
	}
	f, err := parsePort(a)
	if err != nil {
		return 0, 0, fmt.Errorf("first port: %w", err)
	}
	l, err := parsePort(b)
	if err != nil {
		return 0, 0, fmt.Errorf("last port: %w", err)
	}
	if f > l {
		return 0, 0, fmt.Errorf("first port %d is above last port %d", f, l)
	}
	return f, l, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%d is outside 1..65535", n)
	}
	return uint16(n), nil
}
