package testnet_test

import (
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// The real servers answer while the test runs and are gone after its
// cleanup: their ports refuse connections.
func TestRealServersStopAtCleanup(t *testing.T) {
	tests := []struct {
		name  string
		start func(testing.TB) uint16 // returns a TCP port
		probe func(probe.Target) probe.Result
	}{
		{"kamailio", func(tb testing.TB) uint16 { _, tcp := testnet.Kamailio(tb); return tcp },
			func(tg probe.Target) probe.Result {
				return probe.SIP(probeCtx(t, 5*time.Second), tg, probe.SIPOptions{Transport: "tcp"})
			}},
		{"gst-rtsp-server", testnet.RTSPServer, func(tg probe.Target) probe.Result {
			return probe.RTSP(probeCtx(t, 5*time.Second), tg, probe.RTSPOptions{})
		}},
	}
	for _, tt := range tests {
		var port uint16
		t.Run(tt.name, func(t *testing.T) {
			port = tt.start(t)
			if r := tt.probe(at(port)); r.Status != probe.StatusOpen {
				t.Fatalf("while running: %s (%s)", r.Status, r.Cause)
			}
		})
		if port == 0 {
			continue // skipped
		}
		if r := probe.TCP(probeCtx(t, 5*time.Second), at(port), probe.TCPOptions{}); r.Status != probe.StatusClosed {
			t.Errorf("%s after cleanup: port %d is %s, want closed", tt.name, port, r.Status)
		}
	}
}
