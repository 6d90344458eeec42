package testnet_test

import (
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// nginx answers while its test runs, and is gone, port and all, once that
// test's cleanup ran.
func TestNginxRTMPStopsAtCleanup(t *testing.T) {
	var p uint16
	t.Run("running", func(t *testing.T) {
		p = testnet.NginxRTMP(t)
		if r := probe.RTMP(probeCtx(t, 5*time.Second), at(p), probe.RTMPOptions{}); r.Status != probe.StatusOpen {
			t.Errorf("RTMP: %s (%s: %v)", r.Status, r.Cause, r.Error)
		}
	})
	if p == 0 {
		t.Skip("nginx did not start")
	}
	if r := probe.TCP(probeCtx(t, 5*time.Second), at(p), probe.TCPOptions{}); r.Status != probe.StatusClosed {
		t.Errorf("after cleanup: %s (%s), want closed", r.Status, r.Cause)
	}
}
