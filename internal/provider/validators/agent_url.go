package validators

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/helpers/validatordiag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var _ validator.String = agentURLValidator{}

// AgentURL accepts the URL of a mediaprobe agent: https, or http only when
// the host is loopback (127.0.0.0/8, ::1 or localhost), which tests use.
// The URL has a host and no user information, query or fragment.
func AgentURL() validator.String { return agentURLValidator{} }

type agentURLValidator struct{}

func (agentURLValidator) Description(context.Context) string {
	return `must be an https URL such as "https://agent.example.com:8443" (http only for a loopback host)`
}

func (v agentURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v agentURLValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	if err := checkAgentURL(s); err != nil {
		resp.Diagnostics.Append(validatordiag.InvalidAttributeValueDiagnostic(req.Path,
			v.Description(ctx)+" ("+err.Error()+")", strconv.Quote(s)))
	}
}

func checkAgentURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("it does not parse: %w", err)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("it has no host")
	case u.User != nil:
		return fmt.Errorf("it has user information; set the agent's token instead")
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("it has a query or fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("http is allowed only for a loopback host; the token would cross the network in clear")
	default:
		return fmt.Errorf("scheme %q is not https", u.Scheme)
	}
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}
