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

// Host accepts an IP address or a DNS name, without scheme, port or path. It
// refuses the unspecified addresses (0.0.0.0, ::, and ::ffff:0.0.0.0), which
// a dial sends to the machine running Terraform, and names that C resolvers
// (getaddrinfo, as Go's cgo resolver and macOS use) read as an IPv4 address
// in a short or non-decimal form, such as "0", "0x0" or "127.1": those could
// reach 0.0.0.0 or loopback in the same way.
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
	if ip, err := netip.ParseAddr(s); err == nil {
		return checkSpecified(ip)
	}
	if ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil &&
		ip.Unmap().IsUnspecified() {
		return checkSpecified(ip) // the brackets matter less than what is inside
	}
	if strings.ContainsAny(s, ":[]") {
		return fmt.Errorf("it has a port or brackets")
	}
	if len(s) > 253 {
		return fmt.Errorf("it is longer than 253 characters")
	}
	if numericIPv4(s) {
		return fmt.Errorf("it reads as an IPv4 address in a short or non-decimal form; write four decimal " +
			"numbers such as 203.0.113.10")
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

// checkSpecified refuses the unspecified address, also IPv4-mapped: a probe
// of it connects to the machine running Terraform, not to a media server.
func checkSpecified(ip netip.Addr) error {
	if ip.Unmap().IsUnspecified() {
		return fmt.Errorf("%s is the unspecified address, which reaches the machine running Terraform "+
			"itself; give the media server's address", ip)
	}
	return nil
}

// numericIPv4 reports whether inet_aton reads s as an IPv4 address: one to
// four dot-separated numbers, each decimal, octal (leading 0) or hex (0x),
// such as "0", "0x0", "127.1" or "00.0.0.0". A trailing dot is ignored, as
// some resolvers do. Go's own resolver looks such names up in DNS instead,
// but getaddrinfo returns the address without a lookup.
func numericIPv4(s string) bool {
	labels := strings.Split(strings.TrimSuffix(s, "."), ".")
	if len(labels) > 4 {
		return false
	}
	for _, l := range labels {
		digits := l
		if len(l) >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X') {
			digits = l[2:]
			if strings.Trim(digits, "0123456789abcdefABCDEF") != "" {
				return false
			}
			continue // "0x" alone is 0 to inet_aton
		}
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			return false
		}
	}
	return true
}

func isHostChar(r rune) bool {
	return r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}
