package agentapi

import (
	"testing"
	"time"
)

// The agent is told to stop before the caller's deadline, leaving room for
// its final report to travel back.
func TestRunTimeout(t *testing.T) {
	for name, tc := range map[string]struct{ remaining, want time.Duration }{
		"a tenth of a short timeout": {5 * time.Second, 4500 * time.Millisecond},
		"at most a second":           {2 * time.Minute, 119 * time.Second},
		"tiny stays positive":        {time.Microsecond, time.Millisecond},
		"already past":               {-time.Second, time.Millisecond},
	} {
		t.Run(name, func(t *testing.T) {
			if got := runTimeout(tc.remaining); got != tc.want {
				t.Errorf("runTimeout(%s) = %s, want %s", tc.remaining, got, tc.want)
			}
		})
	}
}
