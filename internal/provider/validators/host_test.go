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
		{"numeric label", types.StringValue("4chan.example.com"), ""},
		{"hex-looking label", types.StringValue("0xdead.example.com"), ""},
		{"five numbers", types.StringValue("1.2.3.4.5"), ""},
		// The unspecified addresses: a probe would reach the machine running Terraform.
		{"0.0.0.0", types.StringValue("0.0.0.0"), "0.0.0.0 is the unspecified address"},
		{"::", types.StringValue("::"), ":: is the unspecified address"},
		{"[::]", types.StringValue("[::]"), ":: is the unspecified address"},
		{"long ::", types.StringValue("0:0:0:0:0:0:0:0"), ":: is the unspecified address"},
		{"mapped 0.0.0.0", types.StringValue("::ffff:0.0.0.0"), "::ffff:0.0.0.0 is the unspecified address"},
		// Forms that getaddrinfo reads as IPv4 addresses, 0.0.0.0 among them.
		{"0", types.StringValue("0"), "short or non-decimal form"},
		{"0.0", types.StringValue("0.0"), "short or non-decimal form"},
		{"0x0", types.StringValue("0x0"), "short or non-decimal form"},
		{"0X", types.StringValue("0X"), "short or non-decimal form"},
		{"leading zeros", types.StringValue("00.0.0.0"), "short or non-decimal form"},
		{"trailing dot", types.StringValue("0.0.0.0."), "short or non-decimal form"},
		{"127.1", types.StringValue("127.1"), "short or non-decimal form"},
		{"octal", types.StringValue("0177.0.0.1"), "short or non-decimal form"},
		{"decimal integer", types.StringValue("3221225985"), "short or non-decimal form"},
	})
}
