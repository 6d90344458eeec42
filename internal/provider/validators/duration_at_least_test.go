package validators

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestDurationAtLeast(t *testing.T) {
	t.Parallel()
	runStringCases(t, DurationAtLeast(time.Millisecond), []stringCase{
		{"null", types.StringNull(), ""},
		{"unknown", types.StringUnknown(), ""},
		{"1ms", types.StringValue("1ms"), ""},
		{"2s", types.StringValue("2s"), ""},
		{"zero", types.StringValue("0s"), "at least 1ms"},
		{"negative", types.StringValue("-1s"), "at least 1ms"},
		{"sub-millisecond", types.StringValue("999us"), "at least 1ms"},
		{"no unit (the type reports it)", types.StringValue("5"), ""},
	})
}
