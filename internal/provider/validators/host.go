package validators

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/helpers/validatordiag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var _ validator.String = hostValidator{}

// Host accepts an IP address or a DNS name, without scheme, port or path.
func Host() validator.String { return hostValidator{} }

type hostValidator struct{}

func (hostValidator) Description(context.Context) string {
	return `must be an IP address or a DNS name such as "turn.example.com", without scheme, port or path (ports go in checks)`
}

func (v hostValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v hostValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	if err := checkHost(s); err != nil {
		resp.Diagnostics.Append(validatordiag.InvalidAttributeValueDiagnostic(req.Path,
			v.Description(ctx)+" ("+err.Error()+")", strconv.Quote(s)))
	}
}

func checkHost(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("it is empty")
	case strings.Contains(s, "://"):
		return fmt.Errorf("it has a scheme")
	case strings.ContainsAny(s, "/ \t\n"):
		return fmt.Errorf("it has a path or white space")
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	if strings.ContainsAny(s, ":[]") {
		return fmt.Errorf("it has a port or brackets")
	}
	if len(s) > 253 {
		return fmt.Errorf("it is longer than 253 characters")
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("label %q is empty or longer than 63 characters", label)
		}
		for _, r := range label {
			if !isHostChar(r) {
				return fmt.Errorf("label %q has the character %q", label, r)
			}
		}
	}
	return nil
}

func isHostChar(r rune) bool {
	return r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}
