package validators

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestHost(t *testing.T) {
	t.Parallel()
	runStringCases(t, Host(), []stringCase{
		{"null", types.StringNull(), ""},
		{"unknown", types.StringUnknown(), ""},
		{"name", types.StringValue("turn.example.com"), ""},
		{"fqdn", types.StringValue("turn.example.com."), ""},
		{"ipv4", types.StringValue("203.0.113.7"), ""},
		{"ipv6", types.StringValue("2001:db8::7"), ""},
		{"underscore", types.StringValue("media_1.internal"), ""},
		{"empty", types.StringValue(""), "it is empty"},
		{"scheme", types.StringValue("turn://turn.example.com"), "it has a scheme"},
		{"port", types.StringValue("turn.example.com:3478"), "it has a port"},
		{"bracketed", types.StringValue("[2001:db8::7]"), "it has a port or brackets"},
		{"path", types.StringValue("example.com/x"), "path"},
		{"empty label", types.StringValue("a..b"), "empty or longer than 63"},
		{"long label", types.StringValue(strings.Repeat("a", 64) + ".com"), "empty or longer than 63"},
		{"bad char", types.StringValue("a*b.com"), `has the character '*'`},
	})
}
