package provider

import (
	"fmt"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// testAccProtoV6ProviderFactories serves the provider in-process to the real
// terraform binary that terraform-plugin-testing runs.
var testAccProtoV6ProviderFactories = protoV6Factories()

// protoV6Factories builds factories for a provider with test options, such
// as an injected clock or resolver.
func protoV6Factories(opts ...Option) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"media": providerserver.NewProtocol6WithError(New("test", opts...)()),
	}
}

// hcl helpers for test configurations.

// hclCheck is one element of checks, written as HCL attributes.
type hclCheck map[string]any

func (c hclCheck) hcl() string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	// Stable order keeps configurations readable in failures.
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		switch v := c[k].(type) {
		case string:
			fmt.Fprintf(&b, "%s = %q", k, v) // HCL reads Go's escapes (\n) in quoted strings
		case []int:
			items := make([]string, len(v))
			for i, n := range v {
				items[i] = strconv.Itoa(n)
			}
			fmt.Fprintf(&b, "%s = [%s]", k, strings.Join(items, ", "))
		case hclCheck: // a nested object: tls, turn
			fmt.Fprintf(&b, "%s = %s", k, v.hcl())
		default:
			fmt.Fprintf(&b, "%s = %v", k, v)
		}
	}
	b.WriteString("}")
	return b.String()
}

// checksHCL renders a checks list.
func checksHCL(cs ...hclCheck) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = "    " + c.hcl()
	}
	return "[\n" + strings.Join(parts, ",\n") + "\n  ]"
}

// resourceConfig is a media_server_reachability "test" resource on host with
// the given checks and extra attribute lines.
func resourceConfig(host string, checks string, extra ...string) string {
	return fmt.Sprintf(`
resource "media_server_reachability" "test" {
  host   = %q
  checks = %s
  %s
}
`, host, checks, strings.Join(extra, "\n  "))
}

// errorContaining matches an error that contains text literally, however
// Terraform wrapped its lines.
func errorContaining(text string) *regexp.Regexp {
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}

var (
	rfc3339    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)
	regexp127  = regexp.MustCompile(`^127\.0\.0\.1:\d+$`)
	regexpMust = regexp.MustCompile
)

// attrAs returns the attribute called name as T. A missing attribute, or one
// of another type, reads as T's zero value, which is null; the schema rules
// both out (TestCheckFromValueRoundTrip).
func attrAs[T attr.Value](attrs map[string]attr.Value, name string) T {
	v, _ := attrs[name].(T)
	return v
}
